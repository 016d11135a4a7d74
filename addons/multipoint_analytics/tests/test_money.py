"""The money model against sums made here from the settlement lines and
fines the test writes; and who may read it."""
import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    DBTestCase, create_parcel, create_point, create_supplier, create_user)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from .tables import assert_readers

D = Decimal
MONTH = (dt.date(2025, 3, 1), dt.date(2025, 3, 31))
AMOUNTS = ['cash', 'card', 'sbp', 'refunded', 'commission', 'fines']


class MoneyTestCase(DBTestCase):
    module = 'multipoint_analytics'
    extras = ['multipoint_settlement']
    maxDiff = None

    def plant(self):
        pool = Pool()
        Settlement = pool.get('multipoint.settlement')
        Line = pool.get('multipoint.settlement.line')
        Fine = pool.get('multipoint.settlement.fine')
        rng = random.Random(11)
        self.company = company = create_company()
        expected = defaultdict(lambda: defaultdict(D))
        with set_company(company):
            self.msk = create_point(company, 'MSK1')
            self.nsk = create_point(
                company, 'NSK1', timezone='Asia/Novosibirsk')
            self.suppliers = [create_supplier(n) for n in ["Ozon", "WB"]]
            for supplier in self.suppliers:
                settlement, = Settlement.create([{
                            'company': company.id,
                            'supplier': supplier.id,
                            'period_start': dt.date(2025, 2, 1),
                            'period_end': dt.date(2025, 3, 31),
                            'date': dt.date(2025, 4, 1),
                            }])
                lines = []
                for i in range(40):
                    point = rng.choice([self.msk, self.nsk])
                    day = dt.date(2025, 2, 20) + dt.timedelta(
                        days=rng.randrange(40))
                    values = {n: D(rng.randrange(0, 300000)) / 100
                        for n in AMOUNTS[:-1]}
                    parcel = create_parcel(
                        point, supplier, f'{supplier.name}-{i}')
                    lines.append(dict(values, settlement=settlement.id,
                            parcel=parcel.id, point=point.id, date=day,
                            order_number=parcel.order_number,
                            status='issued'))
                    if MONTH[0] <= day <= MONTH[1]:
                        for name, value in values.items():
                            expected[point.id, supplier.id][name] += value
                        if i % 7 == 0:
                            fine = D('150.00')
                            Fine.create([{
                                        'settlement': settlement.id,
                                        'kind': 'lost',
                                        'parcel': parcel.id,
                                        'amount': fine,
                                        }])
                            expected[point.id, supplier.id]['fines'] += fine
                Line.create(lines)
        return expected

    @with_transaction()
    def test_money_per_point_and_supplier(self):
        Money = Pool().get('multipoint.analytics.money')
        expected = self.plant()
        with set_company(self.company), Transaction().set_context(
                from_date=MONTH[0], to_date=MONTH[1], period='month'):
            rows = Money.search([])
            got = {(r.point.id, r.supplier.id): {
                    n: getattr(r, n) for n in AMOUNTS} for r in rows}
            self.assertEqual({r.date for r in rows}, {MONTH[0]})
            for row in rows:
                self.assertEqual(row.collected, row.cash + row.card + row.sbp)
        self.assertEqual(got, {k: {n: v.get(n, D(0)) for n in AMOUNTS}
                for k, v in expected.items()})

    @with_transaction()
    def test_money_readers(self):
        """Owners and the analytics and reports groups read the money;
        operators, even of the point, and accountants do not"""
        Money = Pool().get('multipoint.analytics.money')
        self.plant()
        readers = [create_user(f'u-{g}', groups=[g], company=self.company)
            for g in ['owner', 'analytics', 'reports']]
        denied = [
            create_user('op', groups=['operator'], points=[self.msk],
                company=self.company),
            create_user('acc', groups=['accountant'], company=self.company),
            ]
        context = {'from_date': MONTH[0], 'to_date': MONTH[1],
            'company': self.company.id}
        with Transaction().set_context(**context):
            assert_readers(self, Money, readers, denied,
                read=([2], ['commission']))


del DBTestCase
