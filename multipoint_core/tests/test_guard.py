"""The models are the guard: the rules hold through Tryton's generic
JSON-RPC (the door sao and proteus use), for every role.

Each case of the issue «Every rule holds through every door» is replayed
here as a real user logged in through /<db>/rpc/."""
import base64
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    OPERATOR_PASSWORD, accept_and_store, committed, create_parcel, create_point,
    create_supplier, create_user)
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase, with_transaction
from trytond.transaction import Transaction


class GuardRPCTestCase(RouteTestCase):
    "Rules of the parcel workflow through the generic JSON-RPC"
    module = 'multipoint_core'
    language = 'ru'

    @classmethod
    def setUpDatabase(cls):
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            supplier = create_supplier(
                "Лавка", storage_days=7, max_extension_days=3)
            stored = create_parcel(msk, supplier, 'COD-1', ['COD-1-1'],
                size_class='s', lines=[('create', [{
                                'name': "Кроссовки", 'quantity': 1,
                                'unit_price': Decimal('1500.00'),
                                }])])
            expected = create_parcel(msk, supplier, 'EXP-1', ['EXP-1-1'])
            create_user('op_msk', ['operator'], [msk], company)
            create_user('boss', ['owner'], [msk], company)
            create_user('buh', ['accountant'], [msk], company)
        cls.stored, cls.expected = stored.id, expected.id
        cls.company, cls.point = company.id, msk.id

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        committed(cls.store)

    @classmethod
    def store(cls):
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Notification = pool.get('multipoint.notification')
        with Transaction().set_context(company=cls.company):
            accept_and_store([Parcel(cls.stored)])
        cls.notification = Notification.search(
            [('parcel', '=', cls.stored)])[0].id

    def rpc(self, login, method, *params):
        "Call method as login through /<db>/rpc/; (result, error)"
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

    def assertRefused(self, login, method, *params, message=None):
        result, error = self.rpc(login, method, *params)
        self.assertIsNotNone(error, f"{login} {method} {params} went through")
        # a Russian message, not a traceback
        text = error[1][0] if isinstance(error[1], list) else str(error)
        self.assertRegex(text, '[А-Яа-яЁё]')
        if message:
            self.assertIn(message, text)
        return text

    def parcel_values(self, parcel_id, *names):
        result, error = self.rpc(
            'boss', 'model.multipoint.parcel.read', [parcel_id], list(names))
        self.assertIsNone(error)
        return result[0]

    def events(self, parcel_id, kind):
        result, error = self.rpc('boss',
            'model.multipoint.parcel.event.search_read',
            [('parcel', '=', parcel_id), ('kind', '=', kind)], 0, None, None,
            ['detail', 'user', 'from_state', 'to_state'])
        self.assertIsNone(error, error)
        return result

    def test_state_only_by_transition(self):
        "Nobody writes a state: not the operator, not the owner"
        for login in ['op_msk', 'boss']:
            self.assertRefused(login, 'model.multipoint.parcel.write',
                [self.stored], {'state': 'issued'})
        # (the tests share the database: another may have queued it for
        # return through its button)
        after = self.parcel_values(self.stored, 'state', 'issued_at')
        self.assertIn(after['state'], {'stored', 'to_return'})
        self.assertIsNone(after['issued_at'])
        self.assertFalse([e for e in self.events(self.stored, 'state')
                if e['to_state'] == 'issued'])

    def test_create_only_expected(self):
        "A parcel is born expected: not issued, not with a deadline"
        values = {
            'company': self.company, 'point': self.point,
            'supplier': self.parcel_values(
                self.stored, 'supplier')['supplier'],
            'order_number': 'NEW-1', 'recipient_name': "Пётр",
            'recipient_phone': '+79161112233',
            }
        self.assertRefused('boss', 'model.multipoint.parcel.create',
            [dict(values, state='issued')])
        self.assertRefused('boss', 'model.multipoint.parcel.create',
            [dict(values, storage_deadline='2030-01-01')])
        # an operator creates no parcels at all
        self.assertRefused('op_msk', 'model.multipoint.parcel.create',
            [values])
        result, error = self.rpc(
            'boss', 'model.multipoint.parcel.create', [values])
        self.assertIsNone(error, error)

    def test_money_and_recipient_locked_once_accepted(self):
        "COD, prepaid, phone, deadline of a stored parcel: refused to all"
        for login in ['op_msk', 'boss']:
            for values in [
                    {'cod_amount': '0.00', 'prepaid': True},
                    {'recipient_phone': '+79990000000'},
                    {'storage_deadline': '2030-01-01'},
                    {'cell': None},
                    {'issue_code_hash': 'x'},
                    ]:
                self.assertRefused(
                    login, 'model.multipoint.parcel.write',
                    [self.stored], values)
        after = self.parcel_values(
            self.stored, 'cod_amount', 'prepaid', 'recipient_phone')
        self.assertEqual(after['prepaid'], False)
        self.assertEqual(Decimal(str(after['cod_amount'].get('decimal')
                    if isinstance(after['cod_amount'], dict)
                    else after['cod_amount'])), Decimal('1500.00'))
        self.assertEqual(after['recipient_phone'], '+79161234567')

    def test_items_and_places_locked_once_accepted(self):
        "The lines (prices) and places of a stored parcel don't change"
        result, _ = self.rpc('boss', 'model.multipoint.parcel.read',
            [self.stored], ['lines', 'places'])
        line, = result[0]['lines']
        place, = result[0]['places']
        self.assertRefused('boss', 'model.multipoint.parcel.line.write',
            [line], {'unit_price': '1.00'})
        self.assertRefused('boss', 'model.multipoint.parcel.place.write',
            [place], {'barcode': 'OTHER'})
        self.assertRefused('boss', 'model.multipoint.parcel.line.create',
            [{'parcel': self.stored, 'name': "Подарок", 'quantity': 1,
                    'unit_price': '0.00'}])
        self.assertRefused('boss', 'model.multipoint.parcel.line.delete',
            [line])

    def test_owner_edit_of_expected_parcel_journaled(self):
        "An owner corrects an expected parcel: who, old and new are kept"
        result, error = self.rpc('boss', 'model.multipoint.parcel.write',
            [self.expected], {'cod_amount': '900.00',
                'recipient_phone': '+79165550011'})
        self.assertIsNone(error, error)
        change, = self.events(self.expected, 'change')
        self.assertIn('1500.00 → 900.00', change['detail'])
        # the journal does not spread the full phone
        self.assertIn('***4567 → ***0011', change['detail'])
        self.assertNotIn('79165550011', change['detail'])
        self.assertIsNotNone(change['user'])
        # the operator, whose screen needs no edit, may not
        self.assertRefused('op_msk', 'model.multipoint.parcel.write',
            [self.expected], {'cod_amount': '0.00'})

    def test_journal_not_written_by_hand(self):
        "Nobody creates, changes or deletes journal events through RPC"
        event = self.events(self.stored, 'state')[0]
        for login in ['op_msk', 'boss']:
            self.assertRefused(login, 'model.multipoint.parcel.event.create',
                [{'parcel': self.stored, 'kind': 'state',
                        'to_state': 'issued', 'date': '2026-01-01 00:00:00'}])
            self.assertRefused(login, 'model.multipoint.parcel.event.write',
                [event['id']], {'detail': 'x'})
            self.assertRefused(login, 'model.multipoint.parcel.event.delete',
                [event['id']])

    def test_buttons_by_group(self):
        "Transitions through buttons follow the buttons' groups"
        self.assertRefused('op_msk', 'model.multipoint.parcel.cancel',
            [self.expected])
        self.assertRefused('buh', 'model.multipoint.parcel.to_return',
            [self.stored])
        result, error = self.rpc(
            'op_msk', 'model.multipoint.parcel.to_return', [self.stored])
        self.assertIsNone(error, error)
        self.assertEqual(
            self.parcel_values(self.stored, 'state')['state'], 'to_return')
        event, = [e for e in self.events(self.stored, 'state')
            if e['to_state'] == 'to_return']
        self.assertEqual(event['from_state'], 'stored')

    def test_notification_phone_and_code_hidden(self):
        "Operators read neither the address nor the text (issue code)"
        for field in ['recipient', 'body']:
            self.assertRefused('op_msk',
                'model.multipoint.notification.search_read',
                [], 0, None, None, [field])
            self.assertRefused('op_msk', 'model.multipoint.notification.read',
                [self.notification], [field])
        result, error = self.rpc('op_msk',
            'model.multipoint.notification.read',
            [self.notification], ['recipient_masked'])
        self.assertIsNone(error, error)
        self.assertEqual(result[0]['recipient_masked'], '***4567')
        result, error = self.rpc('boss',
            'model.multipoint.notification.read',
            [self.notification], ['recipient'])
        self.assertIsNone(error, error)
        self.assertEqual(result[0]['recipient'], '+79161234567')

    @with_transaction()
    def test_business_method_still_works(self):
        "The checked business actions still change what users cannot"
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        User = pool.get('res.user')
        operator, = User.search([('login', '=', 'op_msk')])
        from trytond.transaction import check_access
        with Transaction().set_user(operator.id), check_access(), \
                Transaction().set_context(company=self.company):
            parcel, = Parcel.search([('id', '=', self.stored)])
            Parcel.extend_storage([parcel], 2, 'operator')
            self.assertEqual(Parcel(self.stored).extended_days, 2)


del RouteTestCase
