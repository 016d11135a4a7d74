"Payment on issue, partial-buyout money, agent accounting and refunds"
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.exceptions import IssueError
from trytond.modules.multipoint_core.tests.tools import DBTestCase
from trytond.modules.multipoint_pos.exceptions import (
    PaymentError, PaymentMismatchError, RefundError, ShiftClosedError)
from trytond.modules.multipoint_pos.tests.pos_tools import (
    fiscalize, pos_point, settings, setup_accounting, stored_parcel,
    supplier)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

D = Decimal


def cash(amount, tendered=None):
    payment = {'method': 'cash', 'amount': D(amount)}
    if tendered is not None:
        payment['tendered'] = D(tendered)
    return payment


def card(amount):
    return {'method': 'card', 'amount': D(amount)}


class PaymentTestCase(DBTestCase):
    "Test payments at issue"
    module = 'multipoint_pos'

    def setUp(self):
        super().setUp()
        self.maxDiff = None
        self.enterContext(settings('multipoint_fiscal', driver='demo'))

    def point(self, company, code='MSK1'):
        self.accounts = setup_accounting(company)
        return pos_point(company, code, self.accounts)

    def open_shift(self, point, amount='0'):
        Session = Pool().get('sale.point.cash.session')
        return Session.open_shift(point, D(amount))

    def nothing_written(self, parcel, state='stored'):
        pool = Pool()
        Sale = pool.get('sale.point.sale')
        Payment = pool.get('sale.point.payment')
        Parcel = pool.get('multipoint.parcel')
        self.assertEqual(Sale.search([]), [])
        self.assertEqual(Payment.search([]), [])
        parcel = Parcel(parcel.id)
        self.assertEqual(parcel.state, state)
        self.assertTrue(all(not l.refused_quantity for l in parcel.lines))

    @with_transaction()
    def test_amounts_due_by_the_terms(self):
        "The delivery fee on refusal, rule by rule"
        Parcel = Pool().get('multipoint.parcel')
        company = create_company()
        with set_company(company):
            point = self.point(company)
            # runCRM: 3,000 order, free delivery from 2,000
            runcrm = supplier("runCRM shop", partial_buyout=True,
                delivery_fee_rule='below_threshold',
                free_delivery_threshold=D('2000'),
                standard_delivery_fee=D('250'),
                delivery_fee_on_full_refusal=True)
            dress, _ = stored_parcel(point, runcrm, 'R-1',
                [("Платье", 1, '1500'), ("Юбка", 1, '1000'),
                    ("Пояс", 1, '500')], delivery_fee=D('0'))
            skirt, belt = dress.lines[1], dress.lines[2]
            dues = Parcel.amounts_due([dress])
            self.assertEqual(dues[dress].total, D('3000'))
            self.assertEqual(dues[dress].delivery_fee, D('0'))
            # down to 2,500: still free
            due = Parcel.amounts_due([dress], {belt: 1})[dress]
            self.assertEqual((due.goods, due.delivery_fee),
                (D('2500'), D('0')))
            # down to 1,500: the delivery fee is due again
            due = Parcel.amounts_due([dress], {belt: 1, skirt: 1})[dress]
            self.assertEqual((due.goods, due.delivery_fee, due.total),
                (D('1500'), D('250'), D('1750')))
            # the whole parcel refused: the fee on full refusal
            due = Parcel.amounts_due([dress], refused_whole=[dress])[dress]
            self.assertEqual((due.goods, due.delivery_fee), (D(0), D('250')))

            # a parcel carrying its own fee keeps it below the threshold
            small, _ = stored_parcel(point, runcrm, 'R-2',
                [("Шарф", 2, '700')], delivery_fee=D('199'))
            line, = small.lines
            due = Parcel.amounts_due([small], {line: 1})[small]
            self.assertEqual((due.goods, due.delivery_fee),
                (D('700'), D('199')))

            always = supplier("Always", partial_buyout=True,
                delivery_fee_rule='always',
                delivery_fee_on_full_refusal=False)
            boots, _ = stored_parcel(point, always, 'A-1',
                [("Ботинки", 1, '4000'), ("Стельки", 1, '300')],
                delivery_fee=D('199'))
            due = Parcel.amounts_due([boots], {boots.lines[1]: 1})[boots]
            self.assertEqual((due.goods, due.delivery_fee),
                (D('4000'), D('199')))
            due = Parcel.amounts_due([boots], refused_whole=[boots])[boots]
            self.assertEqual(due.total, D(0))

            never = supplier("Never", partial_buyout=True,
                delivery_fee_rule='never')
            hat, _ = stored_parcel(point, never, 'N-1',
                [("Шапка", 1, '900'), ("Перчатки", 1, '600')],
                delivery_fee=D('149'))
            self.assertEqual(Parcel.amounts_due([hat])[hat].total,
                D('1649'))
            due = Parcel.amounts_due([hat], {hat.lines[1]: 1})[hat]
            self.assertEqual((due.goods, due.delivery_fee),
                (D('900'), D(0)))

            prepaid, _ = stored_parcel(point, runcrm, 'R-3',
                [("Куртка", 1, '5000')], prepaid=True, delivery_fee=D(0))
            self.assertEqual(Parcel.amounts_due([prepaid])[prepaid].total,
                D(0))

    @with_transaction()
    def test_cash_with_change(self):
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        company = create_company()
        with set_company(company):
            point = self.point(company)
            hermes = supplier("Hermes")
            parcel, code = stored_parcel(point, hermes, 'H-1',
                [("Кроссовки", 1, '1500')], delivery_fee=D('199'))
            shift = self.open_shift(point, '1000')
            result = Parcel.issue_with_payment([parcel], point,
                {parcel: ('code', code)}, [cash('1699', '2000')])
            self.assertEqual(result['total'], D('1699'))
            self.assertEqual(result['change'], D('301'))
            sale, = result['sales']
            # the sale waits for its receipt, made after the commit
            self.assertEqual(sale.state, 'open')
            receipt, = result['receipts']
            self.assertEqual((receipt.state, receipt.sale, receipt.kind,
                    receipt.session), ('draft', sale, 'sell', shift))
            self.assertEqual(
                [(l.name, l.quantity, l.amount, l.payment_object)
                    for l in receipt.lines],
                [("Кроссовки", D(1), D('1500'), 'commodity'),
                    ("Доставка заказа H-1", D(1), D('199'), 'service')])
            self.assertEqual(
                [(p.method, p.amount) for p in receipt.payments],
                [('cash', D('1699'))])
            sale, = fiscalize(result)
            self.assertEqual(sale.state, 'done')
            self.assertEqual(sale.receipts[0].state, 'done')
            self.assertTrue(sale.number.startswith('MSK1-'))
            self.assertEqual(sale.supplier, hermes)
            self.assertEqual(sale.multipoint_kind, 'payment')
            self.assertEqual(sale.total, D('1699'))
            self.assertEqual(
                [(l.description, l.agent_kind, l.quantity, l.amount)
                    for l in sale.lines],
                [("Кроссовки", 'goods', 1.0, D('1500')),
                    ("Доставка заказа H-1", 'delivery', 1.0, D('199'))])
            payment, = sale.payments
            self.assertEqual((payment.amount, payment.tendered,
                    payment.change), (D('1699'), D('2000'), D('301')))
            self.assertEqual(payment.shift, shift)
            self.assertEqual(payment.session, shift)
            self.assertEqual(Parcel(parcel.id).state, 'issued')
            report = shift.x_report()
            self.assertEqual(report['taken']['cash'], D('1699'))
            self.assertEqual(report['cash_expected'], D('2699'))

    @with_transaction()
    def test_mixed_payment_two_suppliers(self):
        "One sale per supplier; card and cash spread over them in order"
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        company = create_company()
        with set_company(company):
            point = self.point(company)
            hermes, dpd = supplier("Hermes"), supplier("DPD")
            shoes, shoes_code = stored_parcel(point, hermes, 'H-1',
                [("Кроссовки", 1, '1500')], delivery_fee=D('199'))
            book, book_code = stored_parcel(point, dpd, 'D-1',
                [("Книга", 2, '500')], delivery_fee=D('0'))
            shift = self.open_shift(point)
            with self.assertRaises(PaymentMismatchError):
                Parcel.issue_with_payment([shoes, book], point,
                    {shoes: ('code', shoes_code), book: ('code', book_code)},
                    [card('2000'), cash('600')])
            self.nothing_written(shoes)
            result = Parcel.issue_with_payment([shoes, book], point,
                {shoes: ('code', shoes_code), book: ('code', book_code)},
                [card('2000'), cash('699', '1000')])
            self.assertEqual(result['change'], D('301'))
            by_supplier = {s.supplier: s for s in result['sales']}
            self.assertEqual(set(by_supplier), {hermes, dpd})
            self.assertEqual(
                [(p.method.multipoint_kind, p.amount)
                    for p in by_supplier[hermes].payments],
                [('card', D('1699'))])
            self.assertEqual(
                sorted((p.method.multipoint_kind, p.amount, p.tendered)
                    for p in by_supplier[dpd].payments),
                [('card', D('301'), None),
                    ('cash', D('699'), D('1000'))])
            summary = {r['supplier']['name']: r
                for r in shift.supplier_summary()}
            self.assertEqual(summary['Hermes']['net'],
                {'cash': D(0), 'card': D('1699'), 'sbp': D(0)})
            self.assertEqual(summary['DPD']['net'],
                {'cash': D('699'), 'card': D('301'), 'sbp': D(0)})
            self.assertEqual(summary['DPD']['parcels'], 1)
            report = shift.x_report()
            self.assertEqual(report['total'], D('2699'))
            self.assertEqual(report['sales'], 2)
            self.assertEqual(report['cash_expected'], D('699'))

    @with_transaction()
    def test_partial_buyout_runcrm(self):
        """3,000 order, threshold 2,000, refusal down to 1,500: the
        delivery fee is due again and the payment must include it"""
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        company = create_company()
        with set_company(company):
            point = self.point(company)
            runcrm = supplier("runCRM shop", partial_buyout=True,
                delivery_fee_rule='below_threshold',
                free_delivery_threshold=D('2000'),
                standard_delivery_fee=D('250'))
            parcel, code = stored_parcel(point, runcrm, 'R-1',
                [("Платье", 1, '1500'), ("Юбка", 1, '1500')],
                delivery_fee=D('0'))
            skirt = parcel.lines[1]
            self.open_shift(point)
            # the old amount without the skirt: refused, nothing written
            with self.assertRaises(PaymentMismatchError):
                Parcel.issue_with_payment([parcel], point,
                    {parcel: ('code', code)}, [card('1500')],
                    refused={skirt: 1})
            self.nothing_written(parcel)
            result = Parcel.issue_with_payment([parcel], point,
                {parcel: ('code', code)}, [card('1750')], refused={skirt: 1})
            sale, = result['sales']
            self.assertEqual(
                [(l.description, l.amount) for l in sale.lines],
                [("Платье", D('1500')), ("Доставка заказа R-1", D('250'))])
            parcel = Parcel(parcel.id)
            self.assertEqual(parcel.state, 'partially_issued')
            self.assertEqual(parcel.lines[1].refused_quantity, 1)

    @with_transaction()
    def test_prepaid_without_payment_or_shift(self):
        Parcel = Pool().get('multipoint.parcel')
        company = create_company()
        with set_company(company):
            point = self.point(company)
            hermes = supplier("Hermes")
            parcel, code = stored_parcel(point, hermes, 'H-1',
                [("Кроссовки", 1, '1500')], prepaid=True,
                delivery_fee=D(0))
            with self.assertRaises(PaymentMismatchError):
                Parcel.issue_with_payment([parcel], point,
                    {parcel: ('code', code)}, [cash('1')])
            self.nothing_written(parcel)
            result = Parcel.issue_with_payment([parcel], point,
                {parcel: ('code', code)}, [])
            self.assertEqual(result['sales'], [])
            self.assertEqual(Parcel(parcel.id).state, 'issued')

    @with_transaction()
    def test_refusals_of_bad_payments(self):
        "Nothing is written for payments that can't be right"
        Parcel = Pool().get('multipoint.parcel')
        company = create_company()
        with set_company(company):
            point = self.point(company)
            point.payment_methods = ['cash', 'card']
            point.save()
            hermes = supplier("Hermes")
            parcel, code = stored_parcel(point, hermes, 'H-1',
                [("Кроссовки", 1, '1500')], delivery_fee=D('199'))
            verification = {parcel: ('code', code)}
            # no open shift
            with self.assertRaises(ShiftClosedError):
                Parcel.issue_with_payment([parcel], point, verification,
                    [cash('1699')])
            self.nothing_written(parcel)
            self.open_shift(point)
            for payments in [
                    [{'method': 'sbp', 'amount': D('1699')}],  # not here
                    [{'method': 'bitcoin', 'amount': D('1699')}],
                    [dict(card('1699'), tendered=D('2000'))],
                    [cash('1699', '1000')],  # tendered short
                    [{'method': 'cash', 'amount': 1699.0}],  # float
                    [{'method': 'cash', 'amount': D('1698.999')}],
                    [cash('1700'), cash('-1')],
                    ]:
                with self.subTest(payments=payments):
                    with self.assertRaises(PaymentError):
                        Parcel.issue_with_payment(
                            [parcel], point, verification, payments)
                    self.nothing_written(parcel)
            # a wrong code: nothing written either
            with self.assertRaises(IssueError):
                Parcel.issue_with_payment([parcel], point,
                    {parcel: ('code', 'nope')}, [cash('1699')])
            self.nothing_written(parcel)
            # the core issue without payment is refused by the hook
            with self.assertRaises(IssueError):
                Parcel.issue_to_recipient([parcel], point, verification)

    @with_transaction()
    def test_full_refusal_pays_the_delivery_fee(self):
        Parcel = Pool().get('multipoint.parcel')
        company = create_company()
        with set_company(company):
            point = self.point(company)
            shop = supplier("Shop", delivery_fee_on_full_refusal=True)
            parcel, code = stored_parcel(point, shop, 'S-1',
                [("Пальто", 1, '7000')], delivery_fee=D('350'))
            other, _ = stored_parcel(point, shop, 'S-2',
                [("Шарф", 1, '700')], delivery_fee=D('150'))
            with self.assertRaises(IssueError):
                Parcel.refuse_at_desk([other], "Не подошёл размер")
            self.open_shift(point)
            with self.assertRaises(PaymentMismatchError):
                Parcel.issue_with_payment([], point, {}, [],
                    refused_whole={parcel: "Не подошёл размер"})
            result = Parcel.issue_with_payment([], point, {},
                [cash('350')], refused_whole={parcel: "Не подошёл размер"})
            sale, = result['sales']
            self.assertEqual([(l.agent_kind, l.amount) for l in sale.lines],
                [('delivery', D('350'))])
            self.assertEqual(Parcel(parcel.id).state, 'to_return')

    @with_transaction()
    def test_posted_sale_owes_the_supplier(self):
        """Posting: cash and card debited, the principal settlement account
        credited with the supplier as party; no revenue"""
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Sale = pool.get('sale.point.sale')
        Method = pool.get('sale.point.payment.method')
        Account = pool.get('account.account')
        company = create_company()
        with set_company(company):
            point = self.point(company)
            sale_point = point.sale_point
            hermes = supplier("Hermes")
            parcel, code = stored_parcel(point, hermes, 'H-1',
                [("Кроссовки", 1, '1500')], delivery_fee=D('199'))
            self.open_shift(point)
            result = Parcel.issue_with_payment([parcel], point,
                {parcel: ('code', code)}, [cash('1000'), card('699')])
            sale, = fiscalize(result)
            Sale.post([sale])
            sale = Sale(sale.id)
            self.assertEqual(sale.state, 'posted')
            self.assertEqual(sale.move.state, 'posted')
            card_account = Method.payment_method(company, 'card').account
            totals = {}
            for line in sale.move.lines:
                key = (line.account, line.party)
                debit, credit = totals.get(key, (D(0), D(0)))
                totals[key] = (debit + line.debit, credit + line.credit)
            self.assertEqual(totals, {
                    (self.accounts['cash'], None): (D('1000'), D(0)),
                    (card_account, None): (D('699'), D(0)),
                    (sale_point.agent_account, hermes): (D(0), D('1699')),
                    })
            self.assertTrue(sale_point.agent_account.party_required)
            self.assertEqual(sale_point.agent_account.type.statement,
                'balance')
            revenue = Account.search([('type.revenue', '=', True)])
            self.assertTrue(all(not a.credit for a in revenue))
            # the supplier's balance on the settlement account: owed 1,699
            MoveLine = pool.get('account.move.line')
            owed = MoveLine.search([
                    ('account', '=', sale_point.agent_account.id),
                    ('party', '=', hermes.id)])
            self.assertEqual(sum(l.credit - l.debit for l in owed),
                D('1699'))

    @with_transaction()
    def test_refund_of_customer_return(self):
        """Returned items are refunded by the methods paid with, card
        first; the refund posts back to the supplier's debt"""
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Return = pool.get('multipoint.customer.return')
        Sale = pool.get('sale.point.sale')
        Receipt = pool.get('multipoint.receipt')
        company = create_company()
        with set_company(company):
            point = self.point(company)
            sale_point = point.sale_point
            hermes = supplier("Hermes", customer_return_days=14)
            parcel, code = stored_parcel(point, hermes, 'H-1',
                [("Кроссовки", 1, '1500'), ("Носки", 2, '100')],
                delivery_fee=D('199'))
            shift = self.open_shift(point, '500')
            paid = Parcel.issue_with_payment([parcel], point,
                {parcel: ('code', code)}, [card('1000'), cash('899')])
            fiscalize(paid)
            socks = parcel.lines[1]
            shoes = parcel.lines[0]
            customer_return, = Return.create([{
                        'parcel': parcel.id, 'reason': "Брак",
                        'lines': [('create', [
                                    {'line': shoes.id, 'quantity': 1},
                                    {'line': socks.id, 'quantity': 1}])],
                        }])
            self.assertEqual(customer_return.refund_amount, D('1600'))
            refund, = Return.refund([customer_return])
            self.assertEqual(refund.multipoint_kind, 'refund')
            self.assertEqual(refund.total, D('-1600'))
            # done with its refund receipt (a queued task after the commit)
            self.assertEqual(refund.state, 'open')
            receipt, = refund.receipts
            self.assertEqual((receipt.kind, receipt.original_receipt,
                    receipt.total), ('sell_refund', paid['receipts'][0],
                    D('1600')))
            self.assertEqual(
                sorted((p.method, p.amount) for p in receipt.payments),
                [('card', D('1000')), ('cash', D('600'))])
            # the queued task the worker runs after the commit
            Queue = pool.get('ir.queue')
            task, = [t for t in Queue.search([])
                if t.data['model'] == 'multipoint.receipt']
            self.assertEqual(
                (task.data['method'], list(task.data['instances'])),
                ('send', [receipt.id]))
            task.run()
            self.assertEqual(Receipt(receipt.id).state, 'done')
            refund = Sale(refund.id)
            self.assertEqual(refund.state, 'done')
            self.assertEqual(
                sorted((p.method.multipoint_kind, p.amount)
                    for p in refund.payments),
                [('card', D('-1000')), ('cash', D('-600'))])
            self.assertEqual(
                Return(customer_return.id).refund_sales, (refund,))
            with self.assertRaises(RefundError):
                Return.refund([customer_return])
            report = shift.x_report()
            self.assertEqual(report['refunded'],
                {'cash': D('600'), 'card': D('1000'), 'sbp': D(0)})
            self.assertEqual(report['refunds'], 1)
            self.assertEqual(report['cash_expected'], D('799'))
            # the last sock: only 0 + 100 left of the goods paid
            last, = Return.create([{
                        'parcel': parcel.id, 'reason': "Не подошло",
                        'lines': [('create', [
                                    {'line': socks.id, 'quantity': 1}])],
                        }])
            refund2, = Return.refund([last])
            self.assertEqual(
                [(p.method.multipoint_kind, p.amount)
                    for p in refund2.payments], [('cash', D('-100'))])
            Sale.post([refund])
            lines = Sale(refund.id).move.lines
            self.assertEqual(sum(l.debit for l in lines
                    if l.account == sale_point.agent_account
                    and l.party == hermes), D('1600'))
            self.assertEqual(sum(l.credit for l in lines
                    if l.account == self.accounts['cash']), D('600'))

            prepaid, prepaid_code = stored_parcel(point, hermes, 'H-2',
                [("Куртка", 1, '5000')], prepaid=True, delivery_fee=D(0))
            Parcel.issue_with_payment([prepaid], point,
                {prepaid: ('code', prepaid_code)}, [])
            prepaid_return, = Return.create([{
                        'parcel': prepaid.id, 'reason': "Брак",
                        'lines': [('create', [
                                    {'line': prepaid.lines[0].id,
                                        'quantity': 1}])],
                        }])
            with self.assertRaises(RefundError):
                Return.refund([prepaid_return])
