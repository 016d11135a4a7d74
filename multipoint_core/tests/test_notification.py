"""Recipient notifications outbox: the real ORM and database, the real
gateway clients against local servers speaking their protocols"""
import datetime as dt
import email
import email.policy
import json
import socket
import threading
import time
import unittest
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from trytond import backend, config
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.notification import (
    CODE_MASK, NotificationError)
from trytond.modules.multipoint_core.tests.tools import (
    DBTestCase, accept_and_store, committed, create_parcel, create_point,
    create_supplier, create_user)
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, with_transaction
from trytond.transaction import Transaction, check_access

SECTION = 'multipoint_notification'
TOKEN = 'sms-secret-token'
BOT_TOKEN = '123456:bot-secret'


class FakeHandler(BaseHTTPRequestHandler):
    "The SMS gateway's JSON protocol and Telegram's sendMessage"

    def log_message(self, *args):
        pass

    def do_POST(self):
        server = self.server
        raw = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = None
        with server.lock:
            server.received.append({
                    'path': self.path,
                    'authorization': self.headers.get('Authorization'),
                    'json': payload,
                    })
            number = len(server.received)
        mode = server.mode
        if mode == 'sleep':
            time.sleep(server.sleep)
        if self.path.startswith('/bot'):
            if self.path != f'/bot{BOT_TOKEN}/sendMessage':
                self.answer(404, {'ok': False, 'error_code': 404,
                        'description': 'Not Found'})
            elif mode == 'error':
                self.answer(400, {'ok': False, 'error_code': 400,
                        'description': 'Bad Request: chat not found'})
            else:
                self.answer(200, {'ok': True, 'result': {
                            'message_id': 1000 + number,
                            'chat': {'id': payload['chat_id']}}})
            return
        if mode == 'error':
            self.answer(500, {'error': 'internal error'})
        elif mode == 'garbage':
            self.answer(200, b'<html>Service Unavailable</html>')
        elif mode == 'no_id':
            self.answer(200, {'status': 'queued'})
        else:
            self.answer(200, {'id': f'sms-{number}'})

    def answer(self, status, body):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up waiting (time-out test)


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(('127.0.0.1', 0), FakeHandler)
        self.mode = 'ok'
        self.sleep = 0
        self.received = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f'http://127.0.0.1:{self.server_address[1]}'

    def stop(self):
        self.shutdown()
        self.server_close()


class SMTPHandler:
    "Keeps the messages; answers 451 to DATA while refuse is set"

    def __init__(self):
        self.messages = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return '451 Requested action aborted: try again later'
        self.messages.append(envelope)
        return '250 Message accepted for delivery'


def free_port():
    "A port nothing listens on (connection refused)"
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@contextmanager
def settings(**options):
    "Set [multipoint_notification] options, restore the section afterwards"
    saved = ({k: config.get(SECTION, k) for k in config.options(SECTION)}
        if config.has_section(SECTION) else None)
    if saved is not None:
        config.remove_section(SECTION)
    config.add_section(SECTION)
    for key, value in options.items():
        config.set(SECTION, key, str(value))
    try:
        yield
    finally:
        config.remove_section(SECTION)
        if saved is not None:
            config.add_section(SECTION)
            for key, value in saved.items():
                config.set(SECTION, key, value)
        config.update_etc([])  # reads nothing; clears the cached values


def utcnow():
    return dt.datetime.utcnow().replace(microsecond=0)


class NotificationTestCase(DBTestCase):
    "Test the recipient notifications outbox"

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
        self.server.mode = 'ok'
        self.server.received.clear()

    def sms(self, **options):
        return settings(sms_url=f'{self.server.url}/api/send',
            sms_token=TOKEN, sms_sender='Multipoint', **options)

    def setup_parcels(self, company, count=2, store=True):
        point = create_point(company, 'MSK1', name="Мультипоинт Тверская")
        point.address = "Москва,\nул. Тверская, 7"
        point.save()
        shop = create_supplier("Лавка", storage_days=5, max_extension_days=3)
        parcels = [create_parcel(point, shop, f'L-{i}',
                recipient_phone=f'+7 916 000-00-{i:02d}')
            for i in range(count)]
        if store:
            accept_and_store(parcels)
            # acceptance queued the arrival codes: each test queues its own
            Notification = Pool().get('multipoint.notification')
            Notification.delete(Notification.search([]))
        Parcel = Pool().get('multipoint.parcel')
        return point, shop, Parcel.browse(parcels)

    def sent_requests(self):
        return [r for r in self.server.received
            if not r['path'].startswith('/bot')]

    @with_transaction()
    def test_enqueue_in_bulk(self):
        "One create queues a message per parcel on the recipient's channel"
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Notification = pool.get('multipoint.notification')
        company = create_company()
        with set_company(company):
            point, shop, _ = self.setup_parcels(
                company, count=0, store=False)
            parcels = Parcel.create([{
                        'company': company.id, 'point': point.id,
                        'supplier': shop.id, 'order_number': f'B-{i}',
                        'recipient_name': "Получатель",
                        'recipient_phone': f'8 903 100-{i:04d}',
                        } for i in range(60)])
            created = []
            original = Notification.create.__func__

            def counting_create(cls, vlist):
                created.append(len(vlist))
                return original(cls, vlist)
            Notification.create = classmethod(counting_create)
            try:
                notifications = Notification.enqueue(parcels, 'arrived',
                    contacts={
                        parcels[0]: {'email': ' anna@example.com '},
                        parcels[1]: {'telegram_chat_id': 4242,
                            'email': 'both@example.com'},
                        })
            finally:
                del Notification.create
            self.assertEqual(created, [60])
            self.assertEqual(len(notifications), 60)
            by_parcel = {n.parcel: n for n in notifications}
            self.assertEqual(
                (by_parcel[parcels[0]].channel,
                    by_parcel[parcels[0]].recipient),
                ('email', 'anna@example.com'))
            self.assertEqual(
                (by_parcel[parcels[1]].channel,
                    by_parcel[parcels[1]].recipient),
                ('telegram', '4242'))
            third = by_parcel[parcels[2]]
            self.assertEqual(third.channel, 'sms')
            self.assertEqual(third.recipient, parcels[2].recipient_phone)
            self.assertEqual(third.point, point)
            self.assertEqual(
                (third.state, third.attempts), ('pending', 0))
            self.assertLessEqual(third.next_attempt_at, utcnow())
            # not accepted yet: no deadline
            self.assertEqual(third.body,
                "Заказ B-2 прибыл в пункт выдачи Мультипоинт Тверская, "
                "Москва, ул. Тверская, 7. Срок хранения — до —.")

            with self.assertRaises(ValueError):
                Notification.enqueue(parcels[:1], 'code')

    @with_transaction()
    def test_sms_sent_once(self):
        "Accepted messages are sent, recorded, and not sent again"
        pool = Pool()
        Notification = pool.get('multipoint.notification')
        Parcel = pool.get('multipoint.parcel')
        Event = pool.get('multipoint.parcel.event')
        company = create_company()
        with set_company(company):
            point, shop, parcels = self.setup_parcels(company, count=3)
            codes = Parcel.generate_codes(parcels[:2])
            deadline = parcels[0].storage_deadline.strftime('%d.%m.%Y')
            code_messages = Notification.enqueue(
                parcels[:2], 'code', code=codes)
            reminder, = Notification.enqueue(parcels[2:], 'reminder')
            code = codes[parcels[0]]
            self.assertEqual(code_messages[0].body,
                f"Заказ L-0 ждёт вас в пункте Мультипоинт Тверская, "
                f"Москва, ул. Тверская, 7, до {deadline}. "
                f"Код получения: {code}")

            with self.sms(), self.assertLogs(
                    'trytond.modules.multipoint_core', 'DEBUG') as logs:
                tried = Notification.send_pending()
                self.assertEqual(len(tried), 3)
                # a second run (the next minute of the cron) sends nothing
                self.assertEqual(Notification.send_pending(), [])

            received = self.sent_requests()
            self.assertEqual(len(received), 3)
            self.assertEqual(
                {r['authorization'] for r in received}, {f'Bearer {TOKEN}'})
            self.assertEqual(
                {r['path'] for r in received}, {'/api/send'})
            first = received[0]['json']
            self.assertEqual(set(first), {'to', 'text', 'sender'})
            self.assertEqual(first['to'], parcels[0].recipient_phone)
            self.assertEqual(first['sender'], 'Multipoint')
            self.assertEqual(first['text'].split(': ')[-1], code)

            notifications = Notification.browse(code_messages + [reminder])
            self.assertEqual(
                [(n.state, n.attempts, n.last_error, n.next_attempt_at)
                    for n in notifications],
                [('sent', 1, None, None)] * 3)
            self.assertEqual(
                sorted(n.gateway_id for n in notifications),
                ['sms-1', 'sms-2', 'sms-3'])
            self.assertTrue(all(n.sent_at for n in notifications))
            # the code does not stay readable in the outbox,
            # nor in the journal or the logs
            for notification in notifications[:2]:
                self.assertNotIn(codes[notification.parcel],
                    notification.body)
                self.assertTrue(notification.body.endswith(CODE_MASK))
            for c in codes.values():
                self.assertFalse(
                    any(c in line for line in logs.output), logs.output)
                self.assertFalse(Event.search(
                        [('detail', 'like', f'%{c}%')]))
            self.assertIn("Напоминаем: заказ L-2", notifications[2].body)

    @with_transaction()
    def test_sms_error_back_off(self):
        "HTTP 500: kept with 1, 2, 4… minutes back-off, failed at the end"
        Notification = Pool().get('multipoint.notification')
        company = create_company()
        with set_company(company):
            point, shop, parcels = self.setup_parcels(
                company, count=1, store=False)
            notification, = Notification.enqueue(parcels, 'arrived')
            self.server.mode = 'error'
            delays = []
            with self.sms(max_attempts=8):
                for attempt in range(1, 9):
                    before = utcnow()
                    Notification.send_pending()
                    notification = Notification(notification.id)
                    self.assertEqual(notification.attempts, attempt)
                    self.assertEqual(
                        notification.last_error, 'HTTP 500: internal error')
                    if attempt == 8:
                        break
                    self.assertEqual(notification.state, 'pending')
                    delay = notification.next_attempt_at - before
                    delays.append(round(delay.total_seconds() / 60))
                    # not due yet: nothing is sent
                    count = len(self.server.received)
                    Notification.send_pending()
                    self.assertEqual(len(self.server.received), count)
                    # the time has come
                    Notification.write([notification], {
                            'next_attempt_at': utcnow()
                            - dt.timedelta(seconds=1)})
                self.assertEqual(delays, [1, 2, 4, 8, 16, 32, 60])
                self.assertEqual(notification.state, 'failed')
                self.assertIsNone(notification.next_attempt_at)
                self.assertEqual(len(self.server.received), 8)
                Notification.send_pending()
                self.assertEqual(len(self.server.received), 8)

                # an owner retries once the gateway works again
                self.server.mode = 'ok'
                Notification.retry([notification])
                notification = Notification(notification.id)
                self.assertEqual(
                    (notification.state, notification.attempts),
                    ('pending', 0))
                Notification.send_pending()
            notification = Notification(notification.id)
            self.assertEqual(notification.state, 'sent')
            self.assertEqual(notification.gateway_id, 'sms-9')

    @with_transaction()
    def test_sms_garbage(self):
        "A 200 that is not JSON, or has no id, is not a success"
        Notification = Pool().get('multipoint.notification')
        company = create_company()
        with set_company(company):
            point, shop, parcels = self.setup_parcels(
                company, count=2, store=False)
            first, second = Notification.enqueue(parcels, 'arrived')
            self.server.mode = 'garbage'
            with self.sms():
                before = utcnow()
                Notification.send_pending(limit=1)
                self.server.mode = 'no_id'
                Notification.send_pending()
            first, second = Notification.browse([first, second])
            self.assertEqual(
                [(n.state, n.attempts) for n in (first, second)],
                [('pending', 1), ('pending', 1)])
            self.assertEqual(first.last_error,
                'HTTP 200 with an answer that is not JSON')
            self.assertEqual(second.last_error,
                'HTTP 200 without a message id')
            self.assertGreaterEqual(
                first.next_attempt_at, before + dt.timedelta(minutes=1))

    @with_transaction()
    def test_sms_time_out(self):
        """A gateway that does not answer in time: the message waits, and
        the rest of its channel waits for the next run"""
        Notification = Pool().get('multipoint.notification')
        company = create_company()
        with set_company(company):
            point, shop, parcels = self.setup_parcels(
                company, count=3, store=False)
            notifications = Notification.enqueue(parcels, 'arrived')
            self.server.mode = 'sleep'
            self.server.sleep = 2
            with self.sms(sms_timeout=0.5):
                start = time.monotonic()
                tried = Notification.send_pending()
                elapsed = time.monotonic() - start
            self.assertLess(elapsed, 1.8)
            self.assertEqual(len(tried), 1)
            notifications = Notification.browse(notifications)
            self.assertEqual(
                sorted((n.state, n.attempts) for n in notifications),
                [('pending', 0), ('pending', 0), ('pending', 1)])
            timed_out, = [n for n in notifications if n.attempts]
            self.assertEqual(timed_out.last_error, 'no answer within 0.5 s')

    @with_transaction()
    def test_sms_connection_refused(self):
        Notification = Pool().get('multipoint.notification')
        company = create_company()
        with set_company(company):
            point, shop, parcels = self.setup_parcels(
                company, count=2, store=False)
            notifications = Notification.enqueue(parcels, 'arrived')
            with settings(sms_url=f'http://127.0.0.1:{free_port()}/send'):
                before = utcnow()
                Notification.send_pending()
            notifications = Notification.browse(notifications)
            self.assertEqual(
                [(n.state, n.attempts) for n in notifications],
                [('pending', 1), ('pending', 0)])
            self.assertEqual(notifications[0].last_error,
                'connection failed (ConnectionError)')
            self.assertGreaterEqual(notifications[0].next_attempt_at,
                before + dt.timedelta(minutes=1))
            self.assertLessEqual(notifications[1].next_attempt_at, before)

    @with_transaction()
    def test_no_gateway(self):
        """A channel without a gateway: the messages wait without counting
        attempts and go out once it is configured"""
        Notification = Pool().get('multipoint.notification')
        company = create_company()
        with set_company(company):
            point, shop, parcels = self.setup_parcels(
                company, count=2, store=False)
            sms, mail = Notification.enqueue(parcels, 'arrived',
                contacts={parcels[1]: {'email': 'anna@example.com'}})
            with settings():
                for _ in range(3):
                    self.assertEqual(Notification.send_pending(), [])
            sms, mail = Notification.browse([sms, mail])
            for notification in (sms, mail):
                self.assertEqual(
                    (notification.state, notification.attempts),
                    ('pending', 0))
                self.assertIn('не настроен шлюз',
                    notification.last_error)
            self.assertIn('«SMS»', sms.last_error)
            with self.sms():
                Notification.send_pending()
            sms, mail = Notification.browse([sms, mail])
            self.assertEqual((sms.state, sms.last_error), ('sent', None))
            self.assertEqual(mail.state, 'pending')
            # an unknown gateway name is no gateway either
            with settings(email='carrier-pigeon', email_from='a@b.c'):
                self.assertEqual(Notification.send_pending(), [])

    @with_transaction()
    def test_email(self):
        "E-mail through Tryton's SMTP settings to a local SMTP server"
        Notification = Pool().get('multipoint.notification')
        handler = SMTPHandler()
        port = free_port()
        controller = Controller(handler, hostname='127.0.0.1', port=port)
        controller.start()
        old_uri = config.get('email', 'uri')
        config.set('email', 'uri', f'smtp://127.0.0.1:{port}')
        try:
            company = create_company()
            with set_company(company):
                point, shop, parcels = self.setup_parcels(company, count=2)
                contacts = {
                    parcels[0]: {'email': 'anna@example.com'},
                    parcels[1]: {'email': 'petr@example.com'},
                    }
                with settings(email_from='noreply@multipoint.example'):
                    handler.refuse = True
                    Notification.enqueue(parcels[:1], 'extended',
                        contacts=contacts)
                    refused, = Notification.send_pending()
                    self.assertEqual(
                        (refused.state, refused.attempts,
                            refused.last_error),
                        ('pending', 1, 'SMTP 451'))
                    self.assertEqual(handler.messages, [])

                    handler.refuse = False
                    Notification.write([refused], {
                            'next_attempt_at': utcnow()})
                    second, = Notification.enqueue(parcels[1:], 'arrived',
                        contacts=contacts)
                    self.assertEqual(len(Notification.send_pending()), 2)
                    self.assertEqual(Notification.send_pending(), [])
            self.assertEqual(len(handler.messages), 2)
            by_to = {e.rcpt_tos[0]: e for e in handler.messages}
            envelope = by_to['anna@example.com']
            self.assertEqual(envelope.mail_from, 'noreply@multipoint.example')
            message = email.message_from_bytes(
                envelope.original_content, policy=email.policy.default)
            self.assertEqual(
                message['Subject'], "Срок хранения заказа L-0 продлён")
            self.assertEqual(message.get_content_charset(), 'utf-8')
            deadline = parcels[0].storage_deadline.strftime('%d.%m.%Y')
            self.assertEqual(message.get_content().strip(),
                "Срок хранения заказа L-0 в пункте Мультипоинт Тверская "
                f"продлён до {deadline}.")
            refused = Notification(refused.id)
            self.assertEqual(refused.state, 'sent')
            self.assertEqual(refused.gateway_id, message['Message-ID'])
            self.assertEqual(Notification(second.id).state, 'sent')

            # the SMTP server is gone: the message waits
            controller.stop()
            controller = None
            with set_company(company), settings(
                    email_from='noreply@multipoint.example'):
                waiting, = Notification.enqueue(parcels[:1], 'reminder',
                    contacts=contacts)
                Notification.send_pending()
            waiting = Notification(waiting.id)
            self.assertEqual((waiting.state, waiting.attempts),
                ('pending', 1))
            self.assertEqual(waiting.last_error,
                'SMTP server unavailable (ConnectionRefusedError)')
        finally:
            config.set('email', 'uri', old_uri)
            if controller:
                controller.stop()

    @with_transaction()
    def test_telegram(self):
        "Telegram's Bot API, with the base URL pointing to a local server"
        Notification = Pool().get('multipoint.notification')
        company = create_company()
        with set_company(company):
            point, shop, parcels = self.setup_parcels(
                company, count=2, store=False)
            contacts = {p: {'telegram_chat_id': 500 + i}
                for i, p in enumerate(parcels)}
            ok, lost = Notification.enqueue(
                parcels, 'arrived', contacts=contacts)
            with settings(telegram_token=BOT_TOKEN,
                    telegram_url=self.server.url):
                Notification.send_pending(limit=1)
                self.server.mode = 'error'
                Notification.send_pending()
            ok, lost = Notification.browse([ok, lost])
            self.assertEqual((ok.state, ok.gateway_id), ('sent', '1001'))
            self.assertEqual(self.server.received[0]['json'],
                {'chat_id': '500', 'text': ok.body})
            self.assertEqual((lost.state, lost.attempts, lost.last_error),
                ('pending', 1, 'HTTP 400: Bad Request: chat not found'))

            # a refused connection does not reveal the token
            Notification.write([lost], {'next_attempt_at': utcnow()})
            with settings(telegram_token=BOT_TOKEN,
                    telegram_url=f'http://127.0.0.1:{free_port()}'):
                Notification.send_pending()
            lost = Notification(lost.id)
            self.assertEqual(lost.attempts, 2)
            self.assertNotIn(BOT_TOKEN, lost.last_error)

    @with_transaction()
    def test_sent_is_immutable(self):
        Notification = Pool().get('multipoint.notification')
        company = create_company()
        with set_company(company):
            point, shop, parcels = self.setup_parcels(
                company, count=2, store=False)
            sent, pending = Notification.enqueue(parcels, 'arrived')
            with self.sms():
                Notification.send_pending(limit=1)
            sent = Notification(sent.id)
            self.assertEqual(sent.state, 'sent')
            with self.assertRaises(NotificationError):
                Notification.write([sent], {'recipient': '+79990000000'})
            with self.assertRaises(NotificationError):
                Notification.delete([sent])
            Notification.write([pending], {'recipient': '+79990000000'})
            Notification.delete([pending])

    @with_transaction()
    def test_access(self):
        """Operators read the notifications of their points, not their
        texts; other groups none"""
        pool = Pool()
        Notification = pool.get('multipoint.notification')
        company = create_company()
        with set_company(company):
            msk, shop, parcels = self.setup_parcels(
                company, count=1, store=False)
            kzn = create_point(company, 'KZN1')
            other = create_parcel(kzn, shop, 'K-1')
            mine, = Notification.enqueue(parcels, 'arrived')
            theirs, = Notification.enqueue([other], 'arrived')
            operator = create_user('operator', ['operator'], [msk], company)
            owner = create_user('owner', ['owner'], [], company)
            reports = create_user('reports', ['reports'], [msk], company)

        with Transaction().set_user(operator.id), check_access(), \
                Transaction().set_context(company=company.id):
            self.assertEqual(Notification.search([]), [mine])
            self.assertEqual(
                Notification.read([mine.id], ['state', 'channel']),
                [{'id': mine.id, 'state': 'pending', 'channel': 'sms'}])
            with self.assertRaises(AccessError):
                Notification.read([theirs.id], ['state'])
            with self.assertRaises(AccessError):
                Notification.read([mine.id], ['body'])
            with self.assertRaises(AccessError):
                Notification.write([Notification(mine.id)],
                    {'recipient': '+79990000000'})
            # the code an operator runs may queue messages all the same
            queued, = Notification.enqueue(
                Pool().get('multipoint.parcel').browse(parcels), 'reminder')
            self.assertEqual(queued.point, msk)
        with Transaction().set_user(reports.id), check_access(), \
                Transaction().set_context(company=company.id):
            with self.assertRaises(AccessError):
                Notification.search([])
        with Transaction().set_user(owner.id), check_access(), \
                Transaction().set_context(company=company.id):
            self.assertEqual(
                set(Notification.search([])), {mine, theirs, queued})
            self.assertIn("K-1",
                Notification.read([theirs.id], ['body'])[0]['body'])

    @with_transaction()
    def test_storage_deadlines_and_cron(self):
        """The storage code queues reminders and extensions; the cron job
        sends them"""
        pool = Pool()
        Notification = pool.get('multipoint.notification')
        Parcel = pool.get('multipoint.parcel')
        Cron = pool.get('ir.cron')
        company = create_company()
        with set_company(company):
            point, shop, parcels = self.setup_parcels(company, count=2)
            Parcel.extend_storage(parcels[:1], 2, "recipient")
            extended, = Notification.search([('kind', '=', 'extended')])
            deadline = Parcel(parcels[0].id).storage_deadline
            self.assertIn(deadline.strftime('%d.%m.%Y'), extended.body)
            Parcel.write([parcels[1]], {
                    'storage_deadline': point.local_date()})
            Parcel.process_storage_deadlines()
            reminder, = Notification.search([('kind', '=', 'reminder')])
            self.assertEqual(reminder.parcel, parcels[1])

            cron, = Cron.search(
                [('method', '=', 'multipoint.notification|send_pending')])
            self.assertEqual(
                (cron.interval_number, cron.interval_type), (1, 'minutes'))
            with self.sms():
                Cron.run_once([cron])
            self.assertEqual(
                {n.state for n in Notification.browse([extended, reminder])},
                {'sent'})


@unittest.skipUnless(backend.name == 'postgresql', "row locks")
class NotificationLockTestCase(DBTestCase):
    "Two senders at once never pick the same message"

    def test_concurrent_senders(self):
        def setup():
            company = create_company()
            with set_company(company):
                point = create_point(company, 'MSK1')
                shop = create_supplier("Лавка", storage_days=5)
                parcels = [create_parcel(point, shop, f'L-{i}')
                    for i in range(3)]
                Notification = Pool().get('multipoint.notification')
                return [n.id for n in Notification.enqueue(
                            parcels, 'arrived')]
        ids = committed(setup)
        now = utcnow()
        with Transaction().start(DB_NAME, 0) as first:
            Notification = Pool().get('multipoint.notification')
            picked = Notification._lock_due('sms', now, 2)
            self.assertEqual([n.id for n in picked], ids[:2])
            with Transaction().new_transaction() as second:
                Notification = Pool().get('multipoint.notification')
                others = Notification._lock_due('sms', now, None)
                self.assertEqual([n.id for n in others], ids[2:])
                second.rollback()
            first.rollback()
