"""Every payment and refund at the desk gets its receipt.

The agent sale of a payment (or refund) is created with a draft receipt of
the same items and payments; the sale stays open until the register has
fiscalized the receipt, and only then it is done (and can be posted). A
failed receipt leaves the sale open and is sent again; a shift cannot close
while one of its sales waits for its receipt: never money without a receipt.

The register prints at once and cannot take a receipt back, so receipts are
sent in a transaction of their own after the one that recorded the money
is committed (the /issue/pay route, a queue task for refunds)."""
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import Index, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .exceptions import PaymentMismatchError, ShiftReceiptsPendingError

ZERO = Decimal('0.00')


class Receipt(metaclass=PoolMeta):
    __name__ = 'multipoint.receipt'
    sale = fields.Many2One(
        'sale.point.sale', "Sale", readonly=True, ondelete='RESTRICT',
        help="The agent sale (or refund) of the point of sale this receipt "
        "fiscalizes; it is done once the receipt is.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.sale, Index.Equality())))

    @classmethod
    def copy(cls, receipts, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('sale')
        return super().copy(receipts, default=default)

    @classmethod
    def _done(cls, receipts):
        "The sales wait for their receipt: they are done with it"
        Sale = Pool().get('sale.point.sale')
        super()._done(receipts)
        sales = [r.sale for r in receipts
            if r.sale and r.sale.state == 'open']
        if sales:
            Sale.process(sales)

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
            lines.append({
                    'name': line.description or line.product.rec_name,
                    'quantity': Decimal(str(abs(line.quantity))),
                    'unit_price': line.unit_gross_price,
                    'amount': sign * line.amount,
                    'vat_rate': vat_rate,
                    'payment_object': (
                        'service' if line.agent_kind == 'delivery'
                        else 'commodity'),
                    'parcel': line.parcel,
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


def payment_shift(sale):
    shifts = {p.shift for p in sale.payments if getattr(p, 'shift', None)}
    return shifts.pop() if len(shifts) == 1 else None


class Parcel(metaclass=PoolMeta):
    __name__ = 'multipoint.parcel'

    @classmethod
    def _process_sales(cls, sales):
        """The paid sales wait for their receipt (created here as drafts,
        sent after the commit); a sale whose payments don't add up is
        refused"""
        pool = Pool()
        Sale = pool.get('sale.point.sale')
        Receipt = pool.get('multipoint.receipt')
        for sale in Sale.browse(sales):
            if sale.amount_paid != sale.total:
                raise PaymentMismatchError(gettext(
                        'multipoint_pos.msg_payment_mismatch',
                        total=sale.total, paid=sale.amount_paid))
        return [Receipt.create_for_point_sale(s) for s in Sale.browse(sales)]


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.point.sale'
    receipts = fields.One2Many(
        'multipoint.receipt', 'sale', "Receipts", readonly=True)


class Session(metaclass=PoolMeta):
    __name__ = 'sale.point.cash.session'

    def unfiscalized_sales(self):
        "The sales paid in this shift still waiting for their receipt"
        Sale = Pool().get('sale.point.sale')
        return Sale.search([
                ('payments.shift', '=', self.id),
                ('state', '=', 'open'),
                ('multipoint_kind', '!=', None),
                ])

    def close_shift(self, counts, reason=None):
        waiting = self.unfiscalized_sales()
        if waiting:
            raise ShiftReceiptsPendingError(gettext(
                    'multipoint_pos.msg_shift_receipts_pending',
                    shift=self.rec_name, count=len(waiting),
                    sales=', '.join(s.rec_name for s in waiting[:5])))
        return super().close_shift(counts, reason=reason)
