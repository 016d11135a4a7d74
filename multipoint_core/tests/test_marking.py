"Marked goods (Честный знак): codes read, scanned at the desk, guarded"
import base64
import unittest
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.marking import (
    GS, MarkingCodeError, parse)
from trytond.modules.multipoint_core.tests.tools import (
    OPERATOR_PASSWORD, accept_and_store, committed, create_parcel,
    create_point, create_supplier, create_user)
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase
from trytond.transaction import Transaction

# a full code as a scanner set up for GS1 gives it: AI 01, 21, GS, 91, GS, 92
SIGNATURE = 'Y3J5cHRvdGFpbDQ0Y2hhcmFjdGVyc2Jhc2U2NGxpa2Ux'
assert len(SIGNATURE) == 44
SHOES = f'0104601234567893215Abc!d{GS}91EE06{GS}92{SIGNATURE}'
BAG = f'010460700000001421bagSerial0001{GS}91K9ZZ{GS}92{SIGNATURE}'
OTHER_GTIN = f'010290000012345821xyz{GS}91EE06{GS}92{SIGNATURE}'


class MarkingParseTestCase(unittest.TestCase):
    "Reading scanned codes"

    def test_forms_of_one_code(self):
        "The separator as GS, written out, dropped; prefixes removed"
        for text in [SHOES, SHOES.replace(GS, '\\u001d'),
                SHOES.replace(GS, '<GS>'), SHOES.replace(GS, ''),
                ']d2' + SHOES, GS + SHOES, f'  {SHOES}\n']:
            code = parse(text)
            self.assertEqual(code.code, SHOES, repr(text))
            self.assertEqual(code.gtin, '04601234567893')
            self.assertEqual(code.serial, '5Abc!d')
            self.assertEqual(code.key, 'EE06')

    def test_short_form(self):
        code = parse('0104601234567893215Abc!d')
        self.assertEqual((code.gtin, code.serial, code.key),
            ('04601234567893', '5Abc!d', None))
        self.assertEqual(code.code, '0104601234567893215Abc!d')

    def test_malformed(self):
        for text, reason in [
                ('', 'code_empty'),
                ('4601234567893', 'code_format'),
                ('0104601234567894215Abc!d', 'gtin_invalid'),
                ('0104601234567893', 'code_format'),
                ('010460123456789321' + 'x' * 30, 'serial_invalid'),
                (f'0104601234567893215Abc!d{GS}91EE06', 'tail_invalid'),
                (f'0104601234567893215Abc!d{GS}91EE06{GS}92short',
                    'tail_invalid'),
                (f'0104601234567893215Abc!d{GS}17261231', 'code_format'),
                ('0104601234567893215Ab c', 'serial_invalid'),
                ]:
            with self.assertRaises(MarkingCodeError, msg=repr(text)) as cm:
                parse(text)
            self.assertEqual(cm.exception.reason, reason, repr(text))


class MarkingDeskTestCase(RouteTestCase):
    "Marked items at the desk issue and through the generic JSON-RPC"
    module = 'multipoint_core'
    language = 'ru'

    @classmethod
    def setUpDatabase(cls):
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            shop = create_supplier("Лавка", storage_days=7,
                max_extension_days=3, partial_buyout=True)
            parcel = create_parcel(msk, shop, 'M-1', ['M-1-1'],
                prepaid=True, lines=[('create', [
                            {'name': "Туфли", 'unit_price': Decimal('3000'),
                                'marked': True,
                                'gtin': '4601234567893'},
                            {'name': "Сумка", 'unit_price': Decimal('1500'),
                                'marking_code': BAG.replace(GS, '<GS>')},
                            ])])
            create_user('op_msk', ['operator'], [msk], company)
            create_user('boss', ['owner'], [msk], company)
        cls.parcel, cls.company = parcel.id, company.id
        cls.shoes, cls.bag = [l.id for l in parcel.lines]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.code = committed(cls.store)

    @classmethod
    def store(cls):
        Parcel = Pool().get('multipoint.parcel')
        with Transaction().set_context(company=cls.company):
            accept_and_store([Parcel(cls.parcel)])
            return Parcel.generate_codes([Parcel(cls.parcel)])[
                Parcel(cls.parcel)]

    def login(self, login):
        client = self.client()
        response = client.post(f'/{self.db_name}/session/login',
            json={'params': [login, {'password': OPERATOR_PASSWORD}, 'ru']})
        self.assertEqual(response.status_code, 200)
        return client

    def api(self, path):
        return f'/{self.db_name}/multipoint/api/v1/{path}'

    def rpc(self, login, method, *params):
        "Call method as login through the generic JSON-RPC (sao, proteus)"
        client = self.client()
        response = client.post(f'/{self.db_name}/rpc/', json={
                'id': 1, 'method': 'common.db.login',
                'params': [login, {'password': OPERATOR_PASSWORD}, 'ru']})
        user_id, session = response.json['result'][:2]
        auth = base64.b64encode(f'{login}:{user_id}:{session}'.encode())
        response = client.post(f'/{self.db_name}/rpc/', json={
                'id': 2, 'method': method,
                'params': [*params, {'company': self.company}]},
            headers={'Authorization': 'Session ' + auth.decode()})
        self.assertEqual(response.status_code, 200, response.data)
        return response.json.get('result'), response.json.get('error')

    def line(self, line_id):
        with Transaction().start(self.db_name, 0):
            line = Pool().get('multipoint.parcel.line')(line_id)
            return line.marked, line.gtin, line.marking_code

    def test_issue_needs_the_code_of_the_marked_item(self):
        # the imported code is stored in one form, the item marked
        self.assertEqual(self.line(self.bag), (True, '04607000000014', BAG))
        client = self.login('op_msk')
        response = client.post(self.api('issue/search'),
            json={'query': 'M-1-1'})
        lines = {l['id']: l for l in response.json['parcels'][0]['lines']}
        shoes = lines[self.shoes]
        self.assertEqual((shoes['marked'], shoes['marking_scanned']),
            (True, False))
        self.assertTrue(lines[self.bag]['marking_scanned'])
        issue = {'parcels': [{'id': self.parcel, 'code': self.code}]}

        response = client.post(self.api('issue'), json=issue)
        self.assertEqual(response.status_code, 422, response.data)
        self.assertIn("Отсканируйте код маркировки",
            response.json['error']['message'])
        self.assertIn("Туфли", response.json['error']['message'])

        # a code of another item (GTIN) and a malformed one are refused
        for wrong, words in [(OTHER_GTIN, "GTIN должен быть 04601234567893"),
                ('01046012345678932', "не код маркировки")]:
            response = client.post(self.api('issue'), json=dict(issue,
                    marking_codes={str(self.shoes): wrong}))
            self.assertEqual(response.status_code, 422, response.data)
            self.assertIn(words, response.json['error']['message'])
        self.assertEqual(self.line(self.shoes)[2], None)

        # an item of another parcel is no item of this issue
        response = client.post(self.api('issue'), json=dict(issue,
                marking_codes={'999999': SHOES}))
        self.assertEqual(response.status_code, 422, response.data)
        self.assertEqual(response.json['error']['code'], 'bad_request')
        self.assertIn("не входит в выдаваемые",
            response.json['error']['message'])

        # scanned with the separators dropped by the scanner
        response = client.post(self.api('issue'), json=dict(issue,
                marking_codes={str(self.shoes): SHOES.replace(GS, '')}))
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(self.line(self.shoes)[2], SHOES)

        # issued: the code is no longer changed, through any door
        for login in ['op_msk', 'boss']:
            result, error = self.rpc(login,
                'model.multipoint.parcel.line.write',
                [self.shoes], {'marking_code': OTHER_GTIN})
            self.assertTrue(error, login)
            self.assertRegex(str(error), '[А-Яа-яЁё]')
        self.assertEqual(self.line(self.shoes)[2], SHOES)
