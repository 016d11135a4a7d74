"""Receipts (54-FZ) of the payments and refunds taken at a point.

The point takes money as a paying agent of the supplier: a receipt holds one
supplier only, because the agent attribute (tags 1057/1222) and the supplier
data (1224: 1225 name, 1226 INN, 1171 phones) sit on its items.

API for the payment code (all amounts Decimal)::

    receipt = Receipt.create_for_sale(point, supplier, [
            {'name': "Кроссовки", 'quantity': Decimal(1),
             'unit_price': Decimal('2990.00'), 'vat_rate': '22',
             'payment_object': 'commodity', 'parcel': parcel},
            ], [{'method': 'cash', 'amount': Decimal('2990.00')}],
        cashier, session=session)            # a draft, checked
    Receipt.send([receipt])                   # -> done or failed, no raise
    Receipt.check_done([receipt])             # UserError unless done

Never money without a receipt: the payment side keeps its sale (and the
parcel's issue) open until ``check_done`` passes. A failed receipt keeps its
error, stays failed and is sent again with ``Receipt.retry`` (button
"Retry") once the cause is fixed (paper, 24-hour shift, connection). A retry
never prints twice: the task uuid of the register is kept while the outcome
is unknown (time-out), so the register answers with the receipt it already
made; it changes only after the register refused the task.

Create and commit the receipt before sending it (its own transaction for
``send``): a register prints at once and cannot take a receipt back.

Every payment and refund at the desk gets its receipt: the agent sale of a
payment (or refund) is created with a draft receipt of the same items and
payments (``create_for_point_sale``); the sale stays open until the
register has fiscalized the receipt, and only then it is done (and can be
posted). A failed receipt leaves the sale open and is sent again; a shift
cannot close while one of its sales waits for its receipt. The /issue/pay
route (a queue task for refunds) sends the receipts in a transaction of
their own after the one that recorded the money is committed.
"""
import datetime as dt
import re
import uuid as uuidlib
from decimal import ROUND_HALF_UP, Decimal

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.modules.multipoint_core.guard import Workflow, privileged
from trytond.model.exceptions import AccessError
from trytond.modules.multipoint_core.exceptions import MultipointError
from trytond.modules.multipoint_core.parcel import normalize_phone
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .fiscal import FiscalError, get_driver, next_task_uuid
from .fiscal import options as fiscal_options
from .receipt_check import printing_problem
from .vat import RECEIPT_VAT_RATES, vat_amount

_money = {'digits': (16, 2)}
CENT = Decimal('0.01')
TOTALS = [
    'total', 'total_vat', 'total_paid', 'total_cash', 'total_electronic']
ZERO = Decimal('0.00')
KINDS = [
    ('sell', "Sale"),
    ('sell_refund', "Sale Refund"),
    ('correction', "Correction"),
    ('correction_refund', "Refund Correction"),
    ]
# chek korrektsii (FFD 1.2): a settlement made without a receipt, or the
# reversal of a wrong receipt (then a correction with the right data)
CORRECTION_KINDS = {'correction', 'correction_refund'}
# tag 1057 (receipt) / 1222 (item): bit of each agent attribute
AGENT_TYPES = [
    (None, "Not an Agent"),
    ('bank_paying_agent', "Bank Paying Agent"),
    ('bank_paying_subagent', "Bank Paying Subagent"),
    ('paying_agent', "Paying Agent"),
    ('paying_subagent', "Paying Subagent"),
    ('attorney', "Attorney"),
    ('commission_agent', "Commission Agent"),
    ('another', "Other Agent"),
    ]
AGENT_BITS = {
    'bank_paying_agent': 1,
    'bank_paying_subagent': 2,
    'paying_agent': 4,
    'paying_subagent': 8,
    'attorney': 16,
    'commission_agent': 32,
    'another': 64,
    }
PAYMENT_METHODS = [
    ('full_payment', "Full Payment"),
    ]
PAYMENT_OBJECTS = [
    ('commodity', "Commodity"),
    ('service', "Service"),
    ('commodity_marked', "Marked Commodity"),
    ]
# how the money was paid -> the payment type of the register
PAYMENT_KINDS = [
    ('cash', "Cash"),
    ('card', "Card"),
    ('sbp', "SBP (Faster Payments)"),
    ]
PAYMENT_TYPES = {
    'cash': 'cash',
    'card': 'electronically',
    'sbp': 'electronically',
    }
TAXATION_TYPES = [
    ('osn', "General (OSN)"),
    ('usnIncome', "Simplified, Income (USN)"),
    ('usnIncomeOutcome', "Simplified, Income minus Expense (USN)"),
    ('esn', "Unified Agricultural Tax (ESHN)"),
    ('patent', "Patent"),
    ]
STATES = [
    ('draft', "Draft"),
    ('pending', "Sent to the Register"),
    ('done', "Fiscalized"),
    ('failed', "Failed"),
    ('cancelled', "Cancelled"),
    ]


class ReceiptError(MultipointError):
    api_code = 'receipt'


class ReceiptNotDoneError(ReceiptError):
    "The money may not be taken: the receipt is not fiscalized"
    api_code = 'receipt_not_done'


def _decimal(value, name):
    "Money and quantities come as Decimal (or int), never float"
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f'{name} must be a Decimal, not {value!r}')
    return Decimal(value)


def _as_decimal(value):
    "A NUMERIC column's value (SQLite may give a float or an int)"
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def supplier_inn(party):
    """The Russian INN of a party: its identifier "Russian Tax identifier"
    (type ru_vat since Tryton 7.x, ru_inn before)"""
    for identifier in getattr(party, 'identifiers', None) or []:
        if identifier.type in {'ru_vat', 'ru_inn'}:
            return identifier.code
    return None


class Receipt(Workflow, ModelSQL, ModelView):
    "Receipt"
    __name__ = 'multipoint.receipt'
    # the receipt keeps its own trail (attempts, last sent, the register's
    # error and fiscal data); ir.model.log would add a row per transition
    _log = False
    _draft = {'readonly': Eval('state') != 'draft'}

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_draft)
    kind = fields.Selection(KINDS, "Kind", required=True, states=_draft)
    kind_string = kind.translated('kind')
    point = fields.Many2One(
        'multipoint.point', "Point", required=True, states=_draft,
        ondelete='RESTRICT')
    session = fields.Many2One(
        'sale.point.cash.session', "Shift", states=_draft,
        ondelete='RESTRICT', help="The cash session of the point's sale "
        "point during which the money was taken.")
    sale = fields.Many2One(
        'sale.point.sale', "Sale", readonly=True, ondelete='RESTRICT',
        help="The agent sale (or refund) of the point of sale this receipt "
        "fiscalizes; it is done once the receipt is.")
    cashier = fields.Many2One(
        'res.user', "Cashier", required=True, states=_draft,
        ondelete='RESTRICT')
    supplier = fields.Many2One(
        'party.party', "Supplier", required=True, states=_draft,
        ondelete='RESTRICT',
        help="The principal: one receipt holds one supplier's items.")
    supplier_name = fields.Char(
        "Supplier Name", required=True, states=_draft, help="Tag 1225.")
    supplier_inn = fields.Char(
        "Supplier INN", states=_draft, help="Tag 1226.")
    supplier_phone = fields.Char(
        "Supplier Phone", states=_draft, help="Tag 1171.")
    taxation_type = fields.Selection(
        TAXATION_TYPES, "Taxation System", required=True, states=_draft)
    customer_contact = fields.Char(
        "Customer Phone or E-mail", states=_draft,
        help="Where the register sends the electronic receipt.")
    original_receipt = fields.Many2One(
        'multipoint.receipt', "Original Receipt", states={
            'readonly': _draft['readonly'],
            'invisible': Eval('kind') == 'sell',
            }, domain=[('supplier', '=', Eval('supplier', -1))],
        ondelete='RESTRICT')
    _correction = {
        'readonly': _draft['readonly'],
        'invisible': ~Eval('kind').in_(list(CORRECTION_KINDS)),
        'required': Eval('kind').in_(list(CORRECTION_KINDS)),
        }
    correction_type = fields.Selection([
            (None, ""),
            ('self', "On Own Initiative"),
            ('instruction', "By Tax Authority's Order"),
            ], "Correction Type", states=_correction, help="Tag 1173.")
    correction_base_date = fields.Date(
        "Date of the Uncorrected Settlement", states=_correction,
        help="Tag 1178; the VAT rates in force are those of this date.")
    correction_reason = fields.Text(
        "Correction Reason", states=_correction,
        help="Why the correction is made: the settlement made without a "
        "receipt, or what was wrong in the receipt it reverses.")
    del _correction
    correction_base_number = fields.Char(
        "Order Number", states={
            'readonly': _draft['readonly'],
            'invisible': Eval('correction_type') != 'instruction',
            }, help="The number of the tax authority's order.")
    lines = fields.One2Many(
        'multipoint.receipt.line', 'receipt', "Items", states=_draft)
    payments = fields.One2Many(
        'multipoint.receipt.payment', 'receipt', "Payments", states=_draft)
    total = fields.Function(
        fields.Numeric("Total", **_money), 'get_totals')
    total_cash = fields.Function(
        fields.Numeric("Cash", **_money), 'get_totals')
    total_electronic = fields.Function(
        fields.Numeric("Electronically", **_money), 'get_totals')
    total_paid = fields.Function(
        fields.Numeric("Paid", **_money), 'get_totals')
    total_vat = fields.Function(
        fields.Numeric("VAT", **_money), 'get_totals')
    state = fields.Selection(
        STATES, "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')
    is_fiscalized = fields.Function(
        fields.Boolean("Fiscalized"), 'on_change_with_is_fiscalized')
    task_uuid = fields.Char("Register Task", readonly=True)
    attempts = fields.Integer("Attempts", readonly=True)
    sent_at = fields.DateTime("Last Sent", readonly=True)
    error_code = fields.Char("Error Code", readonly=True)
    error_message = fields.Text("Error", readonly=True)
    fiscal_document_number = fields.Char(
        "Fiscal Document Number", readonly=True, help="FD, tag 1040.")
    fiscal_sign = fields.Char(
        "Fiscal Sign", readonly=True, help="FPD, tag 1077.")
    fiscal_storage_number = fields.Char(
        "Fiscal Storage Number", readonly=True, help="FN, tag 1041.")
    fiscal_date = fields.DateTime("Fiscal Date", readonly=True)
    fiscal_shift_number = fields.Integer("Register Shift", readonly=True)
    fiscal_receipt_number = fields.Integer(
        "Receipt Number in Shift", readonly=True)
    registration_number = fields.Char(
        "Register Registration Number", readonly=True)
    del _draft

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.point, Index.Equality()),
                    (t.state, Index.Equality(cardinality='low'))),
                Index(t, (t.state, Index.Equality(cardinality='low')),
                    where=t.state.in_(['pending', 'failed'])),
                Index(t, (t.session, Index.Equality())),
                Index(t, (t.task_uuid, Index.Equality())),
                Index(t, (t.sale, Index.Equality())),
                })
        cls._order = [('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'pending'),
            ('failed', 'pending'),
            ('pending', 'done'),
            ('pending', 'failed'),
            ('draft', 'cancelled'),
            ('failed', 'cancelled'),
            }
        cls._buttons.update({
                'send': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'retry': {
                    'invisible': Eval('state') != 'failed',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(['draft', 'failed']),
                    'depends': ['state'],
                    },
                'print_copy': {
                    'invisible': Eval('state') != 'done',
                    'depends': ['state'],
                    },
                'correct_wizard': {
                    'invisible': (Eval('state') == 'pending')
                    | Eval('kind').in_(list(CORRECTION_KINDS)),
                    'depends': ['state', 'kind'],
                    },
                })

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @staticmethod
    def default_kind():
        return 'sell'

    @staticmethod
    def default_state():
        return 'draft'

    @staticmethod
    def default_attempts():
        return 0

    @staticmethod
    def default_cashier():
        return Transaction().user or None

    @staticmethod
    def default_taxation_type():
        return fiscal_options().get('taxation_type') or 'osn'

    @fields.depends('supplier')
    def on_change_supplier(self):
        if self.supplier:
            self.supplier_name = self.supplier.name
            self.supplier_inn = supplier_inn(self.supplier)
            self.supplier_phone = self.supplier.phone

    @fields.depends('state')
    def on_change_with_is_fiscalized(self, name=None):
        return self.state == 'done'

    @classmethod
    def get_totals(cls, receipts, names):
        sums = cls._sums(receipts)
        return {name: {i: values[name] for i, values in sums.items()}
            for name in names}

    @classmethod
    def _sums(cls, receipts):
        """{receipt id: totals and the number of items}: two queries for
        all the receipts (a receipt is read several times while it is
        sent)"""
        pool = Pool()
        line = pool.get('multipoint.receipt.line').__table__()
        payment = pool.get('multipoint.receipt.payment').__table__()
        cursor = Transaction().connection.cursor()
        sums = {r.id: dict.fromkeys(TOTALS, Decimal(0)) for r in receipts}
        items = dict.fromkeys(sums, 0)
        in_receipts = fields.SQL_OPERATORS['in']
        cursor.execute(*line.select(line.receipt, line.amount, line.vat_rate,
                where=in_receipts(line.receipt, list(sums))))
        for receipt, amount, rate in cursor:
            amount = _as_decimal(amount)
            sums[receipt]['total'] += amount
            sums[receipt]['total_vat'] += vat_amount(amount, rate)
            items[receipt] += 1
        cursor.execute(*payment.select(payment.receipt, payment.method,
                payment.amount,
                where=in_receipts(payment.receipt, list(sums))))
        for receipt, method, amount in cursor:
            amount = _as_decimal(amount)
            sums[receipt]['total_paid'] += amount
            kind = PAYMENT_TYPES.get(method)
            if kind == 'cash':
                sums[receipt]['total_cash'] += amount
            elif kind == 'electronically':
                sums[receipt]['total_electronic'] += amount
        return {i: dict({n: v.quantize(CENT) for n, v in values.items()},
                items=items[i]) for i, values in sums.items()}

    def get_rec_name(self, name):
        if self.fiscal_document_number:
            return gettext('multipoint_pos.msg_receipt_rec_name_fiscal',
                kind=self.kind_string, number=self.fiscal_document_number)
        return gettext('multipoint_pos.msg_receipt_rec_name',
            kind=self.kind_string, id=self.id)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            values.setdefault('task_uuid', str(uuidlib.uuid4()))
            if values.get('supplier') and not values.get('supplier_name'):
                supplier = Pool().get('party.party')(values['supplier'])
                values['supplier_name'] = supplier.name
                values.setdefault('supplier_inn', supplier_inn(supplier))
                values.setdefault('supplier_phone', supplier.phone)
        if values.get('supplier_inn'):
            values['supplier_inn'] = re.sub(r'\s', '', values['supplier_inn'])
        if values.get('supplier_phone'):
            values['supplier_phone'] = (
                normalize_phone(values['supplier_phone'])
                or values['supplier_phone'])
        return values

    _internal_fields = {
        'state', 'task_uuid', 'attempts', 'sent_at', 'error_code',
        'error_message', 'fiscal_document_number', 'fiscal_sign',
        'fiscal_storage_number', 'fiscal_date', 'fiscal_shift_number',
        'fiscal_receipt_number', 'registration_number',
        }

    @classmethod
    def _is_manager(cls):
        "Whether the user may make corrections (Multipoint Owner)"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        if not Transaction().user:
            return True
        return ModelData.get_id('multipoint_core', 'group_owner') in (
            User.get_groups())

    @classmethod
    def check_modification(cls, mode, receipts, values=None, external=False):
        super().check_modification(
            mode, receipts, values=values, external=external)
        if mode == 'create' or (mode == 'write' and 'kind' in values):
            if (any(r.kind in CORRECTION_KINDS for r in receipts)
                    and not cls._is_manager()):
                raise AccessError(gettext(
                        'multipoint_pos.msg_receipt_correction_manager'))
        if external and (mode == 'create' or (
                    mode == 'write' and values.keys() & cls._internal_fields)):
            # the state and the fiscal data come from the register only
            if mode == 'write' or any(
                    r.state != 'draft' or r.fiscal_document_number
                    for r in receipts):
                raise ReceiptError(gettext(
                        'multipoint_pos.msg_receipt_internal_fields'))
        if mode == 'delete' or (mode == 'write' and external):
            for receipt in receipts:
                if receipt.state != 'draft':
                    raise ReceiptError(gettext(
                            'multipoint_pos.msg_receipt_not_draft',
                            receipt=receipt.rec_name))

    # --- the public API of the payment side ------------------------------
    @classmethod
    def create_for_sale(cls, point, supplier, lines, payments, cashier,
            session=None, kind='sell', customer_contact=None,
            original_receipt=None, **values):
        """A draft receipt of supplier's items paid at point.

        lines: dicts with name, quantity, unit_price (Decimal), vat_rate
        ('none', '0', '5', '7', '10', '20', '22'), and optionally
        payment_object ('commodity' by default, or 'service'), agent_type
        (the supplier's by default; None for the point's own services),
        amount (quantity x unit_price by default) and parcel.
        payments: dicts with method ('cash', 'card', 'sbp') and amount, or
        (method, amount) pairs; their sum is the receipt's total."""
        pool = Pool()
        Party = pool.get('party.party')
        if not isinstance(supplier, Party):
            supplier = Party(supplier)
        default_agent = supplier.multipoint_agent_type or 'paying_agent'
        line_values = []
        for line in lines:
            quantity = _decimal(line['quantity'], 'quantity')
            unit_price = _decimal(line['unit_price'], 'unit_price')
            if 'amount' in line and line['amount'] is not None:
                amount = _decimal(line['amount'], 'amount')
            else:
                amount = (quantity * unit_price).quantize(
                    CENT, ROUND_HALF_UP)
            parcel = line.get('parcel')
            line_values.append({
                    'name': line['name'],
                    'quantity': quantity,
                    'unit_price': unit_price,
                    'amount': amount,
                    'vat_rate': line.get('vat_rate') or 'none',
                    'payment_method': line.get(
                        'payment_method', 'full_payment'),
                    'payment_object': line.get(
                        'payment_object', 'commodity'),
                    'agent_type': line.get('agent_type', default_agent),
                    'parcel': getattr(parcel, 'id', parcel),
                    'marking_code': line.get('marking_code'),
                    })
        payment_values = []
        for payment in payments:
            if isinstance(payment, dict):
                method, amount = payment['method'], payment['amount']
            else:
                method, amount = payment
            if method not in PAYMENT_TYPES:
                raise ValueError(f'unknown payment method {method!r}')
            payment_values.append({
                    'method': method,
                    'amount': _decimal(amount, 'amount'),
                    })
        values.update({
                'company': point.company.id,
                'kind': kind,
                'point': point.id,
                'session': getattr(session, 'id', session),
                'cashier': getattr(cashier, 'id', cashier),
                'supplier': supplier.id,
                'customer_contact': customer_contact,
                'original_receipt': getattr(
                    original_receipt, 'id', original_receipt),
                'lines': [('create', line_values)],
                'payments': [('create', payment_values)],
                })
        # the caller's rights decide; the sale and the state are the payment
        # flow's to set, not the user's
        pool.get('ir.model.access').check(cls.__name__, 'create')
        with privileged():
            receipt, = cls.create([values])
        cls.check_sendable([receipt])
        return receipt

    @classmethod
    def create_refund(cls, original, lines, payments, cashier, session=None,
            **values):
        "A refund receipt of (part of) an original sale receipt"
        return cls.create_for_sale(original.point, original.supplier, lines,
            payments, cashier, session=session, kind='sell_refund',
            original_receipt=original, **values)

    @classmethod
    def copy(cls, receipts, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('sale')
        return super().copy(receipts, default=default)

    @classmethod
    def create_for_point_sale(cls, sale):
        "The draft receipt of an agent sale or refund of the point of sale"
        lines, payments = [], []
        refund = sale.multipoint_kind == 'refund'
        sign = -1 if refund else 1
        for line in sale.lines:
            if not line.quantity:
                continue
            parcel_line = line.parcel_line
            if parcel_line:
                vat_rate = parcel_line.vat_rate
            elif line.parcel and line.parcel.lines:
                # the delivery is the supplier's service at its items' rate
                vat_rate = line.parcel.lines[0].vat_rate
            else:
                vat_rate = 'none'
            marking_code = parcel_line.marking_code if parcel_line else None
            lines.append({
                    'name': line.description or line.product.rec_name,
                    'quantity': Decimal(str(abs(line.quantity))),
                    'unit_price': line.unit_gross_price,
                    'amount': sign * line.amount,
                    'vat_rate': vat_rate,
                    'payment_object': (
                        'service' if line.agent_kind == 'delivery'
                        else 'commodity_marked' if marking_code
                        else 'commodity'),
                    'parcel': line.parcel,
                    'marking_code': marking_code,
                    })
        by_method = {}
        for payment in sale.payments:
            kind = payment.method.multipoint_kind or (
                'cash' if payment.method.cash else 'card')
            by_method[kind] = by_method.get(kind, ZERO) + sign * payment.amount
        payments = [{'method': k, 'amount': a}
            for k, a in sorted(by_method.items()) if a]
        original = None
        if refund and sale.original_sale:
            originals = cls.search([
                    ('sale', '=', sale.original_sale.id),
                    ('state', '=', 'done'),
                    ], limit=1)
            original = originals[0] if originals else None
        shift = payment_shift(sale)
        return cls.create_for_sale(sale.pickup_point, sale.supplier,
            lines, payments, Transaction().user, session=shift,
            kind='sell_refund' if refund else 'sell',
            original_receipt=original, sale=sale.id)

    @classmethod
    def check_sendable(cls, receipts):
        """The receipts are complete and balanced, and the register may
        print them (run when a receipt is made, in the transaction that
        takes the money, and again before it is sent)"""
        sums = cls._sums(receipts)
        for receipt in receipts:
            sum_ = sums[receipt.id]
            if not sum_['items']:
                raise ReceiptError(gettext(
                        'multipoint_pos.msg_receipt_no_lines',
                        receipt=receipt.rec_name))
            if sum_['total'] <= 0:
                raise ReceiptError(gettext(
                        'multipoint_pos.msg_receipt_total_positive',
                        receipt=receipt.rec_name))
            if (sum_['total_paid'] != sum_['total']
                    or sum_['total_cash'] < 0
                    or sum_['total_electronic'] < 0):
                raise ReceiptError(gettext(
                        'multipoint_pos.msg_receipt_unbalanced',
                        receipt=receipt.rec_name,
                        paid=sum_['total_paid'], total=sum_['total']))
        cls.check_printable(receipts)

    @classmethod
    def check_printable(cls, receipts):
        """Refuse what the register must not get: the supplier's INN and
        phone, the agent attribute, the VAT rates in force"""
        for receipt in receipts:
            problem = printing_problem(receipt.supplier_name,
                receipt.supplier_inn, receipt.supplier_phone,
                [(l.name, l.vat_rate, l.agent_type) for l in receipt.lines],
                receipt.settlement_date(),
                agent_required=receipt.supplier != receipt.company.party)
            if problem:
                raise ReceiptError(problem)

    def settlement_date(self):
        """The day of the settlement at the point, whose VAT rates apply: a
        correction's base date, a refund's original receipt, or today"""
        if self.kind in CORRECTION_KINDS and self.correction_base_date:
            return self.correction_base_date
        original = self.original_receipt
        if (self.kind == 'sell_refund' and original
                and original.fiscal_date):
            return self.point.local_date(original.fiscal_date)
        return self.point.local_date()

    @classmethod
    def check_parcels_printable(cls, parcels, point):
        """Refuse before the money is taken the parcels whose receipts could
        not print (supplier's card, VAT rates of the items)"""
        today = point.local_date()
        for parcel in parcels:
            supplier = parcel.supplier
            agent_type = supplier.multipoint_agent_type or 'paying_agent'
            problem = printing_problem(supplier.name,
                supplier_inn(supplier), normalize_phone(supplier.phone),
                [(l.name, l.vat_rate, agent_type) for l in parcel.lines],
                today)
            if problem:
                raise ReceiptError(problem)

    @classmethod
    def _refresh_supplier(cls, receipts):
        """A draft takes its supplier's data from the card again: a receipt
        refused for the card is sent once the card is fixed"""
        changed = []
        for receipt in receipts:
            if receipt.state != 'draft':
                continue
            supplier = receipt.supplier
            values = {
                'supplier_name': supplier.name,
                'supplier_inn': supplier_inn(supplier),
                'supplier_phone': normalize_phone(supplier.phone)
                or supplier.phone,
                }
            values = {k: v for k, v in values.items()
                if v and v != getattr(receipt, k)}
            if values:
                for name, value in values.items():
                    setattr(receipt, name, value)
                changed.append(receipt)
        if changed:
            with privileged():
                cls.save(changed)

    @classmethod
    def check_done(cls, receipts):
        "Raise ReceiptNotDoneError unless every receipt is fiscalized"
        for receipt in receipts:
            if receipt.state != 'done':
                raise ReceiptNotDoneError(gettext(
                        'multipoint_pos.msg_receipt_not_done',
                        receipt=receipt.rec_name,
                        state=receipt.state_string,
                        error=receipt.error_message or '-'))

    def fiscal_data(self):
        "The receipt as the neutral data a fiscal driver maps to its format"
        options = fiscal_options(self.point)
        # the two fields, not the whole user with its companies
        cashier, = Pool().get('res.user').read(
            [self.cashier.id], ['name', 'login'])
        data = {
            'kind': self.kind,
            'taxation_type': self.taxation_type,
            'cashier': {
                'name': cashier['name'] or cashier['login'],
                'inn': options.get('operator_inn') or None,
                },
            'customer_contact': self.customer_contact,
            'supplier': {
                'name': self.supplier_name,
                'inn': self.supplier_inn,
                'phones': [self.supplier_phone] if self.supplier_phone
                else [],
                },
            'lines': [{
                    'name': l.name,
                    'quantity': l.quantity,
                    'unit_price': l.unit_price,
                    'amount': l.amount,
                    'vat_rate': l.vat_rate,
                    'payment_method': l.payment_method,
                    'payment_object': l.payment_object,
                    'agent_type': l.agent_type,
                    'marking_code': l.marking_code,
                    } for l in self.lines],
            'payments': [],
            'total': self.total,
            }
        for type_, amount in [
                ('cash', self.total_cash),
                ('electronically', self.total_electronic)]:
            if amount:
                data['payments'].append({'type': type_, 'amount': amount})
        if self.kind in CORRECTION_KINDS:
            data['correction'] = {
                'type': self.correction_type,
                'base_date': self.correction_base_date,
                'base_number': self.correction_base_number,
                }
        return data

    @classmethod
    @ModelView.button
    def send(cls, receipts):
        """Fiscalize draft or failed receipts through the point's fiscal
        driver. Never raises for the register's failures: each receipt ends
        done or failed with its error."""
        receipts = [r for r in receipts if r.state in {'draft', 'failed'}]
        if not receipts:
            return
        cls._refresh_supplier(receipts)
        cls.check_sendable(receipts)
        with without_check_access():
            cls._pending(receipts)
            for receipt in receipts:
                receipt._fiscalize()

    @classmethod
    @ModelView.button
    def retry(cls, receipts):
        "Send failed receipts again"
        cls.send([r for r in receipts if r.state == 'failed'])

    def _fiscalize(self):
        try:
            result = get_driver(self.point).register(
                self.task_uuid, self.fiscal_data())
        except FiscalError as error:
            self.error_code = error.code
            self.error_message = error.message
            if error.new_task:
                # the register refused this task: the retry is a new one
                self.task_uuid = next_task_uuid(self.task_uuid)
            self._failed([self])
            return
        self.error_code = None
        self.error_message = None
        self.fiscal_document_number = result.document_number
        self.fiscal_sign = result.fiscal_sign
        self.fiscal_storage_number = result.storage_number
        self.fiscal_date = result.date or dt.datetime.utcnow().replace(
            microsecond=0)
        self.fiscal_shift_number = result.shift_number
        self.fiscal_receipt_number = result.receipt_number
        self.registration_number = result.registration_number
        self._fiscalized([self])

    @classmethod
    @Workflow.transition('pending')
    def _pending(cls, receipts):
        "Sent once more, counted in the write of the state"
        now = dt.datetime.utcnow().replace(microsecond=0)
        for receipt in receipts:
            receipt.attempts = (receipt.attempts or 0) + 1
            receipt.sent_at = now
        cls._save_state(receipts, 'pending')

    @classmethod
    @Workflow.transition('done')
    def _done(cls, receipts):
        cls._save_state(receipts, 'done')

    @classmethod
    def _save_state(cls, receipts, state):
        """Save what the receipts carry (the register's answer, the
        attempt) with their new state: one write, where the transition would
        write the state in a second one"""
        for receipt in receipts:
            receipt.state = state
        cls.save(receipts)

    @classmethod
    def _fiscalized(cls, receipts):
        "Done; the sales that waited for their receipt are done with it"
        Sale = Pool().get('sale.point.sale')
        cls._done(receipts)
        sales = [r.sale for r in receipts
            if r.sale and r.sale.state == 'open']
        if sales:
            Sale.process(sales)

    @classmethod
    @Workflow.transition('failed')
    def _failed(cls, receipts):
        cls._save_state(receipts, 'failed')

    @classmethod
    @ModelView.button
    def cancel(cls, receipts):
        """Cancel receipts that were never fiscalized, when no money was
        taken or it was given back"""
        with without_check_access():
            cls._cancel(receipts)

    @classmethod
    @Workflow.transition('cancelled')
    def _cancel(cls, receipts):
        pass

    @classmethod
    @ModelView.button
    def print_copy(cls, receipts):
        "Print a non-fiscal copy on the point's slip printer"
        from .printer import SlipPrinter
        for receipt in receipts:
            SlipPrinter.for_point(receipt.point).print_receipt_copy(receipt)

    @classmethod
    @ModelView.button_action('multipoint_pos.wizard_receipt_correct')
    def correct_wizard(cls, receipts):
        pass

    @classmethod
    def create_correction(cls, point, supplier, lines, payments, cashier,
            correction_type, base_date, base_number=None, session=None,
            reason=None, kind='correction', **values):
        """A correction receipt (kind correction) for a settlement made
        without a receipt, or (kind correction_refund, with the
        original_receipt) reversing a wrong one; only a manager (Multipoint
        Owner) may make it, with the reason"""
        if not cls._is_manager():
            raise AccessError(gettext(
                    'multipoint_pos.msg_receipt_correction_manager'))
        values.update({
                'correction_type': correction_type,
                'correction_base_date': base_date,
                'correction_base_number': base_number,
                'correction_reason': reason,
                })
        return cls.create_for_sale(point, supplier, lines, payments,
            cashier, session=session, kind=kind, **values)


def payment_shift(sale):
    "The shift of the sale's payments, when they are of one"
    shifts = {p.shift for p in sale.payments if getattr(p, 'shift', None)}
    return shifts.pop() if len(shifts) == 1 else None


class ReceiptLine(ModelSQL, ModelView):
    "Receipt Item"
    __name__ = 'multipoint.receipt.line'
    receipt = fields.Many2One(
        'multipoint.receipt', "Receipt", required=True, ondelete='CASCADE')
    name = fields.Char("Item", required=True, help="Tag 1030.")
    quantity = fields.Numeric(
        "Quantity", digits=(16, 3), required=True,
        domain=[('quantity', '>', 0)])
    unit_price = fields.Numeric(
        "Unit Price", **_money, required=True,
        domain=[('unit_price', '>=', 0)])
    amount = fields.Numeric(
        "Amount", **_money, required=True, domain=[('amount', '>=', 0)])
    vat_rate = fields.Selection(
        RECEIPT_VAT_RATES, "VAT Rate", required=True, help="Tag 1199.")
    vat_amount = fields.Function(
        fields.Numeric("VAT", **_money), 'on_change_with_vat_amount')
    payment_method = fields.Selection(
        PAYMENT_METHODS, "Payment Method", required=True, help="Tag 1214.")
    payment_object = fields.Selection(
        PAYMENT_OBJECTS, "Payment Object", required=True, help="Tag 1212.")
    agent_type = fields.Selection(
        AGENT_TYPES, "Agent Attribute", help="Tag 1222.")
    agent_bits = fields.Function(
        fields.Integer("Agent Attribute Bits"), 'on_change_with_agent_bits')
    supplier_name = fields.Function(
        fields.Char("Supplier Name", help="Tag 1225."), 'get_supplier')
    supplier_inn = fields.Function(
        fields.Char("Supplier INN", help="Tag 1226."), 'get_supplier')
    supplier_phone = fields.Function(
        fields.Char("Supplier Phone", help="Tag 1171."), 'get_supplier')
    parcel = fields.Many2One(
        'multipoint.parcel', "Parcel", ondelete='RESTRICT')
    marking_code = fields.Char(
        "Marking Code", strip=False,
        help="Tag 2000: the item's marking code (Честный знак), checked "
        "by the register before the receipt.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('receipt')
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.receipt, Index.Equality())),
                Index(t, (t.parcel, Index.Equality())),
                })

    @staticmethod
    def default_quantity():
        return Decimal(1)

    @staticmethod
    def default_vat_rate():
        return 'none'

    @staticmethod
    def default_payment_method():
        return 'full_payment'

    @staticmethod
    def default_payment_object():
        return 'commodity'

    @staticmethod
    def default_agent_type():
        return 'paying_agent'

    @fields.depends('amount', 'vat_rate')
    def on_change_with_vat_amount(self, name=None):
        if self.amount is None:
            return None
        return vat_amount(self.amount, self.vat_rate)

    @fields.depends('agent_type')
    def on_change_with_agent_bits(self, name=None):
        return AGENT_BITS.get(self.agent_type, 0)

    @fields.depends('quantity', 'unit_price')
    def on_change_with_amount(self):
        if self.quantity is None or self.unit_price is None:
            return None
        return (self.quantity * self.unit_price).quantize(
            CENT, ROUND_HALF_UP)

    @classmethod
    def get_supplier(cls, lines, names):
        return {name: {l.id: (getattr(l.receipt, name) if l.agent_type
                    else None) for l in lines} for name in names}

    @classmethod
    def check_modification(cls, mode, lines, values=None, external=False):
        super().check_modification(
            mode, lines, values=values, external=external)
        if external:
            _check_draft(lines)


class ReceiptPayment(ModelSQL, ModelView):
    "Receipt Payment"
    __name__ = 'multipoint.receipt.payment'
    receipt = fields.Many2One(
        'multipoint.receipt', "Receipt", required=True, ondelete='CASCADE')
    method = fields.Selection(PAYMENT_KINDS, "Method", required=True)
    type = fields.Function(fields.Selection([
                ('cash', "Cash"),
                ('electronically', "Electronically"),
                ], "Type"), 'on_change_with_type')
    amount = fields.Numeric(
        "Amount", **_money, required=True, domain=[('amount', '>', 0)])

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('receipt')
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.receipt, Index.Equality())))

    @staticmethod
    def default_method():
        return 'cash'

    @fields.depends('method')
    def on_change_with_type(self, name=None):
        return PAYMENT_TYPES.get(self.method)

    @classmethod
    def check_modification(cls, mode, payments, values=None, external=False):
        super().check_modification(
            mode, payments, values=values, external=external)
        if external:
            _check_draft(payments)


def _check_draft(records):
    "Items and payments change only with their draft receipt"
    for record in records:
        if record.receipt.state != 'draft':
            raise ReceiptError(gettext(
                    'multipoint_pos.msg_receipt_not_draft',
                    receipt=record.receipt.rec_name))
