"""The sender of a supplier account's outbox: exactly-once delivery.

One sender runs per account at a time: it takes the account's lease
(`outbox_lease_until`) in a committed transaction; another sender finds it
taken and leaves. Then, batch after batch:

1. claim (committed before any call): the due rows, in the order they were
   written, at most one per parcel, are numbered (the account's sequence)
   and marked *sending*;
2. call `connector.push_events(messages)` with no transaction of its own
   open (the caller's stays idle);
   it returns the idempotency keys the supplier acknowledged;
3. settle (committed): acknowledged rows are *sent*; the others *failed*
   with an exponential back-off, *dead* after MAX_ATTEMPTS; the account's
   circuit breaker counts the failed calls.

A worker that dies between 1 and 3 leaves rows *sending* and its lease.
When the lease has expired, the next sender reconciles those rows first:

- a connector with `fetch_delivered(keys)` says which keys the supplier
  holds: those rows are sent, the others are sent again;
- a connector with `push_idempotent = True` (the supplier ignores a key it
  already has) sends them again with the same keys;
- with neither, nobody knows whether the supplier got them: the rows go
  *dead* with a message, a manager checks with the supplier and retries.
  Nothing is ever sent twice by the sender itself.

A failed call may have reached the supplier (a time-out after the request
went out): with a `fetch_delivered` connector its rows stay *sending* and
are reconciled the same way before anything is sent again; a keyed
connector simply resends them with their keys. A blind connector (neither)
resends a failed call's rows: at-least-once for its time-outs.

Order: a row that is not sent (failed, waiting for its back-off, dead,
sending) holds back the later rows of the same parcel only; the other
parcels go on.
"""
import datetime as dt
import json
import logging
import uuid

from sql import Null

from trytond import config
from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.transaction import Transaction, without_check_access

logger = logging.getLogger(__name__)
SECTION = 'multipoint_outbox'
BATCH = config.getint(SECTION, 'batch', default=100)
# longer than the longest call of a batch (connectors time out at 30 s)
LEASE = dt.timedelta(seconds=config.getint(SECTION, 'lease', default=300))
THRESHOLD = config.getint(SECTION, 'failures', default=5)
COOL_DOWN = dt.timedelta(
    seconds=config.getint(SECTION, 'cool_down', default=120))
BACKOFF = dt.timedelta(seconds=config.getint(SECTION, 'backoff', default=30))
BACKOFF_MAX = dt.timedelta(hours=1)
MAX_ATTEMPTS = config.getint(SECTION, 'max_attempts', default=15)
# a run stops after this many batches (the cron starts another)
MAX_BATCHES = config.getint(SECTION, 'max_batches', default=1000)


def backoff(attempts):
    "The wait before attempt attempts + 1"
    return min(BACKOFF * 2 ** min(max(attempts - 1, 0), 20), BACKOFF_MAX)


def now():
    return dt.datetime.utcnow()


class Sender:
    "Delivers the outbox rows of one account"

    def __init__(self, account_id):
        self.account_id = account_id
        self.token = uuid.uuid4().hex
        self.calls = 0

    @staticmethod
    def transaction():
        "A transaction of its own, committed at the end of the block"
        return Transaction().new_transaction()

    @property
    def tables(self):
        pool = Pool()
        return (pool.get('multipoint.supplier.account').__table__(),
            pool.get('multipoint.supplier.outbox').__table__())

    def run(self, max_batches=MAX_BATCHES):
        "Send until nothing is due, the circuit opens or max_batches"
        with self.transaction(), without_check_access():
            if not self._acquire():
                return False
            orphans = self._orphans()
        try:
            # made in the caller's transaction, which outlives the calls
            with without_check_access():
                self.connector = self._account().get_connector()
            if orphans:
                self._reconcile(orphans)
            for _ in range(max_batches):
                with self.transaction(), without_check_access():
                    messages = self._claim()
                if not messages:
                    break
                self._send(messages)
        except _Stop:
            pass
        except Exception:
            self._release()
            raise
        self._release()
        return True

    # -- lease ---------------------------------------------------------------

    def _acquire(self):
        account, _ = self.tables
        cursor = Transaction().connection.cursor()
        moment = now()
        cursor.execute(*account.update(
                [account.outbox_lease, account.outbox_lease_until],
                [self.token, moment + LEASE],
                where=(account.id == self.account_id)
                & ((account.outbox_lease_until == Null)
                    | (account.outbox_lease_until <= moment))))
        return cursor.rowcount == 1

    def _renew(self):
        account, _ = self.tables
        cursor = Transaction().connection.cursor()
        cursor.execute(*account.update(
                [account.outbox_lease_until], [now() + LEASE],
                where=(account.id == self.account_id)
                & (account.outbox_lease == self.token)))

    def _release(self):
        account, _ = self.tables
        with self.transaction():
            cursor = Transaction().connection.cursor()
            cursor.execute(*account.update(
                    [account.outbox_lease, account.outbox_lease_until],
                    [Null, Null],
                    where=(account.id == self.account_id)
                    & (account.outbox_lease == self.token)))

    def _account(self):
        Account = Pool().get('multipoint.supplier.account')
        return Account(self.account_id)

    # -- reconciliation of a dead sender's rows ------------------------------

    def _orphans(self):
        "The rows a dead sender left sending: [(id, key)]"
        _, outbox = self.tables
        cursor = Transaction().connection.cursor()
        cursor.execute(*outbox.select(outbox.id, outbox.idempotency_key,
                where=(outbox.account == self.account_id)
                & (outbox.state == 'sending'),
                order_by=[outbox.id.asc]))
        return list(cursor)

    def _reconcile(self, orphans):
        keys = [k for _, k in orphans]
        connector = self.connector
        fetch = getattr(connector, 'fetch_delivered', None)
        if fetch is not None:
            try:
                delivered = set(fetch(keys))
            except Exception as exception:
                # ask again next time: the rows stay sending
                logger.info("outbox %s: reconciliation failed",
                    self.account_id, exc_info=True)
                with self.transaction(), without_check_access():
                    account = self._account()
                    self._failed_call(account, account.redact(exception))
                raise _Stop() from exception
            sent = [i for i, k in orphans if k in delivered]
            again = [i for i, k in orphans if k not in delivered]
            error = None
        elif getattr(connector, 'push_idempotent', False):
            sent, again, error = [], [i for i, _ in orphans], None
        else:
            sent, again = [], []
            error = gettext('multipoint_suppliers.msg_outbox_unconfirmed')
        _, outbox = self.tables
        with self.transaction(), without_check_access():
            cursor = Transaction().connection.cursor()
            ids = [i for i, _ in orphans]
            if sent:
                cursor.execute(*outbox.update(
                        [outbox.state, outbox.sent_at, outbox.last_error],
                        ['sent', now(), Null],
                        where=outbox.id.in_(sent)
                        & (outbox.state == 'sending')))
            if again:
                # claimed again first, in their order
                cursor.execute(*outbox.update(
                        [outbox.state, outbox.next_attempt_at],
                        ['pending', Null],
                        where=outbox.id.in_(again)
                        & (outbox.state == 'sending')))
            if error:
                cursor.execute(*outbox.update(
                        [outbox.state, outbox.last_error],
                        ['dead', error],
                        where=outbox.id.in_(ids)
                        & (outbox.state == 'sending')))

    # -- batches -------------------------------------------------------------

    def _claim(self):
        """Number and mark sending the next batch; its messages, or [] when
        nothing is due or the circuit is open"""
        pool = Pool()
        Outbox = pool.get('multipoint.supplier.outbox')
        account = self._account()
        moment = now()
        if account.outbox_open_until and account.outbox_open_until > moment:
            return []
        # half-open: after the cool-down, one row probes the supplier
        limit = 1 if (account.outbox_failures or 0) >= THRESHOLD else BATCH
        _, outbox = self.tables
        cursor = Transaction().connection.cursor()
        cursor.execute(*outbox.select(
                outbox.id, outbox.parcel, outbox.state,
                outbox.next_attempt_at,
                where=(outbox.account == self.account_id)
                & (outbox.state != 'sent'),
                order_by=[outbox.id.asc]))
        chosen, held = [], set()
        for id_, parcel, state, next_at in cursor:
            if parcel in held:
                continue
            # one row per parcel and batch: the next one waits for its
            # predecessor's answer
            held.add(parcel)
            if state == 'pending' or (state == 'failed'
                    and (next_at is None or next_at <= moment)):
                chosen.append(id_)
                if len(chosen) >= limit:
                    break
        if not chosen:
            return []
        rows = Outbox.browse(chosen)
        sequence = account.outbox_sequence or 0
        numbers = {}
        for row in rows:
            if not row.sequence:
                sequence += 1
                numbers[row.id] = sequence
        for id_, number in numbers.items():
            cursor.execute(*outbox.update([outbox.sequence], [number],
                    where=outbox.id == id_))
        cursor.execute(*outbox.update([outbox.state], ['sending'],
                where=outbox.id.in_(chosen)))
        table, _ = self.tables
        cursor.execute(*table.update(
                [table.outbox_sequence, table.outbox_lease_until],
                [sequence, moment + LEASE],
                where=table.id == self.account_id))
        return [dict(json.loads(row.payload or '{}'),
                key=row.idempotency_key,
                sequence=row.sequence or numbers[row.id])
            for row in rows]

    def _send(self, messages):
        connector = self.connector
        error = None
        try:
            self.calls += 1
            acknowledged = set(connector.push_events(messages) or [])
        except Exception as exception:
            logger.info("outbox %s: push failed", self.account_id,
                exc_info=True)
            acknowledged = set()
            error = (getattr(exception, 'message', None) or str(exception)
                or exception.__class__.__name__)
        with self.transaction(), without_check_access():
            if error:
                error = self._account().redact(error)
            self._settle(messages, acknowledged, error)
        if error:
            raise _Stop()

    def _settle(self, messages, acknowledged, error):
        _, outbox = self.tables
        cursor = Transaction().connection.cursor()
        moment = now()
        keys = [m['key'] for m in messages]
        sent = [k for k in keys if k in acknowledged]
        if sent:
            cursor.execute(*outbox.update(
                    [outbox.state, outbox.sent_at, outbox.last_error],
                    ['sent', moment, Null],
                    where=outbox.idempotency_key.in_(sent)
                    & (outbox.account == self.account_id)))
        unsent = [k for k in keys if k not in acknowledged]
        if unsent:
            message = (error or gettext(
                    'multipoint_suppliers.msg_outbox_not_acknowledged'))
            cursor.execute(*outbox.select(outbox.id, outbox.attempts,
                    where=outbox.idempotency_key.in_(unsent)
                    & (outbox.account == self.account_id)))
            for id_, attempts in list(cursor):
                attempts = (attempts or 0) + 1
                state = 'dead' if attempts >= MAX_ATTEMPTS else 'failed'
                cursor.execute(*outbox.update(
                        [outbox.state, outbox.attempts,
                            outbox.next_attempt_at, outbox.last_error],
                        [state, attempts, moment + backoff(attempts),
                            message[:1000]],
                        where=outbox.id == id_))
        if error and unsent and self._ambiguous():
            # the call may have reached the supplier (a time-out): ask it
            # before sending again, as after a dead worker
            cursor.execute(*outbox.update([outbox.state], ['sending'],
                    where=outbox.idempotency_key.in_(unsent)
                    & (outbox.account == self.account_id)
                    & (outbox.state == 'failed')))
        account = self._account()
        if error:
            self._failed_call(account, error)
        elif account.outbox_failures or account.outbox_open_until:
            self._write_breaker(0, None)
        self._renew()

    def _ambiguous(self):
        "Whether a failed call must be reconciled before sending again"
        connector = self.connector
        return (not getattr(connector, 'push_idempotent', False)
            and getattr(connector, 'fetch_delivered', None) is not None)

    def _failed_call(self, account, error):
        failures = (account.outbox_failures or 0) + 1
        until = now() + COOL_DOWN if failures >= THRESHOLD else None
        self._write_breaker(failures, until)
        if until:
            logger.warning("outbox %s: %s failures, paused until %s",
                self.account_id, failures, until)

    def _write_breaker(self, failures, until):
        table, _ = self.tables
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update(
                [table.outbox_failures, table.outbox_open_until],
                [failures, until],
                where=table.id == self.account_id))


class _Stop(Exception):
    "The supplier's system failed: this run ends, the rows wait"
