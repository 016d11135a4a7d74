"""The supplier portal over HTTP, through trytond's WSGI app and the real
database: web_user sessions in a cookie, CSRF, rate-limited login, password
reset e-mail, and above all that a supplier reaches its own data only"""
import datetime as dt
import email
import email.policy
import io
import re
import socket
import urllib.parse
from decimal import Decimal

from aiosmtpd.controller import Controller

from trytond import config
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    accept_and_store, committed, create_parcel, create_point,
    create_supplier, create_user)
from trytond.modules.multipoint_portal.api_portal import (
    COOKIE, csrf_token)
from trytond.modules.multipoint_suppliers.bulk import insert
from trytond.modules.multipoint_suppliers.tests.tools import (
    create_account, csv_bytes, rows)
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase
from trytond.transaction import Transaction

PASSWORD = 'Portal#2026-pass'
AJAX = {'X-Requested-With': 'XMLHttpRequest'}
D = Decimal
RUSSIAN = re.compile('[А-Яа-яЁё]')


def upload(data, name):
    "A file field of a form"
    return (io.BytesIO(data), name)


def create_web_user(email, supplier=None):
    WebUser = Pool().get('web.user')
    user, = WebUser.create([{
                'email': email,
                'password': PASSWORD,
                'multipoint_supplier': supplier.id if supplier else None,
                }])
    return user


class SMTPHandler:
    "Keeps the messages a local SMTP server receives"

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return '250 Message accepted for delivery'


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class SupplierPortalTestCase(RouteTestCase):
    "Test the supplier portal's routes"
    module = 'multipoint_portal'
    # the tickets and the settlements are other modules'; the portal shows
    # them when they are activated
    extras = ['multipoint_tickets', 'multipoint_settlement']
    language = 'ru'

    @classmethod
    def setUpClass(cls):
        # RouteTestCase's own transaction cannot restart when the code asks
        # for table locks first (the configuration singleton); committed()
        # can
        super(RouteTestCase, cls).setUpClass()
        committed(cls.setUpDatabase, user=1)

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        SyncLog = pool.get('multipoint.supplier.sync.log')
        Event = pool.get('multipoint.parcel.event')
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            kzn = create_point(company, 'KZN1')
            romashka = create_supplier("Ромашка", storage_days=5,
                max_extension_days=2)
            vasilek = create_supplier("Василёк", storage_days=5,
                max_extension_days=2)
            lutik = create_supplier("Лютик", storage_days=5,
                max_extension_days=2)
            account_a = create_account(company, romashka,
                {msk: 'R-MSK', kzn: 'R-KZN'})
            account_b = create_account(company, vasilek, {msk: 'V-MSK'})
            account_c = create_account(company, lutik, {msk: 'L-MSK'})
            a = [create_parcel(msk, romashka, f'A-{i}', [f'RB-{i}'])
                for i in range(1, 4)]
            a.append(create_parcel(kzn, romashka, 'A-4', ['RB-4']))
            b = [create_parcel(msk, vasilek, f'B-{i}', [f'VB-{i}'])
                for i in range(1, 3)]
            operator = create_user('op_msk', ['operator'], [msk], company)
            with Transaction().set_user(operator.id):
                accept_and_store([a[0]])
                # what the operator typed looking for the recipient
                Event.log([a[0]], 'search', detail="Иванова секрет")
            log_b = SyncLog.create_import(account_b, msk,
                csv_bytes(rows(1, prefix='VB')), 'vasilek.csv')
            tickets = cls.create_tickets(operator, msk, romashka, vasilek,
                a[0], b[0])
            key_b = cls.create_key(vasilek)
            settlements = {
                'sent': cls.create_settlement(company, romashka, 'S-1',
                    'sent', ['A-1', 'A-2']),
                'draft': cls.create_settlement(company, romashka, 'S-2',
                    'draft', ['A-3']),
                'other': cls.create_settlement(company, vasilek, 'S-3',
                    'sent', ['B-1']),
                }
            create_web_user('a@romashka.example', romashka)
            create_web_user('reset@romashka.example', romashka)
            create_web_user('limit@romashka.example', romashka)
            create_web_user('b@vasilek.example', vasilek)
            create_web_user('c@lutik.example', lutik)
            create_web_user('nobody@example.com')
        cls.msk, cls.kzn = msk.id, kzn.id
        cls.parcels_a = [p.id for p in a]
        cls.parcels_b = [p.id for p in b]
        cls.account_a, cls.account_b = account_a.id, account_b.id
        cls.account_c = account_c.id
        cls.log_b = log_b.id
        cls.tickets = tickets
        cls.key_b = key_b
        cls.settlements = settlements

    @classmethod
    def create_settlement(cls, company, supplier, number, state, orders):
        "A settlement with lines as its computation writes them"
        pool = Pool()
        Settlement = pool.get('multipoint.settlement')
        Line = pool.get('multipoint.settlement.line')
        today = dt.date.today()
        settlement, = Settlement.create([{
                    'company': company.id, 'supplier': supplier.id,
                    'period_start': today.replace(day=1),
                    'period_end': today,
                    }])
        insert(Line, [{
                    'settlement': settlement.id, 'order_number': order,
                    'date': today, 'status': 'issued',
                    'cash': D('1699.00'), 'amount': D('1699.00'),
                    'commission': D('33.98'), 'net': D('1665.02'),
                    } for order in orders])
        Settlement.update_totals([settlement])
        # as the workflow leaves it (no accounting needed here)
        Settlement.write([settlement], {'state': state, 'number': number})
        return settlement.id

    @classmethod
    def create_tickets(cls, operator, point, supplier, other, parcel,
            other_parcel):
        "A ticket waiting for supplier, with an internal note, and other's"
        pool = Pool()
        Ticket = pool.get('multipoint.ticket')
        Message = pool.get('multipoint.ticket.message')
        Attachment = pool.get('ir.attachment')
        with Transaction().set_user(operator.id):
            ticket, other_ticket = Ticket.create([{
                        'title': "Повреждена коробка",
                        'type': 'damaged',
                        'point': point.id,
                        'supplier': s.id,
                        'parcels': [('add', [p.id])],
                        'description': "Вмятина на углу",
                        } for s, p in [
                        (supplier, parcel), (other, other_parcel)]])
            public, internal = Message.create([
                    {'ticket': ticket.id, 'body': "Пришлите акт"},
                    {'ticket': ticket.id, 'body': "Курьер грубил",
                        'internal': True},
                    ])
            photo, secret, other_photo = Attachment.create([
                    {'resource': str(ticket), 'type': 'data',
                        'name': 'коробка.jpg', 'data': b'box-photo'},
                    {'resource': str(internal), 'type': 'data',
                        'name': 'cctv.jpg', 'data': b'cctv'},
                    {'resource': str(other_ticket), 'type': 'data',
                        'name': 'other.jpg', 'data': b'other'},
                    ])
            Ticket.wait_supplier([ticket])
        return {'mine': ticket.id, 'other': other_ticket.id,
            'photo': photo.id, 'secret': secret.id,
            'other_photo': other_photo.id}

    @classmethod
    def create_key(cls, supplier):
        UserApplication = Pool().get('res.user.application')
        key = UserApplication.create_supplier_key(supplier)
        application, = UserApplication.search([('key', '=', key)])
        return application.id

    # -- helpers -----------------------------------------------------------

    def api(self, path):
        return f'/{self.db_name}/multipoint/portal/api/{path}'

    def login(self, email='a@romashka.example', password=PASSWORD):
        "A client signed in as email and its CSRF token"
        client = self.client()
        response = client.post(self.api('login'), headers=AJAX,
            json={'email': email, 'password': password})
        self.assertEqual(response.status_code, 200, response.data)
        return client, response.json['csrf']

    def post(self, client, path, csrf, **kwargs):
        return client.post(self.api(path),
            headers=dict(AJAX, **{'X-CSRF-Token': csrf}), **kwargs)

    def assertError(self, response, status, code):
        self.assertEqual(response.status_code, status, response.data)
        error = response.json['error']
        self.assertEqual(error['code'], code)
        self.assertRegex(error['message'], RUSSIAN)
        return error['message']

    def session_of(self, email):
        "A new web_user session key of the user with email"
        def add():
            WebUser = Pool().get('web.user')
            user, = WebUser.search([('email', '=', email)])
            return user.new_session()
        return committed(add)

    def client_with(self, key):
        client = self.client()
        client.set_cookie(COOKIE, key,
            path=f'/{self.db_name}/multipoint/portal')
        return client

    # -- page ------------------------------------------------------------

    def test_page_and_assets(self):
        "The page is Russian HTML with a strict CSP; only its assets served"
        client = self.client()
        response = client.get(f'/{self.db_name}/multipoint/portal/')
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.content_type.startswith('text/html'))
        page = response.data.decode('utf-8')
        self.assertIn('lang="ru"', page)
        self.assertIn('Портал поставщика', page)
        self.assertIn("script-src 'self'",
            response.headers['Content-Security-Policy'])
        self.assertEqual(response.headers['X-Frame-Options'], 'DENY')
        for name, kind in [('portal.js', 'javascript'), ('portal.css', 'css')]:
            response = client.get(
                f'/{self.db_name}/multipoint/portal/{name}')
            self.assertEqual(response.status_code, 200)
            self.assertIn(kind, response.content_type)
        for name in ['portal.py', '..%2Fportal.py', '..%2F__init__.py',
                'api', 'static%2Fportal%2Fportal.js']:
            response = client.get(
                f'/{self.db_name}/multipoint/portal/{name}')
            self.assertIn(response.status_code, {404, 405}, name)
            self.assertNotIn(b'import', response.data)

    # -- session ---------------------------------------------------------

    def test_login_me_logout(self):
        client = self.client()
        # without the header a cross-site form cannot send
        self.assertError(client.post(self.api('login'),
                json={'email': 'a@romashka.example', 'password': PASSWORD}),
            403, 'csrf')
        response = client.post(self.api('login'), headers=AJAX,
            json={'email': 'A@Romashka.example ', 'password': PASSWORD})
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.json['supplier']['name'], "Ромашка")
        cookie = response.headers['Set-Cookie']
        self.assertIn('HttpOnly', cookie)
        self.assertIn('SameSite=Strict', cookie)
        self.assertIn(f'Path=/{self.db_name}/multipoint/portal', cookie)
        csrf = response.json['csrf']

        me = client.get(self.api('me'))
        self.assertEqual(me.status_code, 200)
        self.assertEqual(me.json['email'], 'a@romashka.example')
        self.assertEqual(me.json['csrf'], csrf)

        # logout is a POST like any other: it needs the token
        self.assertError(client.post(self.api('logout'), headers=AJAX),
            403, 'csrf')
        self.assertEqual(client.get(self.api('me')).status_code, 200)
        response = self.post(client, 'logout', csrf)
        self.assertEqual(response.status_code, 200)
        self.assertError(client.get(self.api('me')), 401, 'unauthorized')

    def test_login_refused(self):
        client = self.client()
        message = self.assertError(client.post(self.api('login'),
                headers=AJAX, json={
                    'email': 'a@romashka.example', 'password': 'wrong'}),
            401, 'login_failed')
        self.assertEqual(message, "Неверный e-mail или пароль.")
        self.assertError(client.post(self.api('login'), headers=AJAX,
                json={'email': 'ghost@example.com', 'password': PASSWORD}),
            401, 'login_failed')
        self.assertError(client.post(self.api('login'), headers=AJAX,
                json={'email': ['a'], 'password': PASSWORD}),
            422, 'bad_request')
        # a web user of no supplier has no portal
        response = client.post(self.api('login'), headers=AJAX,
            json={'email': 'nobody@example.com', 'password': PASSWORD})
        self.assertError(response, 403, 'no_supplier')
        self.assertNotIn('Set-Cookie', response.headers)

        def attempts():
            Attempt = Pool().get('web.user.authenticate.attempt')
            return Attempt.count('a@romashka.example')
        # web_user counted the failure; a success clears the count
        self.assertEqual(committed(attempts), 1)
        self.login()
        self.assertEqual(committed(attempts), 0)

    def test_login_rate_limited(self):
        "web_user refuses a login once the failures of an e-mail are many"
        saved = config.get('session', 'max_attempt')
        # past 0 failures: the second try is refused (and no one waits)
        config.set('session', 'max_attempt', '0')
        try:
            client = self.client()
            email = 'limit@romashka.example'
            self.assertError(client.post(self.api('login'), headers=AJAX,
                    json={'email': email, 'password': 'wrong'}),
                401, 'login_failed')
            message = self.assertError(client.post(self.api('login'),
                    headers=AJAX, json={'email': email, 'password': 'x'}),
                429, 'rate_limited')
            self.assertIn("Слишком много попыток", message)
            # even the right password now
            self.assertError(client.post(self.api('login'), headers=AJAX,
                    json={'email': email, 'password': PASSWORD}),
                429, 'rate_limited')
            # another e-mail is not held back
            self.login('b@vasilek.example')
        finally:
            config.set('session', 'max_attempt', saved)

    def test_session_expires(self):
        "A session older than web_user's timeout is refused"
        key = self.session_of('a@romashka.example')
        self.assertEqual(
            self.client_with(key).get(self.api('me')).status_code, 200)

        def age():
            Session = Pool().get('web.user.session')
            table = Session.__table__()
            old = (dt.datetime.now() - Session.timeout()
                - dt.timedelta(days=1))
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.update(
                    [table.create_date, table.write_date], [old, old],
                    where=table.key == key))
        committed(age)
        client = self.client_with(key)
        response = client.get(self.api('parcels'))
        self.assertError(response, 401, 'unauthorized')
        # the page is told to forget the cookie
        self.assertIn(f'{COOKIE}=;', response.headers['Set-Cookie'])
        self.assertError(client.post(self.api('imports/preview'),
                headers=dict(AJAX, **{'X-CSRF-Token': csrf_token(key)}),
                data={'account': str(self.account_a),
                    'point': str(self.msk)}),
            401, 'unauthorized')
        self.assertError(self.client_with('not-a-session').get(
                self.api('me')), 401, 'unauthorized')

    def test_user_without_supplier_refused(self):
        "Even with a valid session, a web user of no supplier sees nothing"
        client = self.client_with(self.session_of('nobody@example.com'))
        for path in ['me', 'parcels', 'points', f'parcels/{self.parcels_a[0]}',
                'accounts', 'imports']:
            self.assertError(client.get(self.api(path)), 403, 'no_supplier')

    def test_post_needs_csrf_token(self):
        client, csrf = self.login()

        def form():
            return {'account': str(self.account_a), 'point': str(self.msk),
                'file': upload(csv_bytes(rows(1, prefix='CSRF')), 'x.csv')}
        for headers in [AJAX, dict(AJAX, **{'X-CSRF-Token': 'forged'}),
                {'X-CSRF-Token': csrf}]:
            for path in ['imports/preview', 'imports', 'logout']:
                self.assertError(client.post(self.api(path),
                        headers=headers, data=form()), 403, 'csrf')
        # another session's token is no token
        _, other = self.login('b@vasilek.example')
        self.assertError(self.post(client, 'imports', other, data=form()),
            403, 'csrf')
        self.assertEqual(client.get(self.api('imports')).json['imports'], [])
        self.assertEqual(client.get(self.api('me')).status_code, 200)
        self.assertEqual(self.post(client, 'imports/preview', csrf,
                data=form()).status_code, 200)

    # -- parcels -----------------------------------------------------------

    def test_parcels_of_the_supplier_only(self):
        client, _ = self.login()
        response = client.get(self.api('parcels'))
        self.assertEqual(response.status_code, 200)
        result = response.json
        self.assertEqual(result['total'], 4)
        self.assertEqual(sorted(p['order_number'] for p in result['parcels']),
            ['A-1', 'A-2', 'A-3', 'A-4'])
        parcel = next(p for p in result['parcels']
            if p['order_number'] == 'A-1')
        self.assertEqual(parcel['state'], 'stored')
        self.assertEqual(parcel['state_name'], "На хранении")
        self.assertEqual(parcel['point']['code'], 'MSK1')
        self.assertEqual(parcel['barcodes'], ['RB-1'])
        self.assertEqual(parcel['recipient_phone'], '***4567')

        def orders(query):
            response = client.get(self.api(f'parcels?{query}'))
            self.assertEqual(response.status_code, 200, response.data)
            return sorted(p['order_number'] for p in response.json['parcels'])
        self.assertEqual(orders('state=stored'), ['A-1'])
        self.assertEqual(orders('state=expected'), ['A-2', 'A-3', 'A-4'])
        self.assertEqual(orders(f'point={self.kzn}'), ['A-4'])
        # the point's parcels of other suppliers are not counted
        response = client.get(self.api(f'parcels?point={self.msk}'))
        self.assertEqual(response.json['total'], 3)
        self.assertEqual(orders('q=A-2'), ['A-2'])
        self.assertEqual(orders('q=RB-3'), ['A-3'])
        self.assertEqual(orders('q=a-'), ['A-1', 'A-2', 'A-3', 'A-4'])
        self.assertEqual(orders('q=%25'), [])
        # another supplier's order number and barcode find nothing
        self.assertEqual(orders('q=B-1'), [])
        self.assertEqual(orders('q=VB-1'), [])
        today = dt.date.today()
        self.assertEqual(len(orders(f'from={today - dt.timedelta(days=1)}'
                    f'&to={today + dt.timedelta(days=1)}')), 4)
        self.assertEqual(orders(f'from={today + dt.timedelta(days=2)}'), [])

        page = client.get(self.api('parcels?limit=3&page=2')).json
        self.assertEqual((page['total'], page['pages'], len(page['parcels'])),
            (4, 2, 1))
        self.assertError(client.get(self.api('parcels?from=01.02.2026')),
            422, 'bad_request')
        self.assertError(client.get(self.api('parcels?state=nope')),
            422, 'bad_request')
        self.assertError(client.get(self.api('parcels?page=x')),
            422, 'bad_request')

    def test_listings_leak_nothing_of_others(self):
        "Points, states and counts are those of the supplier alone"
        client, _ = self.login('b@vasilek.example')
        points = client.get(self.api('points')).json['points']
        self.assertEqual([p['code'] for p in points], ['MSK1'])
        summary = client.get(self.api('summary')).json['states']
        self.assertEqual(sum(summary.values()), 2)
        self.assertEqual(summary['expected'], 2)
        accounts = client.get(self.api('accounts')).json['accounts']
        self.assertEqual([a['id'] for a in accounts], [self.account_b])
        self.assertEqual([p['supplier_code'] for p in accounts[0]['points']],
            ['V-MSK'])
        imports = client.get(self.api('imports')).json['imports']
        self.assertEqual([i['id'] for i in imports], [self.log_b])
        text = client.get(self.api('parcels')).data.decode()
        for other in ['A-1', 'RB-1', 'Ромашка', 'R-MSK']:
            self.assertNotIn(other, text)

        client, _ = self.login()
        points = client.get(self.api('points')).json['points']
        self.assertEqual(sorted(p['code'] for p in points), ['KZN1', 'MSK1'])
        self.assertEqual(client.get(self.api('imports')).json['imports'], [])
        states = client.get(self.api('states')).json['states']
        self.assertIn({'state': 'stored', 'name': "На хранении"}, states)

    def test_parcel_history(self):
        "The events of a parcel: the point, never the operator"
        client, _ = self.login()
        response = client.get(self.api(f'parcels/{self.parcels_a[0]}'))
        self.assertEqual(response.status_code, 200, response.data)
        parcel = response.json
        self.assertEqual(parcel['order_number'], 'A-1')
        self.assertEqual(parcel['places'][0]['barcode'], 'RB-1')
        events = parcel['events']
        stored = [e for e in events if e['to_state'] == 'stored']
        self.assertEqual(len(stored), 1)
        self.assertEqual(stored[0]['point']['code'], 'MSK1')
        self.assertEqual(stored[0]['to_state_name'], "На хранении")
        search, = [e for e in events if e['kind'] == 'search']
        self.assertIsNone(search['detail'])
        for event in events:
            self.assertEqual(set(event) & {'user', 'cell', 'reception'},
                set())
        text = response.data.decode()
        for hidden in ['op_msk', 'секрет', 'Zone', 'Rack']:
            self.assertNotIn(hidden, text)

    def test_other_suppliers_ids_not_found(self):
        "Every URL with another supplier's id answers as an unknown id"
        client, csrf = self.login()
        data = csv_bytes(rows(1, prefix='X'))
        unknown = 10 ** 6
        for parcel in self.parcels_b + [unknown]:
            self.assertError(client.get(self.api(f'parcels/{parcel}')),
                404, 'not_found')
        for log in [self.log_b, unknown]:
            self.assertError(client.get(self.api(f'imports/{log}')),
                404, 'not_found')
        for ticket in [self.tickets['other'], unknown]:
            self.assertError(client.get(self.api(f'tickets/{ticket}')),
                404, 'not_found')
            self.assertError(self.post(client, f'tickets/{ticket}/reply',
                    csrf, data={'body': "Чужое"}), 404, 'not_found')
        for attachment in [self.tickets['other_photo'],
                self.tickets['secret'], unknown]:
            self.assertError(client.get(
                    self.api(f'tickets/attachments/{attachment}')),
                404, 'not_found')
        for settlement in [self.settlements['other'],
                self.settlements['draft'], unknown]:
            self.assertError(client.get(
                    self.api(f'settlements/{settlement}')), 404, 'not_found')
            for kind in ['xlsx', 'pdf']:
                self.assertError(client.get(self.api(
                            f'settlements/{settlement}/{kind}')),
                    404, 'not_found')
            for action in ['agree', 'dispute']:
                self.assertError(self.post(client,
                        f'settlements/{settlement}/{action}', csrf,
                        json={'comment': "Не согласны"}), 404, 'not_found')
        for key in [self.key_b, unknown]:
            self.assertError(self.post(client, f'keys/{key}/revoke', csrf),
                404, 'not_found')
        for path in ['imports/preview', 'imports']:
            for account in [self.account_b, self.account_c, unknown]:
                self.assertError(self.post(client, path, csrf, data={
                            'account': str(account), 'point': str(self.msk),
                            'file': upload(data, 'x.csv')}),
                    404, 'not_found')
        # a point the supplier's account does not serve
        client_b, csrf_b = self.login('b@vasilek.example')
        self.assertError(self.post(client_b, 'imports/preview', csrf_b,
                data={'account': str(self.account_b),
                    'point': str(self.kzn), 'file': upload(data, 'x.csv')}),
            404, 'not_found')
        # nothing was created for anyone
        self.assertEqual(client.get(self.api('parcels?q=X-1')).json['total'],
            0)
        self.assertEqual([i['id'] for i in
                client_b.get(self.api('imports')).json['imports']],
            [self.log_b])

    # -- manifest imports ----------------------------------------------

    def test_import_preview_then_confirm(self):
        client, csrf = self.login('c@lutik.example')
        account = client.get(self.api('accounts')).json['accounts'][0]
        self.assertEqual(account['id'], self.account_c)
        point = account['points'][0]['id']

        bad = rows(3, prefix='LT')
        bad[1][3] = 'позвоните'
        response = self.post(client, 'imports/preview', csrf, data={
                'account': str(self.account_c), 'point': str(point),
                'file': upload(csv_bytes(bad), 'lutik.csv')})
        self.assertEqual(response.status_code, 200, response.data)
        preview = response.json
        self.assertFalse(preview['valid'])
        self.assertEqual(preview['rows'], 3)
        error, = preview['errors']
        self.assertEqual(error['row'], 3)
        self.assertIn('позвоните', error['message'])
        self.assertRegex(error['message'], RUSSIAN)
        self.assertError(self.post(client, 'imports/preview', csrf, data={
                    'account': str(self.account_c), 'point': str(point)}),
            422, 'bad_request')
        # a failed import writes nothing
        response = self.post(client, 'imports', csrf, data={
                'account': str(self.account_c), 'point': str(point),
                'file': upload(csv_bytes(bad), 'lutik.csv')})
        self.assertEqual(response.status_code, 201, response.data)
        self.assertEqual(response.json['import']['state'], 'failed')
        self.assertEqual(response.json['import']['lines'][0]['row'], 3)
        self.assertEqual(
            client.get(self.api('parcels')).json['total'], 0)

        good = csv_bytes(rows(3, prefix='LT'))
        preview = self.post(client, 'imports/preview', csrf, data={
                'account': str(self.account_c), 'point': str(point),
                'file': upload(good, 'lutik.csv')}).json
        self.assertTrue(preview['valid'])
        self.assertEqual((preview['parcels'], preview['created']), (3, 3))
        self.assertEqual(client.get(self.api('parcels')).json['total'], 0)

        response = self.post(client, 'imports', csrf, data={
                'account': str(self.account_c), 'point': str(point),
                'file': upload(good, 'lutik.csv')})
        self.assertEqual(response.status_code, 201, response.data)
        log = response.json['import']
        self.assertEqual((log['state'], log['created'], log['rows']),
            ('done', 3, 3))
        self.assertEqual(log['state_name'], "Выполнено")
        again = client.get(self.api(f"imports/{log['id']}")).json
        self.assertEqual(again['state'], 'done')
        listed = client.get(self.api('imports')).json['imports']
        self.assertEqual([i['id'] for i in listed][0], log['id'])
        parcels = client.get(self.api('parcels?q=LT-')).json
        self.assertEqual(parcels['total'], 3)
        # the other suppliers do not see it
        other, _ = self.login()
        self.assertError(other.get(self.api(f"imports/{log['id']}")),
            404, 'not_found')

    # -- password reset ------------------------------------------------

    def test_password_reset_by_email(self):
        "web_user's reset e-mail through Tryton's SMTP settings"
        handler = SMTPHandler()
        port = free_port()
        controller = Controller(handler, hostname='127.0.0.1', port=port)
        controller.start()
        old_uri = config.get('email', 'uri')
        config.set('email', 'uri', f'smtp://127.0.0.1:{port}')
        try:
            client = self.client()
            message = client.post(self.api('password/reset'), headers=AJAX,
                json={'email': 'reset@romashka.example'}).json['message']
            self.assertRegex(message, RUSSIAN)
            # an unknown address, or a web user of no supplier: the same
            # answer, no e-mail
            for address in ['ghost@example.com', 'nobody@example.com']:
                response = client.post(self.api('password/reset'),
                    headers=AJAX, json={'email': address})
                self.assertEqual(response.json['message'], message)
            self.assertError(client.post(self.api('password/reset'),
                    json={'email': 'reset@romashka.example'}), 403, 'csrf')
        finally:
            controller.stop()
            config.set('email', 'uri', old_uri)
        envelope, = handler.messages
        self.assertEqual(envelope.rcpt_tos, ['reset@romashka.example'])
        mail = email.message_from_bytes(
            envelope.original_content, policy=email.policy.default)
        body = mail.get_body(('html', 'plain')).get_content()
        link = re.search(r'href="([^"]+)"', body).group(1)
        url = urllib.parse.urlsplit(link.replace('&amp;', '&'))
        self.assertTrue(url.path.endswith(
                f'/{self.db_name}/multipoint/portal/'), url.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        self.assertEqual(query['email'], 'reset@romashka.example')

        new = 'Novyi#Parol-2026'
        self.assertError(client.post(self.api('password/set'), headers=AJAX,
                json={'email': query['email'], 'token': 'forged',
                    'password': new}), 422, 'bad_request')
        # Tryton's password rules apply ([password] length, not the e-mail)
        message = self.assertError(client.post(self.api('password/set'),
                headers=AJAX, json={'email': query['email'],
                    'token': query['token'], 'password': 'short'}),
            422, 'bad_request')
        self.assertIn("не менее 8", message)
        self.assertError(client.post(self.api('password/set'), headers=AJAX,
                json={'email': query['email'], 'token': query['token'],
                    'password': query['email']}), 422, 'bad_request')
        response = client.post(self.api('password/set'), headers=AJAX,
            json={'email': query['email'], 'token': query['token'],
                'password': new})
        self.assertEqual(response.status_code, 200, response.data)
        self.assertRegex(response.json['message'], RUSSIAN)
        self.login('reset@romashka.example', new)
        # the link is used up
        self.assertError(client.post(self.api('password/set'), headers=AJAX,
                json={'email': query['email'], 'token': query['token'],
                    'password': PASSWORD}), 422, 'bad_request')

    # -- API keys ------------------------------------------------------

    def test_api_keys(self):
        "Keys of the supplier API: created once shown, listed, revoked"
        client, csrf = self.login()
        listing = client.get(self.api('keys')).json
        self.assertEqual(listing['keys'], [])
        self.assertEqual(listing['api'],
            f'/{self.db_name}/multipoint/supplier-api/v1/')
        self.assertError(client.post(self.api('keys'), headers=AJAX),
            403, 'csrf')
        response = self.post(client, 'keys', csrf)
        self.assertEqual(response.status_code, 201, response.data)
        created = response.json
        secret = created['key']
        self.assertEqual(created['state'], 'validated')
        listed, = client.get(self.api('keys')).json['keys']
        self.assertEqual(listed['id'], created['id'])
        self.assertNotIn('key', listed)
        self.assertNotIn(secret, client.get(self.api('keys')).data.decode())
        self.assertEqual(listed['hint'], f'{secret[:4]}…{secret[-4:]}')

        # the key reaches the supplier's parcels through the supplier API
        api = f'/{self.db_name}/multipoint/supplier-api/v1/parcels'
        bearer = {'Authorization': f'Bearer {secret}'}
        response = self.client().get(api, headers=bearer)
        self.assertEqual(response.status_code, 200, response.data)
        self.assertIn('A-1', response.data.decode())
        self.assertNotIn('B-1', response.data.decode())

        response = self.post(client, f"keys/{created['id']}/revoke", csrf)
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.json['state'], 'cancelled')
        self.assertEqual(
            self.client().get(api, headers=bearer).status_code, 401)

        # another supplier's key is neither listed nor revoked
        other, _ = self.login('b@vasilek.example')
        self.assertEqual([k['id'] for k in
                other.get(self.api('keys')).json['keys']], [self.key_b])

    # -- tickets -------------------------------------------------------

    def test_claims_unavailable(self):
        """Without multipoint_claims the portal has no claims page and its
        routes answer the JSON 404 of a missing section"""
        client, csrf = self.login()
        self.assertFalse(client.get(self.api('me')).json['features']['claims'])
        for path in ['claims', 'claims/1']:
            self.assertError(client.get(self.api(path)), 404, 'not_found')

    def test_tickets(self):
        "The supplier's tickets without internal notes; its answer"
        client, csrf = self.login()
        me = client.get(self.api('me')).json
        self.assertTrue(me['features']['tickets'])
        listed, = client.get(self.api('tickets')).json['tickets']
        self.assertEqual(listed['id'], self.tickets['mine'])
        self.assertEqual(listed['state'], 'waiting_supplier')
        self.assertNotIn('messages', listed)

        url = self.api(f"tickets/{self.tickets['mine']}")
        ticket = client.get(url).json
        self.assertEqual(ticket['parcels'], ['A-1'])
        self.assertEqual(ticket['description'], "Вмятина на углу")
        bodies = [m['body'] for m in ticket['messages']]
        self.assertIn("Пришлите акт", bodies)
        text = client.get(url).data.decode()
        for hidden in ["Курьер грубил", 'cctv', 'op_msk']:
            self.assertNotIn(hidden, text)
        # the network's messages carry no author
        self.assertEqual({m['author'] for m in ticket['messages']
                if not m['from_supplier']}, {None})
        photo, = ticket['attachments']
        response = client.get(
            self.api(f"tickets/attachments/{photo['id']}"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.data, b'box-photo')
        self.assertEqual(response.content_type, 'application/octet-stream')
        self.assertTrue(response.headers['Content-Disposition'].startswith(
                'attachment;'))
        self.assertIn("UTF-8''%D0%BA", response.headers['Content-Disposition'])

        self.assertError(self.post(client,
                f"tickets/{self.tickets['mine']}/reply", csrf,
                data={'body': "  "}), 422, 'ticket')
        response = self.post(client, f"tickets/{self.tickets['mine']}/reply",
            csrf, data={'body': "Акт во вложении",
                'attachments': upload(b'%PDF-1.4 act', 'акт.pdf')})
        self.assertEqual(response.status_code, 201, response.data)
        self.assertTrue(response.json['from_supplier'])
        self.assertEqual([a['name'] for a in response.json['attachments']],
            ['акт.pdf'])
        ticket = client.get(url).json
        self.assertEqual(ticket['state'], 'in_progress')
        self.assertIn("Акт во вложении",
            [m['body'] for m in ticket['messages'] if m['from_supplier']])

        # the other supplier does not see it
        other, _ = self.login('b@vasilek.example')
        self.assertEqual([t['id'] for t in
                other.get(self.api('tickets')).json['tickets']],
            [self.tickets['other']])
        self.assertError(other.get(url), 404, 'not_found')

    # -- settlements ---------------------------------------------------

    def test_settlements(self):
        "Sent settlements: read, downloaded, disputed, then agreed"
        import openpyxl
        client, csrf = self.login()
        listed, = client.get(self.api('settlements')).json['settlements']
        self.assertEqual(listed['id'], self.settlements['sent'])
        self.assertEqual((listed['number'], listed['state_name']),
            ('S-1', "Отправлен"))
        self.assertEqual(listed['parcel_count'], 2)
        self.assertEqual(D(listed['collected']), D('3398.00'))
        self.assertEqual(D(listed['net_amount']), D('3330.04'))
        url = self.api(f"settlements/{self.settlements['sent']}")
        detail = client.get(url).json
        self.assertEqual([l['order_number'] for l in detail['lines']],
            ['A-1', 'A-2'])
        self.assertEqual(detail['lines'][0]['status_name'], "Выдан")

        response = client.get(url + '/xlsx')
        self.assertEqual(response.status_code, 200, response.data)
        self.assertIn('filename="S-1.xlsx"',
            response.headers['Content-Disposition'])
        book = openpyxl.load_workbook(io.BytesIO(response.data))
        cells = {c.value for sheet in book for row in sheet.iter_rows()
            for c in row}
        self.assertTrue({'A-1', 'A-2'} <= cells)
        self.assertNotIn('B-1', cells)
        response = client.get(url + '/pdf')
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.data.startswith(b'%PDF'))
        self.assertEqual(response.content_type, 'application/pdf')

        # a dispute needs its comment
        self.assertError(client.post(url + '/dispute', headers=AJAX,
                json={'comment': "x"}), 403, 'csrf')
        path = f"settlements/{self.settlements['sent']}"
        self.assertError(self.post(client, path + '/dispute', csrf,
                json={'comment': "  "}), 422, 'invalid')
        response = self.post(client, path + '/dispute', csrf,
            json={'comment': "A-2 не выдавалась"})
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual((response.json['state'],
                response.json['dispute_comment']),
            ('disputed', "A-2 не выдавалась"))
        self.assertError(self.post(client, path + '/dispute', csrf,
                json={'comment': "ещё"}), 422, 'bad_request')
        response = self.post(client, path + '/agree', csrf)
        self.assertEqual(response.json['state'], 'agreed')
        self.assertIsNotNone(response.json['answered_at'])
        self.assertError(self.post(client, path + '/agree', csrf),
            422, 'bad_request')
