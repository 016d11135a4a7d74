"""The Yandex Market connector against a local server speaking its Partner
API, through the real account, sync engine, upsert and outbox sender; and
the Market's code check and storage extension at the desk (remote_parcel)"""
import datetime as dt
import json
import threading
from decimal import Decimal

import requests

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.exceptions import (
    IssueError, StorageError)
from trytond.modules.multipoint_core.tests.tools import (
    DBTestCase, accept_and_store, committed, create_parcel, create_point,
    create_supplier, create_user)
from trytond.modules.multipoint_pos.tests.pos_tools import free_port
from trytond.modules.multipoint_suppliers import outbox_sender
from trytond.modules.multipoint_suppliers.connector import ConnectorError
from trytond.modules.multipoint_suppliers.connector_yandex import (
    MSK, _load_cursor)
from trytond.modules.multipoint_suppliers.tests.tools import (
    create_account, run_sync)
from trytond.modules.multipoint_suppliers.tests.yandex_server import (
    YandexServer, order)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction, check_access

RU = {'language': 'ru'}
OUTLET = 'YM-OUT-1'


class YandexConnectorTestCase(DBTestCase):
    module = 'multipoint_suppliers'
    language = 'ru'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = YandexServer().__enter__()

        def make():
            company = create_company()
            with set_company(company):
                point = create_point(company, 'MSK1')
                market = create_supplier(
                    "Яндекс Маркет", storage_days=7, max_extension_days=10)
                account = create_account(company, market, {point: OUTLET},
                    connector='yandex_market', url=cls.server.url,
                    login=cls.server.campaign, token=cls.server.api_key)
            # its secret made now: no test writes the configuration
            Pool().get('multipoint.configuration').get_config()
            return company.id, point.id, market.id, account.id
        # committed once: every test reads them, its own changes roll back
        cls.ids = committed(make)

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.server.reset()

    def fixture(self, **values):
        """The company, point, Market supplier and account; the Market
        without orders"""
        pool = Pool()
        Location = pool.get('stock.location')
        company_id, point_id, market_id, account_id = self.ids
        # the test starts again to take the locks of the point's cells
        # (committed, placing a parcel locks its cell): before any call
        Location.lock(Location.search([
                    ('multipoint_point', '=', point_id),
                    ('storage_kind', '=', 'cell')]))
        self.server.reset()
        account = pool.get('multipoint.supplier.account')(account_id)
        if values:
            account.__class__.write([account], values)
        return (pool.get('company.company')(company_id),
            pool.get('multipoint.point')(point_id),
            pool.get('party.party')(market_id), account)

    def add(self, number, **values):
        "An order of the Market, updated now"
        record = order(number, self.server.tick(), **values)
        self.server.add(record)
        return record

    def parcels(self, supplier):
        Parcel = Pool().get('multipoint.parcel')
        return Parcel.search([('supplier', '=', supplier.id)],
            order=[('order_number', 'ASC')])

    def messages(self, log):
        return [l.message for l in log.lines]

    # -- inbound -------------------------------------------------------------

    @with_transaction(context=RU)
    def test_sync_pages_outlet_and_cursor(self):
        """The outlet's orders page by page, their buyers' phones, money as
        Decimal; a second sync fetches nothing; a later change comes"""
        company, point, market, account = self.fixture()
        server = self.server
        server.page_size = 2
        self.add(5001, items=[
                ("Кроссовки беговые", 'SN-42', 1, '4990.50', 'VAT_20'),
                ("Носки", 'SK-3', 3, '150.00', 'NO_VAT')])
        self.add(5002, outlet='YM-OUT-9')
        self.add(5003, payment='PREPAID', phone='8 (903) 111-22-33')
        self.add(5004, status='PROCESSING')
        self.add(5005, status='PICKUP',
            storage=(dt.date.today() + dt.timedelta(days=5)).strftime(
                '%d-%m-%Y'))
        last = self.add(5006, buyer=("Петров", "Пётр", None))
        with set_company(company):
            log = run_sync(account)
            self.assertEqual(log.state, 'done', self.messages(log))
            self.assertEqual((log.fetched, log.created, log.failed),
                (4, 4, 0))
            parcels = {p.order_number: p for p in self.parcels(market)}
            self.assertEqual(sorted(parcels), ['5001', '5003', '5005', '5006'])
            shoes = parcels['5001']
            self.assertEqual(shoes.point, point)
            self.assertEqual(shoes.recipient_name, "Иванова Анна Сергеевна")
            self.assertEqual(shoes.recipient_phone, '+79161234567')
            self.assertFalse(shoes.prepaid)
            self.assertEqual(shoes.cod_amount, Decimal('5440.50'))
            self.assertIsInstance(shoes.cod_amount, Decimal)
            self.assertEqual(shoes.delivery_fee, Decimal('199.00'))
            # what the buyer pays at the desk: the Market's buyerTotal
            self.assertEqual(shoes.amount_due, Decimal('5639.50'))
            self.assertEqual([(l.name, l.article, l.quantity, l.unit_price,
                        l.vat_rate) for l in shoes.lines], [
                    ("Кроссовки беговые", 'SN-42', 1, Decimal('4990.50'),
                        '20'),
                    ("Носки", 'SK-3', 3, Decimal('150.00'), 'none')])
            self.assertEqual([pl.barcode for pl in shoes.places], ['5001'])
            prepaid = parcels['5003']
            self.assertTrue(prepaid.prepaid)
            self.assertEqual(prepaid.amount_due, Decimal('0.00'))
            self.assertEqual(prepaid.recipient_phone, '+79031112233')
            self.assertEqual(parcels['5006'].recipient_name, "Петров Пётр")

            # the requests as the Market documents them
            lists = server.calls('orders')
            # the last asks from the latest change read: nothing new
            self.assertEqual(len(lists), 4)
            self.assertTrue(all(r[4] == server.api_key
                    for r in server.requests))
            query = lists[0][2]
            self.assertEqual(set(query['status']),
                {'DELIVERY', 'PICKUP', 'CANCELLED'})
            self.assertEqual(query['limit'], ['50'])
            self.assertNotIn('page_token', query)
            self.assertEqual(lists[1][2]['page_token'], ['Mg=='])
            # one updatedAtFrom for all the pages of a run
            self.assertEqual({r[2]['updatedAtFrom'][0] for r in lists[:3]},
                {query['updatedAtFrom'][0]})
            self.assertEqual(dt.datetime.fromisoformat(
                    lists[3][2]['updatedAtFrom'][0]).strftime(
                    '%d-%m-%Y %H:%M:%S'), last['updatedAt'])
            # a phone per order of the outlet, none for the others
            self.assertEqual(sorted(r[5] for r in server.calls('buyer')),
                [5001, 5003, 5005, 5006])
            line, = account.points
            cursor = json.loads(line.cursor)
            self.assertEqual(cursor['seen'], ['5006'])
            self.assertEqual(dt.datetime.fromisoformat(cursor['from'])
                .strftime('%d-%m-%Y %H:%M:%S'), last['updatedAt'])

            calls = len(server.requests)
            log = run_sync(account)
            self.assertEqual((log.state, log.fetched, log.created),
                ('done', 0, 0))
            self.assertEqual(len(server.requests), calls + 1)

            # the Market cancels an order, a new one comes
            server.orders[5001].update(status='CANCELLED',
                substatus='USER_CHANGED_MIND', updatedAt=server.tick())
            self.add(5007)
            log = run_sync(account)
            self.assertEqual((log.state, log.fetched, log.created,
                    log.updated), ('done', 2, 1, 1), self.messages(log))
            parcels = {p.order_number: p for p in self.parcels(market)}
            self.assertEqual(parcels['5001'].state, 'cancelled')
            self.assertEqual(parcels['5007'].state, 'expected')

    def test_cursor_window(self):
        """The pages of a run keep their start, even the first run's; a
        cursor older than the Market's 30 days starts 29 days back"""
        now = dt.datetime.now(MSK).replace(microsecond=0)
        run = {'from': (now - dt.timedelta(days=29, seconds=5)).isoformat(),
            'seen': [], 'page': 'Mg==', 'top': now.isoformat(),
            'top_ids': ['1']}
        self.assertEqual(_load_cursor(json.dumps(run)), run)
        for cursor in [json.dumps({'from': (now - dt.timedelta(days=31))
                        .isoformat(), 'seen': ['1']}), 'garbage', None]:
            state = _load_cursor(cursor)
            self.assertEqual(state['seen'], [])
            self.assertLess(abs(dt.datetime.fromisoformat(state['from'])
                    - (now - dt.timedelta(days=29))), dt.timedelta(
                    seconds=5))

    @with_transaction(context=RU)
    def test_half_broken_records(self):
        "An order that cannot be read is an error of its own only"
        company, point, market, account = self.fixture()
        self.add(6001)['buyerItemsTotal'] = "много"
        self.add(6002, phone=None)
        self.add(6003)
        self.server.broken = ["not an order", {'id': None}]
        with set_company(company):
            log = run_sync(account)
            self.assertEqual(log.state, 'done', self.messages(log))
            self.assertEqual((log.created, log.failed), (1, 2))
            first, second = sorted(self.messages(log))
            self.assertIn(
                "Заказ 6001: запись поставщика не прочитана", first)
            self.assertIn("много", first)
            self.assertIn("Заказ 6002", second)
            self.assertIn("recipient_phone", second)
            self.assertEqual(
                [p.order_number for p in self.parcels(market)], ['6003'])

    @with_transaction(context=RU)
    def test_errors_in_russian_without_the_key(self):
        "Wrong key, campaign, login; the Market's error body is shown"
        Account = Pool().get('multipoint.supplier.account')
        company, point, market, account = self.fixture()
        self.add(6101)
        with set_company(company):
            Account.write([account], {'token': 'ACMA:stolen:0000'})
            log = run_sync(account)
            self.assertEqual(log.state, 'failed')
            message, = self.messages(log)
            self.assertIn("Яндекс Маркет отклонил API-ключ учётной записи "
                "(HTTP 401 UNAUTHORIZED)", message)
            self.assertNotIn('ACMA:stolen', message)

            Account.write([account], {'token': self.server.api_key,
                    'login': '99999999'})
            message, = self.messages(run_sync(account))
            self.assertIn("(HTTP 403 FORBIDDEN)", message)
            self.assertNotIn(self.server.api_key, message)

            calls = len(self.server.requests)
            Account.write([account], {'login': 'shop-1'})
            message, = self.messages(run_sync(account))
            self.assertIn("Логином учётной записи", message)
            self.assertIn("идентификатор кампании Яндекс Маркета", message)
            self.assertEqual(len(self.server.requests), calls)

            Account.write([account], {'login': self.server.campaign})
            self.server.errors[('GET', 'orders')] = (
                400, 'BAD_REQUEST', "updatedAtFrom is out of range")
            log = run_sync(account)
            self.assertEqual(log.state, 'failed')
            self.assertIn("Яндекс Маркет ответил ошибкой HTTP 400 "
                "BAD_REQUEST: updatedAtFrom is out of range",
                self.messages(log)[0])
            self.assertEqual(self.parcels(market), [])
            self.assertIsNone(account.points[0].cursor)

    @with_transaction(context=RU)
    def test_slow_and_truncated_answers(self):
        "A time-out and half a body fail the run: nothing is written"
        company, point, market, account = self.fixture(timeout=1)
        for number in range(6201, 6204):
            self.add(number)
        with set_company(company):
            self.server.sleep = 1.2
            log = run_sync(account)
            self.assertEqual(log.state, 'failed')
            self.assertIn("Яндекс Маркет не ответил за 1 с",
                self.messages(log)[0])

            # the second page arrives cut in half, after the first is read
            self.server.sleep = 0
            self.server.page_size = 2
            self.server.truncate, self.server.intact = True, (
                len(self.server.requests) + 3)
            log = run_sync(account)
            self.assertEqual(log.state, 'failed')
            self.assertIn("Яндекс Маркет прислал нечитаемый ответ",
                self.messages(log)[-1])
            self.assertEqual(self.parcels(market), [])
            self.assertIsNone(account.points[0].cursor)

    @with_transaction(context=RU)
    def test_lookup(self):
        company, point, market, account = self.fixture()
        self.add(6301, status='PICKUP', storage='30-11-2026')
        with set_company(company):
            connector = account.get_connector()
            parcel = connector.lookup('6301')
            self.assertEqual((parcel.order_number, parcel.point_code,
                    parcel.recipient_phone, parcel.storage_until),
                ('6301', OUTLET, '+79161234567', dt.date(2026, 11, 30)))
            self.assertIsNone(connector.lookup('6399'))
            calls = len(self.server.requests)
            # not a number: not an order of the Market, no call
            self.assertIsNone(connector.lookup('HR-1'))
            self.assertEqual(len(self.server.requests), calls)

    # -- the limit of 2 requests in flight -----------------------------------

    @with_transaction(context=RU)
    def test_never_more_than_two_requests_in_flight(self):
        """Threads of one process share the key's 2 slots: the Market never
        answers 420; a 420 all the same is retried, then refused"""
        company, point, market, account = self.fixture()
        server = self.server
        for number in range(7001, 7007):
            self.add(number)
        # the server does answer 420 beyond 2 requests in flight
        server.latency = 0.3
        start = threading.Barrier(3)

        def raw():
            start.wait()
            requests.get(f'{server.url}/v2/campaigns/{server.campaign}'
                '/orders/7001', headers={'Api-Key': server.api_key},
                timeout=5)
        threads = [threading.Thread(target=raw) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(server.throttled, 1)

        server.throttled = server.max_in_flight = 0
        server.latency = 0.05
        with set_company(company):
            # read in the thread of the transaction, used by the others
            connectors = [account.get_connector() for _ in range(4)]
            for connector in connectors:
                connector._setup()
            results, errors = {}, []
            start = threading.Barrier(5)

            def lookups(i):
                start.wait()
                try:
                    for number in range(7001, 7004):
                        results[(i, number)] = connectors[i].lookup(
                            str(number)).recipient_phone
                except Exception as exception:
                    errors.append(exception)

            def push():
                start.wait()
                try:
                    results['push'] = connectors[3].push_events([{
                                'key': f'k{n}', 'kind': 'accepted',
                                'order_number': str(n), 'date': '',
                                } for n in range(7004, 7007)])
                except Exception as exception:
                    errors.append(exception)
            threads = [threading.Thread(target=lookups, args=(i,))
                for i in range(3)] + [threading.Thread(target=push)]
            for thread in threads:
                thread.start()
            start.wait()
            for thread in threads:
                thread.join()
            self.assertEqual(errors, [])
            self.assertEqual(sorted(results.pop('push')), ['k7004', 'k7005',
                    'k7006'])
            self.assertEqual(set(results.values()), {'+79161234567'})
            self.assertEqual(len(results), 9)
            self.assertEqual(server.throttled, 0)
            self.assertEqual(server.max_in_flight, 2)

            # a 420 from elsewhere: retried after a short wait
            server.latency = 0
            server.force_420 = 1
            self.assertEqual(connectors[0].lookup('7001').order_number,
                '7001')
            self.assertEqual(server.force_420, 0)
            # and again and again: a message, no endless loop
            server.force_420 = 10
            with self.assertRaises(ConnectorError) as raised:
                connectors[0].lookup('7001')
            self.assertIn(
                "Яндекс Маркет ограничивает число запросов: повторите "
                "через 1 с", str(raised.exception))
            self.assertEqual(server.force_420, 7)

    # -- outbound ------------------------------------------------------------

    @with_transaction(context=RU)
    def test_push_statuses_and_resend(self):
        """The outbox's kinds as the Market's statuses; an order already in
        the target status is acknowledged, never changed twice"""
        company, point, market, account = self.fixture()
        server = self.server
        self.add(8001)
        self.add(8002, status='PICKUP')
        self.add(8003, status='PICKUP')
        self.add(8004, status='PICKUP')
        self.add(8005, status='CANCELLED', substatus='USER_REFUSED_PRODUCT')
        self.add(8006)

        def message(key, kind, number):
            return {'key': key, 'sequence': key, 'kind': kind,
                'order_number': number, 'point_code': OUTLET,
                'date': '2026-11-20T12:30:00Z'}
        messages = [
            message(1, 'accepted', '8001'),
            message(2, 'issued', '8002'),
            message(3, 'refused', '8003'),
            message(4, 'returned', '8004'),
            # refused before: cancelled already
            message(5, 'returned', '8005'),
            # issued while on its way: the Market refuses
            message(6, 'issued', '8006'),
            message(7, 'lost', '8001'),
            message(8, 'damaged', '8001'),
            ]
        with set_company(company):
            connector = account.get_connector()
            self.assertTrue(connector.supports('push_events'))
            self.assertTrue(connector.push_idempotent)
            acked = connector.push_events(messages)
            self.assertEqual(sorted(acked), [1, 2, 3, 4, 5, 7, 8])
            expected = {
                (8001, 'PICKUP', 'PICKUP_SERVICE_RECEIVED'),
                (8002, 'DELIVERED', 'DELIVERY_SERVICE_DELIVERED'),
                (8003, 'CANCELLED', 'USER_REFUSED_PRODUCT'),
                (8004, 'CANCELLED', 'PICKUP_EXPIRED'),
                }
            self.assertEqual(set(server.transitions), expected)
            self.assertEqual(len(server.transitions), 4)
            body = server.calls('status', 'PUT')[0][3]
            self.assertEqual(set(body['order']), {'status', 'substatus'})

            # a resend after a crash: the same answers, nothing twice
            self.assertEqual(sorted(connector.push_events(messages)),
                [1, 2, 3, 4, 5, 7, 8])
            self.assertEqual(len(server.transitions), 4)
            self.assertEqual(server.orders[8006]['status'], 'DELIVERY')

            # the Market down or the key revoked: nothing acknowledged
            server.api_key = 'revoked'
            with self.assertRaises(ConnectorError) as raised:
                connector.push_events(messages[:1])
            self.assertIn("отклонил API-ключ", str(raised.exception))

    def test_sync_accept_issue_refuse_round_trip(self):
        """Synced orders accepted, one issued with the Market's code, one
        refused: the sender moves the Market's orders; a sender that died
        after its call resends, and the Market's order is not moved twice"""
        server = self.server
        for number in [9501, 9502, 9503]:
            self.add(number, payment='PREPAID')

        company_id, point_id, _, _ = self.ids

        def setup():
            pool = Pool()
            company = pool.get('company.company')(company_id)
            point = pool.get('multipoint.point')(point_id)
            with set_company(company):
                market = create_supplier("Маркет RT", storage_days=7,
                    max_extension_days=10)
                account = create_account(company, market, {point: OUTLET},
                    connector='yandex_market', url=server.url,
                    login=server.campaign, token=server.api_key)
            return market.id, account.id
        market_id, account_id = committed(setup)

        def in_company(func):
            def run():
                pool = Pool()
                company = pool.get('company.company')(company_id)
                with set_company(company), Transaction().set_context(RU):
                    return func(pool)
            return committed(run)

        def sync(pool):
            account = pool.get('multipoint.supplier.account')(account_id)
            log = run_sync(account)
            return log.state, log.fetched, log.created, log.updated

        def parcels(pool):
            return {p.order_number: p for p in pool.get(
                    'multipoint.parcel').search([
                        ('supplier', '=', market_id)])}

        def outbox(pool):
            return sorted((r.parcel.order_number, r.kind, r.state)
                for r in pool.get('multipoint.supplier.outbox').search([
                        ('account', '=', account_id)]))

        def send():
            return committed(
                lambda: outbox_sender.Sender(account_id).run())

        self.assertEqual(in_company(sync), ('done', 3, 3, 0))
        in_company(lambda pool: accept_and_store(
                list(parcels(pool).values())))
        self.assertTrue(send())
        self.assertEqual({(n, s) for n, s, _ in server.transitions},
            {(9501, 'PICKUP'), (9502, 'PICKUP'), (9503, 'PICKUP')})
        self.assertEqual({s for _, _, s in in_company(outbox)}, {'sent'})

        # a sender died after its call, before its commit
        def crash(pool):
            Outbox = pool.get('multipoint.supplier.outbox')
            row, = Outbox.search([('account', '=', account_id),
                    ('parcel.order_number', '=', '9503')])
            table = Outbox.__table__()
            Transaction().connection.cursor().execute(*table.update(
                    [table.state], ['sending'], where=table.id == row.id))
        in_company(crash)
        self.assertTrue(send())
        self.assertEqual({s for _, _, s in in_company(outbox)}, {'sent'})
        self.assertEqual(len(server.transitions), 3)
        self.assertEqual(len(server.calls('status', 'PUT')), 4)

        # the Market's storage date comes with the next sync
        self.assertEqual(in_company(sync), ('done', 3, 0, 3))
        limit = dt.datetime.strptime(server.orders[9501]['delivery'][
                'outletStorageLimitDate'], '%d-%m-%Y').date()
        self.assertEqual(in_company(lambda pool: {p.storage_deadline
                    for p in parcels(pool).values()}), {limit})

        def issue_and_refuse(pool):
            Parcel = pool.get('multipoint.parcel')
            found = parcels(pool)
            shoes, coat = found['9501'], found['9502']
            # as the desk's request does: the rows locked first (the
            # transaction restarts to take the locks, before any call)
            Parcel.lock([shoes, coat])
            self.assertEqual(Parcel.check_codes({shoes: '5731'}), {})
            Parcel.issue_to_recipient([shoes], shoes.point,
                {shoes: ('code', '5731')})
            Parcel.refuse_at_desk([coat], "Не подошёл размер")
        in_company(issue_and_refuse)
        self.assertTrue(send())
        self.assertEqual(set(server.transitions[3:]), {
                (9501, 'DELIVERED', 'DELIVERY_SERVICE_DELIVERED'),
                (9502, 'CANCELLED', 'USER_REFUSED_PRODUCT'),
                })
        self.assertEqual(in_company(outbox), [
                ('9501', 'accepted', 'sent'), ('9501', 'issued', 'sent'),
                ('9502', 'accepted', 'sent'), ('9502', 'refused', 'sent'),
                ('9503', 'accepted', 'sent')])
        self.assertEqual(len(server.calls('verifyEac')), 1)

    # -- the Market's checks at the desk -------------------------------------

    def desk(self, company, point, market, numbers, status='PICKUP'):
        """Parcels of the Market's orders numbers at point, accepted and
        stored, with the Market's orders: {number: parcel}, and the local
        codes {number: code}"""
        Parcel = Pool().get('multipoint.parcel')
        parcels = {}
        for number in numbers:
            self.add(number, status=status, payment='PREPAID',
                eac=f'{number % 10000:04d}')
            parcels[number] = create_parcel(point, market, str(number),
                [str(number)], prepaid=True, cod_amount=Decimal(0))
        accept_and_store(list(parcels.values()))
        parcels = {n: Parcel(p.id) for n, p in parcels.items()}
        codes = Parcel.generate_codes(list(parcels.values()))
        return parcels, {n: codes[p] for n, p in parcels.items()}

    @with_transaction(context=RU)
    def test_issue_code_checked_by_the_market(self):
        """A code other than ours goes to the Market; its answer decides,
        with its attempts; ours still works locally; the Market out of
        reach refuses the code without counting it"""
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Account = pool.get('multipoint.supplier.account')
        company, point, market, account = self.fixture()
        server = self.server
        with set_company(company):
            found, local = self.desk(company, point, market,
                [9001, 9002, 9003, 9004, 9005])
            p1, p2, p3, p4, p5 = (found[n] for n in sorted(found))

            # the Market's code: accepted, asked once for check and issue
            self.assertEqual(Parcel.check_codes({p1: '9001'}), {})
            Parcel.issue_to_recipient([p1], point, {p1: ('code', '9001')})
            self.assertEqual(Parcel(p1.id).state, 'issued')
            self.assertEqual(len(server.calls('verifyEac')), 1)
            body = server.calls('verifyEac')[0][3]
            self.assertEqual(body, {'code': '9001'})

            # a wrong code: the Market's attempts, counted here too
            failures = Parcel.check_codes({p2: '1111'})
            self.assertEqual(failures[p2],
                f"Неверный код посылки {p2.rec_name}: Яндекс Маркет его не "
                "принял (осталось попыток: 2).")
            self.assertEqual(Parcel(p2.id).code_attempts, 1)
            # our own code: no call
            calls = len(server.calls('verifyEac'))
            self.assertEqual(Parcel.check_codes({p2: local[9002]}), {})
            self.assertEqual(len(server.calls('verifyEac')), calls)
            self.assertEqual(Parcel(p2.id).code_attempts, 0)
            Parcel.check_codes({p2: '1111'})
            failures = Parcel.check_codes({p2: '2222'})
            self.assertIn("попытки исчерпаны: Яндекс Маркет пришлёт "
                "получателю новый код", failures[p2])

            # issue without check_codes: the Market is asked there
            with self.assertRaises(IssueError) as raised:
                Parcel.issue_to_recipient([p3], point, {p3: ('code', '33')})
            self.assertIn("Яндекс Маркет его не принял",
                raised.exception.message)
            Parcel.issue_to_recipient([p3], point, {p3: ('code', '9003')})
            self.assertEqual(Parcel(p3.id).state, 'issued')

            # the Market fails: the code is refused, not counted
            server.errors[('PUT', 'verifyEac')] = (
                500, 'INTERNAL_ERROR', "Internal error")
            failures = Parcel.check_codes({p4: '9004'})
            self.assertEqual(failures[p4],
                f"Код посылки {p4.rec_name} не удалось проверить: Яндекс "
                "Маркет ответил ошибкой HTTP 500 INTERNAL_ERROR: Internal "
                "error")
            self.assertEqual(Parcel(p4.id).code_attempts, 0)
            # ours still works: the desk is not stopped
            self.assertEqual(Parcel.check_codes({p4: local[9004]}), {})
            del server.errors[('PUT', 'verifyEac')]

            # a supplier without such an account: the local check only
            other = create_supplier("Hermes")
            book = create_parcel(point, other, 'H-1', prepaid=True,
                cod_amount=Decimal(0))
            accept_and_store([book])
            book = Parcel(book.id)
            code = Parcel.generate_codes([book])[book]
            calls = len(server.calls('verifyEac'))
            self.assertIn(book, Parcel.check_codes({book: '9005'}))
            self.assertEqual(Parcel.check_codes({book: code}), {})
            self.assertEqual(len(server.calls('verifyEac')), calls)

            # an operator: the Market checks the code for them, the key of
            # the account stays unreadable
            operator = create_user('ym-operator', ['operator'], [point],
                company)
            with Transaction().set_user(operator.id), check_access():
                self.assertEqual(Parcel.check_codes(
                        {Parcel(p5.id): '9005'}), {})
                with self.assertRaises(AccessError):
                    Account.read([account.id], ['token'])

    @with_transaction(context=RU)
    def test_unreachable_market(self):
        "The Market out of reach: codes and extensions refused with why"
        Parcel = Pool().get('multipoint.parcel')
        company, point, _, _ = self.fixture()
        market = create_supplier(
            "Маркет 2", storage_days=7, max_extension_days=10)
        with set_company(company):
            create_account(company, market, {point: OUTLET},
                connector='yandex_market',
                url=f'http://127.0.0.1:{free_port()}',
                login=self.server.campaign, token=self.server.api_key)
            found, local = self.desk(company, point, market, [9201])
            parcel = found[9201]
            failures = Parcel.check_codes({parcel: '9201'})
            self.assertIn("не удалось проверить: Яндекс Маркет недоступен",
                failures[parcel])
            deadline = parcel.storage_deadline
            with self.assertRaises(StorageError) as raised:
                Parcel.extend_storage([parcel], 2, "менеджер")
            self.assertIn(f"Хранение посылки {parcel.rec_name} не продлено: "
                "Яндекс Маркет недоступен", raised.exception.message)
            self.assertEqual(Parcel(parcel.id).storage_deadline, deadline)

    @with_transaction(context=RU)
    def test_extend_storage_asks_the_market(self):
        """The Market extends first, once, by 30 days at most, in PICKUP;
        any refusal leaves the local deadline as it was"""
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        company, point, market, account = self.fixture()
        server = self.server
        with set_company(company):
            found, _ = self.desk(company, point, market,
                [9101, 9102, 9103, 9104, 9105])
            for number, parcel in found.items():
                # the Market's date is ours (a sync brings it)
                server.orders[number]['delivery'][
                    'outletStorageLimitDate'] = (
                    parcel.storage_deadline.strftime('%d-%m-%Y'))

            def unchanged(parcel):
                again = Parcel(parcel.id)
                self.assertEqual((again.storage_deadline,
                        again.extended_days),
                    (parcel.storage_deadline, parcel.extended_days or 0))

            def extend(parcel, days):
                with self.assertRaises(StorageError) as raised:
                    Parcel.extend_storage([parcel], days, "менеджер")
                unchanged(parcel)
                return raised.exception.message

            first = found[9101]
            deadline = first.storage_deadline
            Parcel.extend_storage([first], 3, "менеджер")
            first = Parcel(first.id)
            self.assertEqual(first.storage_deadline,
                deadline + dt.timedelta(days=3))
            self.assertEqual(first.extended_days, 3)
            self.assertEqual(server.extensions,
                [(9101, deadline + dt.timedelta(days=3))])
            body = server.calls('storage-limit')[0][3]
            self.assertEqual(body, {'newDate': (
                        deadline + dt.timedelta(days=3)).isoformat()})

            # once only: refused before any call
            calls = len(server.requests)
            self.assertEqual(extend(first, 2),
                f"Хранение посылки {first.rec_name} не продлено: Яндекс "
                "Маркет продлевает хранение заказа 9101 только один раз, и "
                "оно уже продлено.")
            self.assertEqual(len(server.requests), calls)

            # 30 days after the Market's date at most: refused before the
            # call that would extend
            second = found[9102]
            limit = second.storage_deadline - dt.timedelta(days=28)
            server.orders[9102]['delivery']['outletStorageLimitDate'] = (
                limit.strftime('%d-%m-%Y'))
            message = extend(second, 5)
            self.assertIn("не более чем на 30 дней: до "
                + (limit + dt.timedelta(days=30)).strftime('%d.%m.%Y'),
                message)
            self.assertEqual(server.calls('storage-limit')[1:], [])

            # in PICKUP only
            server.orders[9103]['status'] = 'DELIVERY'
            self.assertIn("только пока он ждёт в пункте выдачи (статус "
                "заказа: DELIVERY)", extend(found[9103], 2))

            # the Market's own refusal, shown
            server.errors[('PUT', 'storage-limit')] = (
                400, 'BAD_REQUEST', "Storage limit cannot be changed")
            self.assertIn("Яндекс Маркет ответил ошибкой HTTP 400 "
                "BAD_REQUEST: Storage limit cannot be changed",
                extend(found[9104], 2))
            del server.errors[('PUT', 'storage-limit')]

            # the point's own limit (10 days): the Market is not asked
            calls = len(server.requests)
            message = extend(found[9105], 20)
            self.assertNotIn("Яндекс", message)
            self.assertEqual(len(server.requests), calls)

            # another supplier's parcel: extended here only
            other = create_supplier("Hermes", storage_days=7,
                max_extension_days=7)
            book = create_parcel(point, other, 'H-2')
            accept_and_store([book])
            book = Parcel(book.id)
            Parcel.extend_storage([book], 2, "менеджер")
            self.assertEqual(Parcel(book.id).extended_days, 2)
            self.assertEqual(len(server.requests), calls)


del DBTestCase
