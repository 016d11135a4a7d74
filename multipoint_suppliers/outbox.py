"""The outbox of the events pushed to suppliers.

Every parcel event a supplier account subscribes to becomes an outbox row
in the transaction that writes the event (so in the transaction of the
state change): the event and its row commit together or not at all. A
queued sender (outbox_sender.py) delivers the rows afterwards."""
import json
import uuid
import weakref
from collections import defaultdict
from decimal import Decimal

from sql import Null

from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

KINDS = [
    ('accepted', "Accepted"),
    ('issued', "Issued"),
    ('partially_issued', "Partially Issued"),
    ('refused', "Refused"),
    ('returned', "Returned"),
    ('lost', "Lost"),
    ('damaged', "Damaged"),
    ]
# the states whose "state" event is pushed under the same name
PUSHED_STATES = {'accepted', 'issued', 'partially_issued', 'refused',
    'returned', 'lost'}
STATES = [
    ('pending', "Pending"),
    ('sending', "Sending"),
    ('sent', "Sent"),
    ('failed', "Failed"),
    ('dead', "Dead"),
    ]
QUEUE_NAME = 'supplier_outbox'
# the accounts already queued by a transaction: one task each
_queued = weakref.WeakKeyDictionary()


def event_kind(event):
    "The outbox kind of a parcel event, or None when it is never pushed"
    if event.kind == 'state' and event.to_state in PUSHED_STATES:
        return event.to_state
    if event.kind == 'damaged':
        return 'damaged'


def _money(value):
    return str((value or Decimal(0)).quantize(Decimal('0.01')))


class Outbox(ModelSQL, ModelView):
    "Supplier Outbox"
    __name__ = 'multipoint.supplier.outbox'
    _log = False
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    account = fields.Many2One(
        'multipoint.supplier.account', "Account", required=True,
        readonly=True, ondelete='CASCADE')
    parcel = fields.Many2One(
        'multipoint.parcel', "Parcel", required=True, readonly=True,
        ondelete='CASCADE')
    event = fields.Many2One(
        'multipoint.parcel.event', "Event", readonly=True,
        ondelete='SET NULL')
    kind = fields.Selection(KINDS, "Kind", required=True, readonly=True)
    payload = fields.Text(
        "Payload", readonly=True,
        help="The event as sent (JSON, amounts as strings).")
    sequence = fields.Integer(
        "Sequence", readonly=True,
        help="The number of the event for the account, given at its first "
        "sending.")
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)
    attempts = fields.Integer("Attempts", readonly=True)
    next_attempt_at = fields.DateTime("Next Attempt", readonly=True)
    last_error = fields.Char("Last Error", readonly=True)
    idempotency_key = fields.Char(
        "Idempotency Key", required=True, readonly=True, strip=False)
    sent_at = fields.DateTime("Sent At", readonly=True)
    # the status report that told the supplier of this event
    status_report = fields.Many2One(
        'multipoint.supplier.status.report', "Status Report",
        readonly=True, ondelete='RESTRICT',
        states={'invisible': ~Eval('status_report')})

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('idempotency_key_unique', Unique(t, t.idempotency_key),
                'multipoint_suppliers.msg_outbox_key_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.account, Index.Equality()),
                    (t.id, Index.Range()),
                    where=t.state != 'sent'),
                Index(t, (t.parcel, Index.Equality())),
                Index(t, (t.state, Index.Equality(cardinality='low')),
                    where=t.state != 'sent'),
                })
        cls._order = [('id', 'DESC')]
        cls._buttons.update({
                'retry': {
                    'invisible': ~Eval('state').in_(['failed', 'dead']),
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_state():
        return 'pending'

    @staticmethod
    def default_attempts():
        return 0

    def get_rec_name(self, name):
        return f'{self.account.rec_name} #{self.sequence or "-"} ' \
            f'{self.parcel.rec_name} ({self.kind})'

    # -- writing: in the transaction of the event ----------------------------

    @classmethod
    def add_events(cls, events):
        """Create the rows of events for the accounts subscribed to them and
        queue their sending after the commit"""
        events = [e for e in events if event_kind(e)]
        if not events:
            return []
        with without_check_access():
            return cls._add_events(events)

    @classmethod
    def _add_events(cls, events):
        pool = Pool()
        Account = pool.get('multipoint.supplier.account')
        parcels = {e.parcel for e in events}
        accounts = defaultdict(list)
        for account in Account.search([
                    ('supplier', 'in', list({p.supplier.id for p in parcels})),
                    ('active', '=', True),
                    ], order=[('id', 'ASC')]):
            if account.delivers_events():
                accounts[(account.supplier, account.company)].append(
                    account)
        if not accounts:
            return []
        pending = []
        for event in events:
            parcel = event.parcel
            kind = event_kind(event)
            for account in accounts.get((parcel.supplier, parcel.company), []):
                code = account.point_code(parcel.point)
                if code is False or not account.subscribed(kind):
                    continue
                pending.append((account, event, kind, code))
        if not pending:
            return []
        money = cls._money([e.parcel for _, e, k, _ in pending
                if k in {'issued', 'partially_issued', 'refused'}])
        rows = cls.create([{
                    'company': account.company.id,
                    'account': account.id,
                    'parcel': event.parcel.id,
                    'event': event.id,
                    'kind': kind,
                    # stable for the row's life; random: unique at the
                    # supplier's whatever database it comes from
                    'idempotency_key': uuid.uuid4().hex,
                    'payload': json.dumps(
                        cls._payload(event, kind, code, money),
                        ensure_ascii=False, sort_keys=True),
                    } for account, event, kind, code in pending])
        cls.queue_after_commit(
            {a for a, _, _, _ in pending if a.pushes_events()})
        return rows

    @classmethod
    def _payload(cls, event, kind, point_code, money):
        "The JSON-able description of the event for the supplier"
        parcel = event.parcel
        payload = {
            'kind': kind,
            'order_number': parcel.order_number,
            'point_code': point_code,
            'date': event.date.replace(microsecond=0).isoformat() + 'Z',
            }
        if event.detail:
            key = 'barcode' if kind == 'damaged' else 'reason'
            payload[key] = event.detail
        if kind in {'issued', 'partially_issued'}:
            payload['prepaid'] = bool(parcel.prepaid)
        if kind in {'issued', 'partially_issued', 'refused'}:
            amounts, payments = money.get(parcel.id, ({}, []))
            if amounts or kind != 'refused':
                payload['amounts'] = {
                    'goods': _money(amounts.get('goods')),
                    'delivery_fee': _money(amounts.get('delivery')),
                    'total': _money(sum(amounts.values(), Decimal(0))),
                    }
                payload['payments'] = [
                    {'type': t, 'amount': _money(a)} for t, a in payments]
        if kind == 'partially_issued':
            payload['items'] = [{
                    'name': l.name,
                    'article': l.article,
                    'quantity': l.quantity,
                    'issued': l.quantity - (l.refused_quantity or 0),
                    'refused': l.refused_quantity or 0,
                    'unit_price': _money(l.unit_price),
                    # the piece sold or coming back (Честный знак)
                    'marking_code': l.marking_code or None,
                    } for l in parcel.lines]
        return payload

    @classmethod
    def _money(cls, parcels):
        """{parcel id: ({'goods'|'delivery': amount}, [(payment type,
        amount)])} taken at the desk by the payment sales of parcels. A
        sale paying several parcels spreads its payments over them in the
        order of the parcels, as the desk does."""
        pool = Pool()
        Line = pool.get('sale.point.sale.line')
        if not parcels:
            return {}
        ids = {p.id for p in parcels}
        sales = {l.sale for l in Line.search([
                    ('parcel', 'in', list(ids)),
                    ('sale.multipoint_kind', '=', 'payment'),
                    ('sale.state', 'in', ['open', 'done', 'posted']),
                    ])}
        amounts = defaultdict(lambda: defaultdict(Decimal))
        payments = defaultdict(lambda: defaultdict(Decimal))
        for sale in sorted(sales, key=lambda s: s.id):
            due = defaultdict(Decimal)
            for line in sale.lines:
                if line.parcel:
                    due[line.parcel.id] += line.amount
                    if line.parcel.id in ids:
                        amounts[line.parcel.id][
                            line.agent_kind or 'goods'] += line.amount
            pieces = [[p.method.multipoint_kind or 'other', p.amount]
                for p in sorted(sale.payments, key=lambda p: p.id)]
            for parcel_id in sorted(due):
                need = due[parcel_id]
                while need > 0 and pieces:
                    take = min(need, pieces[0][1])
                    if parcel_id in ids:
                        payments[parcel_id][pieces[0][0]] += take
                    need -= take
                    pieces[0][1] -= take
                    if not pieces[0][1]:
                        pieces.pop(0)
        return {i: (dict(amounts[i]), sorted(payments[i].items()))
            for i in ids if i in amounts or i in payments}

    @classmethod
    def queue_after_commit(cls, accounts):
        "One sender task per account and transaction, run after the commit"
        Account = Pool().get('multipoint.supplier.account')
        transaction = Transaction()
        done = _queued.setdefault(transaction, set())
        accounts = [a for a in accounts if a.id not in done]
        if not accounts:
            return
        done.update(a.id for a in accounts)
        with transaction.set_context(queue_name=QUEUE_NAME):
            for account in accounts:
                Account.__queue__.deliver_outbox([account])

    # -- managers ------------------------------------------------------------

    @classmethod
    @ModelView.button
    def retry(cls, rows):
        """Send failed and dead rows again now; the account's circuit, if
        open, lets one probe through"""
        rows = [r for r in rows if r.state in {'failed', 'dead'}]
        if not rows:
            return
        accounts = {r.account for r in rows}
        with without_check_access():
            table = cls.__table__()
            cursor = Transaction().connection.cursor()
            ids = [r.id for r in rows]
            cursor.execute(*table.update(
                    [table.state, table.attempts, table.next_attempt_at],
                    ['pending', 0, Null],
                    where=table.id.in_(ids)
                    & table.state.in_(['failed', 'dead'])))
            Account = Pool().get('multipoint.supplier.account')
            Account.write(list(accounts), {'outbox_open_until': None})
        cls.queue_after_commit(accounts)

