"""The tickets table against counts made here from the plan of the tickets
the test opens, resolves, closes and reopens at moments it chooses (the
tickets module's clock); and who reads which rows."""
import datetime as dt
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    DBTestCase, create_point, create_supplier, create_user)
from trytond.modules.multipoint_tickets.tests.tools import clock_at
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction, check_access

from .tables import assert_readers, export_xlsx

MSK = 'Europe/Moscow'        # UTC+3
NSK = 'Asia/Novosibirsk'     # UTC+7
MONTH = (dt.date(2025, 3, 1), dt.date(2025, 3, 31))
FIRST_DAYS = (dt.date(2025, 3, 1), dt.date(2025, 3, 9))
# "now" of the table: after every planted moment
NOW = dt.datetime(2025, 3, 20, 12, 0)
FIGURES = ['open', 'overdue', 'opened', 'closed', 'closed_late']


def at(day, hour=10):
    "A UTC moment of March 2025 (February for a negative day)"
    return dt.datetime(2025, 3, 1, hour) + dt.timedelta(days=day - 1)


# point, supplier, opened at (UTC), then what happened: (action, moment)
PLAN = [
    # open and not yet late at NOW
    ('msk', 'ozon', at(19), []),
    # open and overdue
    ('msk', 'ozon', at(10), []),
    # opened in February, still open: overdue, not opened in March
    ('msk', 'ozon', at(-5), []),
    # closed on time
    ('msk', 'wb', at(5), [('resolve', at(6))]),
    # closed late, then closed for good
    ('msk', 'wb', at(1), [('resolve', at(10)), ('close', at(11))]),
    # opened in February, closed late in March
    ('msk', 'ozon', at(-3), [('resolve', at(2)), ('close', at(3))]),
    # resolved and closed in February: nothing in March
    ('msk', 'ozon', at(-20), [('resolve', at(-19)), ('close', at(-18))]),
    # reopened: open again with a new SLA period, not closed
    ('msk', 'wb', at(3), [('resolve', at(4)), ('reopen', at(5))]),
    # without a supplier
    ('msk', None, at(2), [('resolve', at(3))]),
    # the other point (another operator): 20:00 UTC of 28 February is
    # 1 March at Novosibirsk
    ('nsk', 'wb', dt.datetime(2025, 2, 28, 20, 0), []),
    ('nsk', 'wb', at(8), [('resolve', at(15))]),
    ('nsk', 'ozon', at(18), []),
    ]


class TicketAnalyticsTestCase(DBTestCase):
    module = 'multipoint_analytics'
    extras = ['multipoint_tickets']
    maxDiff = None

    def plant(self):
        pool = Pool()
        Ticket = pool.get('multipoint.ticket')
        SLA = pool.get('multipoint.ticket.sla')
        self.company = company = create_company()
        with set_company(company):
            self.points = {
                'msk': create_point(company, 'MSK1', timezone=MSK),
                'nsk': create_point(company, 'NSK1', timezone=NSK),
                }
            self.suppliers = {
                'ozon': create_supplier("Ozon"),
                'wb': create_supplier("WB"),
                }
            self.op_msk = create_user('op-msk', groups=['operator'],
                points=[self.points['msk']], company=company)
            self.op_nsk = create_user('op-nsk', groups=['operator'],
                points=[self.points['nsk']], company=company)
            self.hours = SLA.hours_for([('other', 'normal')])[
                'other', 'normal']
            for i, (point, supplier, opened, actions) in enumerate(PLAN):
                with clock_at(opened):
                    ticket, = Ticket.create([{
                                'title': f"Обращение {i}",
                                'point': self.points[point].id,
                                'supplier': (self.suppliers[supplier].id
                                    if supplier else None),
                                }])
                for action, moment in actions:
                    with clock_at(moment):
                        getattr(Ticket, action)([Ticket(ticket.id)])

    def expected(self, from_date, to_date):
        """{(point, supplier): {figure: count}} from the plan: what each
        ticket is now and when it was opened and resolved"""
        expected = defaultdict(Counter)
        for point, supplier, opened, actions in PLAN:
            timezone = MSK if point == 'msk' else NSK

            def local(moment):
                return moment.replace(tzinfo=dt.timezone.utc).astimezone(
                    ZoneInfo(timezone)).date()
            start, resolved = opened, None
            for action, moment in actions:
                if action == 'resolve':
                    resolved = moment
                elif action == 'reopen':
                    start, resolved = moment, None
            deadline = start + dt.timedelta(hours=self.hours)
            closed = bool(resolved
                and from_date <= local(resolved) <= to_date)
            figures = {
                'open': resolved is None,
                'overdue': resolved is None and deadline < NOW,
                'opened': from_date <= local(opened) <= to_date,
                'closed': closed,
                'closed_late': closed and resolved > deadline,
                }
            key = (self.points[point].id,
                self.suppliers[supplier].id if supplier else None)
            expected[key].update({n: int(v) for n, v in figures.items()})
        return {k: {n: v[n] for n in FIGURES}
            for k, v in expected.items() if any(v.values())}

    def rows(self, **context):
        Table = Pool().get('multipoint.analytics.ticket')
        with clock_at(NOW), Transaction().set_context(**context):
            rows = Table.search([])
            return {(r.point.id, r.supplier.id if r.supplier else None): {
                    n: getattr(r, n) for n in FIGURES} for r in rows}

    @with_transaction()
    def test_figures(self):
        "Every figure per point and supplier, for two ranges of dates"
        self.plant()
        self.assertEqual(self.hours, 72)
        with set_company(self.company):
            for from_date, to_date in [MONTH, FIRST_DAYS]:
                with self.subTest(from_date=from_date, to_date=to_date):
                    self.assertEqual(
                        self.rows(from_date=from_date, to_date=to_date),
                        self.expected(from_date, to_date))
        # the plan covers every figure, more than once
        totals = Counter()
        for figures in self.expected(*MONTH).values():
            totals.update(figures)
        self.assertTrue(all(totals[n] >= 2 for n in FIGURES), totals)

    @with_transaction()
    def test_filters_and_ids(self):
        "The point, supplier and company of the context; ids stay"
        Table = Pool().get('multipoint.analytics.ticket')
        self.plant()
        nsk, wb = self.points['nsk'], self.suppliers['wb']
        expected = self.expected(*MONTH)
        month = {'from_date': MONTH[0], 'to_date': MONTH[1]}
        with set_company(self.company):
            self.assertEqual(self.rows(point=nsk.id, **month),
                {k: v for k, v in expected.items() if k[0] == nsk.id})
            self.assertEqual(self.rows(supplier=wb.id, **month),
                {k: v for k, v in expected.items() if k[1] == wb.id})
            self.assertEqual(self.rows(company=self.company.id, **month),
                expected)
            other = create_company("Другая")
            self.assertEqual(self.rows(company=other.id, **month), {})

            def ids(**context):
                with clock_at(NOW), Transaction().set_context(**context):
                    return {(r.point.id, r.supplier): r.id
                        for r in Table.search([])}
            # the same row keeps its id whatever the dates
            month_ids = ids(**month)
            for key, id_ in ids(from_date=FIRST_DAYS[0],
                    to_date=FIRST_DAYS[1]).items():
                self.assertEqual(month_ids[key], id_)
            self.assertEqual(len(set(month_ids.values())), len(month_ids))

    @with_transaction()
    def test_readers(self):
        """Operators read their points' rows only; owners and analysts every
        row; a user without an analytics group nothing"""
        Table = Pool().get('multipoint.analytics.ticket')
        self.plant()
        msk, nsk = self.points['msk'], self.points['nsk']
        owner = create_user('owner', groups=['owner'], company=self.company)
        analyst = create_user(
            'analyst', groups=['analytics'], company=self.company)
        clerk = create_user(
            'clerk', groups=['accountant'], company=self.company)
        nobody = create_user('nobody', company=self.company)
        context = {'from_date': MONTH[0], 'to_date': MONTH[1],
            'company': self.company.id}
        with clock_at(NOW), Transaction().set_context(**context):
            with Transaction().set_user(self.op_msk.id), check_access():
                rows = Table.search([])
                self.assertEqual({r.point for r in rows}, {msk})
                msk_ids = [r.id for r in rows]
            with Transaction().set_user(self.op_nsk.id), check_access():
                rows = Table.search([])
                self.assertEqual({r.point for r in rows}, {nsk})
                with self.assertRaises(AccessError):
                    Table.read(msk_ids, ['open'])
            for user in [owner, analyst]:
                with Transaction().set_user(user.id), check_access():
                    self.assertEqual(
                        {r.point for r in Table.search([])}, {msk, nsk})
            assert_readers(self, Table, denied=[clerk, nobody],
                read=(msk_ids, ['open']))

    @with_transaction()
    def test_export_xlsx(self):
        "The table exports to XLSX with its rows"
        Table = Pool().get('multipoint.analytics.ticket')
        self.plant()
        with set_company(self.company), clock_at(NOW), \
                Transaction().set_context(
                    from_date=MONTH[0], to_date=MONTH[1]):
            values = export_xlsx(self, Table, Table.search([]))
        self.assertEqual(sum(v[2] or 0 for v in values),
            sum(f['open'] for f in self.expected(*MONTH).values()))

    @with_transaction(context={'language': 'ru'})
    def test_russian_strings(self):
        "Every field, help and name of the table in Russian"
        import re
        cyrillic = re.compile('[а-яА-ЯёЁ]')
        Table = Pool().get('multipoint.analytics.ticket')
        for field, definition in Table.fields_get(
                ['company', 'point', 'supplier'] + FIGURES).items():
            with self.subTest(field=field):
                for text in [definition['string'],
                        definition.get('help') or 'ё']:
                    self.assertRegex(text, cyrillic)
        self.assertRegex(Table.__names__()['model'], cyrillic)


del DBTestCase
