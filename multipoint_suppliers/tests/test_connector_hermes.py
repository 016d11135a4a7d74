"""The Hermes connector against a local server speaking its partner
ParcelShop API, through the real account, sync engine and upsert"""
import base64
import json
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    DBTestCase, create_point, create_supplier)
from trytond.modules.multipoint_suppliers.connector import ConnectorError
from trytond.modules.multipoint_suppliers.stand_in_hermes import (
    HermesServer, parcel)
from trytond.modules.multipoint_suppliers.tests.tools import (
    create_account, run_sync)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

RU = {'language': 'ru'}


class HermesConnectorTestCase(DBTestCase):
    module = 'multipoint_suppliers'
    language = 'ru'

    def setUp(self):
        super().setUp()
        self.server = HermesServer().__enter__()
        self.addCleanup(self.server.__exit__)

    def fixture(self, **values):
        company = create_company()
        point = create_point(company, 'MSK1')
        hermes = create_supplier("Hermes")
        with set_company(company):
            account = create_account(company, hermes, {point: 'PS-1'},
                connector='hermes', url=self.server.url,
                login=self.server.login, password=self.server.password,
                **values)
        return company, point, hermes, account

    def parcels(self, supplier):
        Parcel = Pool().get('multipoint.parcel')
        return Parcel.search([('supplier', '=', supplier.id)],
            order=[('order_number', 'ASC')])

    def planned(self, n, **values):
        return [parcel(f'HR-{i}', f'2175010000{i:04d}',
                f'2026-11-20T10:00:{i:02d}', **values)
            for i in range(1, n + 1)]

    @with_transaction(context=RU)
    def test_sync_pages_then_nothing_new(self):
        "Pages by NextRequestDateFrom; a second sync creates nothing"
        company, point, hermes, account = self.fixture()
        self.server.parcels['PS-1'] = self.planned(3)
        self.server.page_size = 2
        with set_company(company):
            log = run_sync(account)
            self.assertEqual(log.state, 'done', [l.message for l in log.lines])
            self.assertEqual((log.fetched, log.created, log.failed),
                (3, 3, 0))
            first, *_ = parcels = self.parcels(hermes)
            # Hermes knows a parcel by its barcode
            self.assertEqual([p.order_number for p in parcels],
                ['21750100000001', '21750100000002', '21750100000003'])
            self.assertEqual(first.cod_amount, Decimal('1590.00'))
            self.assertIsInstance(first.cod_amount, Decimal)
            self.assertEqual(first.recipient_phone, '+79161234567')
            self.assertEqual(first.recipient_name, "Иванова Анна")
            self.assertEqual(first.places[0].barcode, '21750100000001')
            self.assertEqual(first.point, point)
            line, = account.points
            self.assertEqual(line.cursor, '2026-11-20T10:00:04')

            # the requests as Hermes documents them
            operation, body = self.server.requests[0]
            self.assertEqual(operation, 'GetParcels')
            request = json.loads(body)
            self.assertEqual(request['partnerPointCodes'], ['PS-1'])
            self.assertIsNone(request['dateTo'])
            self.assertEqual(json.loads(self.server.requests[1][1])[
                    'dateFrom'], '2026-11-20T10:00:03')

            log = run_sync(account)
            self.assertEqual((log.state, log.fetched, log.created),
                ('done', 0, 0))

            # everything again from the start: nothing created or changed
            line.cursor = None
            line.save()
            log = run_sync(account)
            self.assertEqual((log.fetched, log.created, log.updated,
                    log.skipped), (3, 0, 0, 3))
            self.assertEqual(len(self.parcels(hermes)), 3)

    @with_transaction(context=RU)
    def test_half_broken_records(self):
        "A record that cannot be read is an error of its order only"
        company, point, hermes, account = self.fixture()
        planned = self.planned(4)
        planned[1]['CodAmount'] = 'сто рублей'
        planned[2]['Recipient'] = {'FullName': "Петров"}
        planned[3]['Items'] = [{'Name': "Кроссовки", 'Quantity': 1,
                'Price': '1590.00', 'Article': 'SN-1'}]
        planned.append("not a parcel")
        self.server.parcels['PS-1'] = planned
        with set_company(company):
            log = run_sync(account)
            self.assertEqual(log.state, 'done')
            self.assertEqual((log.created, log.failed), (2, 2))
            messages = sorted(l.message for l in log.lines)
            self.assertIn(
                "Заказ 21750100000002: запись поставщика не прочитана",
                messages[0])
            self.assertIn("Заказ 21750100000003", messages[1])
            self.assertEqual([p.order_number for p in self.parcels(hermes)],
                ['21750100000001', '21750100000004'])
            self.assertEqual(self.parcels(hermes)[1].lines[0].unit_price,
                Decimal('1590.00'))

    @with_transaction(context=RU)
    def test_push_statuses(self):
        """The outbox's messages as StatusSystemName with ExtraParams; a
        status Hermes refuses is not acknowledged"""
        company, point, hermes, account = self.fixture()

        def message(key, kind, barcode, **values):
            return dict({'key': key, 'sequence': key, 'kind': kind,
                    'order_number': barcode, 'point_code': 'PS-1',
                    'date': '2026-11-20T12:30:00Z'}, **values)
        messages = [
            message(1, 'accepted', '21750100000001'),
            message(2, 'accepted', '21750100000002'),
            message(3, 'issued', '21750100000003', prepaid=False,
                amounts={'goods': '1590.00', 'delivery_fee': '0.00',
                    'total': '1590.00'},
                payments=[{'type': 'card', 'amount': '1590.00'}]),
            message(4, 'refused', '21750100000004'),
            message(5, 'returned', '21750100000005'),
            message(6, 'lost', '21750100000006'),
            ]
        self.server.status_errors['21750100000002'] = (32, 'ApplyStatus')
        with set_company(company):
            connector = account.get_connector()
            self.assertTrue(connector.supports('push_events'))
            acked = connector.push_events(messages)
        self.assertEqual(sorted(acked), [1, 3, 4, 5, 6])
        self.assertEqual([(b, s['StatusSystemName'], s['PartnerPointCode'])
                for b, s in self.server.statuses], [
                ('21750100000001', 'ARRIVED_AT_PARCEL_SHOP', 'PS-1'),
                ('21750100000003', 'RECEIVED', 'PS-1'),
                ('21750100000005', 'UNDELIVERED', 'PS-1'),
                ('21750100000006', 'MISSING', 'PS-1'),
                ])
        _, issued = self.server.statuses[1]
        self.assertEqual(issued['StatusTimestamp'],
            '2026-11-20T12:30:00+00:00')
        self.assertEqual(issued['ExtraParams'],
            {'PaymentAmount': '1590.00', 'PaymentMethod': 'card'})
        operation, _ = self.server.requests[-1]
        self.assertEqual(operation, 'SendParcelStatuses')

        # Hermes down: the outbox keeps them (ConnectorError, nothing acked)
        self.server.password = 'changed'
        with set_company(company), self.assertRaises(ConnectorError):
            connector.push_events(messages[:1])

    @with_transaction(context=RU)
    def test_auth_failure_in_russian_without_credentials(self):
        company, point, hermes, account = self.fixture()
        self.server.password = 'another-secret'
        with set_company(company):
            log = run_sync(account)
        self.assertEqual(log.state, 'failed')
        message, = [l.message for l in log.lines]
        self.assertIn("Hermes отклонил логин или пароль", message)
        self.assertIn("HTTP 401", message)
        for secret in ['pvz-login', 'pvz-secret',
                base64.b64encode(b'pvz-login:pvz-secret').decode()]:
            self.assertNotIn(secret, message)
        self.assertIsNone(account.points[0].cursor)

    @with_transaction(context=RU)
    def test_timeout_of_the_account(self):
        company, point, hermes, account = self.fixture(timeout=1)
        self.server.parcels['PS-1'] = self.planned(1)
        self.server.sleep = 1.5
        with set_company(company):
            log = run_sync(account)
            self.assertEqual(log.state, 'failed')
            self.assertIn("Hermes не ответил за 1 с", log.lines[0].message)
            self.assertEqual(self.parcels(hermes), [])

    @with_transaction(context=RU)
    def test_truncated_answer(self):
        "Half a JSON body fails the run, nothing written"
        company, point, hermes, account = self.fixture()
        self.server.parcels['PS-1'] = self.planned(3)
        self.server.page_size = 2
        with set_company(company):
            run_sync(account)
            # the second page arrives cut in half
            self.server.truncate = True
            account.points[0].cursor = None
            account.points[0].save()
            self.server.parcels['PS-1'].append(
                parcel('HR-9', '21750100000009', '2026-11-21T09:00:00'))
            log = run_sync(account)
            self.assertEqual(log.state, 'failed')
            self.assertIn("Hermes прислал нечитаемый ответ",
                log.lines[-1].message)
            self.assertEqual(len(self.parcels(hermes)), 3)
            self.assertIsNone(account.points[0].cursor)

    @with_transaction(context=RU)
    def test_rate_limited(self):
        "429: a short Retry-After is waited, a long one fails the run"
        company, point, hermes, account = self.fixture()
        self.server.parcels['PS-1'] = self.planned(1)
        self.server.throttle, self.server.retry_after = 1, '1'
        with set_company(company):
            log = run_sync(account)
            self.assertEqual((log.state, log.created), ('done', 1))

            self.server.throttle, self.server.retry_after = 5, '120'
            log = run_sync(account)
            self.assertEqual(log.state, 'failed')
            self.assertIn(
                "Hermes ограничивает число запросов: повторите через 120 с",
                log.lines[0].message)


del DBTestCase
