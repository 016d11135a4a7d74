"""A barcode no parcel has, scanned at acceptance: the suppliers of the
point are asked (local Boxberry and PickPoint servers), a parcel found is
upserted and accepted, an unknown or unreachable one stays surplus with a
Russian note; nobody is asked about a parcel we have. Through the real
ORM, and through the operator API"""
import time
from decimal import Decimal
from unittest.mock import patch

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    OPERATOR_PASSWORD, DBTestCase, create_parcel, create_point,
    create_supplier, create_user)
from trytond.modules.multipoint_suppliers import (
    connector_pickpoint, remote_lookup)
from trytond.modules.multipoint_suppliers.tests.boxberry_server import (
    BoxberryServer, parcel_info)
from trytond.modules.multipoint_suppliers.tests.pickpoint_server import (
    PickPointServer, sending)
from trytond.modules.multipoint_suppliers.tests.tools import create_account
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase, with_transaction

RU = {'language': 'ru'}


def create_accounts(company, msk, kzn, boxberry_server, pickpoint_server):
    "Boxberry serving both points, PickPoint serving msk"
    boxberry = create_supplier(
        "Boxberry", storage_days=7, max_extension_days=7)
    pickpoint = create_supplier(
        "PickPoint", storage_days=7, max_extension_days=7)
    with set_company(company):
        create_account(company, boxberry, {msk: '77001', kzn: '16001'},
            connector='boxberry', url=boxberry_server.url,
            token=boxberry_server.token)
        create_account(company, pickpoint, {msk: '7701-001'},
            connector='pickpoint', url=pickpoint_server.url,
            login=pickpoint_server.login, password=pickpoint_server.password)
    return boxberry, pickpoint


class RemoteLookupTestCase(DBTestCase):
    module = 'multipoint_suppliers'
    language = 'ru'

    def setUp(self):
        super().setUp()
        self.boxberry_server = BoxberryServer().__enter__()
        self.addCleanup(self.boxberry_server.__exit__)
        self.pickpoint_server = PickPointServer().__enter__()
        self.addCleanup(self.pickpoint_server.__exit__)
        connector_pickpoint._sessions.clear()

    def fixture(self):
        # a transaction restarted to take its locks first runs the test
        # again: count the calls of this run only
        self.before = self.calls()
        company = create_company()
        msk = create_point(company, 'MSK1')
        kzn = create_point(company, 'KZN1')
        boxberry, pickpoint = create_accounts(company, msk, kzn,
            self.boxberry_server, self.pickpoint_server)
        return company, msk, kzn, boxberry, pickpoint

    def reception(self, point):
        Reception = Pool().get('multipoint.reception')
        reception, = Reception.create([{
                    'point': point.id, 'company': point.company.id}])
        return reception

    def calls(self):
        return (len(self.boxberry_server.calls('ParcelInfo')),
            len(self.pickpoint_server.calls('sendinginfo')))

    def asked(self):
        "(Boxberry lookups, PickPoint lookups) of the test"
        return tuple(n - b for n, b in zip(self.calls(), self.before))

    def parcels(self, supplier):
        Parcel = Pool().get('multipoint.parcel')
        return Parcel.search([('supplier', '=', supplier.id)],
            order=[('order_number', 'ASC')])

    @with_transaction(context=RU)
    def test_found_parcel_is_accepted(self):
        Reception = Pool().get('multipoint.reception')
        company, msk, kzn, boxberry, pickpoint = self.fixture()
        self.boxberry_server.parcels['BB-100'] = parcel_info('BB-100')
        with set_company(company):
            reception = self.reception(msk)
            scan = reception.scan('BB-100')
            self.assertEqual(scan.result, 'accepted')
            self.assertEqual(scan.detail, "Не ожидалась: найдена как заказ "
                "BB-100 у Boxberry (boxberry) при сканировании.")
            parcel, = self.parcels(boxberry)
            self.assertEqual(scan.place.parcel, parcel)
            self.assertEqual((parcel.order_number, parcel.point),
                ('BB-100', msk))
            self.assertEqual(parcel.cod_amount, Decimal('1590.00'))
            self.assertEqual(parcel.recipient_phone, '+79161234567')
            # found at the first account: PickPoint is not asked
            self.assertEqual(self.asked(), (1, 0))

            # scanned again: a duplicate, nobody asked
            self.assertEqual(reception.scan('BB-100').result, 'duplicate')
            self.assertEqual(self.asked(), (1, 0))
            Reception.close([reception])
            self.assertEqual(parcel.__class__(parcel.id).state, 'accepted')

    @with_transaction(context=RU)
    def test_found_by_order_number_or_with_places(self):
        """A one-box parcel scanned by its number is accepted by its box;
        a parcel of several boxes waits for their labels"""
        company, msk, kzn, boxberry, pickpoint = self.fixture()
        self.pickpoint_server.sendings['20001'] = sending('20001')
        self.boxberry_server.parcels['BB-101'] = parcel_info('BB-101',
            boxes=[{'weight': 500, 'barcode': 'BOX-A'},
                {'weight': 700, 'barcode': 'BOX-B'}])
        with set_company(company):
            reception = self.reception(msk)
            scan = reception.scan('20001')
            self.assertEqual((scan.result, scan.barcode),
                ('accepted', 'PP20001'))
            self.assertEqual(scan.place.parcel.supplier, pickpoint)
            self.assertEqual(self.asked(), (1, 1))

            scan = reception.scan('BB-101')
            self.assertEqual(scan.result, 'surplus')
            self.assertEqual(scan.detail, "Заказ BB-101 найден у Boxberry "
                "(boxberry): отсканируйте этикетки его мест (BOX-A, BOX-B).")
            self.assertEqual(reception.scan('BOX-A').result, 'accepted')
            self.assertEqual(reception.scan('BOX-B').result, 'accepted')
            self.assertEqual(self.asked(), (2, 1))

    @with_transaction(context=RU)
    def test_not_found(self):
        company, msk, kzn, boxberry, pickpoint = self.fixture()
        with set_company(company):
            scan = self.reception(msk).scan('X-404')
            self.assertEqual(scan.result, 'surplus')
            self.assertEqual(scan.detail, "Неизвестна и поставщикам пункта "
                "(Boxberry (boxberry), PickPoint (pickpoint)).")
            self.assertEqual(self.asked(), (1, 1))
            self.assertEqual(self.parcels(boxberry), [])

            # at the other point only Boxberry serves
            scan = self.reception(kzn).scan('X-405')
            self.assertEqual(scan.detail, "Неизвестна и поставщикам пункта "
                "(Boxberry (boxberry)).")
            self.assertEqual(self.asked(), (2, 1))

    @with_transaction(context=RU)
    def test_unreachable_suppliers(self):
        """A slow supplier and one down: the usual surplus, with a note; the
        operator waits for the short time-out only"""
        company, msk, kzn, boxberry, pickpoint = self.fixture()
        self.boxberry_server.parcels['BB-100'] = parcel_info('BB-100')
        self.boxberry_server.sleep = 1
        self.pickpoint_server.__exit__()
        with set_company(company), patch.object(
                remote_lookup, 'LOOKUP_TIMEOUT', 0.5):
            reception = self.reception(msk)
            start = time.monotonic()
            scan = reception.scan('BB-100', client_id='tablet:1')
            self.assertLess(time.monotonic() - start, 2)
            self.assertEqual(scan.result, 'surplus')
            self.assertEqual(scan.detail, "Не удалось проверить у "
                "поставщиков (Boxberry не ответил за 0.5 с; PickPoint "
                "недоступен: ConnectionError): записана как излишек, "
                "отсканируйте позже ещё раз.")
            self.assertEqual(self.parcels(boxberry), [])
            self.assertEqual(reception.surplus_count, 1)

            # the screen resends it: the scan recorded, nobody asked
            self.assertEqual(
                reception.scan('BB-100', client_id='tablet:1'), scan)
            self.assertEqual(self.asked(), (1, 0))

            # Boxberry answers again: the same barcode is accepted
            self.boxberry_server.sleep = 0
            scan = reception.scan('BB-100')
            self.assertEqual(scan.result, 'accepted')

    @with_transaction(context=RU)
    def test_no_call_for_a_parcel_we_have(self):
        company, msk, kzn, boxberry, pickpoint = self.fixture()
        with set_company(company):
            create_parcel(msk, boxberry, 'L-1', ['L-1-1'])
            create_parcel(kzn, boxberry, 'K-1', ['K-1-1'])
            reception = self.reception(msk)
            self.assertEqual(reception.scan('L-1-1').result, 'accepted')
            # at another point, or scanned by its order number: the usual
            # answers
            scan = reception.scan('K-1-1')
            self.assertEqual(scan.result, 'surplus')
            self.assertIn('KZN1', scan.detail)
            self.assertEqual(reception.scan('L-1').result, 'surplus')
            self.assertEqual(self.asked(), (0, 0))

    @with_transaction(context=RU)
    def test_found_for_another_point_code(self):
        "A parcel Boxberry sends to a point this account does not serve"
        company, msk, kzn, boxberry, pickpoint = self.fixture()
        self.boxberry_server.parcels['BB-200'] = parcel_info(
            'BB-200', point='99999')
        self.boxberry_server.parcels['BB-201'] = parcel_info(
            'BB-201', point='16001')
        with set_company(company):
            reception = self.reception(msk)
            scan = reception.scan('BB-200')
            self.assertEqual(scan.result, 'surplus')
            self.assertIn("Найдена у Boxberry (boxberry), но не принята",
                scan.detail)
            self.assertIn("99999", scan.detail)
            self.assertEqual(self.parcels(boxberry), [])

            # for our other point: created there, surplus here
            scan = reception.scan('BB-201')
            self.assertEqual(scan.result, 'surplus')
            parcel, = self.parcels(boxberry)
            self.assertEqual((parcel.point, parcel.state), (kzn, 'expected'))


del DBTestCase


class RemoteLookupRouteTestCase(RouteTestCase):
    "The scan route of the operator API with a supplier lookup"
    module = 'multipoint_suppliers'
    language = 'ru'

    @classmethod
    def setUpClass(cls):
        cls.boxberry_server = BoxberryServer().__enter__()
        cls.pickpoint_server = PickPointServer().__enter__()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.boxberry_server.__exit__()
        cls.pickpoint_server.__exit__()

    @classmethod
    def setUpDatabase(cls):
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            kzn = create_point(company, 'KZN1')
            create_accounts(company, msk, kzn, cls.boxberry_server,
                cls.pickpoint_server)
            create_user('op_msk', ['operator'], [msk], company)
            create_user('op_kzn', ['operator'], [kzn], company)
        cls.msk = msk.id

    def login(self, login):
        client = self.client()
        response = client.post(f'/{self.db_name}/session/login',
            json={'params': [login, {'password': OPERATOR_PASSWORD}, 'ru']})
        self.assertEqual(response.status_code, 200)
        return client

    def api(self, path):
        return f'/{self.db_name}/multipoint/api/v1/{path}'

    def test_scan_route(self):
        self.boxberry_server.parcels['BB-300'] = parcel_info('BB-300')
        client = self.login('op_msk')
        response = client.post(self.api('receptions'),
            json={'point': self.msk})
        self.assertEqual(response.status_code, 201, response.data)
        scans = self.api(f"receptions/{response.json['id']}/scans")

        # another point's operator cannot scan into it: nobody is asked
        other = self.login('op_kzn')
        response = other.post(scans, json={'barcode': 'BB-300'})
        self.assertEqual(response.status_code, 404, response.data)
        self.assertEqual(self.boxberry_server.calls('ParcelInfo'), [])

        response = client.post(scans, json={'barcode': 'BB-300'})
        self.assertEqual(response.status_code, 200, response.data)
        scan = response.json['scan']
        self.assertEqual(scan['result'], 'accepted')
        self.assertIsNotNone(scan['parcel'])
        self.assertIn("найдена как заказ BB-300", scan['detail'])
        self.assertEqual(response.json['reception']['scanned'], 1)

        response = client.post(scans, json={'barcode': 'X-1001'})
        scan = response.json['scan']
        self.assertEqual(scan['result'], 'surplus')
        self.assertIn("Неизвестна и поставщикам пункта", scan['detail'])
