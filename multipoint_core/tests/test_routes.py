"The operator JSON API through trytond's WSGI app, in Russian"
import base64
import threading

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    OPERATOR_PASSWORD, committed, create_parcel, create_point,
    create_supplier, create_user)
from trytond import backend
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase
from trytond.transaction import Transaction


class OperatorAPITestCase(RouteTestCase):
    "Test the operator JSON API"
    module = 'multipoint_core'
    language = 'ru'

    @classmethod
    def setUpDatabase(cls):
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            kzn = create_point(company, 'KZN1')
            dpd = create_supplier("DPD", storage_days=7,
                max_extension_days=7)
            create_parcel(msk, dpd, 'D-1', ['B-1001'], size_class='s',
                manifest='M-1')
            create_parcel(msk, dpd, 'D-2', ['B-1002', 'B-1003'],
                size_class='s', manifest='M-1')
            create_parcel(kzn, dpd, 'D-3', ['B-2001'])
            for i in range(1, 4):
                create_parcel(msk, dpd, f'F-{i}', [f'F-100{i}'],
                    size_class='m', manifest='M-FULL')
            create_parcel(msk, dpd, 'S-1', ['S-1001'], manifest='M-SCAN')
            create_parcel(msk, dpd, 'S-2', ['S-2001'], manifest='M-SCAN')
            create_user('op_msk', ['operator'], [msk], company)
            create_user('op_kzn', ['operator'], [kzn], company)
            create_user('op_both', ['operator'], [msk, kzn], company)
        cls.msk, cls.kzn = msk.id, kzn.id

    def login(self, login='op_msk'):
        client = self.client()
        response = client.post(f'/{self.db_name}/session/login',
            json={'params': [login, {'password': OPERATOR_PASSWORD}, 'ru']})
        self.assertEqual(response.status_code, 200)
        return client

    def api(self, path):
        return f'/{self.db_name}/multipoint/api/v1/{path}'

    def assertError(self, response, status, code):
        self.assertEqual(response.status_code, status, response.data)
        error = response.json['error']
        self.assertEqual(error['code'], code)
        # every message a user can meet is in Russian
        self.assertRegex(error['message'], '[А-Яа-яЁё]')
        return error['message']

    def test_login_required(self):
        response = self.client().get(self.api('lookup?code=B-1001'))
        self.assertError(response, 401, 'unauthorized')

    def test_lookup_parcel_and_cell(self):
        client = self.login()
        response = client.get(self.api('lookup?code=B-1001'))
        self.assertEqual(response.status_code, 200)
        parcel, = response.json['parcels']
        self.assertEqual(response.json['type'], 'parcel')
        self.assertEqual(parcel['order_number'], 'D-1')
        self.assertEqual(parcel['state'], 'expected')
        self.assertEqual(parcel['state_name'], "Ожидается")
        # the operator sees only the last digits of the phone
        self.assertEqual(parcel['recipient_phone'], '***4567')

        response = client.get(self.api('lookup?code=A-1'))
        self.assertEqual(response.json['type'], 'cell')
        cell, = response.json['cells']
        self.assertEqual(cell['point'], self.msk)

        message = self.assertError(
            client.get(self.api('lookup?code=NOPE')), 404, 'barcode_unknown')
        self.assertIn('NOPE', message)
        self.assertError(
            client.get(self.api('lookup?code=')), 422, 'barcode_empty')

    def test_preferred_point_is_the_default(self):
        "An operator of two points works at the one of their preferences"
        def prefer(point):
            def write():
                User = Pool().get('res.user')
                user, = User.search([('login', '=', 'op_both')])
                User.write([user], {'multipoint_point': point})
            committed(write)

        client = self.login('op_both')
        search = self.api('issue/search')
        self.assertError(client.post(search, json={'query': 'B-1001'}),
            422, 'bad_request')
        prefer(self.kzn)
        client = self.login('op_both')
        response = client.post(search, json={'query': 'B-2001'})
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(len(response.json['matched']), 1)

    def test_other_points_are_invisible(self):
        client = self.login()
        self.assertError(
            client.get(self.api('lookup?code=B-2001')), 404,
            'barcode_unknown')
        response = client.post(self.api('receptions'),
            json={'point': self.kzn})
        self.assertError(response, 422, 'bad_request')

    def test_reception_through_the_api(self):
        client = self.login()
        response = client.post(self.api('receptions'), json={
                'point': self.msk, 'manifest': 'M-1',
                'courier_name': "Сидоров"})
        self.assertEqual(response.status_code, 201, response.data)
        reception = response.json
        self.assertEqual(reception['expected'], 3)
        scans = self.api(f"receptions/{reception['id']}/scans")

        def scan(barcode, **extra):
            response = client.post(scans, json=dict(barcode=barcode, **extra))
            self.assertEqual(response.status_code, 200, response.data)
            return response.json

        self.assertEqual(scan('B-1001')['scan']['result'], 'accepted')
        self.assertEqual(scan('B-1001')['scan']['result'], 'duplicate')
        photo = base64.b64encode(b'\xff\xd8photo').decode()
        damaged = scan('B-1002', damaged=True, note="Мятая коробка",
            photo=photo, client_id='tablet-1:7')
        self.assertEqual(damaged['scan']['result'], 'accepted')
        # the screen resends a scan it did not see confirmed
        again = scan('B-1002', damaged=True, client_id='tablet-1:7')
        self.assertEqual(again['scan']['id'], damaged['scan']['id'])
        self.assertEqual(again['reception']['scanned'], 2)
        surplus = scan('X-777')
        self.assertEqual(surplus['scan']['result'], 'surplus')
        self.assertEqual(surplus['scan']['result_name'], "Излишек")
        self.assertError(client.post(scans, json={'barcode': ' '}),
            422, 'barcode_empty')
        self.assertError(client.post(scans, data=b'not json',
                content_type='application/json'), 422, 'bad_request')
        self.assertError(client.post(scans,
                json={'barcode': 'B-1003', 'photo': '***'}), 422,
            'bad_request')

        response = client.post(
            self.api(f"receptions/{reception['id']}/close"))
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.json['state'], 'closed')
        self.assertEqual(response.json['scanned'], 2)

        message = self.assertError(client.post(scans,
                json={'barcode': 'B-1003'}), 422, 'reception_closed')
        self.assertIn("закрыта", message)
        response = client.get(self.api(f"receptions/{reception['id']}/act"))
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.data.startswith(b'%PDF'))

        # the other point's operator cannot see this reception
        other = self.login('op_kzn')
        self.assertError(other.get(self.api(
                    f"receptions/{reception['id']}")), 404, 'not_found')

        # placement: suggestion, then scan parcel and cell
        response = client.get(self.api('placements/suggestion?parcel=B-1001'))
        self.assertEqual(response.json['cell']['barcode'], 'A-2')
        response = client.post(self.api('placements'),
            json={'parcel': 'B-1001', 'cell': 'A-2'})
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.json['state'], 'stored')
        self.assertEqual(response.json['cell']['barcode'], 'A-2')
        message = self.assertError(client.post(self.api('placements'),
                json={'parcel': 'B-1001', 'cell': 'A-2'}), 422, 'placement')
        self.assertIn("уже лежит", message)
        self.assertError(client.post(self.api('placements'),
                json={'parcel': 'B-1001', 'cell': 'Z-9'}), 422, 'cell')

    def test_bad_scans_are_refused(self):
        "What cannot be a label is refused, not recorded as surplus"
        client = self.login()
        reception = client.post(self.api('receptions'),
            json={'point': self.msk, 'manifest': 'M-SCAN'}).json
        scans = self.api(f"receptions/{reception['id']}/scans")
        for junk in ["мусор ;;; %%%", "S-10\x0701", "S-10\t01",
                "X" * 100, "a b c d", "%%%%", "A-1", "----"]:
            message = self.assertError(
                client.post(scans, json={'barcode': junk}),
                422, 'barcode_invalid')
            self.assertIn("не штрихкод", message)
        # a NUL and an over-long code are refused by the schema already
        for junk in ["S-1001\x00", "Z" * 200]:
            self.assertError(client.post(scans, json={'barcode': junk}),
                422, 'bad_request')
        response = client.get(self.api(f"receptions/{reception['id']}"))
        self.assertEqual(response.json['last_scans'], [])
        self.assertEqual(response.json['surplus'], 0)
        # a plausible unknown code is surplus, a known one accepted
        response = client.post(scans, json={'barcode': 'ZZ-UNKNOWN-0001'})
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.json['scan']['result'], 'surplus')
        for code in ['(00)046012345678901234', 'RA123456789RU', 'ЛМ-00042',
                'LO-1234/2', 'ab_12.3+4']:
            response = client.post(scans, json={'barcode': code})
            self.assertEqual(response.json['scan']['result'], 'surplus',
                code)
        response = client.post(scans, json={'barcode': 'S-1001'})
        self.assertEqual(response.json['scan']['result'], 'accepted')
        self.assertEqual(response.json['reception']['surplus'], 6)

    def test_cancel_reception(self):
        client = self.login()
        empty = client.post(self.api('receptions'),
            json={'point': self.msk, 'manifest': 'M-SCAN'}).json
        # a surplus scan receives nothing: the reception may be cancelled
        client.post(self.api(f"receptions/{empty['id']}/scans"),
            json={'barcode': 'ZZ-UNKNOWN-0002'})
        message = self.assertError(client.post(
                self.api(f"receptions/{empty['id']}/close")), 422,
            'reception')
        self.assertIn("отмените", message)
        response = client.post(self.api(f"receptions/{empty['id']}/cancel"))
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.json['state'], 'cancelled')
        self.assertError(client.post(
                self.api(f"receptions/{empty['id']}/cancel")), 422,
            'reception_closed')
        self.assertError(client.post(
                self.api(f"receptions/{empty['id']}/scans"),
                json={'barcode': 'S-2001'}), 422, 'reception_closed')

        # one with a place received may not: it is closed
        busy = client.post(self.api('receptions'),
            json={'point': self.msk, 'manifest': 'M-SCAN'}).json
        client.post(self.api(f"receptions/{busy['id']}/scans"),
            json={'barcode': 'S-2001'})
        message = self.assertError(client.post(
                self.api(f"receptions/{busy['id']}/cancel")), 422,
            'reception')
        self.assertIn("нельзя отменить", message)
        response = client.get(self.api(f"receptions/{busy['id']}"))
        self.assertEqual(response.json['state'], 'open')
        # another point's operator does not see it
        self.assertError(self.login('op_kzn').post(
                self.api(f"receptions/{busy['id']}/cancel")), 404,
            'not_found')

    def test_full_cell_is_refused(self):
        client = self.login()
        reception = client.post(self.api('receptions'),
            json={'point': self.msk, 'manifest': 'M-FULL'}).json
        scans = self.api(f"receptions/{reception['id']}/scans")
        for barcode in ['F-1001', 'F-1002', 'F-1003']:
            client.post(scans, json={'barcode': barcode})
        client.post(self.api(f"receptions/{reception['id']}/close"))
        # cell A-1 holds two parcels
        self.assertEqual(client.post(self.api('placements'),
                json={'parcel': 'F-1001', 'cell': 'A-1'}).status_code, 200)
        self.assertEqual(client.post(self.api('placements'),
                json={'parcel': 'F-1002', 'cell': 'A-1'}).status_code, 200)
        message = self.assertError(client.post(self.api('placements'),
                json={'parcel': 'F-1003', 'cell': 'A-1'}), 422, 'cell_full')
        self.assertIn("заполнена", message)
        # the refused request left the parcel as it was
        parcel = client.get(self.api('lookup?code=F-1003')).json['parcels']
        self.assertEqual(parcel[0]['state'], 'accepted')


class IssueAPITestCase(RouteTestCase):
    "Test search and issue through the API"
    module = 'multipoint_core'
    language = 'ru'

    @classmethod
    def setUpDatabase(cls):
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            hermes = create_supplier("Hermes", storage_days=7,
                max_extension_days=7)
            parcels = [create_parcel(msk, hermes, f'H-{i}', [f'HB-{i}'],
                    prepaid=True, recipient_phone=f'+7916000{i:04d}')
                for i in range(1, 4)]
            create_user('op_msk', ['operator'], [msk], company)
        cls.ids = {p.order_number: p.id for p in parcels}
        cls.point, cls.company = msk.id, company.id

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.codes = committed(cls.accept_parcels)

    @classmethod
    def accept_parcels(cls):
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Reception = pool.get('multipoint.reception')
        with Transaction().set_context(company=cls.company):
            reception, = Reception.create([{'point': cls.point}])
            for i in range(1, 4):
                reception.scan(f'HB-{i}')
            Reception.close([reception])
            codes = Parcel.generate_codes(
                Parcel.browse(list(cls.ids.values())))
        return {p.order_number: code for p, code in codes.items()}

    login = OperatorAPITestCase.login
    api = OperatorAPITestCase.api
    assertError = OperatorAPITestCase.assertError

    def test_search_then_issue_with_code(self):
        client = self.login()
        response = client.post(self.api('issue/search'),
            json={'query': '0001'})
        self.assertEqual(response.status_code, 200, response.data)
        parcel, = response.json['parcels']
        self.assertEqual(parcel['order_number'], 'H-1')
        self.assertEqual(parcel['rules']['partial_buyout'], False)
        wrong = '999999' if self.codes['H-1'] != '999999' else '888888'
        message = self.assertError(client.post(self.api('issue'), json={
                    'parcels': [{'id': parcel['id'], 'code': wrong}]}),
            422, 'code_wrong')
        self.assertIn("Неверный код", message)
        response = client.post(self.api('issue'), json={
                'parcels': [{'id': parcel['id'],
                        'code': self.codes['H-1']}]})
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.json['issued'][0]['state'], 'issued')

    def test_wrong_codes_are_counted_across_requests(self):
        client = self.login()
        wrong = '999999' if self.codes['H-2'] != '999999' else '888888'
        for attempt in range(5):
            self.assertError(client.post(self.api('issue'), json={
                        'parcels': [{'id': self.ids['H-2'], 'code': wrong}]}),
                422, 'code_wrong')
        message = self.assertError(client.post(self.api('issue'), json={
                    'parcels': [{'id': self.ids['H-2'],
                            'code': self.codes['H-2']}]}),
            422, 'code_wrong')
        self.assertIn("Слишком много неверных кодов", message)

    def test_two_operators_issue_the_same_parcel_once(self):
        "Two simultaneous issues of one parcel end with exactly one issue"
        if backend.name != 'postgresql':
            self.skipTest("SQLite serialises every writer")
        barrier = threading.Barrier(2)
        statuses = []

        def issue():
            client = self.login()
            barrier.wait()
            response = client.post(self.api('issue'), json={
                    'parcels': [{'id': self.ids['H-3'],
                            'code': self.codes['H-3']}]})
            statuses.append((response.status_code,
                    (response.json.get('error') or {}).get('code')))

        threads = [threading.Thread(target=issue) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(sorted(statuses), [(200, None), (422, 'issue')])
        with Transaction().start(self.db_name, 0):
            Event = Pool().get('multipoint.parcel.event')
            self.assertEqual(Event.search_count([
                        ('parcel', '=', self.ids['H-3']),
                        ('to_state', '=', 'issued')]), 1)


class ReturnsAPITestCase(RouteTestCase):
    "Test refusal and returns to suppliers through the API"
    module = 'multipoint_core'
    language = 'ru'

    @classmethod
    def setUpDatabase(cls):
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            kzn = create_point(company, 'KZN1')
            pickpoint = create_supplier("PickPoint", storage_days=7,
                max_extension_days=7)
            dpd = create_supplier("DPD", storage_days=7,
                max_extension_days=7)
            parcels = [create_parcel(msk, pickpoint, 'P-1', ['PB-1']),
                create_parcel(msk, dpd, 'D-1', ['DB-1'])]
            create_user('op_msk', ['operator'], [msk], company)
            create_user('op_kzn', ['operator'], [kzn], company)
        cls.ids = {p.order_number: p.id for p in parcels}
        cls.point, cls.company = msk.id, company.id
        cls.pickpoint = pickpoint.id

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        committed(cls.accept)

    @classmethod
    def accept(cls):
        Reception = Pool().get('multipoint.reception')
        with Transaction().set_context(company=cls.company):
            reception, = Reception.create([{'point': cls.point}])
            for barcode in ['PB-1', 'DB-1']:
                reception.scan(barcode)
            Reception.close([reception])

    login = OperatorAPITestCase.login
    api = OperatorAPITestCase.api
    assertError = OperatorAPITestCase.assertError

    def test_refusal_then_return_batch(self):
        client = self.login()
        self.assertError(client.post(self.api('issue/refuse'), json={
                    'parcels': [self.ids['P-1']], 'reason': ''}),
            422, 'return')
        response = client.post(self.api('issue/refuse'), json={
                'parcels': [self.ids['P-1']], 'reason': "Передумал"})
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.json['refused'][0]['state'], 'to_return')

        pending = client.get(self.api('returns/pending')).json['suppliers']
        self.assertEqual([s['supplier']['name'] for s in pending],
            ["PickPoint"])
        response = client.post(self.api('returns'), json={
                'supplier': self.pickpoint, 'courier_name': "Курьер"})
        self.assertEqual(response.status_code, 201, response.data)
        batch = response.json
        scans = self.api(f"returns/{batch['id']}/scans")
        message = self.assertError(
            client.post(scans, json={'barcode': 'DB-1'}), 422, 'return')
        self.assertIn("DPD", message)
        self.assertError(
            client.post(scans, json={'barcode': 'NOPE'}), 404,
            'barcode_unknown')
        response = client.post(scans, json={'barcode': 'PB-1'})
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(len(response.json['batch']['parcels']), 1)

        other = self.login('op_kzn')
        self.assertError(other.get(self.api(f"returns/{batch['id']}")),
            404, 'not_found')

        response = client.post(self.api(f"returns/{batch['id']}/hand_over"))
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.json['state'], 'done')
        self.assertEqual(response.json['parcels'][0]['state'], 'returned')
        response = client.get(self.api(f"returns/{batch['id']}/act"))
        self.assertTrue(response.data.startswith(b'%PDF'))


del RouteTestCase
