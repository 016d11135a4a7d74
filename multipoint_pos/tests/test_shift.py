"Point of sale setup, shifts and the operators' access to them"
from decimal import Decimal

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    DBTestCase, create_point, create_user)
from trytond.modules.multipoint_pos.exceptions import (
    PosSetupError, ShiftClosedError, ShiftCountError, ShiftOpenError)
from trytond.modules.multipoint_pos.tests.pos_tools import (
    fiscalize, pos_point, settings, setup_accounting, stored_parcel,
    supplier)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction, check_access

D = Decimal


class ShiftTestCase(DBTestCase):
    "Test the point of sale setup and the shifts"
    module = 'multipoint_pos'

    def setUp(self):
        super().setUp()
        self.enterContext(settings('multipoint_fiscal', driver='demo'))

    @with_transaction()
    def test_setup_pos(self):
        "Each point gets its own POS; the company's kit is shared"
        pool = Pool()
        Point = pool.get('multipoint.point')
        Method = pool.get('sale.point.payment.method')
        TransferType = pool.get('sale.point.cash.transfer.type')
        Sequence = pool.get('ir.sequence.strict')
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            with self.assertRaises(PosSetupError):
                Point.setup_pos([msk])  # no chart of accounts
            accounts = setup_accounting(company)
            with self.assertRaises(PosSetupError):
                Point.setup_pos([msk])  # which account is the cash?
            with self.assertRaises(PosSetupError):
                msk.get_sale_point()
            kzn = create_point(company, 'KZN1')
            msk_pos, kzn_pos = Point.setup_pos([msk, kzn], accounts)
            msk, kzn = Point.browse([msk, kzn])
            self.assertEqual((msk.sale_point, kzn.sale_point),
                (msk_pos, kzn_pos))
            self.assertEqual(msk_pos.pickup_points, (msk,))
            self.assertEqual(msk_pos.storage_location,
                msk.warehouse.storage_location)
            self.assertEqual(msk_pos.customer_location.type, 'customer')
            self.assertEqual(msk_pos.journal.type, 'revenue')
            self.assertIsInstance(msk_pos.sequence, Sequence)
            self.assertNotEqual(msk_pos.sequence, kzn_pos.sequence)
            self.assertEqual(msk_pos.agent_account, kzn_pos.agent_account)
            self.assertTrue(msk_pos.agent_account.party_required)
            self.assertEqual(msk_pos.agent_product, kzn_pos.agent_product)
            self.assertEqual(msk_pos.agent_product.type, 'service')
            methods = {m.multipoint_kind: m for m in Method.search([])}
            self.assertEqual(set(methods), {'cash', 'card', 'sbp'})
            self.assertTrue(methods['cash'].cash)
            self.assertEqual(methods['cash'].account, accounts['cash'])
            self.assertNotEqual(methods['card'].account, accounts['cash'])
            self.assertEqual(
                {t.multipoint_kind for t in TransferType.search([])},
                {'float', 'collection', 'difference'})
            # again: nothing new
            self.assertEqual(Point.setup_pos([msk]), [msk_pos])
            self.assertEqual(len(Method.search([])), 3)

    @with_transaction()
    def test_setup_pos_wizard(self):
        "An owner sets a point up, the minimal chart created if none"
        pool = Pool()
        Point = pool.get('multipoint.point')
        SetupPos = pool.get('multipoint.point.setup_pos', type='wizard')
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            session_id, _, _ = SetupPos.create()
            with Transaction().set_context(
                    active_model='multipoint.point', active_id=msk.id,
                    active_ids=[msk.id]):
                wizard = SetupPos(session_id)
                defaults = wizard.default_start(None)
                self.assertTrue(defaults['chart_needed'])
                self.assertTrue(defaults['cash_needed'])
                for name, value in defaults.items():
                    setattr(wizard.start, name, value)
                wizard.start.cash_account = None
                wizard.start.agent_account = None
                wizard.start.journal = None
                self.assertEqual(wizard.transition_setup(), 'end')
            sale_point = Point(msk.id).sale_point
            self.assertEqual(sale_point.agent_account.code, None)
            self.assertEqual(sale_point.agent_account.parent.name,
                "План счетов")
            self.assertTrue(sale_point.agent_account.party_required)

    @with_transaction()
    def test_shift_lifecycle(self):
        """Open with a float, X-report, close with a count: a difference
        needs a reason and balances the session"""
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Session = pool.get('sale.point.cash.session')
        Transfer = pool.get('sale.point.cash.transfer')
        company = create_company()
        with set_company(company):
            accounts = setup_accounting(company)
            point = pos_point(company, 'MSK1', accounts)
            self.assertIsNone(Session.current_shift(point))
            with self.assertRaises(ShiftCountError):
                Session.open_shift(point, D('-5'))
            shift = Session.open_shift(point, D('5000'))
            self.assertEqual(shift.number, 1)
            self.assertEqual(shift.opened_by.id, Transaction().user)
            self.assertEqual(Session.current_shift(point), shift)
            float_, = shift.transfers
            self.assertEqual((float_.type.multipoint_kind, float_.amount),
                ('float', D('5000')))
            with self.assertRaises(ShiftOpenError):
                Session.open_shift(point, D('5000'))

            hermes = supplier("Hermes")
            parcel, code = stored_parcel(point, hermes, 'H-1',
                [("Кроссовки", 1, '1500')], delivery_fee=D('199'))
            fiscalize(Parcel.issue_with_payment([parcel], point,
                    {parcel: ('code', code)}, [
                        {'method': 'cash', 'amount': D('1199'),
                            'tendered': D('1200')},
                        {'method': 'sbp', 'amount': D('500')}]))
            shift.collect(D('3000'))
            report = Session(shift.id).x_report()
            self.assertEqual(report['shift']['number'], 1)
            self.assertEqual(report['shift']['point']['code'], 'MSK1')
            self.assertEqual(report['start_amount'], D(0))
            self.assertEqual(report['float'], D('5000'))
            self.assertEqual(report['collected'], D('3000'))
            self.assertEqual(report['taken'],
                {'cash': D('1199'), 'card': D(0), 'sbp': D('500')})
            self.assertEqual(report['total'], D('1699'))
            self.assertEqual(report['cash_expected'], D('3199'))

            # 3,199 expected; counted 3,099: short of 100
            counts = [{'denomination': '2000', 'quantity': 1},
                {'denomination': D('500'), 'quantity': 2},
                (D('50'), 1), (D('10'), 4), (D('5'), 1), (D('2'), 2)]
            for wrong in [[(D('3'), 1)], [(D('100'), -1)],
                    [(D('100'), 1.5)], [('abc', 1)]]:
                with self.assertRaises(ShiftCountError):
                    shift.close_shift(wrong, "x")
            with self.assertRaises(ShiftCountError):
                shift.close_shift(counts, "  ")
            shift = Session(shift.id)
            self.assertEqual(shift.state, 'open')
            z = shift.close_shift(counts, "Сдача дана дважды")
            shift = Session(shift.id)
            self.assertEqual(shift.state, 'closed')
            self.assertEqual(shift.end_amount, D('3099'))
            self.assertEqual(shift.difference, D('-100'))
            self.assertEqual(shift.difference_reason, "Сдача дана дважды")
            self.assertEqual(z['counted'], D('3099'))
            self.assertEqual(z['difference'], D('-100'))
            self.assertEqual(z['cash_expected'], D('3199'))
            self.assertEqual(z['reason'], "Сдача дана дважды")
            self.assertEqual([(c['denomination'], c['quantity'])
                    for c in z['counts']],
                [(D('2000'), 1), (D('500'), 2), (D('50'), 1), (D('10'), 4),
                    (D('5'), 1), (D('2'), 2)])
            hermes_row, = z['suppliers']
            self.assertEqual(hermes_row['supplier']['name'], "Hermes")
            self.assertEqual(hermes_row['total'], D('1699'))
            self.assertEqual(hermes_row['net']['sbp'], D('500'))
            difference, = Transfer.search([
                    ('session', '=', shift.id),
                    ('type.multipoint_kind', '=', 'difference')])
            self.assertEqual(difference.amount, D('-100'))
            with self.assertRaises(ShiftClosedError):
                shift.close_shift(counts, "again")
            with self.assertRaises(ShiftClosedError):
                shift.collect(D('1'))
            # no payment without a shift
            other, other_code = stored_parcel(point, hermes, 'H-2',
                [("Шапка", 1, '500')], delivery_fee=D(0))
            with self.assertRaises(ShiftClosedError):
                Parcel.issue_with_payment([other], point,
                    {other: ('code', other_code)},
                    [{'method': 'card', 'amount': D('500')}])
            # the transfers of the closed shift post to accounting
            Session.post([shift])
            self.assertTrue(all(t.state == 'posted'
                    for t in Session(shift.id).transfers))

            # the next shift starts from the cash left, 3,099; the float
            # counted is 3,000: 99 went back to the safe
            second = Session.open_shift(point, D('3000'))
            self.assertEqual(second.number, 2)
            self.assertEqual(second.previous_session, shift)
            self.assertEqual(second.start_amount, D('3099'))
            float_, = second.transfers
            self.assertEqual(float_.amount, D('-99'))
            z = second.close_shift([(D('1000'), 3)])
            self.assertEqual(z['difference'], D(0))
            self.assertIsNone(z['reason'])

    @with_transaction()
    def test_no_implicit_session(self):
        "sale_point's implicit session is refused at pickup points"
        pool = Pool()
        Sale = pool.get('sale.point.sale')
        Method = pool.get('sale.point.payment.method')
        Session = pool.get('sale.point.cash.session')
        company = create_company()
        with set_company(company):
            accounts = setup_accounting(company)
            point = pos_point(company, 'MSK1', accounts)
            sale_point = point.sale_point
            sale, = Sale.create([{
                        'point': sale_point.id,
                        'lines': [('create', [{
                                        'product': sale_point.agent_product.id,
                                        'quantity': 1.0,
                                        'unit_list_price': D('10'),
                                        'unit_gross_price': D('10'),
                                        }])],
                        }])
            for kind in ['cash', 'card']:
                with self.assertRaises(ShiftClosedError):
                    sale.payments = [{
                            'method': Method.payment_method(company, kind),
                            'amount': D('10')}]
                    sale.save()
            self.assertEqual(Session.search([]), [])

    @with_transaction()
    def test_one_open_session_constraint(self):
        "The database refuses a second open session with our message"
        from trytond.model.exceptions import SQLConstraintError
        pool = Pool()
        Session = pool.get('sale.point.cash.session')
        company = create_company()
        with set_company(company):
            accounts = setup_accounting(company)
            point = pos_point(company, 'MSK1', accounts)
            shift = Session.open_shift(point, D(0))
            with self.assertRaises(SQLConstraintError) as context:
                Session.create([{'point': point.sale_point.id,
                            'previous_session': shift.id}])
            self.assertIn("уже открыта смена",
                context.exception.message)

    @with_transaction()
    def test_operators_at_their_points_only(self):
        pool = Pool()
        Session = pool.get('sale.point.cash.session')
        Sale = pool.get('sale.point.sale')
        Parcel = pool.get('multipoint.parcel')
        SalePoint = pool.get('sale.point')
        company = create_company()
        with set_company(company):
            accounts = setup_accounting(company)
            msk = pos_point(company, 'MSK1', accounts)
            kzn = pos_point(company, 'KZN1', accounts)
            op_msk = create_user('op_msk', ['operator'], [msk], company)
            hermes = supplier("Hermes")
            parcel, code = stored_parcel(msk, hermes, 'H-1',
                [("Кроссовки", 1, '1500')], delivery_fee=D(0))
            kzn_shift = Session.open_shift(kzn, D('100'))
        with Transaction().set_user(op_msk.id), \
                Transaction().set_context(company=company.id,
                    companies=[company.id]), check_access():
            self.assertEqual(SalePoint.search([]), [msk.sale_point])
            self.assertEqual(Session.search([]), [])
            with self.assertRaises(AccessError):
                Session.read([kzn_shift.id], ['state'])
            # at their own point they open, take payment and close
            msk = pool.get('multipoint.point')(msk.id)
            shift = Session.open_shift(msk, D('500'))
            fiscalize(Parcel.issue_with_payment([Parcel(parcel.id)], msk,
                    {parcel.id: ('code', code)},
                    [{'method': 'cash', 'amount': D('1500')}]))
            self.assertEqual(len(Sale.search([])), 1)
            z = Session(shift.id).close_shift([(D('1000'), 2)])
            self.assertEqual(z['counted'], D('2000'))
            # but not at another point
            with self.assertRaises(AccessError):
                Session.open_shift(pool.get('multipoint.point')(kzn.id),
                    D(0))
