"""The CDEK connector against a local server speaking CDEK's API v2, through
the real account, sync engine and upsert; the ORDER_STATUS webhook through
trytond's WSGI application"""
import datetime as dt
import json
import time
from decimal import Decimal
from unittest import mock

from trytond.model.exceptions import AccessError, AccessButtonError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    committed, create_parcel, create_point, create_supplier)
from trytond.modules.multipoint_suppliers import connector_cdek
from trytond.modules.multipoint_suppliers.connector import ConnectorError
from trytond.modules.multipoint_suppliers.tests.cdek_server import (
    MSK, CdekServer, order, webhook)
from trytond.modules.multipoint_suppliers.tests.tools import (
    create_account, run_sync)
from trytond.modules.multipoint_suppliers.upsert import Upsert
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase, with_transaction
from trytond.transaction import Transaction, check_access

RU = {'language': 'ru'}


def at(day, hour, minute=0):
    "A Moscow time of November 2026"
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=MSK)


def utc(date):
    return date.astimezone(dt.timezone.utc).replace(tzinfo=None)


class CdekConnectorTestCase(RouteTestCase):
    module = 'multipoint_suppliers'
    language = 'ru'

    @classmethod
    def setUpClass(cls):
        # the accounts committed for the webhook tests name its address
        cls.server = CdekServer().__enter__()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__()
        super().tearDownClass()

    @classmethod
    def setUpDatabase(cls):
        "Committed: an account whose webhook the tests call over HTTP"
        company = create_company()
        with set_company(company):
            point = create_point(company, 'MSK1')
            cdek = create_supplier("СДЭК")
            account = create_account(company, cdek, {point: 'MSK-CDEK-1'},
                connector='cdek', url=cls.server.url,
                login=cls.server.client_id,
                password=cls.server.client_secret)
            # another connector's account has a token too: not CDEK's
            other = create_account(company, create_supplier("Ромашка"),
                {point: 'R-1'})
            for number in ['1106200001', '1106200002', '1106200003',
                    '1106200004']:
                create_parcel(point, cdek, number)
        cls.company, cls.account = company.id, account.id
        cls.token = account.cdek_webhook_token
        cls.other_token = other.cdek_webhook_token

    def setUp(self):
        super().setUp()
        self.server.reset()
        # every test starts without a kept token
        connector_cdek._tokens.clear()

    # -- helpers -----------------------------------------------------------

    def fixture(self, **values):
        company = create_company()
        point = create_point(company, 'KZN1')
        cdek = create_supplier("СДЭК Казань")
        values = dict({'url': self.server.url,
                'login': self.server.client_id,
                'password': self.server.client_secret}, **values)
        with set_company(company):
            account = create_account(company, cdek, {point: 'KZN-CDEK-1'},
                connector='cdek', **values)
        return company, point, cdek, account

    def supplier_events(self, parcel):
        Event = Pool().get('multipoint.parcel.event')
        return [e.detail for e in Event.search([
                    ('parcel', '=', parcel.id), ('kind', '=', 'note'),
                    ], order=[('date', 'ASC'), ('id', 'ASC')])]

    def user(self, login, group, company):
        "A user of one Multipoint group (no password: hashing is slow)"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        user, = User.create([{
                    'login': login, 'name': login,
                    'groups': [('add', [ModelData.get_id(
                                    'multipoint_core', f'group_{group}')])],
                    'companies': [('add', [company.id])],
                    'company': company.id,
                    }])
        return user

    def post(self, token, body):
        data = body if isinstance(body, bytes) else json.dumps(body)
        return self.client().post(
            f'/{self.db_name}/multipoint/suppliers/cdek/{token}',
            data=data, content_type='application/json')

    def committed_events(self, number):
        "The supplier events and CDEK statuses of a committed parcel"
        def read():
            pool = Pool()
            Parcel = pool.get('multipoint.parcel')
            Status = pool.get('multipoint.supplier.cdek.status')
            parcel, = Parcel.search([('order_number', '=', number)])
            return self.supplier_events(parcel), [
                (s.code, s.source) for s in Status.search(
                    [('parcel', '=', parcel.id)], order=[('date', 'ASC')])]
        return committed(read)

    # -- lookup and tokens -------------------------------------------------

    @with_transaction(context=RU)
    def test_lookup_by_numbers_then_upsert(self):
        """An order by CDEK number or IM number as ParcelData: money in
        Decimal, packages as places, items as lines; one token for all"""
        company, point, cdek, account = self.fixture()
        self.server.orders = [
            order('1106100001', 'IM-1', point='KZN-CDEK-1', items=[
                    ("Кроссовки", 'SN-42', 2, 1500.5, 20),
                    ("Носки", 'SC-1', 3, 99, None)], fee=199),
            order('1106100002', 'IM-2', items=[
                    ("Книга", 'BK-1', 1, 0, None)], fee=0),
            ]
        with set_company(company):
            connector = account.get_connector()
            parcel = connector.lookup('1106100001')
            self.assertEqual(parcel.order_number, '1106100001')
            self.assertEqual(parcel.point_code, 'KZN-CDEK-1')
            self.assertEqual((parcel.recipient_name, parcel.recipient_phone),
                ("Иванова Анна", '+79161234567'))
            # the goods to collect apart from the delivery paid at the point
            self.assertEqual(parcel.cod_amount, Decimal('3298.00'))
            self.assertIsInstance(parcel.cod_amount, Decimal)
            self.assertEqual(parcel.delivery_fee, Decimal('199.00'))
            self.assertFalse(parcel.prepaid)
            self.assertEqual([p.barcode for p in parcel.places],
                ['110610000101'])
            self.assertEqual(parcel.weight, 1.2)
            self.assertEqual([(l.name, l.quantity, l.unit_price, l.article,
                        l.vat_rate) for l in parcel.lines], [
                    ("Кроссовки", 2, Decimal('1500.50'), 'SN-42', '20'),
                    ("Носки", 3, Decimal('99.00'), 'SC-1', None)])

            # the sender's number, another connector of the same account
            prepaid = account.get_connector().lookup('IM-2')
            self.assertEqual(prepaid.order_number, '1106100002')
            self.assertTrue(prepaid.prepaid)
            self.assertEqual(prepaid.cod_amount, Decimal('0.00'))

            # unknown: 404, or 400 with v2_entity_not_found
            self.assertIsNone(connector.lookup('1106999999'))
            self.server.not_found_status = 400
            self.assertIsNone(connector.lookup('IM-404'))

            self.assertEqual(self.server.token_requests, 1)
            methods = [(m, p, q) for m, p, q, _ in self.server.requests]
            self.assertEqual(methods[:3], [
                    ('GET', '/orders', {'cdek_number': '1106100001'}),
                    ('GET', '/orders', {'im_number': 'IM-2'}),
                    ('GET', '/orders', {'cdek_number': '1106999999'})])
            self.assertEqual(
                {a for *_, a in self.server.requests}, {
                    f'Bearer {t}' for t in self.server.tokens})

            # the ParcelData goes through the upsert like a sync's
            plan = Upsert(account, point).plan([parcel])
            self.assertEqual(plan.errors, [])
            Upsert(account, point).apply(plan)
            Parcel = Pool().get('multipoint.parcel')
            created, = Parcel.search([('supplier', '=', cdek.id)])
            self.assertEqual(created.point, point)
            self.assertEqual(created.cod_amount, Decimal('3298.00'))
            self.assertEqual(created.amount_due, Decimal('3497.00'))
            self.assertEqual(len(created.lines), 2)
            self.assertEqual(created.places[0].barcode, '110610000101')

    @with_transaction(context=RU)
    def test_token_renewed_before_it_expires(self):
        company, point, cdek, account = self.fixture()
        self.server.orders = [order('1106100001', 'IM-1')]
        self.server.expires_in = 2
        with set_company(company):
            connector = account.get_connector()
            connector.lookup('1106100001')
            connector.lookup('1106100001')
            self.assertEqual(self.server.token_requests, 1)
            # kept for half of a short life: renewed before CDEK refuses it
            time.sleep(1.1)
            self.assertTrue(connector.lookup('1106100001'))
            self.assertEqual(self.server.token_requests, 2)
            self.assertEqual(len(self.server.tokens), 2)

    @with_transaction(context=RU)
    def test_token_refused_is_renewed_once(self):
        company, point, cdek, account = self.fixture()
        self.server.orders = [order('1106100001', 'IM-1')]
        with set_company(company):
            connector = account.get_connector()
            connector.lookup('1106100001')
            # CDEK forgets the token before its time: one new one
            self.server.revoke_tokens()
            self.assertTrue(connector.lookup('1106100001'))
            self.assertEqual(self.server.token_requests, 2)
            self.assertEqual(len(self.server.requests), 3)

            # refused again with a new token: the account's rights
            self.server.refuse_tokens = True
            with self.assertRaises(ConnectorError) as context:
                connector.lookup('1106100001')
            self.assertIn("CDEK отклонил логин или пароль",
                str(context.exception))
            self.assertEqual(self.server.token_requests, 3)

    @with_transaction(context=RU)
    def test_bad_credentials_in_russian_without_secret(self):
        company, point, cdek, account = self.fixture(
            password='wrong-secret-123')
        with set_company(company):
            create_parcel(point, cdek, '1106100001')
            log = run_sync(account)
        self.assertEqual(log.state, 'failed')
        message, = [l.message for l in log.lines]
        self.assertIn("CDEK отклонил логин или пароль", message)
        self.assertIn("Bad client credentials", message)
        self.assertNotIn('wrong-secret-123', message)
        self.assertEqual(self.server.requests, [])

    @with_transaction(context=RU)
    def test_errors_in_russian(self):
        "CDEK's error bodies, 429, half a body, a time-out"
        company, point, cdek, account = self.fixture(timeout=1)
        self.server.orders = [order('1106100001', 'IM-1')]

        def error():
            with self.assertRaises(ConnectorError) as context:
                account.get_connector().lookup('1106100001')
            return str(context.exception)

        with set_company(company):
            self.server.fail = (500, {'errors': [{
                            'code': 'v2_internal_error',
                            'message': "Внутренняя ошибка сервиса"}]})
            self.assertEqual(error(), "CDEK ответил ошибкой "
                "v2_internal_error (HTTP 500): Внутренняя ошибка сервиса")
            self.server.fail = (400, {'requests': [{'type': 'GET',
                            'state': 'INVALID', 'errors': [{'code':
                                    'v2_similar_request_still_processed',
                                    'message': "Запрос ещё обрабатывается",
                                    }]}]})
            self.assertIn("v2_similar_request_still_processed (HTTP 400): "
                "Запрос ещё обрабатывается", error())
            self.server.fail = (502, {})
            self.assertIn("CDEK ответил ошибкой HTTP 502", error())
            self.server.fail = None

            # a short wait is waited, a long one is not
            self.server.throttle, self.server.retry_after = 1, '0'
            self.assertTrue(account.get_connector().lookup('1106100001'))
            self.server.throttle, self.server.retry_after = 5, '120'
            self.assertEqual(error(), "CDEK ограничивает число запросов: "
                "повторите через 120 с.")
            self.server.throttle = 0

            self.server.truncate = True
            self.assertIn("CDEK прислал нечитаемый ответ", error())
            self.server.truncate = False

            # a wrong address is no "order not found"
            account.url = self.server.url.replace('/v2/', '/v1/')
            account.save()
            self.assertEqual(error(),
                "CDEK ответил ошибкой HTTP 404 : Not Found")
            account.url = self.server.url
            account.save()

            self.server.sleep = 1.3
            self.assertEqual(error(), "CDEK не ответил за 1 с.")

    # -- the reconciliation poll -----------------------------------------

    @with_transaction(context=RU)
    def test_sync_records_current_statuses_once(self):
        """A sync polls the parcels still in play, records each new current
        status as a supplier event; a parcel CDEK has delivered is not
        polled again"""
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        company, point, cdek, account = self.fixture()
        with set_company(company):
            coming = create_parcel(point, cdek, '1106300001')
            delivered = create_parcel(point, cdek, '1106300002')
            unknown = create_parcel(point, cdek, '1106300003')
            cancelled = create_parcel(point, cdek, '1106300004')
            Parcel.cancel([cancelled])
        self.server.orders = [
            order('1106300001', 'IM-31', statuses=[
                    ('CREATED', at(18, 9)),
                    ('SENT_TO_RECIPIENT_CITY', at(19, 21, 30))]),
            order('1106300002', 'IM-32', statuses=[
                    ('ACCEPTED_AT_PICK_UP_POINT', at(19, 10)),
                    ('DELIVERED', at(20, 12))]),
            order('1106300004', 'IM-34', statuses=[('CREATED', at(18, 9))]),
            ]
        with set_company(company):
            log = run_sync(account)
            self.assertEqual(log.state, 'done', [l.message for l in log.lines])
            self.assertEqual(self.supplier_events(coming), [
                    "Статус поставщика (СДЭК Казань (cdek)): Едет в пункт "
                    "выдачи (SENT_TO_RECIPIENT_CITY, Москва), "
                    "2026-11-19 18:30"])
            self.assertEqual(self.supplier_events(delivered), [
                    "Статус поставщика (СДЭК Казань (cdek)): Вручён "
                    "получателю (DELIVERED, Москва), 2026-11-20 09:00"])
            self.assertEqual(self.supplier_events(unknown), [])
            self.assertEqual(self.supplier_events(cancelled), [])
            polled = [q.get('cdek_number') for _, _, q, _ in
                self.server.requests]
            self.assertNotIn('1106300004', polled)
            self.assertEqual(type(account)(account.id).cursor, '0')

            # nothing new: nothing recorded; the delivered one is left
            self.server.requests.clear()
            log = run_sync(account)
            self.assertEqual(log.state, 'done')
            self.assertEqual(len(self.supplier_events(coming)), 1)
            self.assertEqual(len(self.supplier_events(delivered)), 1)
            # by the uuid known now; the unknown one by both its numbers
            self.assertEqual([(p, q) for _, p, q, _ in self.server.requests],
                [(f'/orders/{self.server.orders[0]["uuid"]}', {}),
                    ('/orders', {'cdek_number': '1106300003'}),
                    ('/orders', {'im_number': '1106300003'})])

    @with_transaction(context=RU)
    def test_poll_in_batches(self):
        "A batch of parcels per run, the next run goes on, then wraps"
        company, point, cdek, account = self.fixture()
        with set_company(company):
            parcels = [create_parcel(point, cdek, f'110640000{i}')
                for i in range(1, 6)]
        self.server.orders = [order(p.order_number, f'IM-4{i}', statuses=[
                    ('ACCEPTED_AT_PICK_UP_POINT', at(20, 10, i))])
            for i, p in enumerate(parcels)]
        with set_company(company), \
                mock.patch.object(connector_cdek, 'POLL_BATCH', 2):
            Account = type(account)
            run_sync(account)
            self.assertEqual(Account(account.id).cursor, str(parcels[1].id))
            self.assertEqual([len(self.supplier_events(p)) for p in parcels],
                [1, 1, 0, 0, 0])
            run_sync(account)
            run_sync(account)
            self.assertEqual(Account(account.id).cursor, '0')
            self.assertEqual([len(self.supplier_events(p)) for p in parcels],
                [1, 1, 1, 1, 1])
            self.assertEqual(len(self.server.requests), 5)

    # -- the webhook -------------------------------------------------------

    def test_webhook_recorded_once(self):
        "The same webhook twice: one event; the next status: another"
        cdek_order = order('1106200001', 'IM-21')
        accepted = webhook(cdek_order, 'ACCEPTED_AT_PICK_UP_POINT',
            at(21, 11, 5))
        for _ in range(2):
            response = self.post(self.token, accepted)
            self.assertEqual(response.status_code, 200, response.data)
        events, statuses = self.committed_events('1106200001')
        self.assertEqual(events, [
                "Статус поставщика (СДЭК (cdek)): В пункте выдачи "
                "(ACCEPTED_AT_PICK_UP_POINT, Москва), 2026-11-21 08:05"])
        self.assertEqual(statuses, [('ACCEPTED_AT_PICK_UP_POINT', 'webhook')])

        # the order's uuid again, another status
        response = self.post(self.token,
            webhook(cdek_order, 'DELIVERED', at(21, 18)))
        self.assertEqual(response.status_code, 200)
        events, statuses = self.committed_events('1106200001')
        self.assertEqual(len(events), 2)
        self.assertIn("Вручён получателю (DELIVERED", events[1])

    def test_webhook_wrong_token_denied(self):
        body = webhook(order('1106200002', 'IM-22'), 'DELIVERED', at(21, 12))
        for token in ['x' * 32, self.token[:-1], self.other_token]:
            response = self.post(token, body)
            self.assertEqual(response.status_code, 404, token)
        self.assertEqual(self.committed_events('1106200002'), ([], []))
        # the right one
        self.assertEqual(self.post(self.token, body).status_code, 200)
        self.assertEqual(len(self.committed_events('1106200002')[0]), 1)

    def test_webhook_malformed_or_not_ours(self):
        cdek_order = order('1106200003', 'IM-23')
        body = json.dumps(webhook(cdek_order, 'DELIVERED', at(21, 12)))
        response = self.post(self.token, body[:40].encode())
        self.assertEqual(response.status_code, 400)
        response = self.post(self.token, {'type': 'ORDER_STATUS'})
        self.assertEqual(response.status_code, 400)
        response = self.post(self.token, [1, 2])
        self.assertEqual(response.status_code, 400)
        # another kind of webhook, an order that is none of our parcels:
        # taken, so that CDEK does not send them again
        response = self.post(self.token, {'type': 'PRINT_FORM',
                'uuid': cdek_order['uuid'], 'attributes': {}})
        self.assertEqual(response.status_code, 200)
        stranger = webhook(order('1199999999', 'IM-99'), 'DELIVERED',
            at(21, 12))
        with self.assertLogs('trytond.modules.multipoint_suppliers'
                '.cdek_webhook', 'INFO') as logs:
            response = self.post(self.token, stranger)
        self.assertEqual(response.status_code, 200)
        self.assertIn('1199999999', logs.output[0])
        self.assertEqual(self.committed_events('1106200003'), ([], []))

    def test_poll_finds_what_the_webhook_missed(self):
        """The webhook brought "at the point", the "delivered" one never
        came: the sync's poll records it, and not the first one again"""
        cdek_order = order('1106200004', 'IM-24', point='MSK-CDEK-1',
            statuses=[('SENT_TO_RECIPIENT_CITY', at(20, 8)),
                ('ACCEPTED_AT_PICK_UP_POINT', at(21, 11))])
        self.server.orders = [cdek_order]
        response = self.post(self.token,
            webhook(cdek_order, 'ACCEPTED_AT_PICK_UP_POINT', at(21, 11)))
        self.assertEqual(response.status_code, 200)
        self.server.set_status('1106200004', 'DELIVERED', at(22, 15, 45))

        def sync():
            SyncLog = Pool().get('multipoint.supplier.sync.log')
            Account = Pool().get('multipoint.supplier.account')
            with Transaction().set_context(company=self.company, **RU):
                log, = SyncLog.queue_syncs([Account(self.account)])
                SyncLog.run_sync([log])
                return SyncLog(log.id).state
        self.assertEqual(committed(sync), 'done')
        events, statuses = self.committed_events('1106200004')
        self.assertEqual(statuses, [
                ('ACCEPTED_AT_PICK_UP_POINT', 'webhook'),
                ('DELIVERED', 'poll')])
        self.assertEqual(len(events), 2)
        self.assertIn("Вручён получателю (DELIVERED, Москва), "
            "2026-11-22 12:45", events[1])
        # looked up by the uuid the webhook gave
        self.assertIn(('GET', f'/orders/{cdek_order["uuid"]}'),
            [(m, p) for m, p, _, _ in self.server.requests])

    # -- the account -------------------------------------------------------

    @with_transaction(context=RU)
    def test_register_webhook_owner_only(self):
        pool = Pool()
        Account = pool.get('multipoint.supplier.account')
        company, point, cdek, account = self.fixture()
        with set_company(company):
            owner = self.user('owner', 'owner', company)
            manager = self.user('manager', 'staff_manager', company)
            token = account.cdek_webhook_token
            self.assertGreaterEqual(len(token), 32)
            with Transaction().set_user(manager.id), check_access():
                record, = Account.read([account.id], ['name'])
                with self.assertRaises(AccessError):
                    Account.read([account.id], ['cdek_webhook_token'])
                with self.assertRaises(AccessError):
                    Account.read([account.id], ['cdek_webhook_url'])
                with self.assertRaises(AccessButtonError):
                    Account.cdek_register_webhook([Account(account.id)])
                # the secret is given, not written by the manager
                created, = Account.create([{'name': "СДЭК 2",
                            'company': company.id, 'supplier': cdek.id,
                            'connector': 'cdek'}])
                copied, = Account.copy([created])
            self.assertEqual(self.server.webhooks, [])
            tokens = {a.cdek_webhook_token for a in Account.browse(
                    [account.id, created.id, copied.id])}
            self.assertEqual(len(tokens), 3)
            self.assertNotIn(None, tokens)
            with Transaction().set_user(owner.id), check_access():
                Account.cdek_register_webhook([Account(account.id)])
            subscription, = self.server.webhooks
            self.assertEqual(subscription['type'], 'ORDER_STATUS')
            self.assertTrue(subscription['url'].endswith(
                    f'/{DB_NAME}/multipoint/suppliers/cdek/{token}'))
            self.assertEqual(Account(account.id).cdek_webhook,
                subscription['uuid'])
            # a copy is another account with its own secret
            copy, = Account.copy([account])
            self.assertNotEqual(copy.cdek_webhook_token, token)
            self.assertIsNone(copy.cdek_webhook)


del RouteTestCase
