"""Payment on issue, partial-buyout money and refunds of customer returns.

The amount due of a parcel is recomputed with the refused items out
(``Parcel.amounts_due``):

- goods: the COD amount less the refused items (never below zero);
  prepaid parcels owe nothing at the point;
- delivery fee: as on the parcel when nothing is refused; when items are
  refused, by the supplier's ``delivery_fee_rule``: 'always' — due;
  'below_threshold' — due when the goods bought are below the
  free-delivery threshold (no threshold: due), otherwise as on the parcel;
  'never' — not due. When the whole parcel is refused it is due only with
  ``delivery_fee_on_full_refusal``. The fee due is the parcel's fee, or the
  terms' ``standard_delivery_fee`` when the parcel carries none (it was free
  above the threshold: the runCRM case).

``Parcel.issue_with_payment`` checks everything first (nothing is written
when the payments don't match the total exactly), records one POS sale per
supplier (an agent sale; a line per bought item, or one per parcel when the
items don't add up to the COD amount, and one per delivery fee), pays it in
the open shift, processes it, then issues through multipoint_core, whose
``_check_payment`` hook now checks the recorded sales against the recomputed
amounts.
"""
from collections import defaultdict
from itertools import groupby
from decimal import Decimal
from typing import NamedTuple

from trytond.i18n import gettext
from trytond.model import Index, Workflow, fields
from trytond.modules.multipoint_core.exceptions import IssueError
from trytond.modules.multipoint_core.guard import SkipEmptyWrite
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from .exceptions import (
    PaymentError, PaymentMismatchError, PosSetupError, RefundError)
from .pos import METHOD_KINDS, method_name
from .shift import CENT, to_money

_money = {'digits': (16, 2)}
ZERO = Decimal('0.00')
SALE_KINDS = [
    (None, ""),
    ('payment', "Payment"),
    ('refund', "Refund"),
    ]
AGENT_KINDS = [
    (None, ""),
    ('goods', "Goods"),
    ('delivery', "Delivery"),
    ]


class Due(NamedTuple):
    "What a parcel owes at the desk"
    goods: Decimal
    delivery_fee: Decimal
    refused_value: Decimal = ZERO
    full_refusal: bool = False

    @property
    def total(self):
        return self.goods + self.delivery_fee


class SupplierTerms(metaclass=PoolMeta):
    __name__ = 'multipoint.supplier.terms'
    standard_delivery_fee = fields.Numeric(
        "Standard Delivery Fee", **_money,
        domain=['OR', ('standard_delivery_fee', '=', None),
            ('standard_delivery_fee', '>=', 0)],
        help="Charged when the terms make delivery due (refusal) on a "
        "parcel that carries no delivery fee, because it was free above "
        "the threshold.")


class Parcel(metaclass=PoolMeta):
    __name__ = 'multipoint.parcel'

    @classmethod
    def amounts_due(cls, parcels, refused=None, refused_whole=()):
        """{parcel: Due} with refused ({line: quantity}) items out and the
        parcels of refused_whole refused entirely"""
        Terms = Pool().get('multipoint.supplier.terms')
        refused = {l: q for l, q in (refused or {}).items() if q}
        whole = {int(p) for p in refused_whole}
        terms = Terms.for_parcels(
            (p.supplier.id, p.point.id) for p in parcels)
        result = {}
        for parcel in parcels:
            term = terms[(parcel.supplier.id, parcel.point.id)]
            result[parcel] = cls._amount_due(
                parcel, term, refused, parcel.id in whole)
        return result

    @classmethod
    def _amount_due(cls, parcel, term, refused, full_refusal):
        if parcel.prepaid:
            return Due(ZERO, ZERO, full_refusal=full_refusal)
        fee = parcel.delivery_fee or ZERO
        standard = fee or (term.standard_delivery_fee if term else None) \
            or ZERO
        if full_refusal:
            due = standard if (
                term and term.delivery_fee_on_full_refusal) else ZERO
            return Due(ZERO, due, parcel.cod_amount or ZERO, True)
        refused_value = sum(
            (Decimal(refused[l]) * l.unit_price for l in parcel.lines
                if refused.get(l)), ZERO).quantize(CENT)
        goods = max((parcel.cod_amount or ZERO) - refused_value, ZERO)
        if refused_value:
            rule = term.delivery_fee_rule if term else 'always'
            if rule == 'always':
                fee = standard
            elif rule == 'below_threshold':
                threshold = term.free_delivery_threshold
                if threshold is None or goods < threshold:
                    fee = standard
            else:
                fee = ZERO
        return Due(goods.quantize(CENT), fee.quantize(CENT), refused_value)

    @classmethod
    def paid_amounts(cls, parcels):
        """{parcel id: amount paid} by the payment sales of the parcels
        (open ones wait for their receipt: the money is taken)"""
        Line = Pool().get('sale.point.sale.line')
        paid = defaultdict(Decimal)
        for line in Line.search([
                    ('parcel', 'in', [p.id for p in parcels]),
                    ('sale.multipoint_kind', '=', 'payment'),
                    ('sale.state', 'in', ['open', 'done', 'posted']),
                    ]):
            paid[line.parcel.id] += line.amount
        return paid

    @classmethod
    def _check_payment(cls, parcels, refused):
        "The recorded payment sales match the recomputed amounts exactly"
        dues = cls.amounts_due(parcels, refused)
        paid = cls.paid_amounts(parcels)
        for parcel in parcels:
            due = dues[parcel].total
            if paid[parcel.id] != due:
                if not paid[parcel.id]:
                    raise IssueError(gettext(
                            'multipoint_pos.msg_payment_required',
                            parcel=parcel.rec_name, amount=due))
                raise IssueError(gettext(
                        'multipoint_pos.msg_payment_wrong_amount',
                        parcel=parcel.rec_name, amount=due,
                        paid=paid[parcel.id]))

    @classmethod
    def refuse_at_desk(cls, parcels, reason):
        "A delivery fee due on full refusal must have been paid"
        dues = cls.amounts_due(parcels, refused_whole=parcels)
        paid = cls.paid_amounts(parcels)
        for parcel in parcels:
            due = dues[parcel].total
            if due and paid[parcel.id] != due:
                raise IssueError(gettext(
                        'multipoint_pos.msg_payment_refusal_fee',
                        parcel=parcel.rec_name, amount=due))
        super().refuse_at_desk(parcels, reason)

    @classmethod
    def plan_payments(cls, point, payments, total):
        """Check the payments against the total; returns the normalized
        payments [{'method', 'amount', 'tendered', 'change'}] and the change
        to give back. Amounts are what is applied to the purchase; cash may
        come with the banknotes tendered (change = tendered - amount)."""
        accepted = set(point.payment_methods or [])
        plan = []
        for payment in payments or []:
            if not isinstance(payment, dict):
                raise PaymentError(gettext(
                        'multipoint_pos.msg_payment_invalid'))
            method = payment.get('method')
            if method not in dict(METHOD_KINDS) or not method:
                raise PaymentError(gettext(
                        'multipoint_pos.msg_payment_method_unknown',
                        method=method))
            if method not in accepted:
                raise PaymentError(gettext(
                        'multipoint_pos.msg_payment_method_not_accepted',
                        method=method_name(method), point=point.rec_name))
            error = PaymentError(gettext(
                    'multipoint_pos.msg_payment_amount_invalid',
                    amount=payment.get('amount')))
            amount = to_money(payment.get('amount'), error)
            if amount <= 0:
                raise error
            tendered = payment.get('tendered')
            if tendered is not None:
                if method != 'cash':
                    raise PaymentError(gettext(
                            'multipoint_pos.msg_payment_tendered_cash'))
                tendered = to_money(tendered, PaymentError(gettext(
                            'multipoint_pos.msg_payment_amount_invalid',
                            amount=tendered)))
                if tendered < amount:
                    raise PaymentError(gettext(
                            'multipoint_pos.msg_payment_tendered_short',
                            tendered=tendered, amount=amount))
            plan.append({
                    'method': method,
                    'amount': amount,
                    'tendered': tendered,
                    'change': (tendered - amount) if tendered else ZERO,
                    })
        paid = sum((p['amount'] for p in plan), ZERO)
        if paid != total:
            raise PaymentMismatchError(gettext(
                    'multipoint_pos.msg_payment_mismatch',
                    total=total, paid=paid))
        return plan, sum((p['change'] for p in plan), ZERO)

    @classmethod
    def issue_with_payment(cls, parcels, point, verifications, payments,
            refused=None, signature=False, refused_whole=None):
        """Take the payment for parcels and issue them.

        verifications and refused ({line: quantity}) as for
        issue_to_recipient; payments: [{'method': 'cash'|'card'|'sbp',
        'amount': Decimal, 'tendered': Decimal (cash, optional)}] whose
        amounts add up exactly to the recomputed total; refused_whole:
        {parcel: reason} for parcels the recipient refuses entirely (their
        delivery fee is taken when the terms say so). Returns a dict with
        'issued', 'refused' (parcels), 'sales' (open until their receipt is
        made), 'receipts' (drafts: send them after the commit), 'dues'
        ({parcel: Due}), 'total' and 'change'."""
        pool = Pool()
        Session = pool.get('sale.point.cash.session')
        refused = {l: q for l, q in (refused or {}).items() if q}
        refused_whole = {cls(int(p)): (r or '').strip()
            for p, r in (refused_whole or {}).items()}
        wanted = list(parcels) + [p for p in refused_whole
            if p not in parcels]
        if not wanted:
            raise IssueError(gettext('multipoint_core.msg_issue_nothing'))
        cls.lock(wanted)
        wanted = cls.browse(wanted)  # re-read under the lock
        to_issue = [p for p in wanted if p not in refused_whole]
        to_refuse = [p for p in wanted if p in refused_whole]
        cls.check_issuable(
            to_issue, point, verifications, refused, signature)
        for parcel in to_refuse:
            if parcel.point != point:
                raise IssueError(gettext(
                        'multipoint_core.msg_issue_other_point',
                        parcel=parcel.rec_name, point=point.rec_name))
            if parcel.state not in {'accepted', 'stored'}:
                raise IssueError(gettext(
                        'multipoint_core.msg_return_refuse_state',
                        parcel=parcel.rec_name, state=parcel.state_string))
            if not refused_whole[parcel]:
                raise IssueError(gettext(
                        'multipoint_core.msg_return_reason_required'))
        dues = cls.amounts_due(wanted, refused, refused_whole=to_refuse)
        total = sum((d.total for d in dues.values()), ZERO)
        plan, change = cls.plan_payments(point, payments, total)
        sales = []
        if total:
            session = Session.require_shift(point)
            sales = cls._record_sales(point, session, dues, refused, plan)
        if to_issue:
            # locked and checked above, paid by the sales just recorded
            cls._hand_over(to_issue, verifications, refused)
        by_reason = defaultdict(list)
        for parcel in to_refuse:
            by_reason[refused_whole[parcel]].append(parcel)
        for reason, group in by_reason.items():
            cls.refuse_at_desk(group, reason)
        return {
            'issued': cls.browse(to_issue),
            'refused': cls.browse(to_refuse),
            'sales': sales,
            'receipts': [r for s in sales for r in s.receipts],
            'dues': dues,
            'total': total,
            'change': change,
            }

    @classmethod
    def _sale_lines(cls, parcel, due, refused, product):
        "The values of the POS lines of a parcel's due"
        lines = []
        base = {'product': product.id, 'parcel': parcel.id}
        if due.goods:
            items = [(l, l.quantity - (refused.get(l) or 0))
                for l in parcel.lines]
            items = [(l, q) for l, q in items if q > 0]
            if items and sum((Decimal(q) * l.unit_price
                        for l, q in items), ZERO) == due.goods:
                for line, quantity in items:
                    lines.append(dict(base,
                            parcel_line=line.id,
                            agent_kind='goods',
                            description=line.name,
                            quantity=float(quantity),
                            unit_list_price=line.unit_price,
                            unit_gross_price=line.unit_price))
            else:
                lines.append(dict(base,
                        agent_kind='goods',
                        description=gettext(
                            'multipoint_pos.msg_sale_line_order',
                            order=parcel.order_number),
                        quantity=1.0,
                        unit_list_price=due.goods,
                        unit_gross_price=due.goods))
        if due.delivery_fee:
            lines.append(dict(base,
                    agent_kind='delivery',
                    description=gettext(
                        'multipoint_pos.msg_sale_line_delivery',
                        order=parcel.order_number),
                    quantity=1.0,
                    unit_list_price=due.delivery_fee,
                    unit_gross_price=due.delivery_fee))
        return lines

    @classmethod
    def _record_sales(cls, point, session, dues, refused, plan):
        """One agent sale per supplier paid by the plan, in the open shift;
        the sales are processed (done)"""
        pool = Pool()
        Sale = pool.get('sale.point.sale')
        Payment = pool.get('sale.point.payment')
        Method = pool.get('sale.point.payment.method')
        sale_point = point.get_sale_point()
        product = sale_point.agent_product
        if not product or not sale_point.agent_account:
            raise PosSetupError(gettext(
                    'multipoint_pos.msg_pos_missing', point=point.rec_name))
        by_supplier = defaultdict(list)
        for parcel, due in sorted(dues.items(), key=lambda i: i[0].id):
            if due.total:
                by_supplier[parcel.supplier].append(parcel)
        values = []
        for supplier in sorted(by_supplier, key=lambda s: s.id):
            lines = []
            for parcel in by_supplier[supplier]:
                lines += cls._sale_lines(
                    parcel, dues[parcel], refused, product)
            values.append({
                    'company': point.company.id,
                    'point': sale_point.id,
                    'supplier': supplier.id,
                    'pickup_point': point.id,
                    'multipoint_kind': 'payment',
                    'lines': [('create', lines)],
                    })
        sales = Sale.create(values)

        methods = {k: Method.payment_method(point.company, k)
            for k in {p['method'] for p in plan}}
        remaining = [dict(p, left=p['amount']) for p in plan]
        payments = []
        for sale in sales:
            need = sale.total
            while need > 0:
                if not remaining:
                    raise PaymentMismatchError(gettext(
                            'multipoint_pos.msg_payment_mismatch',
                            total=sale.total, paid=sale.total - need))
                piece = remaining[0]
                take = min(need, piece['left'])
                piece['left'] -= take
                need -= take
                tendered = None
                if piece['tendered'] is not None and not piece['left']:
                    # the change is given with the last part of the cash
                    tendered = take + piece['change']
                payments.append({
                        'sale': sale.id,
                        'method': methods[piece['method']].id,
                        'amount': take,
                        'tendered': tendered,
                        'shift': session.id,
                        })
                if not piece['left']:
                    remaining.pop(0)
        Payment.create(payments)
        cls._process_sales(Sale.browse(sales))
        return Sale.browse(sales)

    @classmethod
    def _process_sales(cls, sales):
        """The paid sales wait for their receipt (created here as drafts,
        sent after the commit: the receipt's fiscalization makes them done).
        Their payments add up to their totals by construction; the receipt
        checks its own balance."""
        Receipt = Pool().get('multipoint.receipt')
        return [Receipt.create_for_point_sale(s) for s in sales]


class Sale(SkipEmptyWrite, metaclass=PoolMeta):
    __name__ = 'sale.point.sale'
    # each sale carries its cashier, shift, payments and receipt, and its
    # parcels their journal: ir.model.log rows would cost a desk's payment
    # ~20 ms for nothing new
    _log = False
    supplier = fields.Many2One(
        'party.party', "Supplier", ondelete='RESTRICT',
        states={'readonly': Eval('state') != 'open'},
        help="The principal on whose behalf the point takes the money.")
    pickup_point = fields.Many2One(
        'multipoint.point', "Pickup Point", ondelete='RESTRICT',
        states={'readonly': Eval('state') != 'open'})
    multipoint_kind = fields.Selection(
        SALE_KINDS, "Agent Operation", readonly=True)
    customer_return = fields.Many2One(
        'multipoint.customer.return', "Customer Return", readonly=True,
        ondelete='RESTRICT')
    original_sale = fields.Many2One(
        'sale.point.sale', "Refunded Sale", readonly=True,
        ondelete='RESTRICT')
    parcels = fields.Function(
        fields.Many2Many('multipoint.parcel', None, None, "Parcels"),
        'get_parcels')
    receipts = fields.One2Many(
        'multipoint.receipt', 'sale', "Receipts", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.supplier, Index.Equality())),
                Index(t, (t.customer_return, Index.Equality())),
                })

    def get_parcels(self, name):
        return sorted({l.parcel.id for l in self.lines if l.parcel})

    @classmethod
    @Workflow.transition('done')
    def do(cls, sales):
        """sale_point's transition, its number and its state in one write.

        sale_point saves the number, then its transition writes the state:
        two writes, each re-reading and re-validating every line and
        payment of the sale, on the path of every payment at the desk."""
        unnumbered = [s for s in sales if not s.number]
        for (company, sequence), group in groupby(unnumbered,
                key=lambda s: (s.company, s.point.sequence)):
            group = list(group)
            with Transaction().set_context(company=company.id):
                for sale, number in zip(
                        group, sequence.get_many(len(group))):
                    sale.number = number
        for sale in sales:
            sale.state = 'done'
        cls.save(sales)

    @classmethod
    def copy(cls, sales, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('customer_return')
        default.setdefault('original_sale')
        return super().copy(sales, default=default)


class SaleLine(metaclass=PoolMeta):
    __name__ = 'sale.point.sale.line'
    parcel = fields.Many2One(
        'multipoint.parcel', "Parcel", ondelete='RESTRICT',
        states={'readonly': Eval('sale_state') != 'open'})
    parcel_line = fields.Many2One(
        'multipoint.parcel.line', "Parcel Item", ondelete='RESTRICT',
        domain=[If(Eval('parcel'), ('parcel', '=', Eval('parcel', -1)), ())],
        states={'readonly': Eval('sale_state') != 'open'})
    agent_kind = fields.Selection(
        AGENT_KINDS, "Agent Item",
        states={'readonly': Eval('sale_state') != 'open'},
        help="Sold on behalf of the supplier: goods or delivery.")
    description = fields.Char(
        "Description", states={'readonly': Eval('sale_state') != 'open'})

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.parcel, Index.Equality())),
                Index(t, (t.parcel_line, Index.Equality())),
                })

    @property
    def is_agent(self):
        return bool(self.agent_kind or (
                self.sale.point.agent_product
                and self.product == self.sale.point.agent_product))

    def get_account_move_lines(self):
        """Agent lines are a debt to the supplier: they post to the point
        of sale's principal settlement account with the supplier as party
        (no revenue, no tax)"""
        pool = Pool()
        Line = pool.get('account.move.line')
        if not self.is_agent:
            return super().get_account_move_lines()
        account = self.sale.point.agent_account
        if not account:
            raise PosSetupError(gettext(
                    'multipoint_pos.msg_pos_agent_account_missing',
                    pos=self.sale.point.rec_name))
        line = Line()
        if self.quantity >= 0:
            line.debit, line.credit = ZERO, self.untax_amount
        else:
            line.debit, line.credit = -self.untax_amount, ZERO
        line.account = account
        if account.party_required:
            if not self.sale.supplier:
                raise PosSetupError(gettext(
                        'multipoint_pos.msg_sale_supplier_missing',
                        sale=self.sale.rec_name))
            line.party = self.sale.supplier
        line.origin = self
        line.tax_lines = []
        return [line]


class Payment(metaclass=PoolMeta):
    __name__ = 'sale.point.payment'
    tendered = fields.Numeric(
        "Tendered", **_money, readonly=True,
        help="The cash handed over by the recipient, change included.")
    change = fields.Function(
        fields.Numeric("Change", **_money), 'get_change')
    shift = fields.Many2One(
        'sale.point.cash.session', "Shift", readonly=True,
        ondelete='RESTRICT',
        domain=[('point', '=', Eval('point', -1))],
        help="The shift during which the money was taken, whatever the "
        "method.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # refunds go back by the method paid with: card and SBP too
        cls.method.domain = [
            ('company', '=', Eval('company', -1)),
            If(Eval('amount', 0) < 0,
                ['OR',
                    ('cash', '=', True),
                    ('multipoint_kind', 'in', ['card', 'sbp']),
                    ],
                ()),
            ]
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.shift, Index.Equality())))

    def get_change(self, name):
        if self.tendered is None:
            return None
        return self.tendered - (self.amount or ZERO)

    @classmethod
    def preprocess_values(cls, mode, values):
        "At a pickup point every payment is taken in the open shift"
        pool = Pool()
        Sale = pool.get('sale.point.sale')
        Session = pool.get('sale.point.cash.session')
        if (mode == 'create' and values.get('sale')
                and not values.get('shift')):
            sale_point = Sale(values['sale']).point
            if Session._is_pickup_pos(sale_point):
                session = Session.get_current(sale_point)
                values = dict(values, shift=session.id)
        return super().preprocess_values(mode, values)


class CustomerReturn(metaclass=PoolMeta):
    __name__ = 'multipoint.customer.return'
    refund_sales = fields.One2Many(
        'sale.point.sale', 'customer_return', "Refunds", readonly=True)
    refund_amount = fields.Function(
        fields.Numeric("Refund Amount", **_money), 'get_refund_amount')

    def get_refund_amount(self, name):
        return sum((Decimal(l.quantity) * l.line.unit_price
                for l in self.lines), ZERO).quantize(CENT)

    @classmethod
    def refund(cls, returns):
        """Give the money of returned items back in the open shift, by the
        methods the parcel was paid with (card and SBP before cash); returns
        the refund sales"""
        pool = Pool()
        Sale = pool.get('sale.point.sale')
        Line = pool.get('sale.point.sale.line')
        Payment = pool.get('sale.point.payment')
        Session = pool.get('sale.point.cash.session')
        cls.lock(returns)
        refunds = []
        for customer_return in cls.browse(returns):
            if customer_return.refund_sales:
                raise RefundError(gettext(
                        'multipoint_pos.msg_refund_done',
                        parcel=customer_return.parcel.rec_name))
            parcel = customer_return.parcel
            point = customer_return.point
            amount = customer_return.refund_amount
            originals = Line.search([
                    ('parcel', '=', parcel.id),
                    ('agent_kind', '=', 'goods'),
                    ('sale.multipoint_kind', '=', 'payment'),
                    ('sale.state', 'in', ['done', 'posted']),
                    ])
            if not originals or not amount:
                raise RefundError(gettext(
                        'multipoint_pos.msg_refund_not_paid_here',
                        parcel=parcel.rec_name))
            original = originals[0].sale
            paid_goods = sum((l.amount for l in originals), ZERO)
            earlier = Line.search([
                    ('parcel', '=', parcel.id),
                    ('sale.multipoint_kind', '=', 'refund'),
                    ('sale.state', 'in', ['done', 'posted']),
                    ])
            refunded = -sum((l.amount for l in earlier), ZERO)
            if amount > paid_goods - refunded:
                raise RefundError(gettext(
                        'multipoint_pos.msg_refund_too_much',
                        parcel=parcel.rec_name, amount=amount,
                        left=paid_goods - refunded))
            session = Session.require_shift(point)
            sale_point = point.get_sale_point()
            # what each method may still give back on the original sale
            left = defaultdict(Decimal)
            methods = {}
            for payment in original.payments:
                left[payment.method.id] += payment.amount
                methods[payment.method.id] = payment.method
            for payment in Payment.search([
                        ('sale.original_sale', '=', original.id),
                        ('sale.state', 'in', ['done', 'posted']),
                        ]):
                left[payment.method.id] += payment.amount
            sale, = Sale.create([{
                        'company': point.company.id,
                        'point': sale_point.id,
                        'supplier': parcel.supplier.id,
                        'pickup_point': point.id,
                        'multipoint_kind': 'refund',
                        'customer_return': customer_return.id,
                        'original_sale': original.id,
                        'lines': [('create', [{
                                        'product': (
                                            sale_point.agent_product.id),
                                        'parcel': parcel.id,
                                        'parcel_line': l.line.id,
                                        'agent_kind': 'goods',
                                        'description': l.line.name,
                                        'quantity': -float(l.quantity),
                                        'unit_list_price': l.line.unit_price,
                                        'unit_gross_price': (
                                            l.line.unit_price),
                                        } for l in customer_return.lines])],
                        }])
            need = -sale.total
            order = sorted(methods.values(),
                key=lambda m: (bool(m.cash), m.id))
            payments = []
            for method in order:
                take = min(need, left[method.id])
                if take > 0:
                    payments.append({
                            'sale': sale.id,
                            'method': method.id,
                            'amount': -take,
                            'shift': session.id,
                            })
                    need -= take
            if need:
                raise RefundError(gettext(
                        'multipoint_pos.msg_refund_too_much',
                        parcel=parcel.rec_name, amount=amount,
                        left=-sale.total - need))
            Payment.create(payments)
            Parcel = pool.get('multipoint.parcel')
            receipts = Parcel._process_sales([sale])
            # the register prints after the commit (queue task)
            Receipt = pool.get('multipoint.receipt')
            Receipt.__queue__.send(receipts)
            refunds.append(Sale(sale.id))
        return refunds
