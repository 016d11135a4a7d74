"""Shifts (смены): the cash sessions of a pickup point's point of sale.

- open: ``Session.open_shift(point, float_amount)``; the counted float is
  booked as a "float" cash transfer (the part of it not carried over from
  the previous shift's end amount). Only one open shift per point.
- X-report at any time: ``session.x_report()``.
- close: ``session.close_shift(counts, reason)`` counts the cash by
  denomination; a difference with the expected cash needs a reason and is
  booked as a "difference" cash transfer, so that sale_point's own close
  check (end amount = start amount + balance) passes. Returns the Z-report
  data with the per-supplier summary.
- No payment without an open shift: sale_point would open a session
  implicitly on the first cash payment; for the points of sale of pickup
  points ``get_current`` raises instead, and every payment (card and SBP
  too) needs the open shift, which it is recorded in.
"""
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .exceptions import (
    ShiftClosedError, ShiftCountError, ShiftOpenError,
    ShiftReceiptsPendingError)

_money = {'digits': (16, 2)}
CENT = Decimal('0.01')
# Banknotes and coins of the Bank of Russia in circulation
DENOMINATIONS = [Decimal(d) for d in [
        '5000', '2000', '1000', '500', '200', '100', '50', '10', '5', '2',
        '1', '0.50', '0.10', '0.05', '0.01']]
METHODS = ['cash', 'card', 'sbp']


def to_money(value, error):
    "A Decimal amount with at most 2 places from Decimal, int or str"
    if isinstance(value, bool) or isinstance(value, float):
        raise error
    try:
        amount = Decimal(str(value).strip()) if isinstance(value, str) \
            else Decimal(value)
    except Exception:
        raise error
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise error
    return amount.quantize(CENT)


class Session(metaclass=PoolMeta):
    __name__ = 'sale.point.cash.session'
    number = fields.Integer(
        "Shift Number", readonly=True,
        help="Numbered per point of sale from 1.")
    pickup_point = fields.Function(
        fields.Many2One('multipoint.point', "Pickup Point"),
        'get_pickup_point')
    opened_by = fields.Many2One('res.user', "Opened By", readonly=True)
    opened_at = fields.DateTime("Opened At", readonly=True)
    closed_by = fields.Many2One('res.user', "Closed By", readonly=True)
    closed_at = fields.DateTime("Closed At", readonly=True)
    float_amount = fields.Numeric(
        "Counted Float", **_money, readonly=True,
        help="The cash counted in the drawer when the shift opened.")
    counts = fields.One2Many(
        'multipoint.pos.shift.count', 'session', "Cash Count",
        states={'readonly': Eval('state') != 'open'})
    counted_amount = fields.Function(
        fields.Numeric("Counted Cash", **_money), 'get_counted_amount')
    expected_amount = fields.Function(
        fields.Numeric("Expected Cash", **_money), 'get_expected_amount')
    difference = fields.Numeric(
        "Difference", **_money, readonly=True,
        help="Counted minus expected cash at close.")
    difference_reason = fields.Text(
        "Reason for the Difference",
        states={'readonly': Eval('state') != 'open'})

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # a Russian message for the operator instead of sale_point's one
        cls._sql_constraints = [
            (name, constraint, 'multipoint_pos.msg_shift_open_unique'
                if name == 'point_cash_session_open_unique' else message)
            for name, constraint, message in cls._sql_constraints]
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.point, Index.Equality()), (t.number, Index.Range())))
        cls._buttons.update({
                'count_and_close': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                })

    def get_rec_name(self, name):
        if self.number:
            return gettext('multipoint_pos.msg_shift_rec_name',
                number=self.number, point=self.point.rec_name)
        return super().get_rec_name(name)

    def get_pickup_point(self, name):
        points = self.point.pickup_points if self.point else ()
        return points[0].id if points else None

    def get_counted_amount(self, name):
        return sum((c.amount or 0 for c in self.counts), Decimal(0)).quantize(
            CENT)

    @classmethod
    def get_expected_amount(cls, sessions, name):
        "Start amount plus balance, without the booked count difference"
        differences = cls._transfer_totals(sessions)
        return {s.id: (s.start_amount + s.balance
                - differences[s.id].get('difference', Decimal(0))
                ).quantize(CENT) for s in sessions}

    @classmethod
    def _transfer_totals(cls, sessions):
        "{session id: {transfer kind: amount}}"
        Transfer = Pool().get('sale.point.cash.transfer')
        totals = {s.id: defaultdict(Decimal) for s in sessions}
        for transfer in Transfer.search([
                    ('session', 'in', [s.id for s in sessions]),
                    ]):
            kind = transfer.type.multipoint_kind or 'other'
            totals[transfer.session.id][kind] += transfer.amount or 0
        return totals

    @classmethod
    def _is_pickup_pos(cls, sale_point):
        return bool(sale_point and sale_point.pickup_points)

    @classmethod
    def get_current(cls, point):
        "The open shift: never opened implicitly at a pickup point"
        if cls._is_pickup_pos(point):
            session = point.get_open_session()
            if not session:
                raise ShiftClosedError(gettext(
                        'multipoint_pos.msg_shift_not_open',
                        point=point.pickup_points[0].rec_name))
            return session
        return super().get_current(point)

    @classmethod
    def current_shift(cls, point):
        "The open shift of a pickup point, or None"
        return point.get_sale_point().get_open_session()

    @classmethod
    def require_shift(cls, point):
        "The open shift of a pickup point, or a clear error"
        point.__class__.read([point.id], ['sale_point'])
        session = cls.current_shift(point)
        if not session:
            raise ShiftClosedError(gettext(
                    'multipoint_pos.msg_shift_not_open',
                    point=point.rec_name))
        return session

    @classmethod
    def open_shift(cls, point, float_amount):
        """Open the shift of a pickup point with the cash counted in the
        drawer; the part not carried over from the previous shift is a
        float transfer"""
        pool = Pool()
        Transfer = pool.get('sale.point.cash.transfer')
        TransferType = pool.get('sale.point.cash.transfer.type')
        # the rules decide (an operator opens shifts at their points only)
        point.__class__.read([point.id], ['sale_point'])
        sale_point = point.get_sale_point()
        float_amount = to_money(float_amount, ShiftCountError(gettext(
                    'multipoint_pos.msg_shift_amount_invalid',
                    amount=float_amount)))
        if float_amount < 0:
            raise ShiftCountError(gettext(
                    'multipoint_pos.msg_shift_amount_invalid',
                    amount=float_amount))
        cls.lock()
        current = sale_point.get_open_session()
        if current:
            raise ShiftOpenError(gettext(
                    'multipoint_pos.msg_shift_already_open',
                    point=point.rec_name, shift=current.rec_name))
        last = cls.search([
                ('point', '=', sale_point.id),
                ('next_session', '=', None),
                ], limit=1)
        numbers = cls.search([('point', '=', sale_point.id)],
            order=[('number', 'DESC NULLS LAST')], limit=1)
        session = cls(
            point=sale_point,
            previous_session=last[0] if last else None,
            number=((numbers[0].number or 0) if numbers else 0) + 1,
            opened_by=Transaction().user or None,
            opened_at=dt.datetime.utcnow(),
            float_amount=float_amount,
            end_amount=Decimal(0),
            )
        session.save()
        added = float_amount - session.start_amount
        if added:
            Transfer.create([{
                        'point': sale_point.id,
                        'session': session.id,
                        'type': TransferType.transfer_type(
                            point.company, 'float').id,
                        'amount': added,
                        }])
        return session

    def collect(self, amount):
        "Cash handed over during the shift (инкассация)"
        pool = Pool()
        Transfer = pool.get('sale.point.cash.transfer')
        TransferType = pool.get('sale.point.cash.transfer.type')
        self.check_open()
        amount = to_money(amount, ShiftCountError(gettext(
                    'multipoint_pos.msg_shift_amount_invalid',
                    amount=amount)))
        if amount <= 0 or amount > self.expected_amount:
            raise ShiftCountError(gettext(
                    'multipoint_pos.msg_shift_collect_invalid',
                    amount=amount, cash=self.expected_amount))
        transfer, = Transfer.create([{
                    'point': self.point.id,
                    'session': self.id,
                    'type': TransferType.transfer_type(
                        self.point.company, 'collection').id,
                    'amount': -amount,
                    }])
        return transfer

    def check_open(self):
        if self.state != 'open':
            raise ShiftClosedError(gettext(
                    'multipoint_pos.msg_shift_closed', shift=self.rec_name))

    @classmethod
    def normalize_counts(cls, counts):
        """[(denomination, quantity)] from dicts or pairs; denominations of
        the ruble only, quantities whole and not negative, the same
        denomination summed"""
        result = defaultdict(int)
        for count in counts or []:
            if isinstance(count, dict):
                denomination = count.get('denomination')
                quantity = count.get('quantity')
            else:
                denomination, quantity = count
            error = ShiftCountError(gettext(
                    'multipoint_pos.msg_shift_count_invalid',
                    denomination=denomination, quantity=quantity))
            denomination = to_money(denomination, error)
            if denomination not in DENOMINATIONS:
                raise error
            if isinstance(quantity, bool) or not isinstance(
                    quantity, (int, str)):
                raise error
            try:
                quantity = int(quantity)
            except ValueError:
                raise error
            if quantity < 0:
                raise error
            result[denomination] += quantity
        return sorted(result.items(), reverse=True)

    def unfiscalized_sales(self):
        "The sales paid in this shift still waiting for their receipt"
        Sale = Pool().get('sale.point.sale')
        return Sale.search([
                ('payments.shift', '=', self.id),
                ('state', '=', 'open'),
                ('multipoint_kind', '!=', None),
                ])

    def close_shift(self, counts, reason=None):
        """Close the shift with the cash counted by denomination; returns
        the Z-report data. Never while one of its sales waits for its
        receipt: no money without a receipt."""
        waiting = self.unfiscalized_sales()
        if waiting:
            raise ShiftReceiptsPendingError(gettext(
                    'multipoint_pos.msg_shift_receipts_pending',
                    shift=self.rec_name, count=len(waiting),
                    sales=', '.join(s.rec_name for s in waiting[:5])))
        pool = Pool()
        Count = pool.get('multipoint.pos.shift.count')
        Transfer = pool.get('sale.point.cash.transfer')
        TransferType = pool.get('sale.point.cash.transfer.type')
        self.__class__.lock([self])
        self.check_open()
        counts = self.normalize_counts(counts)
        counted = sum((d * q for d, q in counts), Decimal(0)).quantize(CENT)
        expected = self.expected_amount
        difference = counted - expected
        reason = (reason or '').strip() or None
        if difference and not reason:
            raise ShiftCountError(gettext(
                    'multipoint_pos.msg_shift_difference_reason',
                    difference=difference, counted=counted,
                    expected=expected))
        Count.delete(list(self.counts))
        Count.create([{
                    'session': self.id,
                    'denomination': d,
                    'quantity': q,
                    } for d, q in counts if q])
        if difference:
            Transfer.create([{
                        'point': self.point.id,
                        'session': self.id,
                        'type': TransferType.transfer_type(
                            self.point.company, 'difference').id,
                        'amount': difference,
                        }])
        self.end_amount = counted
        self.difference = difference
        self.difference_reason = reason
        self.closed_by = Transaction().user or None
        self.closed_at = dt.datetime.utcnow()
        self.save()
        self.close([self])
        return self.__class__(self.id).z_report()

    @classmethod
    @ModelView.button
    def count_and_close(cls, sessions):
        "Close with the cash count and the reason entered on the shift"
        for session in sessions:
            session.close_shift(
                [(c.denomination, c.quantity) for c in session.counts],
                session.difference_reason)

    def _payment_rows(self):
        "(payment, method kind) of the shift"
        Payment = Pool().get('sale.point.payment')
        return [(p, p.method.multipoint_kind or (
                    'cash' if p.method.cash else 'card'))
            for p in Payment.search([('shift', '=', self.id)],
                order=[('id', 'ASC')])]

    def x_report(self):
        """Totals of the shift so far: money taken and given back by method,
        cash operations, the cash expected in the drawer"""
        taken = {m: Decimal(0) for m in METHODS}
        refunded = {m: Decimal(0) for m in METHODS}
        sales, refunds = set(), set()
        for payment, kind in self._payment_rows():
            amount = payment.amount or Decimal(0)
            if payment.sale.multipoint_kind == 'refund':
                refunded[kind] -= amount
                refunds.add(payment.sale.id)
            else:
                taken[kind] += amount
                sales.add(payment.sale.id)
        transfers = self._transfer_totals([self])[self.id]
        net = {m: taken[m] - refunded[m] for m in METHODS}
        pickup_point = self.pickup_point
        return {
            'shift': {
                'id': self.id,
                'number': self.number,
                'name': self.rec_name,
                'state': self.state,
                'point': ({'id': pickup_point.id, 'code': pickup_point.code,
                        'name': pickup_point.name}
                    if pickup_point else None),
                'opened_at': self.opened_at,
                'opened_by': (self.opened_by.rec_name
                    if self.opened_by else None),
                'closed_at': self.closed_at,
                'closed_by': (self.closed_by.rec_name
                    if self.closed_by else None),
                },
            'start_amount': self.start_amount,
            'float_amount': self.float_amount,
            'taken': taken,
            'refunded': refunded,
            'net': net,
            'total': sum(net.values(), Decimal(0)),
            'sales': len(sales),
            'refunds': len(refunds),
            'float': transfers.get('float', Decimal(0)),
            'collected': -transfers.get('collection', Decimal(0)),
            'other_transfers': transfers.get('other', Decimal(0)),
            'cash_expected': self.expected_amount,
            }

    def supplier_summary(self):
        """Money of the shift per supplier (principal) by method: what the
        point owes each of them for this shift"""
        rows = {}
        for payment, kind in self._payment_rows():
            sale = payment.sale
            supplier = sale.supplier
            key = supplier.id if supplier else None
            row = rows.setdefault(key, {
                    'supplier': ({'id': supplier.id,
                            'name': supplier.rec_name} if supplier else None),
                    'taken': {m: Decimal(0) for m in METHODS},
                    'refunded': {m: Decimal(0) for m in METHODS},
                    'sales': set(), 'refunds': set(), 'parcels': set(),
                    })
            amount = payment.amount or Decimal(0)
            if sale.multipoint_kind == 'refund':
                row['refunded'][kind] -= amount
                row['refunds'].add(sale.id)
            else:
                row['taken'][kind] += amount
                row['sales'].add(sale.id)
                row['parcels'].update(
                    l.parcel.id for l in sale.lines if l.parcel)
        result = []
        for row in sorted(rows.values(), key=lambda r: (
                    r['supplier'] or {}).get('name') or ''):
            net = {m: row['taken'][m] - row['refunded'][m] for m in METHODS}
            result.append({
                    'supplier': row['supplier'],
                    'taken': row['taken'],
                    'refunded': row['refunded'],
                    'net': net,
                    'total': sum(net.values(), Decimal(0)),
                    'sales': len(row['sales']),
                    'refunds': len(row['refunds']),
                    'parcels': len(row['parcels']),
                    })
        return result

    def z_report(self):
        "The X-report with the count at close and the per-supplier summary"
        report = self.x_report()
        report.update({
                'counted': (self.counted_amount
                    if self.state != 'open' else None),
                'difference': self.difference,
                'reason': self.difference_reason,
                'end_amount': (self.end_amount
                    if self.state != 'open' else None),
                'counts': [{
                        'denomination': c.denomination,
                        'quantity': c.quantity,
                        'amount': c.amount,
                        } for c in self.counts],
                'suppliers': self.supplier_summary(),
                })
        return report


class ShiftCount(ModelSQL, ModelView):
    "Shift Cash Count"
    __name__ = 'multipoint.pos.shift.count'
    session = fields.Many2One(
        'sale.point.cash.session', "Shift", required=True,
        ondelete='CASCADE')
    denomination = fields.Numeric(
        "Denomination", **_money, required=True,
        domain=[('denomination', '>', 0)])
    quantity = fields.Integer(
        "Quantity", required=True, domain=[('quantity', '>=', 0)])
    amount = fields.Function(
        fields.Numeric("Amount", **_money), 'on_change_with_amount')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('session')
        t = cls.__table__()
        cls._sql_constraints += [
            ('session_denomination_unique',
                Unique(t, t.session, t.denomination),
                'multipoint_pos.msg_shift_count_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.session, Index.Equality())))
        cls._order = [('denomination', 'DESC'), ('id', 'ASC')]

    @staticmethod
    def default_quantity():
        return 0

    @fields.depends('denomination', 'quantity')
    def on_change_with_amount(self, name=None):
        return ((self.denomination or Decimal(0))
            * (self.quantity or 0)).quantize(CENT)

    @classmethod
    def validate_fields(cls, counts, field_names):
        super().validate_fields(counts, field_names)
        for count in counts:
            if count.denomination not in DENOMINATIONS:
                raise ShiftCountError(gettext(
                        'multipoint_pos.msg_shift_count_invalid',
                        denomination=count.denomination,
                        quantity=count.quantity))


class CashTransfer(metaclass=PoolMeta):
    __name__ = 'sale.point.cash.transfer'

    @classmethod
    def check_modification(cls, mode, transfers, values=None, external=False):
        super().check_modification(
            mode, transfers, values=values, external=external)
        if mode == 'create':
            for transfer in transfers:
                if transfer.session and transfer.session.state != 'open':
                    raise ShiftClosedError(gettext(
                            'multipoint_pos.msg_shift_closed',
                            shift=transfer.session.rec_name))
