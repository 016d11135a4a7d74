"""The PickPoint connector against a local server speaking its API: one
session reused, a new login once when it expires, lookup by invoice
number, tracking of the account's parcels through the real sync engine
(a partial answer loses nothing), errors in Russian"""
import datetime as dt
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    DBTestCase, accept_and_store, create_parcel, create_point,
    create_supplier)
from trytond.modules.multipoint_suppliers import connector_pickpoint
from trytond.modules.multipoint_suppliers.connector import ConnectorError
from trytond.modules.multipoint_suppliers.tests.pickpoint_server import (
    PickPointServer, sending, state)
from trytond.modules.multipoint_suppliers.tests.tools import (
    create_account, run_sync)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

RU = {'language': 'ru'}


class PickPointConnectorTestCase(DBTestCase):
    module = 'multipoint_suppliers'
    language = 'ru'

    def setUp(self):
        super().setUp()
        self.server = PickPointServer().__enter__()
        self.addCleanup(self.server.__exit__)
        # the sessions kept by the process belong to other tests' servers
        connector_pickpoint._sessions.clear()

    def fixture(self, **values):
        company = create_company()
        point = create_point(company, 'MSK1')
        pickpoint = create_supplier(
            "PickPoint", storage_days=7, max_extension_days=7)
        with set_company(company):
            account = create_account(company, pickpoint,
                {point: '7701-001'}, connector='pickpoint',
                url=self.server.url, **dict({
                        'login': self.server.login,
                        'password': self.server.password}, **values))
        return company, point, pickpoint, account

    def notes(self, parcel):
        Event = Pool().get('multipoint.parcel.event')
        return [e.detail for e in Event.search([
                    ('parcel', '=', parcel.id), ('kind', '=', 'note')],
                order=[('date', 'ASC'), ('id', 'ASC')])]

    @with_transaction(context=RU)
    def test_lookup_with_one_session(self):
        company, point, pickpoint, account = self.fixture()
        self.server.sendings['20001'] = sending('20001')
        self.server.sendings['20002'] = sending('20002', postage='10001',
            places=[{'GSBarCode': 'SHOP-1', 'Weight': 1.2},
                {'GSBarCode': 'SHOP-2', 'Weight': 0.3}])
        with set_company(company):
            connector = account.get_connector()
            self.assertEqual(connector.capabilities,
                {'lookup', 'fetch_events'})
            data = connector.lookup('20001')
            self.assertEqual(data.order_number, '20001')
            self.assertEqual(data.point_code, '7701-001')
            self.assertEqual(data.recipient_name, "Кузнецов Илья")
            self.assertEqual(data.recipient_phone, '+79037654321')
            self.assertEqual(data.cod_amount, Decimal('2490.00'))
            self.assertIsInstance(data.cod_amount, Decimal)
            self.assertIs(data.prepaid, False)
            self.assertEqual(data.declared_value, Decimal('2490.00'))
            # no place barcode: one box under PickPoint's own barcode
            self.assertEqual([p.barcode for p in data.places], ['PP20001'])
            line, = data.lines
            self.assertEqual((line.name, line.article, line.unit_price),
                ("Наушники", 'G-7', Decimal('2490.00')))

            # another connector of the account: the same session
            data = account.get_connector().lookup('20002')
            self.assertIs(data.prepaid, True)
            self.assertEqual(data.cod_amount, Decimal('0.00'))
            self.assertEqual([(p.barcode, p.weight) for p in data.places],
                [('SHOP-1', 1.2), ('SHOP-2', 0.3)])
            self.assertEqual(data.weight, 1.5)
            self.assertIsNone(connector.lookup('29999'))

        self.assertEqual(self.server.logins, 1)
        login, = self.server.calls('login')
        self.assertEqual(login, {'Login': 'pp-login', 'Password': 'pp-secret'})
        first = self.server.calls('sendinginfo')[0]
        self.assertEqual(first['InvoiceNumber'], '20001')
        self.assertIn(first['SessionId'], self.server.sessions)

    @with_transaction(context=RU)
    def test_expired_session_logs_in_again_once(self):
        company, point, pickpoint, account = self.fixture()
        self.server.sendings['20001'] = sending('20001')
        with set_company(company):
            connector = account.get_connector()
            connector.lookup('20001')
            self.server.expire_sessions()
            self.assertEqual(connector.lookup('20001').order_number, '20001')
            self.assertEqual(self.server.logins, 2)

            # a login whose sessions are refused: once, then an error
            self.server.refuse_sessions = True
            calls = len(self.server.calls('sendinginfo'))
            with self.assertRaises(ConnectorError) as context:
                connector.lookup('20001')
            message = str(context.exception)
            self.assertIn("PickPoint отклонил логин или пароль", message)
            self.assertIn("сессия снова отклонена", message)
            self.assertEqual(self.server.logins, 3)
            self.assertEqual(
                len(self.server.calls('sendinginfo')) - calls, 2)

    @with_transaction(context=RU)
    def test_wrong_login(self):
        company, point, pickpoint, account = self.fixture(
            password='not-the-password')
        with set_company(company):
            create_parcel(point, pickpoint, '30001', ['30001'])
            log = run_sync(account)
        self.assertEqual(log.state, 'failed')
        message = log.lines[-1].message
        self.assertIn("PickPoint отклонил логин или пароль учётной записи "
            "(Неверный логин или пароль)", message)
        self.assertNotIn('not-the-password', message)
        self.assertEqual(self.server.calls('tracksendings'), [])

    @with_transaction(context=RU)
    def test_tracking_with_a_partial_answer(self):
        """One tracksendings call for the tracked parcels; the invoices the
        answer leaves out or fails are read at the next run, the others
        are not recorded twice; nothing moves"""
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        company, point, pickpoint, account = self.fixture()
        with set_company(company):
            parcels = {n: create_parcel(point, pickpoint, n, [f'PP{n}'])
                for n in ['30001', '30002', '30003', '30004', '30005']}
            accept_and_store([parcels['30002'], parcels['30003']])
            Parcel.issue([Parcel(parcels['30003'].id)])
            states = self.server.states
            states['30001'] = [state(101, "Зарегистрирован", '18.11.26 09:00'),
                state(112, "Невостребованное", '19.11.26 10:30')]
            states['30002'] = [state(104, "Поступило в ПТ", '18.11.26 12:00')]
            states['30003'] = [state(111, "Выдано получателю",
                    '20.11.26 15:45')]
            states['30004'] = [state(101, "Зарегистрирован", '18.11.26 09:00')]
            states['30005'] = [state(101, "Зарегистрирован", '18.11.26 09:00')]
            self.server.omitted.add('30004')
            self.server.failing.add('30005')

            log = run_sync(account)
            self.assertEqual(log.state, 'done', [l.message for l in log.lines])
            request, = self.server.calls('tracksendings')
            self.assertEqual(request['Invoices'], sorted(parcels))
            first = self.notes(parcels['30001'])
            self.assertEqual(len(first), 2)
            self.assertIn("Зарегистрирован [101] (в пути)", first[0])
            self.assertIn("Невостребованное [112] (срок хранения истёк)",
                first[1])
            self.assertIn("Поступило в ПТ [104] (в пункте выдачи)",
                self.notes(parcels['30002'])[0])
            issued, = self.notes(parcels['30003'])
            self.assertIn("Выдано получателю [111] (выдана)", issued)
            self.assertEqual(self.notes(parcels['30004']), [])
            self.assertEqual(self.notes(parcels['30005']), [])
            self.assertEqual(Parcel(parcels['30001'].id).state, 'expected')
            self.assertEqual(Parcel(parcels['30003'].id).state, 'issued')

            Event = pool.get('multipoint.parcel.event')
            note, = Event.search([('parcel', '=', parcels['30003'].id),
                    ('kind', '=', 'note')])
            # 15:45 in Moscow
            self.assertEqual(note.date, dt.datetime(2026, 11, 20, 12, 45))

            self.server.omitted.clear()
            self.server.failing.clear()
            log = run_sync(account)
            self.assertEqual(log.state, 'done')
            self.assertEqual(len(self.notes(parcels['30004'])), 1)
            self.assertEqual(len(self.notes(parcels['30005'])), 1)
            self.assertEqual(len(self.notes(parcels['30001'])), 2)
            self.assertEqual(len(self.notes(parcels['30003'])), 1)
            self.assertEqual(self.server.logins, 1)

    @with_transaction(context=RU)
    def test_broken_answer_and_timeout(self):
        company, point, pickpoint, account = self.fixture(timeout=1)
        with set_company(company):
            parcel = create_parcel(point, pickpoint, '30001', ['PP30001'])
            self.server.states['30001'] = [
                state(101, "Зарегистрирован", '18.11.26 09:00')]
            self.server.truncate = True
            log = run_sync(account)
            self.assertEqual(log.state, 'failed')
            self.assertIn("PickPoint прислал нечитаемый ответ",
                log.lines[-1].message)
            self.assertEqual(self.notes(parcel), [])

            self.server.truncate = False
            self.server.sleep = 1.3
            log = run_sync(account)
            self.assertEqual(log.state, 'failed')
            self.assertIn("PickPoint не ответил за 1 с",
                log.lines[-1].message)
            self.assertEqual(self.notes(parcel), [])


del DBTestCase
