"""The DPD connector against a local server serving the WSDLs of
`partnership` and `event-tracking` and answering their SOAP envelopes,
through the real account, sync engine and upsert"""
import datetime as dt
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    DBTestCase, create_point, create_supplier)
from trytond.modules.multipoint_suppliers.tests.dpd_server import (
    DPDServer, event, order)
from trytond.modules.multipoint_suppliers.tests.tools import (
    create_account, run_sync)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

RU = {'language': 'ru'}


class DPDConnectorTestCase(DBTestCase):
    module = 'multipoint_suppliers'
    language = 'ru'

    def setUp(self):
        super().setUp()
        self.server = DPDServer().__enter__()
        self.addCleanup(self.server.__exit__)

    def fixture(self, **values):
        company = create_company()
        point = create_point(company, 'MSK1')
        dpd = create_supplier("DPD")
        with set_company(company):
            account = create_account(company, dpd, {point: '77001'},
                connector='dpd', url=self.server.url,
                login=self.server.partner, password=self.server.key,
                **values)
        return company, point, dpd, account

    def commit(self):
        """The data managers' protocol of Transaction.commit() as the
        worker's transaction ends, the database's own commit journaled
        (a real commit would leave the fixtures in the test database)"""
        transaction = Transaction()
        managers = list(transaction._datamanagers)
        for step in ['tpc_begin', 'commit', 'tpc_vote']:
            for manager in managers:
                getattr(manager, step)(transaction)
        self.server.journal.append(('commit', None))
        for manager in managers:
            manager.tpc_finish(transaction)
        # the next run is another transaction
        transaction._datamanagers.clear()

    def parcels(self, supplier):
        Parcel = Pool().get('multipoint.parcel')
        return Parcel.search([('supplier', '=', supplier.id)],
            order=[('order_number', 'ASC')])

    @with_transaction(context=RU)
    def test_sync_then_nothing_new_and_confirm_after_commit(self):
        pool = Pool()
        Event = pool.get('multipoint.parcel.event')
        company, point, dpd, account = self.fixture()
        self.server.orders['77001'] = [
            order('RU0192026561', ['RU0192026561-1', 'RU0192026561-2']),
            order('RU0192026562', ['RU0192026562-1'], sumNpp='0'),
            ]
        doc = self.server.add_document([
                event('RU0192026561', 'OnTerminalDelivery',
                    "Посылка на терминале доставки"),
                event('RU9999999999', 'Delivered', "Доставлено"),
                ])
        with set_company(company):
            self.assertEqual(account.get_connector().points(),
                [('77001', 'M77', "ПВЗ Тестовая")])
            log = run_sync(account)
            self.assertEqual(log.state, 'done', [l.message for l in log.lines])
            self.assertEqual((log.fetched, log.created), (2, 2))
            first, second = self.parcels(dpd)
            self.assertEqual(first.order_number, 'RU0192026561')
            self.assertEqual([p.barcode for p in first.places],
                ['RU0192026561-1', 'RU0192026561-2'])
            self.assertEqual(first.cod_amount, Decimal('2490.50'))
            self.assertEqual(first.declared_value, Decimal('3000.00'))
            self.assertEqual(first.recipient_phone, '+79031234567')
            self.assertEqual(second.cod_amount, Decimal('0.00'))
            self.assertTrue(second.prepaid)
            # the event of our parcel is in its journal, the other ignored
            note, = Event.search([('parcel', '=', first.id),
                    ('kind', '=', 'note')])
            self.assertIn("Посылка на терминале доставки "
                "(OnTerminalDelivery)", note.detail)
            self.assertEqual(note.date, dt.datetime(2026, 11, 20, 11, 0))
            self.assertEqual(account.cursor, str(doc))

            # nothing confirmed before the commit, confirmed after it
            self.assertEqual(self.server.confirmed, [])
            self.commit()
            self.assertEqual(self.server.confirmed, [doc])
            operations = [o for o, _ in self.server.journal]
            self.assertEqual(operations[-2:], ['commit', 'confirm'])
            self.assertEqual(self.server.journal[-1], ('confirm', doc))

            log = run_sync(account)
            self.assertEqual((log.state, log.fetched, log.created,
                    log.skipped), ('done', 2, 0, 2))
            self.assertEqual(len(self.parcels(dpd)), 2)
            self.commit()
            # no document: nothing to confirm
            self.assertEqual(self.server.confirmed, [doc])

    @with_transaction(context=RU)
    def test_no_confirm_when_the_run_fails(self):
        company, point, dpd, account = self.fixture()
        self.server.orders['77001'] = [order('RU01', ['RU01-1'])]
        doc = self.server.add_document([event('RU01', 'Delivering', "В пути")])
        # the orders are read, then the event feed breaks the run
        self.server.fail_events = True
        with set_company(company):
            log = run_sync(account)
            self.assertEqual(log.state, 'failed')
            self.assertIn("DPD ответил ошибкой SOAP: Внутренняя ошибка",
                log.lines[-1].message)
            # all or nothing: the run's orders are not kept either
            self.assertEqual(self.parcels(dpd), [])
            self.commit()
            self.assertEqual(self.server.confirmed, [])
            self.assertNotIn('confirm', [o for o, _ in self.server.journal])

            # the next run gets the same document, and confirms it
            self.server.fail_events = False
            log = run_sync(account)
            self.assertEqual((log.state, log.created), ('done', 1))
            self.commit()
            self.assertEqual(self.server.confirmed, [doc])

    @with_transaction(context=RU)
    def test_partial_document_then_the_rest(self):
        "resultComplete false: one document per run, the rest next run"
        pool = Pool()
        Event = pool.get('multipoint.parcel.event')
        company, point, dpd, account = self.fixture()
        self.server.orders['77001'] = [order('RU01', ['RU01-1'])]
        first = self.server.add_document(
            [event('RU01', 'OnTerminalDelivery', "На терминале")],
            complete=False)
        second = self.server.add_document(
            [event('RU01', 'Delivering', "Доставляется",
                    date='2026-11-20T15:00:00')])
        with set_company(company):
            run_sync(account)
            self.commit()
            self.assertEqual(self.server.confirmed, [first])
            run_sync(account)
            self.commit()
            self.assertEqual(self.server.confirmed, [first, second])
            parcel, = self.parcels(dpd)
            notes = Event.search([('parcel', '=', parcel.id),
                    ('kind', '=', 'note')], order=[('date', 'ASC')])
            self.assertEqual(len(notes), 2)
            self.assertIn("Доставляется", notes[1].detail)

    @with_transaction(context=RU)
    def test_auth_fault_in_russian_without_credentials(self):
        company, point, dpd, account = self.fixture()
        self.server.key = 'ANOTHER-KEY'
        self.server.add_document([event('RU01', 'Delivering', "В пути")])
        with set_company(company):
            log = run_sync(account)
            self.commit()
        self.assertEqual(log.state, 'failed')
        message, = [l.message for l in log.lines]
        self.assertIn("DPD отклонил логин или пароль", message)
        self.assertIn("Ошибка авторизации", message)
        self.assertNotIn('DPD-KEY-SECRET', message)
        self.assertNotIn('PVZ77', message)
        self.assertEqual(self.server.confirmed, [])

    @with_transaction(context=RU)
    def test_timeout_of_the_account(self):
        company, point, dpd, account = self.fixture(timeout=1)
        self.server.orders['77001'] = [order('RU01', ['RU01-1'])]
        with set_company(company):
            # the WSDL comes quickly, the operation does not
            account.get_connector()._client('partnership')
            self.server.sleep = 1.5
            log = run_sync(account)
            self.assertEqual(log.state, 'failed')
            self.assertIn("DPD не ответил за 1 с", log.lines[0].message)
            self.assertEqual(self.parcels(dpd), [])

    @with_transaction(context=RU)
    def test_truncated_envelope(self):
        company, point, dpd, account = self.fixture()
        self.server.orders['77001'] = [order('RU01', ['RU01-1'])]
        with set_company(company):
            connector = account.get_connector()
            connector._client('partnership')
            connector._client('event-tracking')
            self.server.truncate = True
            log = run_sync(account)
            self.assertEqual(log.state, 'failed')
            self.assertIn("DPD прислал нечитаемый ответ",
                log.lines[0].message)
            self.assertEqual(self.parcels(dpd), [])

    @with_transaction(context=RU)
    def test_rate_limited(self):
        company, point, dpd, account = self.fixture()
        self.server.orders['77001'] = [order('RU01', ['RU01-1'])]
        self.server.throttle = 1
        with set_company(company):
            log = run_sync(account)
            self.assertEqual(log.state, 'failed')
            self.assertIn("DPD ограничивает число запросов",
                log.lines[0].message)
            log = run_sync(account)
            self.assertEqual((log.state, log.created), ('done', 1))

    @with_transaction(context=RU)
    def test_record_without_recipient_is_its_own_error(self):
        company, point, dpd, account = self.fixture()
        self.server.orders['77001'] = [
            order('RU01', ['RU01-1']),
            order('RU02', ['RU02-1'], receiverPhone=None),
            ]
        with set_company(company):
            log = run_sync(account)
            self.assertEqual((log.state, log.created, log.failed),
                ('done', 1, 1))
            self.assertIn("Заказ RU02", log.lines[0].message)


del DBTestCase
