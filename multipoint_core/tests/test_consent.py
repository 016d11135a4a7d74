"""Personal-data consents (152-FZ) and the access log of personal data:
through the real ORM with access checks as each group, the real SMS client
against the local fake gateway, and the tracking page's routes"""
import base64
import datetime as dt

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.consent import ConsentError
from trytond.modules.multipoint_core.security import PLACEHOLDER
from trytond.modules.multipoint_core.tests.test_notification import (
    TOKEN, FakeServer, settings)
from trytond.modules.multipoint_core.tests.tools import (
    OPERATOR_PASSWORD, DBTestCase, accept_and_store, committed,
    create_parcel, create_point, create_supplier, create_user)
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase, with_transaction
from trytond.transaction import Transaction


def as_user(user):
    "Run as user through the access checks of the generic RPC"
    transaction = Transaction()
    return _Both(transaction.set_user(user.id),
        transaction.set_context(_check_access=True))


class _Both:
    def __init__(self, *managers):
        self.managers = managers

    def __enter__(self):
        for manager in self.managers:
            manager.__enter__()

    def __exit__(self, *args):
        for manager in reversed(self.managers):
            manager.__exit__(*args)


class ConsentTestCase(DBTestCase):
    "Consents, marketing messages and the access log through the ORM"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = FakeServer()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.server.received.clear()

    def sms(self):
        return settings(sms_url=f'{self.server.url}/api/send',
            sms_token=TOKEN, sms_sender='Multipoint')

    def setup_world(self, company):
        "Two points, a stored parcel at each, an owner, an operator of MSK1"
        pool = Pool()
        Notification = pool.get('multipoint.notification')
        msk = create_point(company, 'MSK1')
        spb = create_point(company, 'SPB1')
        shop = create_supplier("Лавка", storage_days=5)
        here = create_parcel(msk, shop, 'M-1',
            recipient_phone='+7 916 111-22-33')
        there = create_parcel(spb, shop, 'S-1',
            recipient_phone='+7 916 444-55-66')
        accept_and_store([here])
        accept_and_store([there])
        Notification.delete(Notification.search([]))
        owner = create_user('boss', ['owner'], [msk, spb], company)
        operator = create_user('op', ['operator'], [msk], company)
        accountant = create_user('buh', ['accountant'], [msk], company)
        Parcel = pool.get('multipoint.parcel')
        return (Parcel(here.id), Parcel(there.id), owner, operator,
            accountant)

    @with_transaction()
    def test_given_withdrawn_history(self):
        "Given, withdrawn, given again: two records, none rewritten"
        Consent = Pool().get('multipoint.consent')
        company = create_company()
        with set_company(company):
            here, _, owner, _, _ = self.setup_world(company)
            first, = Consent.give([here], 'marketing', 'sms', 'tracking')
            self.assertEqual(first.phone, '+79161112233')
            self.assertEqual(first.phone_last4, '2233')
            self.assertEqual(first.point, here.point)
            self.assertEqual(first.state, 'given')
            self.assertEqual(first.document_version, 'marketing-2025-09')
            self.assertIn("рекламы", first.document_text)
            self.assertGreater(first.valid_until,
                first.given_at + dt.timedelta(days=365))
            # giving again while valid records nothing
            self.assertEqual(
                Consent.give([here], 'marketing', 'sms', 'tracking'), [])
            self.assertEqual(Consent.valid_phones(
                    ['+79161112233'], 'marketing', 'sms'), {'+79161112233'})
            self.assertEqual(Consent.valid_phones(
                    ['+79161112233'], 'marketing', 'email'), set())

            Consent.withdraw_phones(
                ['+79161112233'], 'marketing', 'sms', 'tracking')
            first = Consent(first.id)
            self.assertEqual(first.state, 'withdrawn')
            self.assertEqual(first.withdrawal_source, 'tracking')
            self.assertTrue(first.withdrawn_at)
            self.assertEqual(Consent.valid_phones(
                    ['+79161112233'], 'marketing', 'sms'), set())

            second, = Consent.give([here], 'marketing', 'sms', 'desk')
            self.assertNotEqual(second, first)
            self.assertEqual(
                Consent.search([('phone', '=', '+79161112233')],
                    order=[('id', 'ASC')]), [first, second])
            # nor may an owner record a second valid one by hand (last: the
            # refused row stays in this uncommitted transaction)
            with as_user(owner), self.assertRaises(ConsentError):
                Consent.create([{'phone': '8 916 111-22-33',
                            'purpose': 'marketing', 'channel': 'sms'}])

    @with_transaction()
    def test_access_as_each_group(self):
        "Owners record and withdraw; operators at their points' desk only"
        pool = Pool()
        Consent = pool.get('multipoint.consent')
        Access = pool.get('multipoint.personal_data.access')
        company = create_company()
        with set_company(company):
            here, there, owner, operator, accountant = self.setup_world(
                company)
            with as_user(owner):
                mine, = Consent.create([{'phone': '+7 903 000-11-22',
                            'purpose': 'marketing', 'channel': 'email'}])
                self.assertEqual(mine.source, 'owner')
                # given_at and the phone are the server's, then fixed
                for values in [{'phone': '+79030009999'},
                        {'given_at': dt.datetime(2020, 1, 1)},
                        {'state': 'withdrawn'}]:
                    with self.assertRaises(AccessError):
                        Consent.write([mine], values)
                with self.assertRaises(AccessError):
                    Consent.delete([mine])
                with self.assertRaises(AccessError):
                    Consent.create([{'phone': '+79030001122',
                                'purpose': 'service', 'channel': 'sms',
                                'given_at': dt.datetime(2020, 1, 1)}])
                Consent.withdraw([mine])
                self.assertEqual(Consent(mine.id).withdrawal_source, 'owner')

            with as_user(operator):
                desk, = Consent.create([{'parcel': here.id,
                            'purpose': 'marketing', 'channel': 'sms'}])
                self.assertEqual(desk.source, 'desk')
                self.assertEqual(desk.phone_last4, '2233')
                # another point's parcel, another source, a bare phone
                for values in [{'parcel': there.id},
                        {'parcel': here.id, 'source': 'owner'},
                        {'phone': '+79161112233'}]:
                    with self.assertRaises((AccessError, ConsentError)):
                        Consent.create([dict(values,
                                    purpose='service', channel='sms')])
                # the full phone is not theirs to read, the last digits are
                with self.assertRaises(AccessError):
                    Consent.read([desk.id], ['phone'])
                Consent.read([desk.id], ['phone_last4', 'state'])
                self.assertEqual(Consent.search([]), [desk])
                with self.assertRaises(AccessError):
                    Consent.write([desk], {'channel': 'email'})
                with self.assertRaises(AccessError):
                    Consent.delete([desk])
                Consent.withdraw([desk])
                self.assertEqual(Consent(desk.id).withdrawal_source, 'desk')
                with self.assertRaises(AccessError):
                    Access.search([])

            with as_user(accountant):
                with self.assertRaises(AccessError):
                    Consent.search([])
                with self.assertRaises(AccessError):
                    Consent.create([{'parcel': here.id,
                                'purpose': 'marketing', 'channel': 'sms'}])
            # nobody deletes a consent, not even without access checks
            with self.assertRaises(ConsentError):
                with Transaction().set_user(owner.id):
                    Consent.delete([desk])

    @with_transaction()
    def test_marketing_only_with_consent(self):
        "No consent, no advertising; the service never waits for one"
        pool = Pool()
        Notification = pool.get('multipoint.notification')
        Consent = pool.get('multipoint.consent')
        company = create_company()
        with set_company(company):
            here, there, _, _, _ = self.setup_world(company)
            text = "Скидка 10 % на упаковку до конца недели"

            # no consent: nothing queued, nothing sent
            self.assertEqual(
                Notification.enqueue([here, there], 'promo', text=text), [])
            # the service message goes out without any consent
            arrived, = Notification.enqueue([here], 'arrived')
            self.assertEqual(arrived.purpose, 'service')
            with self.sms():
                Notification.send_pending()
            self.assertEqual(Notification(arrived.id).state, 'sent')
            self.assertEqual(
                [r['json']['to'] for r in self.server.received],
                ['+79161112233'])
            self.server.received.clear()

            # with consent: queued and sent to that recipient only
            Consent.give([here], 'marketing', 'sms', 'tracking')
            promo, = Notification.enqueue([here, there], 'promo', text=text)
            self.assertEqual(
                (promo.purpose, promo.body), ('marketing', text))
            with self.sms():
                Notification.send_pending()
            self.assertEqual(Notification(promo.id).state, 'sent')
            self.assertEqual(
                [(r['json']['to'], r['json']['text'])
                    for r in self.server.received],
                [('+79161112233', text)])
            self.server.received.clear()

            # withdrawn between queueing and sending: withheld, not sent
            late, = Notification.enqueue([here], 'promo', text=text)
            Consent.withdraw_phones(
                ['+79161112233'], 'marketing', 'sms', 'desk')
            with self.sms():
                Notification.send_pending()
                # and not tried again
                self.assertEqual(Notification.send_pending(), [])
            late = Notification(late.id)
            self.assertEqual(late.state, 'withheld')
            self.assertIn("согласия", late.last_error)
            self.assertEqual(self.server.received, [])

            # a consent by e-mail does not open the SMS channel
            Consent.give([here], 'marketing', 'email', 'desk')
            self.assertEqual(
                Notification.enqueue([here], 'promo', text=text), [])

    @with_transaction()
    def test_access_log(self):
        "Owners' reads of full phones are logged, operators' masked not"
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Access = pool.get('multipoint.personal_data.access')
        Consent = pool.get('multipoint.consent')
        company = create_company()
        with set_company(company):
            here, there, owner, operator, _ = self.setup_world(company)
            consent, = Consent.give([here], 'marketing', 'sms', 'desk')
            with as_user(operator):
                Parcel.read([here.id], ['phone_last4', 'recipient_name'])
                with self.assertRaises(AccessError):
                    Parcel.read([here.id], ['recipient_phone'])
                Consent.read([consent.id], ['phone_last4'])
            # business code reading for its own work is not a reader
            self.assertEqual(here.recipient_phone, '+79161112233')
            self.assertEqual(Access.search([]), [])

            inserts = []
            original = Access._insert.__func__

            def counting_insert(cls, rows):
                inserts.append(len(rows))
                return original(cls, rows)
            Access._insert = classmethod(counting_insert)
            try:
                with as_user(owner):
                    rows = Parcel.read([here.id, there.id],
                        ['recipient_phone', 'order_number'])
            finally:
                del Access._insert
            # one INSERT for the call, a row per parcel
            self.assertEqual(inserts, [2])
            self.assertEqual(
                {r['recipient_phone'] for r in rows},
                {'+79161112233', '+79164445566'})
            with as_user(owner):
                Parcel.export_data([here], ['order_number', 'recipient_phone'])
                Consent.read([consent.id], ['phone'])
                log = Access.search([], order=[('id', 'ASC')])
            self.assertEqual(
                [(a.user, str(a.resource), a.phone_last4, a.field_names,
                        a.door) for a in log],
                [(owner, str(here), '2233', 'recipient_phone', 'rpc'),
                    (owner, str(there), '5566', 'recipient_phone', 'rpc'),
                    (owner, str(here), '2233', 'recipient_phone', 'export'),
                    (owner, str(consent), '2233', 'phone', 'rpc')])
            self.assertTrue(all(a.accessed_at for a in log))
            # nobody changes the log, owners included
            with as_user(owner):
                for method, args in [('write', (log, {'door': 'export'})),
                        ('delete', (log,)),
                        ('create', ([{'door': 'rpc'}],))]:
                    with self.assertRaises(AccessError):
                        getattr(Access, method)(*args)

    @with_transaction()
    def test_retention(self):
        "Old withdrawn or expired consents lose the phone, old log rows go"
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Consent = pool.get('multipoint.consent')
        Access = pool.get('multipoint.personal_data.access')
        company = create_company()
        with set_company(company):
            here, there, owner, _, _ = self.setup_world(company)
            old, = Consent.give([here], 'marketing', 'sms', 'tracking')
            Consent.withdraw_phones(
                ['+79161112233'], 'marketing', 'sms', 'tracking')
            recent, = Consent.give([here], 'marketing', 'email', 'desk')
            Consent.withdraw_phones(
                ['+79161112233'], 'marketing', 'email', 'desk')
            expired, = Consent.give([there], 'service', 'sms', 'supplier')
            valid, = Consent.give([there], 'marketing', 'sms', 'desk')
            with as_user(owner):
                Parcel.read([here.id], ['recipient_phone'])
            fresh_row, = Access.search([])

            long_ago = dt.datetime.utcnow() - dt.timedelta(days=400)
            consent = Consent.__table__()
            access = Access.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*consent.update([consent.withdrawn_at], [long_ago],
                    where=consent.id == old.id))
            cursor.execute(*consent.update([consent.valid_until], [long_ago],
                    where=consent.id == expired.id))
            Access.record('multipoint.parcel', [(here.id, '+79161112233')],
                ['recipient_phone'], 'rpc')
            cursor.execute(*access.update([access.accessed_at], [long_ago],
                    where=access.id != fresh_row.id))

            Parcel.multipoint_purge_personal_data()

            old, recent, expired, valid = Consent.browse(
                [old, recent, expired, valid])
            self.assertEqual((old.phone, old.phone_last4), (PLACEHOLDER, None))
            self.assertEqual(expired.phone, PLACEHOLDER)
            # the proof stays: what was agreed, when, through where
            self.assertEqual(
                (old.purpose, old.channel, old.state, old.source),
                ('marketing', 'sms', 'withdrawn', 'tracking'))
            self.assertTrue(old.given_at and old.document_text)
            self.assertEqual(recent.phone, '+79161112233')
            self.assertEqual(valid.phone, '+79164445566')
            self.assertEqual(Access.search([]), [fresh_row])


class ConsentRouteTestCase(RouteTestCase):
    "The tracking page's consent and the log of an RPC read"
    module = 'multipoint_core'
    language = 'ru'

    @classmethod
    def setUpDatabase(cls):
        company = create_company()
        with set_company(company):
            point = create_point(company, 'MSK1')
            shop = create_supplier("Лавка", storage_days=5)
            parcel = create_parcel(point, shop, 'T-1', ['T-1-box'],
                recipient_phone='+79167778899', prepaid=True)
            create_user('boss', ['owner'], [point], company)
            create_user('op', ['operator'], [point], company)
        cls.company, cls.parcel = company.id, parcel.id

    def track(self, path='', ip='10.4.4.4', **data):
        return self.client().post(
            f'/{self.db_name}/multipoint/track{path}', json=data,
            environ_base={'REMOTE_ADDR': ip})

    def consents(self):
        def read():
            Consent = Pool().get('multipoint.consent')
            return [(c.state, c.source, c.withdrawal_source, c.phone)
                for c in Consent.search([], order=[('id', 'ASC')])]
        return committed(read)

    def test_give_and_withdraw_on_the_page(self):
        page = self.client().get(f'/{self.db_name}/multipoint/track')
        self.assertIn('id="consent"', page.data.decode())

        response = self.track(order='T-1', phone='8899')
        self.assertEqual(response.status_code, 200, response.data)
        consent = response.json['consent']
        self.assertEqual(
            (consent['purpose'], consent['channel'], consent['given']),
            ('marketing', 'sms', False))
        self.assertIn("отозвано", consent['text'])

        response = self.track('/consent', order='T-1', phone='8899',
            give=True)
        self.assertEqual(response.status_code, 200, response.data)
        self.assertTrue(response.json['consent']['given'])
        self.assertIn("записано", response.json['message'])
        self.assertTrue(self.track(
                order='T-1', phone='8899').json['consent']['given'])
        # giving twice keeps one consent
        self.track('/consent', order='T-1', phone='8899', give=True)
        self.assertEqual(self.consents(),
            [('given', 'tracking', None, '+79167778899')])

        response = self.track('/consent', order='T-1', phone='8899',
            give=False)
        self.assertEqual(response.status_code, 200, response.data)
        self.assertFalse(response.json['consent']['given'])
        self.assertIn("отозвано", response.json['message'])
        self.assertEqual(self.consents(),
            [('withdrawn', 'tracking', 'tracking', '+79167778899')])
        # the answers name no phone
        self.assertNotIn('7778899', response.data.decode())

    def test_bad_requests(self):
        for give in [None, 'да', 1, [True]]:
            data = {'order': 'T-1', 'phone': '8899'}
            if give is not None:
                data['give'] = give
            response = self.track('/consent', ip='10.5.5.5', **data)
            self.assertEqual(response.status_code, 422, response.data)
            self.assertEqual(response.content_type, 'application/json')
            self.assertIn("согласие", response.json['error']['message'])
        response = self.track('/consent', ip='10.5.5.6', order='T-1',
            phone='0000', give=True)
        self.assertEqual(response.status_code, 404)
        self.assertIn("не найден", response.json['error']['message'])
        response = self.client().post(
            f'/{self.db_name}/multipoint/track/consent', data=b'\xff{',
            environ_base={'REMOTE_ADDR': '10.5.5.7'})
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.content_type, 'application/json')
        self.assertEqual(self.consents(), [])

    def rpc(self, login, method, *params):
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
        return response.json.get('result'), response.json.get('error')

    def test_rpc_read_is_logged(self):
        "The RPC reads in a read-only transaction: the log keeps its row"
        def log():
            Access = Pool().get('multipoint.personal_data.access')
            return [(a.user.login, a.phone_last4, a.door)
                for a in Access.search([])]
        result, error = self.rpc('op', 'model.multipoint.parcel.read',
            [self.parcel], ['phone_last4'])
        self.assertIsNone(error)
        result, error = self.rpc('op', 'model.multipoint.parcel.read',
            [self.parcel], ['recipient_phone'])
        self.assertIsNotNone(error)
        self.assertEqual(committed(log), [])
        result, error = self.rpc('boss', 'model.multipoint.parcel.read',
            [self.parcel], ['recipient_phone'])
        self.assertIsNone(error, error)
        self.assertEqual(result[0]['recipient_phone'], '+79167778899')
        self.assertEqual(committed(log), [('boss', '8899', 'rpc')])


del RouteTestCase
