"""The charges table against sums made here from the charges the test plants
(point, supplier, ground, date, outcome, amount won back); and who may read
it."""
import datetime as dt
import random
from collections import Counter, defaultdict
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    DBTestCase, create_parcel, create_point, create_supplier, create_user)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from .tables import assert_readers, export_xlsx

D = Decimal
MONTH = (dt.date(2025, 3, 1), dt.date(2025, 3, 31))
KINDS = ['lost', 'damaged', 'substituted', 'late']
STATES = ['new', 'accepted', 'disputed', 'won', 'lost', 'partly_won']
AMOUNTS = ['charged', 'disputed_amount', 'won_back', 'lost_amount', 'borne']


def expected_values(state, amount, won):
    "What one charge adds to each column"
    disputed = state in {'disputed', 'won', 'lost', 'partly_won'}
    return {
        'charges': 1,
        'charged': amount,
        'disputed': int(disputed),
        'disputed_amount': amount if disputed else D(0),
        'won_back': {'won': amount, 'partly_won': won}.get(state, D(0)),
        'lost_amount': amount if state == 'lost' else D(0),
        'borne': {'accepted': amount, 'lost': amount,
            'partly_won': amount - (won or 0)}.get(state, D(0)),
        }


class ChargeFiguresTestCase(DBTestCase):
    module = 'multipoint_analytics'
    extras = ['multipoint_claims']
    maxDiff = None

    def plant(self):
        """Charges of two suppliers at two points over February and March,
        their outcomes written on the rows (the table reads the rows; the
        workflow that gives them is tested by multipoint_claims)"""
        pool = Pool()
        Charge = pool.get('multipoint.charge')
        rng = random.Random(5)
        self.company = company = create_company()
        self.plan = []
        with set_company(company):
            self.msk = create_point(company, 'MSK1')
            self.nsk = create_point(
                company, 'NSK1', timezone='Asia/Novosibirsk')
            self.ozon = create_supplier("Ozon")
            self.wb = create_supplier("WB")
            outcomes = []
            for i in range(48):
                point = rng.choice([self.msk, self.nsk])
                supplier = rng.choice([self.ozon, self.wb])
                # every third charge is one amount for several parcels
                # (a lost bag): it is counted once
                parcels = [create_parcel(point, supplier, f'C-{i}-{j}')
                    for j in range(1 + 2 * (i % 3 == 0))]
                kind = rng.choice(KINDS)
                state = STATES[i % len(STATES)]
                amount = D(rng.randrange(100, 500000)) / 100
                won = (amount / 4).quantize(D('0.01')) if (
                    state == 'partly_won') else None
                day = dt.date(2025, 2, 10) + dt.timedelta(
                    days=rng.randrange(60))
                charge, = Charge.create([{
                            'company': company.id,
                            'supplier': supplier.id,
                            'point': point.id,
                            'parcels': [('create', [
                                        {'parcel': p.id} for p in parcels])],
                            'kind': kind,
                            'ground': "Основание поставщика",
                            'amount': amount,
                            'date': day,
                            }])
                self.assertEqual(len(charge.parcels), len(parcels))
                outcomes.append((charge.id, state, won))
                self.plan.append((point, supplier, kind, day, state, amount,
                        won))
            table = Charge.__table__()
            cursor = Transaction().connection.cursor()
            for charge_id, state, won in outcomes:
                cursor.execute(*table.update(
                        [table.state, table.won_amount], [state, won],
                        where=table.id == charge_id))

    def expected(self, supplier=None):
        result = defaultdict(Counter)
        for point, supplier_, kind, day, state, amount, won in self.plan:
            if not (MONTH[0] <= day <= MONTH[1]):
                continue
            if supplier and supplier_ != supplier:
                continue
            result[point.id, supplier_.id, kind].update(
                expected_values(state, amount, won))
        return {k: dict(v) for k, v in result.items()}

    def figures(self, **context):
        Table = Pool().get('multipoint.analytics.charge')
        with Transaction().set_context(from_date=MONTH[0], to_date=MONTH[1],
                period='month', company=self.company.id, **context):
            rows = Table.search([])
            self.assertEqual({r.date for r in rows}, {MONTH[0]})
            return {(r.point.id, r.supplier.id, r.kind): {
                    n: getattr(r, n) for n in [
                        'charges', 'disputed', *AMOUNTS]}
                for r in rows}

    @with_transaction()
    def test_figures_per_supplier_and_ground(self):
        "Every column of every point, supplier and ground as summed here"
        self.plant()
        with set_company(self.company):
            got = self.figures()
            self.assertEqual(got, self.expected())
            self.assertEqual(self.figures(supplier=self.wb.id),
                self.expected(supplier=self.wb))
            # every state is planted in March
            states = {s for *_, day, s, _, _ in self.plan
                if MONTH[0] <= day <= MONTH[1]}
            self.assertEqual(states, set(STATES))

    @with_transaction()
    def test_readers(self):
        """Owners and the analytics and reports groups read the charges;
        operators, even of the point, and accountants do not"""
        Table = Pool().get('multipoint.analytics.charge')
        self.plant()
        readers = [create_user(f'u-{g}', groups=[g], company=self.company)
            for g in ['owner', 'analytics', 'reports']]
        denied = [
            create_user('op', groups=['operator'], points=[self.msk],
                company=self.company),
            create_user('clerk', groups=['accountant'],
                company=self.company)]
        with Transaction().set_context(from_date=MONTH[0],
                to_date=MONTH[1], company=self.company.id):
            assert_readers(self, Table, readers, denied)

    @with_transaction()
    def test_export_xlsx(self):
        "The export writes the rows with the grounds in Russian"
        Table = Pool().get('multipoint.analytics.charge')
        self.plant()
        with set_company(self.company), Transaction().set_context(
                from_date=MONTH[0], to_date=MONTH[1], period='month',
                language='ru'):
            values = export_xlsx(self, Table, Table.search([]))
        self.assertIn("Утеря посылки", {v[2] for v in values})
        self.assertAlmostEqual(sum(v[5] for v in values), float(sum(
                    v['charged'] for v in self.expected().values())),
            places=2)


del DBTestCase
