"""Point-of-sale setup of every point and the shifts at MSK-01: one closed
yesterday with paid issues, one open today with a float of 5,000 ₽"""
import datetime as dt
from collections import defaultdict
from decimal import ROUND_CEILING, Decimal
from zoneinfo import ZoneInfo

from .accounting import setup_accounting, use_demo_fiscal_driver
from .common import CENT, execute_many, log, seconds
from .suppliers import ensure_supplier_inns


SHIFT_POINT = 'MSK-01'
SHIFT_OPERATOR = 'kuznetsova'
SHIFT_FLOAT = Decimal('5000.00')


def issuable_with_code(pool, parcels, today, payable):
    """The stored parcels an operator issues with the code alone (no ID
    check), not expired, with (payable) or without anything to pay"""
    Terms = pool.get('multipoint.supplier.terms')
    terms = Terms.for_parcels((p.supplier.id, p.point.id) for p in parcels)
    result = []
    for parcel in parcels:
        term = terms[(parcel.supplier.id, parcel.point.id)]
        if term and term.id_check_required:
            continue
        if parcel.storage_deadline and parcel.storage_deadline < today:
            continue
        if bool(parcel.amount_due) != payable:
            continue
        result.append(parcel)
    return result


def round_up(amount, step):
    "The banknotes a recipient hands over for amount"
    step = Decimal(step)
    return ((amount / step).to_integral_value(
            rounding=ROUND_CEILING) * step).quantize(CENT)


class Shifts:
    """Point-of-sale setup of every point and the shifts of the demo: a
    shift closed yesterday at SHIFT_POINT with paid issues (cash with
    change, card, SBP, a partial buyout, card and cash together) whose
    receipts the demo register fiscalized, then the shift of today, open
    with a float of 5,000 ₽ and a couple of paid issues, so the X-report has
    figures. Everything goes through the models (open_shift,
    issue_with_payment, Receipt.send, collect, close_shift) as the operator;
    yesterday's shift is then moved to yesterday's hours (raw SQL, like the
    backdating of the workflow mode)."""

    def __init__(self, gen, company, points, suppliers):
        self.gen = gen
        self.pool = gen.pool
        self.company = company
        self.points = points
        self.suppliers = suppliers

    def setup(self):
        pool = self.pool
        Point = pool.get('multipoint.point')
        use_demo_fiscal_driver()
        accounts = setup_accounting(pool, self.company)
        self.suppliers = dict(zip(self.suppliers,
                ensure_supplier_inns(pool, self.suppliers)))
        points = Point.browse([p.id for p in self.points.values()])
        missing = [p for p in points if not p.sale_point]
        if missing:
            Point.setup_pos(missing, accounts)
            log("  point of sale of %s", ', '.join(p.code for p in missing))
        self.points = {p.code: p for p in Point.browse(points)}
        self.gen.commit()

    def has_shifts(self):
        Session = self.pool.get('sale.point.cash.session')
        point = self.points[SHIFT_POINT]
        return bool(Session.search([
                    ('point', '=', point.sale_point.id)], limit=1))

    def operator(self):
        User = self.pool.get('res.user')
        users = User.search([('login', '=', SHIFT_OPERATOR)], limit=1)
        return users[0].id if users else 0

    def local(self, point, day_offset, hour, minute=0):
        "UTC naive moment of a local time at point day_offset days ago"
        tz = ZoneInfo(point.timezone or 'Europe/Moscow')
        today = self.gen.now.replace(tzinfo=dt.timezone.utc).astimezone(
            tz).date()
        day = today - dt.timedelta(days=day_offset)
        return dt.datetime(day.year, day.month, day.day, hour, minute,
            tzinfo=tz).astimezone(dt.timezone.utc).replace(tzinfo=None)

    def candidates(self, point, before=None):
        "Stored COD parcels of point to pay, oldest first"
        pool = self.pool
        Parcel = pool.get('multipoint.parcel')
        domain = [
            ('point', '=', point.id),
            ('state', '=', 'stored'),
            ('prepaid', '=', False),
            ]
        if before:
            domain.append(('arrival_date', '<', before))
        parcels = Parcel.search(domain, order=[('id', 'ASC')])
        parcels = issuable_with_code(pool, parcels, point.local_date(), True)
        # an item at a VAT rate no longer in force (an older price list)
        # would be refused before the payment: it waits for the supplier
        from trytond.modules.multipoint_pos.vat import in_force
        today = point.local_date()
        parcels = [p for p in parcels
            if all(in_force(l.vat_rate, today) for l in p.lines)]
        # one supplier after the other, as recipients come
        rank = defaultdict(int)
        order = {}
        for parcel in parcels:
            order[parcel.id] = (rank[parcel.supplier.id], parcel.id)
            rank[parcel.supplier.id] += 1
        return sorted(parcels, key=lambda p: order[p.id])

    def pay(self, point, parcel, payments, refused=None):
        """Issue parcel with its payment and fiscalize the receipts as the
        /issue/pay route does (commit, then the register)"""
        pool = self.pool
        Parcel = pool.get('multipoint.parcel')
        Receipt = pool.get('multipoint.receipt')
        code = Parcel.generate_codes([parcel])[parcel]
        result = Parcel.issue_with_payment([parcel], point,
            {parcel: ('code', code)}, payments, refused=refused,
            signature=True)
        Receipt.send(result['receipts'])
        for receipt in Receipt.browse(result['receipts']):
            if receipt.state != 'done':
                raise RuntimeError(
                    f"receipt {receipt.rec_name} not fiscalized: "
                    f"{receipt.error_message}")
        return result

    @staticmethod
    def plans(total, kinds):
        "The payments of total for each kind of plan"
        half = min((total / 2).quantize(Decimal('1')), Decimal('1000'))
        return {
            'cash': [{'method': 'cash', 'amount': total,
                    'tendered': round_up(total, 500)}],
            'card': [{'method': 'card', 'amount': total}],
            'sbp': [{'method': 'sbp', 'amount': total}],
            'mixed': [{'method': 'card', 'amount': total - half},
                {'method': 'cash', 'amount': half,
                    'tendered': round_up(half, 100)}],
            }[kinds]

    def partial(self, parcels):
        """A parcel whose supplier allows a partial buyout, with one
        refusable unit: (parcel, {line: 1})"""
        pool = self.pool
        Terms = pool.get('multipoint.supplier.terms')
        terms = Terms.for_parcels((p.supplier.id, p.point.id) for p in parcels)
        for parcel in parcels:
            term = terms[(parcel.supplier.id, parcel.point.id)]
            if not (term and term.partial_buyout):
                continue
            total = sum(l.quantity for l in parcel.lines)
            for line in parcel.lines:
                if line.refusable and total > 1:
                    return parcel, {line: 1}
        return None, None

    def issue_all(self, point, parcels, kinds):
        "Pay and issue parcels by the plans; [(parcel id, result)]"
        Parcel = self.pool.get('multipoint.parcel')
        done = []
        partial_parcel, refused = None, None
        if 'partial' in kinds:
            partial_parcel, refused = self.partial(parcels)
        parcels = [p for p in parcels if p != partial_parcel]
        for kind in kinds:
            if kind == 'partial':
                if not partial_parcel:
                    continue
                parcel = partial_parcel
                due = Parcel.amounts_due([parcel], refused)[parcel].total
                payments = self.plans(due, 'cash')
                result = self.pay(point, parcel, payments, refused)
            else:
                if not parcels:
                    break
                parcel = parcels.pop(0)
                due = Parcel.amounts_due([parcel])[parcel].total
                if kind == 'mixed' and due < 2:
                    kind = 'card'
                if kind == 'sbp' and 'sbp' not in (
                        point.payment_methods or []):
                    kind = 'card'
                result = self.pay(point, parcel, self.plans(due, kind))
            done.append((parcel.id, result))
        return done

    def run(self):
        pool = self.pool
        Session = pool.get('sale.point.cash.session')
        Event = pool.get('multipoint.parcel.event')
        transaction = self.gen.transaction
        point = self.points[SHIFT_POINT]
        yesterday_open = self.local(point, 1, 9, 0)
        last_events = Event.search([], order=[('id', 'DESC')], limit=1)
        first_event = (last_events[0].id if last_events else 0) + 1
        with transaction.set_user(self.operator()), \
                transaction.set_context(company=self.company.id):
            # yesterday: opened, five paid issues, cash collected down to
            # the float, counted and closed
            parcels = self.candidates(point, before=yesterday_open)
            shift = Session.open_shift(point, SHIFT_FLOAT)
            yesterday = self.issue_all(point, parcels[:12],
                ['cash', 'card', 'sbp', 'partial', 'mixed'])
            shift = Session(shift.id)
            cash = shift.expected_amount
            if cash > SHIFT_FLOAT:
                shift.collect(cash - SHIFT_FLOAT)
            report = Session(shift.id).close_shift(
                [(SHIFT_FLOAT, 1)] if SHIFT_FLOAT else [])
            self.backdate(point, shift, yesterday, first_event)
            # today: open with the float, a couple of paid issues
            taken = {parcel_id for parcel_id, _ in yesterday}
            parcels = [p for p in self.candidates(point)
                if p.id not in taken]
            today_shift = Session.open_shift(point, SHIFT_FLOAT)
            today = self.issue_all(point, parcels[:2], ['cash', 'card'])
            opened = min(self.local(point, 0, 9, 0),
                self.gen.now - dt.timedelta(minutes=20))
            session = Session.__table__()
            cursor = transaction.connection.cursor()
            cursor.execute(*session.update(
                    [session.opened_at, session.create_date],
                    [opened, opened], where=session.id == today_shift.id))
        for cache in transaction.cache.values():
            cache.clear()
        today_shift = Session(today_shift.id)
        x_report = today_shift.x_report()
        self.gen.commit()
        log("  %s: %s closed yesterday (%d paid issues, %s ₽ taken, "
            "Z-report counted %s ₽); %s open today with a float of %s ₽ "
            "(%d paid issues, %s ₽ taken)", point.code,
            report['shift']['name'], len(yesterday), report['total'],
            report['counted'], today_shift.rec_name, SHIFT_FLOAT,
            len(today), x_report['total'])
        return today_shift

    def backdate(self, point, shift, issues, first_event):
        """Yesterday's shift at yesterday's hours: the shift, its cash
        transfers, sales, payments, receipts and the issued parcels with
        their journal"""
        pool = self.pool
        Session = pool.get('sale.point.cash.session')
        Transfer = pool.get('sale.point.cash.transfer')
        Sale = pool.get('sale.point.sale')
        Payment = pool.get('sale.point.payment')
        Receipt = pool.get('multipoint.receipt')
        Parcel = pool.get('multipoint.parcel')
        Event = pool.get('multipoint.parcel.event')
        cursor = self.gen.transaction.connection.cursor()
        second = dt.timedelta(seconds=1)
        opened = self.local(point, 1, 9, 2)
        closed = self.local(point, 1, 21, 4)
        collected = self.local(point, 1, 20, 51)
        day = point.local_date(opened)
        session = Session.__table__()
        cursor.execute(*session.update(
                [session.opened_at, session.closed_at, session.create_date,
                    session.write_date],
                [opened, closed, opened, closed],
                where=session.id == shift.id))
        rows = []
        for transfer in Transfer.search([('session', '=', shift.id)]):
            moment = opened if transfer.amount > 0 else collected
            if transfer.type.multipoint_kind == 'difference':
                moment = closed
            rows.append((day, moment, transfer.id))
        transfer_t = Transfer.__table__()
        execute_many(cursor, transfer_t.update(
                [transfer_t.date, transfer_t.create_date], [None, None],
                where=transfer_t.id == 0), rows)
        # the issues along the day, between 10:00 and 19:30
        hours = [(10, 12), (11, 47), (13, 25), (15, 3), (17, 41), (19, 20)]
        sale_rows, payment_rows, receipt_rows = [], [], []
        parcel_rows, event_rows = [], []
        for (parcel_id, result), (hour, minute) in zip(issues, hours):
            moment = self.local(point, 1, hour, minute)
            for sale in Sale.browse([int(s) for s in result['sales']]):
                sale_rows.append((day, moment, moment + 20 * second,
                        sale.id))
                for payment in sale.payments:
                    payment_rows.append((moment + 5 * second, payment.id))
            for receipt in result['receipts']:
                receipt_rows.append((moment + 6 * second,
                        moment + 8 * second, moment + 8 * second,
                        moment + second, int(receipt)))
            parcel_rows.append((seconds(moment + 20 * second), parcel_id))
            for event in Event.search([
                        ('parcel', '=', parcel_id),
                        ('id', '>=', first_event),
                        ]):
                event_rows.append((moment + 20 * second,
                        moment + 20 * second, event.id))
        for Model, columns, rows in [
                (Sale, ['date', 'create_date', 'write_date'], sale_rows),
                (Payment, ['create_date'], payment_rows),
                (Receipt, ['sent_at', 'fiscal_date', 'write_date',
                        'create_date'], receipt_rows),
                (Parcel, ['issued_at'], parcel_rows),
                (Event, ['date', 'create_date'], event_rows),
                ]:
            table = Model.__table__()
            execute_many(cursor, table.update(
                    [getattr(table, c) for c in columns],
                    [None] * len(columns), where=table.id == 0), rows)
        for cache in self.gen.transaction.cache.values():
            cache.clear()
