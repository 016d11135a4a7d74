"""The supplier JSON API over HTTP, through trytond's WSGI app and the real
database, with real keys: batches written all or nothing through the
upsert, idempotent re-posts, cancellation, paging, and a supplier that
reaches its own parcels only"""
import base64
import re
from decimal import Decimal

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    accept_and_store, committed, create_parcel, create_point,
    create_supplier, create_user)
from trytond.modules.multipoint_suppliers.api_key import (
    SUPPLIER_CONTEXT, SupplierKeyError, api_user_id)
from trytond.modules.multipoint_suppliers.api_supplier import (
    MAX_REQUEST_SIZE)
from trytond.modules.multipoint_suppliers.tests.tools import create_account
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase, with_transaction
from trytond.transaction import Transaction, check_access

RUSSIAN = re.compile('[А-Яа-яЁё]')


def parcel(number, point='R-MSK', **values):
    "The JSON of a new parcel as a supplier's system sends it"
    return dict({
            'order_number': number,
            'point': point,
            'recipient_name': "Иванова Алёна",
            'recipient_phone': '8 (916) 123-45-67',
            'cod_amount': '1590.10',
            'delivery_fee': 199,
            'places': [{'barcode': f'{number}-1', 'weight': 1.25}],
            }, **values)


class SupplierAPITestCase(RouteTestCase):
    "Test the supplier API"
    module = 'multipoint_suppliers'
    language = 'ru'

    @classmethod
    def setUpClass(cls):
        # RouteTestCase's own transaction cannot restart when the code asks
        # for table locks first (the acceptance of the stored parcel);
        # committed() can
        super(SupplierAPITestCase.__bases__[0], cls).setUpClass()
        committed(cls.setUpDatabase, user=1)

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Application = pool.get('res.user.application')
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            kzn = create_point(company, 'KZN1')
            shop = create_supplier("Ромашка", storage_days=5,
                max_extension_days=5)
            other = create_supplier("Лютик")
            pager = create_supplier("Пагинатор")
            create_account(company, shop, {msk: 'R-MSK', kzn: 'R-KZN'})
            create_account(company, other, {msk: 'L-MSK'})
            create_account(company, pager, {kzn: 'P-KZN'})
            create_parcel(msk, other, 'L-1', ['L-1-1'])
            stored = create_parcel(msk, shop, 'R-STORED', ['R-STORED-1'])
            accept_and_store([stored])
            pages = [create_parcel(kzn, pager, f'P-{i}', [f'P-{i}-1'])
                for i in range(1, 6)]
            Parcel = pool.get('multipoint.parcel')
            Parcel.cancel(pages[-1:])
            create_user('op', ['operator'], [msk], company)
            create_user('manager', ['staff_manager'], [msk, kzn], company)
        cls.keys = {
            'shop': Application.create_supplier_key(shop),
            'other': Application.create_supplier_key(other),
            'pager': Application.create_supplier_key(pager),
            }
        revoked = Application.create_supplier_key(shop)
        Application.revoke(Application.search([('key', '=', revoked)]))
        cls.keys['revoked'] = revoked
        rest, = Application.create([{
                    'user': 1, 'application': 'rest', 'state': 'validated'}])
        cls.keys['rest'] = rest.key
        cls.shop, cls.other = shop.id, other.id

    def url(self, path=''):
        return f'/{self.db_name}/multipoint/supplier-api/v1/parcels{path}'

    def call(self, method, path='', key='shop', **kwargs):
        headers = {}
        if key:
            headers['Authorization'] = f'Bearer {self.keys.get(key, key)}'
        return getattr(self.client(), method)(
            self.url(path), headers=headers, **kwargs)

    def assertError(self, response, status, code):
        self.assertEqual(response.status_code, status, response.data)
        error = response.json['error']
        self.assertEqual(error['code'], code)
        self.assertRegex(error['message'], RUSSIAN)
        return error

    def read(self, func):
        "func() in a transaction of its own, as root"
        return committed(func)

    def parcels(self, supplier, numbers):
        "{order number: (state, cod amount, event count)} in the database"
        def read():
            Parcel = Pool().get('multipoint.parcel')
            return {p.order_number: (p.state, p.cod_amount, len(p.events))
                for p in Parcel.search([
                        ('supplier', '=', supplier),
                        ('order_number', 'in', numbers)])}
        return self.read(read)

    # -- keys --------------------------------------------------------------

    def test_keys_refused(self):
        "No key, a wrong, revoked or other application's key: 401"
        for key in [None, 'not-a-key', 'revoked', 'rest']:
            with self.subTest(key=key):
                self.assertError(self.call('get', '/R-STORED', key=key),
                    401, 'unauthorized')
                self.assertError(self.call('post', key=key,
                        json=parcel('R-401')), 401, 'unauthorized')
        self.assertEqual(self.parcels(self.shop, ['R-401']), {})
        # the key also goes as the password of basic authentication
        basic = base64.b64encode(
            f"ромашка:{self.keys['shop']}".encode()).decode()
        response = self.client().get(self.url('/R-STORED'),
            headers={'Authorization': f'Basic {basic}'})
        self.assertEqual(response.status_code, 200, response.data)

        def attempts():
            Attempt = Pool().get('res.user.login.attempt')
            return Attempt.count('ромашка')
        # not taken for a failed login to Tryton (its delays and limits)
        self.assertEqual(self.read(attempts), 0)

    @with_transaction()
    def test_key_binding(self):
        "Keys run as the technical user; managers alone create and see them"
        pool = Pool()
        Application = pool.get('res.user.application')
        User = pool.get('res.user')
        Party = pool.get('party.party')
        shop = Party(self.shop)
        key, = Application.search([('key', '=', self.keys['shop'])])
        self.assertEqual(key.user.id, api_user_id())
        self.assertEqual(key.multipoint_supplier, shop)
        self.assertFalse(key.user.password_hash)
        with self.assertRaises(SupplierKeyError):
            Application.write([key], {'multipoint_supplier': self.other})
        with self.assertRaises(SupplierKeyError):
            # as /user/application/ would, for anybody who asks
            Application.create([{'application': 'multipoint_supplier',
                        'multipoint_supplier': self.shop,
                        'state': 'requested'}])
        op, = User.search([('login', '=', 'op')])
        manager, = User.search([('login', '=', 'manager')])
        with Transaction().set_user(op.id), check_access():
            self.assertEqual(Application.search(
                    [('application', '=', 'multipoint_supplier')]), [])
            with self.assertRaises(AccessError):
                Application.create_supplier_key(shop)
        with Transaction().set_user(manager.id), check_access():
            self.assertIn(key, Application.search(
                    [('application', '=', 'multipoint_supplier')]))
            new = Application.create_supplier_key(shop)
            created, = Application.search([('key', '=', new)])
            Application.revoke([created])
            self.assertEqual(created.state, 'cancelled')

    @with_transaction()
    def test_api_user_rules(self):
        "The record rules alone keep the API user to its key's supplier"
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Account = pool.get('multipoint.supplier.account')
        theirs, = Parcel.search([('order_number', '=', 'L-1')])
        with Transaction().set_user(api_user_id()), \
                Transaction().set_context({SUPPLIER_CONTEXT: self.shop,
                        '_companies': [theirs.company.id]}), \
                check_access():
            self.assertEqual({p.supplier.id for p in Parcel.search([])},
                {self.shop})
            self.assertEqual({a.supplier.id for a in Account.search([])},
                {self.shop})
            with self.assertRaises(AccessError):
                Parcel.read([theirs.id], ['order_number'])
        with Transaction().set_user(api_user_id()), check_access():
            # without the key's supplier: nothing at all
            self.assertEqual(Parcel.search([]), [])

    # -- writing -----------------------------------------------------------

    def test_create_batch_and_repost(self):
        "A batch creates its parcels; the same batch again changes nothing"
        batch = {'parcels': [
                parcel('R-1', items=[
                        {'name': "Кроссовки", 'quantity': 2,
                            'unit_price': '795.05', 'vat_rate': '20'}]),
                parcel('R-2', point='R-KZN', prepaid=True, places=[
                        {'barcode': 'R-2-1'}, {'barcode': 'R-2-2'}],
                    cod_amount=None),
                ]}
        response = self.call('post', json=batch)
        self.assertEqual(response.status_code, 200, response.data)
        answers = response.json['parcels']
        self.assertEqual([(a['order_number'], a['result'], a['state'])
                for a in answers],
            [('R-1', 'created', 'expected'), ('R-2', 'created', 'expected')])
        self.assertEqual(answers[1]['point']['code'], 'R-KZN')
        self.assertEqual(answers[0]['state_name'], "Ожидается")

        stored = self.parcels(self.shop, ['R-1', 'R-2'])
        self.assertEqual(stored['R-1'], (
                'expected', Decimal('1590.10'), 1))
        self.assertEqual(stored['R-2'][1], Decimal('0.00'))

        response = self.call('get', '/R-2')
        self.assertEqual(response.status_code, 200, response.data)
        detail = response.json
        self.assertEqual(detail['places'], [
                {'barcode': 'R-2-1', 'state': 'expected'},
                {'barcode': 'R-2-2', 'state': 'expected'}])
        event, = detail['events']
        self.assertEqual((event['kind'], event['state'], event['point']),
            ('created', 'expected', 'R-KZN'))
        self.assertNotIn('user', event)

        again = self.call('post', json=batch)
        self.assertEqual(again.status_code, 200, again.data)
        self.assertEqual([a['result'] for a in again.json['parcels']],
            ['unchanged', 'unchanged'])
        self.assertEqual(self.parcels(self.shop, ['R-1', 'R-2']), stored)

    def test_update(self):
        "Changes of an expected parcel apply and are journaled"
        self.assertEqual(self.call('post',
                json=parcel('R-10')).status_code, 200)
        # one parcel alone, without its point: it keeps its own
        response = self.call('post', json={
                'order_number': 'R-10', 'cod_amount': 1700,
                'places': [{'barcode': 'R-10-1'}, {'barcode': 'R-10-2'}]})
        self.assertEqual(response.status_code, 200, response.data)
        answer, = response.json['parcels']
        self.assertEqual((answer['result'], answer['point']['code']),
            ('updated', 'R-MSK'))
        state, cod, events = self.parcels(self.shop, ['R-10'])['R-10']
        self.assertEqual((cod, events), (Decimal('1700.00'), 2))
        kinds = [e['kind'] for e in self.call('get', '/R-10').json['events']]
        self.assertEqual(kinds, ['created', 'supplier_update'])

    def test_update_refused_by_state(self):
        "A stored parcel takes a new deadline, not a new recipient"
        before = self.call('get', '/R-STORED').json
        self.assertEqual(before['state'], 'stored')
        response = self.call('post', json={'parcels': [
                    parcel('R-20'),
                    {'order_number': 'R-STORED',
                        'recipient_name': "Другой Человек"}]})
        error = self.assertError(response, 422, 'invalid_parcels')
        detail, = error['details']
        self.assertEqual((detail['index'], detail['order_number']),
            (1, 'R-STORED'))
        self.assertIn("На хранении", detail["message"])
        # nothing of the batch was written
        self.assertEqual(self.parcels(self.shop, ['R-20']), {})

        response = self.call('post', json={'order_number': 'R-STORED',
                'storage_until': '2099-01-31'})
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.json['parcels'][0]['storage_deadline'],
            '2099-01-31')

    def test_cancel(self):
        self.assertEqual(self.call('post',
                json=parcel('R/30')).status_code, 200)
        response = self.call('post', '/R/30/cancel')
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.json['state'], 'cancelled')
        self.assertEqual(response.json['events'][-1]['state'], 'cancelled')
        # again: nothing more happens
        again = self.call('post', '/R/30/cancel')
        self.assertEqual(again.status_code, 200, again.data)
        self.assertEqual(len(again.json['events']), 2)
        message = self.assertError(self.call('post', '/R-STORED/cancel'),
            422, 'parcel_state')['message']
        self.assertIn("На хранении", message)
        self.assertEqual(self.call('get', '/R-STORED').json['state'],
            'stored')
        self.assertError(self.call('post', '/R-404/cancel'), 404,
            'not_found')

    def test_other_suppliers_parcels(self):
        "Another supplier's order is unknown: read, cancel or update"
        before = self.parcels(self.other, ['L-1'])
        unknown = self.assertError(self.call('get', '/R-nope'), 404,
            'not_found')
        theirs = self.assertError(self.call('get', '/L-1'), 404,
            'not_found')
        # nothing tells an unknown order from another supplier's
        self.assertEqual(theirs['message'].replace('L-1', 'X'),
            unknown['message'].replace('R-nope', 'X'))
        self.assertError(self.call('post', '/L-1/cancel'), 404, 'not_found')
        # an update of it answers as for an unknown order (no point)
        update = {'order_number': 'L-1', 'recipient_name': "Чужой"}
        theirs = self.assertError(self.call('post', json=update), 422,
            'invalid_parcels')['details'][0]['message']
        unknown = self.assertError(self.call('post', json=dict(update,
                    order_number='R-nope')), 422,
            'invalid_parcels')['details'][0]['message']
        self.assertEqual(theirs.replace('L-1', 'X'),
            unknown.replace('R-nope', 'X'))
        # with a point of its own, the order number is the shop's own
        response = self.call('post', json=parcel('L-1',
                places=[{'barcode': 'L-1-1'}]))
        self.assertEqual(response.json['parcels'][0]['result'], 'created')
        # its point codes are not the shop's
        self.assertError(self.call('post', json=parcel('R-40',
                    point='L-MSK')), 422, 'invalid_parcels')
        self.assertEqual(self.parcels(self.other, ['L-1']), before)

    def test_validation_writes_nothing(self):
        "Every bad parcel of a batch is named; nothing is written"
        batch = {'parcels': [
                parcel('R-50'),
                parcel('R-51', cod_amount='10.005', weight=0),
                parcel('R-52', recipient_phone='12', colour='red'),
                parcel('R-53', places=[{'barcode': 'R-50-1'}]),
                parcel('R-54', point='NOWHERE'),
                parcel('R-55', prepaid='yes', storage_until='31.01.2099'),
                parcel('R-56', items=[{'name': "Шарф", 'quantity': 0,
                            'vat_rate': '18'}]),
                {'recipient_name': "Без номера"},
                'not an object',
                ]}
        error = self.assertError(self.call('post', json=batch), 422,
            'invalid_parcels')
        failed = {}
        for detail in error['details']:
            self.assertRegex(detail['message'], RUSSIAN)
            failed.setdefault(detail['index'], []).append(detail['message'])
        self.assertEqual(sorted(failed), [1, 2, 3, 4, 5, 6, 7, 8])
        self.assertEqual(len(failed[1]), 2)
        self.assertIn('colour', ' '.join(failed[2]))
        self.assertIn('R-50-1', failed[3][0])
        self.assertIn('NOWHERE', failed[4][0])
        self.assertEqual(self.parcels(self.shop,
                [f'R-5{i}' for i in range(7)]), {})

    def test_marked_items(self):
        "Marked goods: codes read in any form, malformed ones refused"
        gs = '\x1d'
        shoes = (f'0104601234567893215Abc!d{gs}91EE06{gs}92'
            'Y3J5cHRvdGFpbDQ0Y2hhcmFjdGVyc2Jhc2U2NGxpa2Ux')
        bad = {'parcels': [parcel('R-70', items=[
                        {'name': "Туфли",
                            'marking_code': '0104601234567894215x'},
                        {'name': "Кеды", 'gtin': '123'},
                        {'name': "Боты", 'quantity': 2,
                            'marking_code': shoes}])]}
        error = self.assertError(self.call('post', json=bad), 422,
            'invalid_parcels')
        messages = ' '.join(d['message'] for d in error['details'])
        self.assertIn("не код маркировки", messages)
        self.assertIn("не GTIN", messages)
        self.assertIn("одна штука", messages)

        good = {'parcels': [parcel('R-70', items=[
                        {'name': "Туфли",
                            'marking_code': shoes.replace(gs, '\\u001d')},
                        {'name': "Кеды", 'quantity': 2, 'marked': True,
                            'gtin': '4601234567893'}])]}
        response = self.call('post', json=good)
        self.assertEqual(response.status_code, 200, response.data)

        def lines():
            Line = Pool().get('multipoint.parcel.line')
            return [(l.name, l.quantity, bool(l.marked), l.gtin,
                    l.marking_code)
                for l in Line.search([('parcel.order_number', '=', 'R-70')],
                    order=[('id', 'ASC')])]
        self.assertEqual(self.read(lines), [
                ("Туфли", 1, True, '04601234567893', shoes),
                ("Кеды", 1, True, '04601234567893', None),
                ("Кеды", 1, True, '04601234567893', None)])
        again = self.call('post', json=good)
        self.assertEqual(again.json['parcels'][0]['result'], 'unchanged')

    def test_bad_requests(self):
        for body in [b'{"parcels": [', b'NaN', b'[]', b'"text"']:
            with self.subTest(body=body):
                self.assertError(self.call('post', data=body,
                        content_type='application/json'), 400,
                    'bad_request')
        for query in ['limit=0', 'limit=x', 'cursor=%%%', 'state=lost,nope',
                'since=yesterday']:
            with self.subTest(query=query):
                self.assertError(self.call('get', f'?{query}'), 400,
                    'bad_request')
        too_large = b'[' + b' ' * MAX_REQUEST_SIZE + b']'
        self.assertEqual(self.call('post', data=too_large,
                content_type='application/json').status_code, 413)

    # -- reading -----------------------------------------------------------

    def test_list_paging(self):
        "The supplier's own parcels, page after page, by state and time"
        seen, cursor, pages = [], None, 0
        while True:
            query = '?limit=2' + (f'&cursor={cursor}' if cursor else '')
            response = self.call('get', query, key='pager')
            self.assertEqual(response.status_code, 200, response.data)
            pages += 1
            seen += [p['order_number'] for p in response.json['parcels']]
            cursor = response.json['next_cursor']
            if not cursor:
                break
        self.assertEqual(pages, 3)
        self.assertEqual(seen, [f'P-{i}' for i in range(1, 6)])

        response = self.call('get', '?state=expected,stored', key='pager')
        self.assertEqual(len(response.json['parcels']), 4)
        response = self.call('get', '?state=cancelled', key='pager')
        self.assertEqual([p['order_number'] for p in
                response.json['parcels']], ['P-5'])
        self.assertTrue(response.json['server_time'].endswith('Z'))
        later = self.call('get', '?since=2999-01-01', key='pager')
        self.assertEqual(later.json['parcels'], [])
        since = self.call('get', '?since=2000-01-01T00:00:00%2B03:00',
            key='pager')
        self.assertEqual(len(since.json['parcels']), 5)
        # none of another supplier's
        self.assertNotIn('P-1', [p['order_number'] for p in self.call(
                    'get', '?limit=500').json['parcels']])


del RouteTestCase
