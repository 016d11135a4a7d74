"""Each figure of the reporting models against a count made here, in
Python, from the events the test plants: the expected values come from the
plan (figure, point, local moment), not from the journal rows."""
import datetime as dt
import math
import random
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    DBTestCase, cell, create_parcel, create_point, create_supplier,
    create_user)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction, check_access

from .tables import assert_readers, export_xlsx

MSK = 'Europe/Moscow'        # UTC+3
NSK = 'Asia/Novosibirsk'     # UTC+7
MONTH = (dt.date(2025, 3, 1), dt.date(2025, 3, 31))
PREVIOUS = (dt.date(2025, 1, 29), dt.date(2025, 2, 28))

# figure: the journal row that records it
EVENTS = {
    'expected': {'kind': 'created', 'to_state': 'expected'},
    'accepted': {'kind': 'state', 'from_state': 'expected',
        'to_state': 'accepted'},
    'stored': {'kind': 'state', 'from_state': 'accepted',
        'to_state': 'stored'},
    'issued': {'kind': 'state', 'from_state': 'stored',
        'to_state': 'issued'},
    'partially_issued': {'kind': 'state', 'from_state': 'stored',
        'to_state': 'partially_issued'},
    'refused': {'kind': 'state', 'from_state': 'stored',
        'to_state': 'refused'},
    'returned': {'kind': 'state', 'from_state': 'to_return',
        'to_state': 'returned'},
    'expired': {'kind': 'state', 'from_state': 'stored',
        'to_state': 'to_return', 'detail': "Storage deadline passed"},
    'lost': {'kind': 'state', 'from_state': 'stored', 'to_state': 'lost'},
    'missing': {'kind': 'missing'},
    'damaged': {'kind': 'damaged'},
    'extended': {'kind': 'extension', 'detail': "+3"},
    }
# journal rows that count for no figure
NOISE = [
    {'kind': 'scan'},
    {'kind': 'placement'},
    {'kind': 'search'},
    {'kind': 'state', 'from_state': 'refused', 'to_state': 'to_return',
        'detail': "refused"},
    {'kind': 'state', 'from_state': 'stored', 'to_state': 'to_return'},
    {'kind': 'state', 'from_state': 'lost', 'to_state': 'accepted'},
    ]
FIGURES = list(EVENTS) + ['surplus', 'served', 'recipients']


def to_utc(local, timezone):
    return local.replace(tzinfo=ZoneInfo(timezone)).astimezone(
        dt.timezone.utc).replace(tzinfo=None)


def week_start(day):
    return day - dt.timedelta(days=day.weekday())


def nearest_rank(values, p):
    values = sorted(values)
    return values[math.ceil(p * len(values)) - 1]


class AnalyticsTestCase(DBTestCase):
    module = 'multipoint_analytics'
    maxDiff = None

    def plant(self):
        """Two points (UTC+3, UTC+7), two suppliers, events spread over
        February and March 2025 in local time, and the local-day edges;
        returns the plan"""
        pool = Pool()
        Event = pool.get('multipoint.parcel.event')
        Reception = pool.get('multipoint.reception')
        Scan = pool.get('multipoint.reception.scan')
        rng = random.Random(7)
        self.company = company = create_company()
        with set_company(company):
            return self._plant(company, rng)

    def _plant(self, company, rng):
        pool = Pool()
        Event = pool.get('multipoint.parcel.event')
        Reception = pool.get('multipoint.reception')
        Scan = pool.get('multipoint.reception.scan')
        self.msk = create_point(company, 'MSK1', timezone=MSK)
        self.nsk = create_point(company, 'NSK1', timezone=NSK)
        self.ozon = create_supplier("Ozon")
        self.wb = create_supplier("WB")
        self.op_msk = create_user('op-msk', groups=['operator'],
            points=[self.msk], company=company)
        self.op_nsk = create_user('op-nsk', groups=['operator'],
            points=[self.nsk], company=company)
        parcels = {}
        for point in [self.msk, self.nsk]:
            for supplier in [self.ozon, self.wb]:
                parcels[point, supplier] = [create_parcel(
                        point, supplier,
                        f'{point.code}-{supplier.name}-{i}')
                    for i in range(3)]
        plan = []  # (figure, point, supplier, local datetime)
        vlist = []

        def event(figure, point, supplier, local, values, **extra):
            parcel = rng.choice(parcels[point, supplier])
            plan.append((figure, point, supplier, local))
            vlist.append(dict(values, parcel=parcel.id, point=point.id,
                    date=to_utc(local, point.timezone), **extra))

        start = dt.datetime(2025, 1, 25)
        for _ in range(400):
            point = rng.choice([self.msk, self.nsk])
            supplier = rng.choice([self.ozon, self.wb])
            local = start + dt.timedelta(
                minutes=rng.randrange(70 * 24 * 60))
            figure = rng.choice(list(EVENTS) + ['noise'])
            values = (rng.choice(NOISE) if figure == 'noise'
                else EVENTS[figure])
            event(figure, point, supplier, local, values)
        # the local-day edges: 23:30 and 00:30 local, both sides of midnight
        for point in [self.msk, self.nsk]:
            for local in [dt.datetime(2025, 3, 10, 23, 30),
                    dt.datetime(2025, 3, 11, 0, 30),
                    dt.datetime(2025, 3, 31, 23, 59),
                    dt.datetime(2025, 3, 1, 0, 0),
                    dt.datetime(2025, 2, 28, 23, 59)]:
                event('issued', point, self.ozon, local, EVENTS['issued'])
        # recipients served: one issue of 1-3 parcels, a wait each
        self.services = []  # (point, user, local, recipient's wait)
        for _ in range(60):
            point = rng.choice([self.msk, self.nsk])
            supplier = rng.choice([self.ozon, self.wb])
            user = self.op_msk if point == self.msk else self.op_nsk
            if rng.random() < 0.3:
                user = create_user(
                    f'op-{len(self.services)}', groups=['operator'],
                    points=[point], company=company)
            local = start + dt.timedelta(
                minutes=rng.randrange(70 * 24 * 60))
            waits = [rng.randrange(5, 600)
                for _ in range(rng.randrange(1, 4))]
            for wait in waits:
                event('served', point, supplier, local, {'kind': 'service'},
                    duration=wait, user=user.id)
            self.services.append(
                (point, supplier, user, local, max(waits)))
        Event.create(vlist)
        # surplus places at acceptance, by the scan's moment
        for point in [self.msk, self.nsk]:
            reception, = Reception.create([{
                        'point': point.id, 'company': company.id}])
            for i in range(8):
                local = start + dt.timedelta(
                    minutes=rng.randrange(70 * 24 * 60))
                if i == 0:
                    local = dt.datetime(2025, 3, 1, 0, 15)
                Scan.create([{
                            'reception': reception.id,
                            'barcode': f'SURPLUS{point.code}{i}',
                            'result': 'surplus',
                            'date': to_utc(local, point.timezone),
                            }])
                plan.append(('surplus', point, None, local))
        self.plan = plan
        return plan

    def expected(self, period='day', supplier=None, dates=MONTH):
        "{(point id, period date): Counter of figures} from the plan"
        truncate = {
            'day': lambda d: d,
            'week': week_start,
            'month': lambda d: d.replace(day=1),
            }[period]
        result = defaultdict(Counter)
        for figure, point, supplier_, local in self.plan:
            if figure == 'noise' or not (
                    dates[0] <= local.date() <= dates[1]):
                continue
            if supplier and supplier_ != supplier:
                continue
            result[point.id, truncate(local.date())][figure] += 1
        for point, supplier_, user, local, wait in self.services:
            if not (dates[0] <= local.date() <= dates[1]):
                continue
            if supplier and supplier_ != supplier:
                continue
            result[point.id, truncate(local.date())]['recipients'] += 1
        return result

    def figures(self, period='day', **context):
        PointPeriod = Pool().get('multipoint.analytics.point_period')
        with Transaction().set_context(from_date=MONTH[0],
                to_date=MONTH[1], period=period, **context):
            rows = PointPeriod.search([])
            got = {(r.point.id, r.date): Counter({
                        f: getattr(r, f) for f in FIGURES
                        if getattr(r, f)}) for r in rows}
            # a day with events that count for nothing has a row of zeros
            return {k: v for k, v in got.items() if v}, rows

    @with_transaction()
    def test_figures_per_day(self):
        "Every figure of every point and local day as counted here"
        self.plant()
        with set_company(self.company):
            got, rows = self.figures('day')
            self.assertEqual(got, dict(self.expected('day')))
            self.assertTrue(rows)
            for row in rows:
                if row.recipients:
                    self.assertAlmostEqual(row.parcels_per_recipient,
                        row.served / row.recipients, places=6)

    @with_transaction()
    def test_figures_per_week_and_month(self):
        self.plant()
        with set_company(self.company):
            for period in ['week', 'month']:
                got, _ = self.figures(period)
                self.assertEqual(got, dict(self.expected(period)), period)

    @with_transaction()
    def test_local_day_edges(self):
        """An event at 23:30 local time belongs to that local day, one at
        00:30 to the next, in UTC+7 as in UTC+3"""
        self.plant()
        with set_company(self.company):
            got, _ = self.figures('day', point=self.nsk.id)
            expected = self.expected('day')
            for day in [dt.date(2025, 3, 10), dt.date(2025, 3, 11),
                    dt.date(2025, 3, 31), dt.date(2025, 3, 1)]:
                self.assertEqual(got[self.nsk.id, day]['issued'],
                    expected[self.nsk.id, day]['issued'])
                self.assertGreaterEqual(got[self.nsk.id, day]['issued'], 1)
            # 00:30 on the 11th in Novosibirsk is the 10th in UTC
            self.assertEqual(to_utc(
                    dt.datetime(2025, 3, 11, 0, 30), NSK).date(),
                dt.date(2025, 3, 10))
            # 23:59 on 28 February is before the month asked for
            self.assertNotIn((self.nsk.id, dt.date(2025, 2, 28)), got)
            self.assertEqual({p for p, _ in got}, {self.nsk.id})

    @with_transaction()
    def test_supplier_filter(self):
        self.plant()
        with set_company(self.company):
            got, _ = self.figures('day', supplier=self.wb.id)
            self.assertEqual(got, dict(self.expected(
                        'day', supplier=self.wb)))

    @with_transaction()
    def test_network_against_previous_period(self):
        Network = Pool().get('multipoint.analytics.network')
        self.plant()
        current = self.expected('month', dates=MONTH)
        previous = defaultdict(Counter)
        for (point, _), counter in self.expected(
                'day', dates=PREVIOUS).items():
            previous[point] += counter
        with set_company(self.company), Transaction().set_context(
                from_date=MONTH[0], to_date=MONTH[1]):
            self.assertEqual(Network.previous_dates(*MONTH), PREVIOUS)
            rows = Network.search([])
            self.assertEqual({r.point for r in rows}, {self.msk, self.nsk})
            for row in rows:
                now = current[row.point.id, MONTH[0]]
                before = previous[row.point.id]
                for name in ['accepted', 'issued', 'refused', 'returned',
                        'expired', 'recipients']:
                    self.assertEqual(getattr(row, name), now[name], name)
                    self.assertEqual(getattr(row, f'{name}_previous'),
                        before[name], name)
                    self.assertEqual(getattr(row, f'{name}_change'),
                        now[name] - before[name], name)
            # sorted by any column
            ordered = Network.search([], order=[('issued_change', 'DESC')])
            changes = [r.issued_change for r in ordered]
            self.assertEqual(changes, sorted(changes, reverse=True))

    @with_transaction()
    def test_service_time(self):
        """Average, median and 90th percentile (nearest rank) of the time
        to serve a recipient, per point and per operator"""
        pool = Pool()
        ServicePoint = pool.get('multipoint.analytics.service.point')
        ServiceOperator = pool.get('multipoint.analytics.service.operator')
        self.plant()
        by_point, by_user = defaultdict(list), defaultdict(list)
        for point, _, user, local, wait in self.services:
            if MONTH[0] <= local.date() <= MONTH[1]:
                by_point[point.id].append(wait)
                by_user[point.id, user.id].append(wait)
        with set_company(self.company), Transaction().set_context(
                from_date=MONTH[0], to_date=MONTH[1]):
            rows = ServicePoint.search([])
            self.assertEqual({r.point.id for r in rows}, set(by_point))
            for row in rows:
                waits = by_point[row.point.id]
                self.assertEqual(row.recipients, len(waits))
                self.assertAlmostEqual(
                    row.average, sum(waits) / len(waits), places=3)
                self.assertEqual(row.median, nearest_rank(waits, 0.5))
                self.assertEqual(
                    row.percentile_90, nearest_rank(waits, 0.9))
                self.assertEqual(row.longest, max(waits))
            rows = ServiceOperator.search([])
            self.assertEqual(
                {(r.point.id, r.user.id) for r in rows}, set(by_user))
            for row in rows:
                waits = by_user[row.point.id, row.user.id]
                self.assertEqual(row.recipients, len(waits))
                self.assertEqual(row.median, nearest_rank(waits, 0.5))
                self.assertEqual(
                    row.percentile_90, nearest_rank(waits, 0.9))

    @with_transaction()
    def test_peak_hours(self):
        "Recipients served per local hour of the day and weekday"
        Peak = Pool().get('multipoint.analytics.peak')
        self.plant()
        expected = Counter()
        for point, _, user, local, wait in self.services:
            if MONTH[0] <= local.date() <= MONTH[1]:
                expected[point.id, local.isoweekday(), local.hour] += 1
        with set_company(self.company), Transaction().set_context(
                from_date=MONTH[0], to_date=MONTH[1]):
            rows = Peak.search([])
            got = Counter({(r.point.id, r.weekday, r.hour): r.recipients
                    for r in rows})
        self.assertEqual(got, expected)
        self.assertEqual(len({r.id for r in rows}), len(rows))

    @with_transaction()
    def test_nearest_rank_small_samples(self):
        "The percentiles of one, two and ten recipients"
        pool = Pool()
        Event = pool.get('multipoint.parcel.event')
        ServicePoint = pool.get('multipoint.analytics.service.point')
        company = create_company()
        with set_company(company):
            points = [create_point(company, f'P{n}', timezone=NSK)
                for n in range(3)]
            supplier = create_supplier("Ozon")
            samples = [[42], [10, 20], list(range(100, 0, -10))]
            for point, waits in zip(points, samples):
                parcel = create_parcel(point, supplier, f'{point.code}-1')
                Event.create([{
                            'parcel': parcel.id, 'point': point.id,
                            'kind': 'service', 'duration': wait,
                            'date': to_utc(dt.datetime(2025, 3, 5, 12)
                                + dt.timedelta(minutes=i), NSK),
                            } for i, wait in enumerate(waits)])
            with Transaction().set_context(
                    from_date=MONTH[0], to_date=MONTH[1]):
                got = {r.point: (r.median, r.percentile_90)
                    for r in ServicePoint.search([])}
            self.assertEqual(got, {
                    points[0]: (42, 42),
                    points[1]: (10, 20),
                    points[2]: (50, 90),
                    })

    @with_transaction()
    def test_shelf(self):
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Shelf = pool.get('multipoint.analytics.shelf')
        company = create_company()
        with set_company(company):
            point = create_point(company, 'MSK1')
            supplier = create_supplier("Ozon", storage_days=7)
            parcels = [create_parcel(point, supplier, f'O-{i}')
                for i in range(3)]
            Parcel.accept(parcels[:2])
            Parcel.store(parcels[:1], cell(point, 'B-1'))
            row, = Shelf.search([('point', '=', point.id)])
            self.assertEqual(row.on_site, 2)
            self.assertEqual(row.in_cells, 1)
            self.assertEqual(row.capacity, 2 + 2 + 5)
            self.assertAlmostEqual(row.occupancy, 100 / 9, places=3)
            self.assertEqual(row.overdue, 0)
            self.assertIsNotNone(row.oldest_arrival)

    @with_transaction()
    def test_operator_sees_own_points_only(self):
        "Record rules: an operator's rows are those of their points"
        pool = Pool()
        PointPeriod = pool.get('multipoint.analytics.point_period')
        Network = pool.get('multipoint.analytics.network')
        ServicePoint = pool.get('multipoint.analytics.service.point')
        Shelf = pool.get('multipoint.analytics.shelf')
        self.plant()
        owner = create_user('owner', groups=['owner'], company=self.company)
        analyst = create_user(
            'analyst', groups=['analytics'], company=self.company)
        clerk = create_user(
            'clerk', groups=['accountant'], company=self.company)
        context = {'from_date': MONTH[0], 'to_date': MONTH[1],
            'company': self.company.id}
        models = [PointPeriod, Network, ServicePoint, Shelf]
        with Transaction().set_context(**context):
            for Model in models:
                with Transaction().set_user(self.op_msk.id), check_access():
                    rows = Model.search([])
                    self.assertTrue(rows, Model.__name__)
                    self.assertEqual(
                        {r.point for r in rows}, {self.msk}, Model.__name__)
                    other = [r.id for r in Model.search([])]
                with Transaction().set_user(self.op_nsk.id), check_access():
                    with self.assertRaises(AccessError):
                        Model.read(other, ['point'])
                for user in [owner, analyst]:
                    with Transaction().set_user(user.id), check_access():
                        self.assertEqual(
                            {r.point for r in Model.search([])},
                            {self.msk, self.nsk}, Model.__name__)
                assert_readers(self, Model, denied=[clerk])

    @with_transaction()
    def test_open_parcels(self):
        "A figure row opens the parcels of its point and local days"
        pool = Pool()
        PointPeriod = pool.get('multipoint.analytics.point_period')
        Parcel = pool.get('multipoint.parcel')
        Event = pool.get('multipoint.parcel.event')
        OpenParcels = pool.get(
            'multipoint.analytics.open_parcels', type='wizard')
        self.plant()
        with set_company(self.company), Transaction().set_context(
                from_date=MONTH[0], to_date=MONTH[1], period='day',
                point=self.nsk.id):
            row, = [r for r in PointPeriod.search([])
                if r.date == dt.date(2025, 3, 11)]
            session_id, _, _ = OpenParcels.create()
            wizard = OpenParcels(session_id)
            with Transaction().set_context(
                    active_model=PointPeriod.__name__, active_id=row.id,
                    active_ids=[row.id]):
                action, _ = wizard.do_open_(
                    {'name': "Parcels", 'pyson_domain': '[]'})
            from trytond.pyson import PYSONDecoder
            domain = PYSONDecoder().decode(action['pyson_domain'])
            found = set(Parcel.search(domain))
            day_from = to_utc(dt.datetime(2025, 3, 11), NSK)
            day_to = day_from + dt.timedelta(days=1)
            expected = {e.parcel for e in Event.search([
                        ('point', '=', self.nsk.id),
                        ('date', '>=', day_from), ('date', '<', day_to)])}
            self.assertTrue(found)
            self.assertEqual(found, expected)

    @with_transaction()
    def test_export_xlsx(self):
        "A table exports to XLSX with its rows and columns"
        PointPeriod = Pool().get('multipoint.analytics.point_period')
        self.plant()
        with set_company(self.company), Transaction().set_context(
                from_date=MONTH[0], to_date=MONTH[1], period='month'):
            values = export_xlsx(self, PointPeriod, PointPeriod.search([]))
        issued = {v[0]: v[5] for v in values}
        expected = self.expected('month')
        for point in [self.msk, self.nsk]:
            self.assertEqual(issued[point.rec_name] or 0,
                expected[point.id, MONTH[0]]['issued'])

    @with_transaction(context={'language': 'ru'})
    def test_russian_strings(self):
        "Every field, help and choice of the reporting models in Russian"
        import re
        cyrillic = re.compile('[а-яА-ЯёЁ]')
        pool = Pool()
        ModelField = pool.get('ir.model.field')
        # the fields every stored model has (id, create_date...)
        base = set(pool.get('ir.session.wizard')._fields) - {'data'}
        for name in ['context', 'point_period', 'network', 'service.point',
                'service.operator', 'peak', 'shelf', 'day', 'day.state']:
            Model = pool.get(f'multipoint.analytics.{name}')
            own = [f.name for f in ModelField.search([
                        ('model', '=', Model.__name__),
                        ('module', '=', 'multipoint_analytics'),
                        ]) if f.name not in base]
            self.assertTrue(own)
            for field, definition in Model.fields_get(own).items():
                with self.subTest(model=Model.__name__, field=field):
                    for text in [definition['string'],
                            definition.get('help') or 'ё']:
                        self.assertRegex(
                            text, cyrillic, f'{Model.__name__}.{field}')
                    for _, label in definition.get('selection') or []:
                        self.assertRegex(label, cyrillic)
            self.assertRegex(Model.__names__()['model'], cyrillic)


del DBTestCase
