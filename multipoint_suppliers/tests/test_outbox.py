"""The outbox of supplier events: rows written with the state change,
delivered in order, retried with back-off behind a circuit breaker, and
exactly once even when the sender dies between the call and its commit
(counted at a supplier's server on 127.0.0.1)"""
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
import unittest
import urllib.request
from decimal import Decimal
from unittest.mock import patch

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    DBTestCase, accept_and_store, committed, create_parcel, create_point,
    create_supplier, create_user)
from trytond.modules.multipoint_pos.tests.pos_tools import (
    pos_point, settings, setup_accounting, stored_parcel, supplier)
from trytond.modules.multipoint_suppliers import outbox_sender
from trytond.modules.multipoint_suppliers.connector import (
    Connector, ConnectorError, register)
from trytond.modules.multipoint_suppliers import stand_in
from trytond.modules.multipoint_suppliers.tests.tools import create_account
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, with_transaction
from trytond.transaction import check_access

D = Decimal


class SupplierHandler(stand_in.Handler):

    def do_POST(self):
        server = self.supplier
        body = json.loads(self.read_body() or b'[]')
        if server.down:
            self.reply(503, b'{"error": "maintenance"}')
            return
        if self.path == '/delivered':
            with server.lock:
                keys = {e['key'] for e in server.delivered}
            answer = [k for k in body if k in keys]
        else:
            with server.lock:
                server.received.extend(body)
                keys = {e['key'] for e in server.delivered}
                for event in body:
                    if not (server.dedup and event['key'] in keys):
                        server.delivered.append(event)
                        keys.add(event['key'])
            answer = [e['key'] for e in body]
            server.got_request.set()
            if server.delay:
                time.sleep(server.delay)
        self.json(200, answer)


class SupplierServer(stand_in.LocalServer):
    """A supplier's event API on 127.0.0.1: POST /events takes a JSON list
    of events and answers the keys it took; POST /delivered answers which
    of the given keys it holds. It records every event it receives and,
    only when told to (dedup), ignores a key it already holds."""
    Handler = SupplierHandler

    def __init__(self, dedup=False):
        super().__init__()
        self.dedup = dedup
        self.received = []      # every event of every request
        self.delivered = []     # the events taken (one per key if dedup)
        self.down = False
        self.delay = 0
        self.answered = threading.Event()
        self.got_request = threading.Event()
        self.lock = threading.Lock()
        self.start()

    def close(self):
        self.stop()

    def counts(self):
        "{order number + kind: times delivered}"
        counts = {}
        for event in self.delivered:
            key = (event['order_number'], event['kind'])
            counts[key] = counts.get(key, 0) + 1
        return counts


def _post(url, data, timeout=10):
    request = urllib.request.Request(url, data=json.dumps(data).encode(),
        headers={'Content-Type': 'application/json'}, method='POST')
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except OSError as error:
        raise ConnectorError(f"{url}: {error}") from error


@register
class KeyedConnector(Connector):
    "A supplier API that ignores an idempotency key it already has"
    name = 'test_push_keyed'
    string = "Test Push (keys)"
    capabilities = frozenset({'push_events'})
    push_idempotent = True

    def push_events(self, events):
        return _post(self.credentials['url'] + '/events', events)


@register
class QueryConnector(Connector):
    "A supplier API without keys that says which events it holds"
    name = 'test_push_query'
    string = "Test Push (query)"
    capabilities = frozenset({'push_events'})

    def push_events(self, events):
        return _post(self.credentials['url'] + '/events', events)

    def fetch_delivered(self, keys):
        return _post(self.credentials['url'] + '/delivered', keys)


@register
class BlindConnector(Connector):
    "A supplier API that can neither dedup nor tell what it holds"
    name = 'test_push_blind'
    string = "Test Push (blind)"
    capabilities = frozenset({'push_events'})

    def push_events(self, events):
        return _post(self.credentials['url'] + '/events', events)


class _Killed(BaseException):
    "The worker dies: nothing after it runs, no finally clause helps"


class OutboxTestCase(DBTestCase):
    module = 'multipoint_suppliers'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()

        def company():
            return create_company().id
        cls.company_id = committed(company)
        cls.counter = 0

    def setUp(self):
        super().setUp()
        self.servers = []
        self.enterContext(patch.object(outbox_sender, 'LEASE',
                dt.timedelta(seconds=60)))

    def tearDown(self):
        for server in self.servers:
            server.close()
        super().tearDown()

    def server(self, **kw):
        server = SupplierServer(**kw)
        self.servers.append(server)
        return server

    def world(self, connector, url, n=3, lines=1):
        """Committed: a point, a supplier with an account of connector, n
        parcels accepted; returns (account id, parcel ids)"""
        type(self).counter += 1
        tag = f'{connector[-5:]}{self.counter}'

        def make():
            Company = Pool().get('company.company')
            company = Company(self.company_id)
            with set_company(company):
                point = create_point(company, f'P{tag}')
                shop = create_supplier(f"Shop {tag}")
                account = create_account(company, shop, {point: f'C-{tag}'},
                    connector=connector, url=url)
                parcels = [create_parcel(point, shop, f'{tag}-{i}')
                    for i in range(n)]
                accept_and_store(parcels)
            return account.id, [p.id for p in parcels]
        return committed(make)

    def run_sender(self, account_id, **kw):
        def run():
            return outbox_sender.Sender(account_id).run(**kw)
        return committed(run)

    def rows(self, account_id):
        def read():
            Outbox = Pool().get('multipoint.supplier.outbox')
            return [(r.parcel.order_number, r.kind, r.state, r.sequence,
                    r.attempts)
                for r in Outbox.search([('account', '=', account_id)],
                    order=[('id', 'ASC')])]
        return committed(read)

    def account(self, account_id, *names):
        def read():
            Account = Pool().get('multipoint.supplier.account')
            account = Account(account_id)
            return tuple(getattr(account, n) for n in names)
        return committed(read)

    # -- rows written with the event -----------------------------------------

    @with_transaction()
    def test_rows_with_amounts_payments_and_items(self):
        "Accepted, issued (amounts, payment types), partial (items), refused"
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Outbox = pool.get('multipoint.supplier.outbox')
        Session = pool.get('sale.point.cash.session')
        Account = pool.get('multipoint.supplier.account')
        company = create_company()
        with set_company(company), settings('multipoint_fiscal',
                driver='demo'):
            accounts = setup_accounting(company)
            point = pos_point(company, 'PAY1', accounts)
            shop = supplier("Hermes", partial_buyout=True)
            other = supplier("Quiet")
            account = create_account(company, shop, {point: 'H-PAY'},
                connector='test_push_keyed', url='http://127.0.0.1:9')
            # a file account gets its rows for its status reports (see
            # test_status_report), an unsubscribed one gets nothing
            file_account = create_account(company, shop, {point: 'H-FILE'})
            quiet = create_account(company, other, {point: 'Q-1'},
                connector='test_push_keyed', url='http://127.0.0.1:9')
            Account.write([quiet], {'outbox_kinds': ['lost']})
            shoes, code = stored_parcel(point, shop, 'H-1',
                [("Кроссовки", 1, '1500')], delivery_fee=D('199'))
            pair, pair_code = stored_parcel(point, shop, 'H-2',
                [("Шапка", 1, '900'), ("Перчатки", 1, '600')],
                delivery_fee=D('0'))
            refused, _ = stored_parcel(point, shop, 'H-3',
                [("Куртка", 1, '5000')], delivery_fee=D('0'))
            stored_parcel(point, other, 'Q-1', [("Книга", 1, '500')])
            Session.open_shift(point, D('0'))
            Parcel.issue_with_payment([shoes, pair], point,
                {shoes: ('code', code), pair: ('code', pair_code)},
                [{'method': 'card', 'amount': D('1000')},
                    {'method': 'cash', 'amount': D('1599')}],
                refused={pair.lines[1]: 1},
                refused_whole={refused: "Не подошёл размер"})

            rows = Outbox.search([
                    ('account.supplier', 'in', [shop.id, other.id]),
                    ('account', '!=', file_account.id),
                    ], order=[('id', 'ASC')])
            self.assertEqual({r.account for r in rows}, {account})
            self.assertEqual(Outbox.search_count([
                        ('account', '=', file_account.id),
                        ('state', '=', 'pending'),
                        ]), 6)
            self.assertEqual([(r.parcel.order_number, r.kind, r.state)
                    for r in rows], [
                    ('H-1', 'accepted', 'pending'),
                    ('H-2', 'accepted', 'pending'),
                    ('H-3', 'accepted', 'pending'),
                    ('H-1', 'issued', 'pending'),
                    ('H-2', 'partially_issued', 'pending'),
                    ('H-3', 'refused', 'pending'),
                    ])
            self.assertEqual(len({r.idempotency_key for r in rows}), 6)
            payloads = {(r.parcel.order_number, r.kind): json.loads(r.payload)
                for r in rows}
            issued = payloads[('H-1', 'issued')]
            self.assertEqual(issued['amounts'], {'goods': '1500.00',
                    'delivery_fee': '199.00', 'total': '1699.00'})
            # the card pays the first parcel first, as the desk does
            self.assertEqual(issued['payments'], [
                    {'type': 'card', 'amount': '1000.00'},
                    {'type': 'cash', 'amount': '699.00'}])
            self.assertEqual(issued['point_code'], 'H-PAY')
            partial = payloads[('H-2', 'partially_issued')]
            self.assertEqual(partial['amounts']['total'], '900.00')
            self.assertEqual(partial['payments'], [
                    {'type': 'cash', 'amount': '900.00'}])
            self.assertEqual([(i['name'], i['issued'], i['refused'])
                    for i in partial['items']],
                [("Шапка", 1, 0), ("Перчатки", 0, 1)])
            self.assertEqual(payloads[('H-3', 'refused')]['reason'],
                "Не подошёл размер")
            # a sender task per account, run after the commit
            Queue = pool.get('ir.queue')
            tasks = Queue.search([('name', '=', 'supplier_outbox'),
                    ('data.instances', '=', [account.id])])
            self.assertEqual(len(tasks), 1)
            self.assertEqual(tasks[0].data['method'], 'deliver_outbox')

    # -- delivery ------------------------------------------------------------

    def test_delivered_in_order_and_acknowledged(self):
        server = self.server()
        account_id, _ = self.world('test_push_keyed', server.url, n=3)
        self.assertTrue(self.run_sender(account_id))
        rows = self.rows(account_id)
        self.assertEqual([(s, q) for _, _, s, q, _ in rows],
            [('sent', 1), ('sent', 2), ('sent', 3)])
        self.assertEqual([e['sequence'] for e in server.delivered],
            [1, 2, 3])
        self.assertTrue(all(c == 1 for c in server.counts().values()))
        # nothing more to send: no call
        calls = len(server.received)
        self.run_sender(account_id)
        self.assertEqual(len(server.received), calls)
        self.assertEqual(self.account(account_id, 'outbox_lease'), (None,))

    def test_back_off_and_circuit_breaker(self):
        server = self.server()
        server.down = True
        account_id, _ = self.world('test_push_keyed', server.url, n=2)
        # (PostgreSQL keeps whole seconds: a wait of 0 may round up)
        with patch.object(outbox_sender, 'BACKOFF',
                dt.timedelta(seconds=-2)):
            for i in range(outbox_sender.THRESHOLD):
                self.run_sender(account_id)
            rows = self.rows(account_id)
            self.assertEqual({(s, a) for _, _, s, _, a in rows},
                {('failed', outbox_sender.THRESHOLD)})
            failures, until = self.account(account_id,
                'outbox_failures', 'outbox_open_until')
            self.assertEqual(failures, outbox_sender.THRESHOLD)
            self.assertGreater(until, dt.datetime.utcnow())
            # open: no call at all
            server.down = False
            self.run_sender(account_id)
            self.assertEqual(server.received, [])

            # after the cool-down one event probes; then all go
            def expire():
                Account = Pool().get('multipoint.supplier.account')
                Account.write([Account(account_id)], {
                        'outbox_open_until': dt.datetime.utcnow()})
            committed(expire)
            self.run_sender(account_id, max_batches=1)
            self.assertEqual(len(server.received), 1)
            self.run_sender(account_id)
        self.assertEqual({s for _, _, s, _, _ in self.rows(account_id)},
            {'sent'})
        self.assertEqual(self.account(account_id, 'outbox_failures',
                'outbox_open_until'), (0, None))

    def test_back_off_grows(self):
        self.assertEqual([outbox_sender.backoff(a).total_seconds()
                for a in [1, 2, 3, 4]], [30, 60, 120, 240])
        self.assertEqual(outbox_sender.backoff(100),
            outbox_sender.BACKOFF_MAX)

    def test_failed_row_holds_back_its_parcel_only(self):
        server = self.server()
        account_id, parcel_ids = self.world('test_push_keyed', server.url,
            n=2)

        def lose():
            Parcel = Pool().get('multipoint.parcel')
            Parcel.mark_lost(Parcel.browse(parcel_ids))
        committed(lose)
        first = parcel_ids[0]

        # the supplier refuses the first parcel's events
        original = KeyedConnector.push_events

        def picky(connector, events):
            keys = original(connector, events)
            return [e['key'] for e in events
                if not e['order_number'].endswith('-0')
                and e['key'] in keys]
        with patch.object(KeyedConnector, 'push_events', picky):
            self.run_sender(account_id)
        rows = self.rows(account_id)
        self.assertEqual(sorted((o[-1], k, s) for o, k, s, _, _ in rows), [
                ('0', 'accepted', 'failed'),
                ('0', 'lost', 'pending'),
                ('1', 'accepted', 'sent'),
                ('1', 'lost', 'sent'),
                ])

        # managers retry; the held row follows, in order
        def retry():
            Outbox = Pool().get('multipoint.supplier.outbox')
            Outbox.retry(Outbox.search([('parcel', '=', first)]))
        committed(retry)
        self.run_sender(account_id)
        self.assertEqual({s for _, _, s, _, _ in self.rows(account_id)},
            {'sent'})
        kinds = [e['kind'] for e in server.delivered
            if e['order_number'].endswith('-0')]
        self.assertEqual(kinds, ['accepted', 'accepted', 'lost'])

    # -- exactly once ---------------------------------------------------------

    def crash_after_call(self, account_id):
        "The sender dies after the supplier answered, before its commit"
        def die(sender, *args):
            raise _Killed()
        with patch.object(outbox_sender.Sender, '_settle', die):
            with self.assertRaises(_Killed):
                self.run_sender(account_id)

    def expire_lease(self, account_id):
        def expire():
            Account = Pool().get('multipoint.supplier.account')
            Account.write([Account(account_id)], {
                    'outbox_lease_until': dt.datetime.utcnow()})
        committed(expire)

    def test_killed_after_send_keys(self):
        "The API dedups by key: resent with the same keys"
        server = self.server(dedup=True)
        account_id, _ = self.world('test_push_keyed', server.url, n=3)
        self.crash_after_call(account_id)
        self.assertEqual({s for _, _, s, _, _ in self.rows(account_id)},
            {'sending'})
        # the lease of the dead sender holds another one back until it ends
        self.assertFalse(self.run_sender(account_id))
        self.expire_lease(account_id)
        self.assertTrue(self.run_sender(account_id))
        self.assertEqual({s for _, _, s, _, _ in self.rows(account_id)},
            {'sent'})
        self.assertEqual(len(server.received), 6)
        self.assertEqual(sorted(server.counts().values()), [1, 1, 1])

    def test_killed_after_send_query(self):
        "No keys at the API: the sender asks what it holds, resends none"
        server = self.server()
        account_id, _ = self.world('test_push_query', server.url, n=3)
        self.crash_after_call(account_id)
        self.expire_lease(account_id)
        self.run_sender(account_id)
        self.assertEqual({s for _, _, s, _, _ in self.rows(account_id)},
            {'sent'})
        self.assertEqual(len(server.received), 3)
        self.assertEqual(sorted(server.counts().values()), [1, 1, 1])

    def test_time_out_after_delivery_query(self):
        "The call failed after the supplier took it: asked, not resent"
        server = self.server()
        account_id, _ = self.world('test_push_query', server.url, n=2)
        original = QueryConnector.push_events

        def time_out(connector, events):
            original(connector, events)
            raise ConnectorError("timed out")
        with patch.object(QueryConnector, 'push_events', time_out):
            self.run_sender(account_id)
        self.assertEqual({s for _, _, s, _, _ in self.rows(account_id)},
            {'sending'})
        self.run_sender(account_id)
        self.assertEqual({s for _, _, s, _, _ in self.rows(account_id)},
            {'sent'})
        self.assertEqual(len(server.received), 2)
        self.assertEqual(sorted(server.counts().values()), [1, 1])

    def test_killed_before_send_query(self):
        "Killed after the claim, before the call: sent once afterwards"
        server = self.server()
        account_id, _ = self.world('test_push_query', server.url, n=2)

        def die(sender, messages):
            raise _Killed()
        with patch.object(outbox_sender.Sender, '_send', die):
            with self.assertRaises(_Killed):
                self.run_sender(account_id)
        self.expire_lease(account_id)
        self.run_sender(account_id)
        self.assertEqual(sorted(server.counts().values()), [1, 1])
        self.assertEqual(len(server.received), 2)

    def test_killed_blind_connector_goes_dead(self):
        "Neither keys nor a query: never resent, left to a manager"
        server = self.server()
        account_id, _ = self.world('test_push_blind', server.url, n=2)
        self.crash_after_call(account_id)
        self.expire_lease(account_id)
        self.run_sender(account_id)
        self.assertEqual({s for _, _, s, _, _ in self.rows(account_id)},
            {'dead'})
        self.assertEqual(len(server.received), 2)

    @unittest.skipIf(DB_NAME == ':memory:',
        "the killed worker needs a database another process can open")
    def test_worker_process_killed_mid_send(self):
        "A real worker process killed while the supplier holds the call"
        server = self.server(dedup=True)
        server.delay = 30
        account_id, _ = self.world('test_push_keyed', server.url, n=5)
        code = (
            "import sys\n"
            "from trytond.pool import Pool\n"
            "from trytond.transaction import Transaction\n"
            "import trytond.modules.multipoint_suppliers.tests.test_outbox\n"
            "from trytond.modules.multipoint_suppliers import outbox_sender\n"
            "db, account = sys.argv[1], int(sys.argv[2])\n"
            "with Transaction().start(db, 0):\n"
            "    Pool(db).init()\n"
            "with Transaction().start(db, 0):\n"
            "    outbox_sender.Sender(account).run()\n")
        worker = subprocess.Popen(
            [sys.executable, '-c', code, DB_NAME, str(account_id)],
            env=dict(os.environ))
        try:
            self.assertTrue(server.got_request.wait(120))
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait()
        server.delay = 0
        self.assertEqual({s for _, _, s, _, _ in self.rows(account_id)},
            {'sending'})
        self.expire_lease(account_id)
        self.run_sender(account_id)
        self.assertEqual({s for _, _, s, _, _ in self.rows(account_id)},
            {'sent'})
        self.assertEqual(sorted(server.counts().values()), [1] * 5)

    # -- managers ------------------------------------------------------------

    def test_managers_see_and_retry_others_do_not(self):
        server = self.server()
        server.down = True
        account_id, _ = self.world('test_push_keyed', server.url, n=1)
        self.run_sender(account_id)

        def users():
            Company = Pool().get('company.company')
            company = Company(self.company_id)
            point = Pool().get('multipoint.point').search([], limit=1)[0]
            tag = self.counter
            return {g: create_user(f'{g}{tag}', [g],
                    [point] if g == 'operator' else [], company).id
                for g in ['owner', 'staff_manager', 'operator',
                    'accountant', 'reports']}
        ids = committed(users)

        def as_user(group):
            Outbox = Pool().get('multipoint.supplier.outbox')
            with check_access():
                rows = Outbox.search([('account', '=', account_id),
                        ('state', '=', 'failed')])
                Outbox.read([r.id for r in rows], ['last_error', 'kind'])
                Outbox.retry(rows)
                return len(rows)
        for group in ['operator', 'accountant', 'reports']:
            with self.assertRaises(AccessError):
                committed(lambda: as_user(group), user=ids[group])
        self.assertEqual(committed(lambda: as_user('staff_manager'),
                user=ids['staff_manager']), 1)
        self.assertEqual({s for _, _, s, _, _ in self.rows(account_id)},
            {'pending'})

    def test_cron_queues_accounts_with_due_rows(self):
        server = self.server()
        account_id, _ = self.world('test_push_keyed', server.url, n=1)

        def cron():
            pool = Pool()
            Account = pool.get('multipoint.supplier.account')
            Queue = pool.get('ir.queue')
            before = Queue.search([], count=True)
            Account.deliver_outbox_due()
            tasks = Queue.search([], order=[('id', 'DESC')],
                limit=Queue.search([], count=True) - before)
            return [list(t.data['instances']) for t in tasks
                if t.data['method'] == 'deliver_outbox']
        self.assertIn([account_id], committed(cron))
        self.run_sender(account_id)
        self.assertNotIn([account_id], committed(cron))


del DBTestCase
