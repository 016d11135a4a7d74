"""The operator API's session check (ir.Session.api_user): one query in the
request's own transaction, then trusted for a few seconds — and dropped at
once by a logout, a deactivated user or a new password."""
import datetime as dt

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    OPERATOR_PASSWORD, committed, create_point, create_user)
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase
from trytond.transaction import Transaction


class SessionCheckTestCase(RouteTestCase):
    "Test the session check of the operator API"
    module = 'multipoint_core'
    language = 'ru'

    @classmethod
    def setUpDatabase(cls):
        company = create_company()
        with set_company(company):
            point = create_point(company, 'MSK1')
            for login in ['op_a', 'op_b', 'op_c', 'op_d', 'op_e']:
                create_user(login, ['operator'], [point], company)

    def login(self, login, remote_addr='127.0.0.1'):
        client = self.client()
        response = client.post(f'/{self.db_name}/session/login',
            json={'params': [login, {'password': OPERATOR_PASSWORD}, 'ru']},
            environ_base={'REMOTE_ADDR': remote_addr})
        self.assertEqual(response.status_code, 200, response.data)
        return client

    def session(self, client, remote_addr='127.0.0.1'):
        return client.get(f'/{self.db_name}/multipoint/api/v1/session',
            environ_base={'REMOTE_ADDR': remote_addr})

    def user_id(self, login):
        def read():
            User = Pool().get('res.user')
            return User.search([('login', '=', login)])[0].id
        return committed(read)

    def assertRefused(self, response):
        self.assertEqual(response.status_code, 401, response.data)
        self.assertEqual(response.json['error']['code'], 'unauthorized')
        self.assertRegex(response.json['error']['message'], '[А-Яа-я]')

    def test_valid_session_answers_its_user(self):
        client = self.login('op_a')
        for _ in range(3):  # the first checked, the next ones trusted
            response = self.session(client)
            self.assertEqual(response.status_code, 200, response.data)
            self.assertEqual(response.json, {'user': self.user_id('op_a')})

    def test_logout_ends_the_trusted_session_at_once(self):
        client = self.login('op_b')
        self.assertEqual(self.session(client).status_code, 200)
        response = client.post(f'/{self.db_name}/session/logout')
        self.assertEqual(response.status_code, 200, response.data)
        self.assertRefused(self.session(client))

    def test_deactivated_user_is_refused_at_once(self):
        client = self.login('op_c')
        self.assertEqual(self.session(client).status_code, 200)

        def deactivate():
            User = Pool().get('res.user')
            User.write(User.search([('login', '=', 'op_c')]),
                {'active': False})
        committed(deactivate)
        self.assertRefused(self.session(client))

    def test_other_address_and_forged_key_are_refused(self):
        client = self.login('op_d')
        self.assertEqual(self.session(client).status_code, 200)
        # the session belongs to the address that logged in
        self.assertRefused(self.session(client, remote_addr='10.1.2.3'))
        # another user's id with this key, or a made-up key
        cookie = client.get_cookie('tryton_session',
            path=f'/{self.db_name}')
        login, user, key = cookie.value.rsplit(':', 2)
        for forged in [f'{login}:{int(user) + 1}:{key}',
                f'{login}:{user}:{"0" * len(key)}']:
            other = self.client()
            other.set_cookie('tryton_session', forged,
                path=f'/{self.db_name}')
            self.assertRefused(self.session(other))

    def test_expired_session_is_refused(self):
        client = self.login('op_e')
        user_id = self.user_id('op_e')

        def age():
            session = Pool().get('ir.session').__table__()
            Transaction().connection.cursor().execute(*session.update(
                    [session.create_date],
                    [dt.datetime.now() - dt.timedelta(days=400)],
                    where=session.create_uid == user_id))
        committed(age)
        self.assertRefused(self.session(client))

    def test_no_session(self):
        self.assertRefused(self.client().get(
                f'/{self.db_name}/multipoint/api/v1/session'))
