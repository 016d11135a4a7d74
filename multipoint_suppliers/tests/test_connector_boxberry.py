"""The Boxberry connector against a local json.php: lookup by track number,
tracking of the account's parcels through the real sync engine, the
post-issue facts read back as notes, Boxberry's errors in Russian"""
import datetime as dt
from decimal import Decimal
from unittest.mock import patch

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    DBTestCase, accept_and_store, create_parcel, create_point,
    create_supplier)
from trytond.modules.multipoint_suppliers import connector_boxberry
from trytond.modules.multipoint_suppliers.tests.boxberry_server import (
    BoxberryServer, parcel_info, statuses)
from trytond.modules.multipoint_suppliers.tests.tools import (
    create_account, run_sync)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

RU = {'language': 'ru'}


class BoxberryConnectorTestCase(DBTestCase):
    module = 'multipoint_suppliers'
    language = 'ru'

    def setUp(self):
        super().setUp()
        self.server = BoxberryServer().__enter__()
        self.addCleanup(self.server.__exit__)

    def fixture(self, **values):
        company = create_company()
        point = create_point(company, 'MSK1')
        boxberry = create_supplier(
            "Boxberry", storage_days=7, max_extension_days=7)
        with set_company(company):
            account = create_account(company, boxberry, {point: '77001'},
                connector='boxberry', url=self.server.url,
                token=self.server.token, **values)
        return company, point, boxberry, account

    def notes(self, parcel):
        Event = Pool().get('multipoint.parcel.event')
        return Event.search([
                ('parcel', '=', parcel.id), ('kind', '=', 'note')],
            order=[('date', 'ASC'), ('id', 'ASC')])

    def asked(self):
        "The track numbers asked about, in order"
        return [p['ImId'] for p in self.server.calls('ListStatusesFull')]

    @with_transaction(context=RU)
    def test_lookup(self):
        "ParcelInfo by track number, as far as Boxberry describes it"
        company, point, boxberry, account = self.fixture()
        self.assertIn('boxberry', dict(Pool().get(
                    'multipoint.supplier.account').connector.selection))
        self.server.parcels['BB-10'] = parcel_info('BB-10', boxes=[
                {'weight': 1000, 'barcode': 'BOX-1'},
                {'weight': 500, 'barcode': 'BOX-2'}])
        self.server.parcels['BB-11'] = parcel_info('BB-11', payment='0')
        with set_company(company):
            connector = account.get_connector()
            self.assertTrue(connector.supports('lookup'))
            self.assertFalse(connector.supports('push_events'))
            data = connector.lookup('BB-10')
            self.assertEqual(data.order_number, 'BB-10')
            self.assertEqual(data.point_code, '77001')
            self.assertEqual(data.recipient_name, "Смирнова Ольга Игоревна")
            self.assertEqual(data.recipient_phone, '79161234567')
            self.assertEqual(data.cod_amount, Decimal('1590.00'))
            self.assertIsInstance(data.cod_amount, Decimal)
            self.assertIs(data.prepaid, False)
            self.assertEqual(data.declared_value, Decimal('2000.00'))
            # delivery_cost is Boxberry's price to the shop
            self.assertIsNone(data.delivery_fee)
            self.assertEqual(data.weight, 1.5)
            self.assertEqual([(p.barcode, p.weight) for p in data.places],
                [('BOX-1', 1.0), ('BOX-2', 0.5)])
            line, = data.lines
            self.assertEqual((line.name, line.article, line.quantity,
                    line.unit_price, line.vat_rate),
                ("Чайник", 'SKU-1', 1, Decimal('1590.00'), '20'))

            # boxes without their own barcode: the track number's label
            data = connector.lookup('BB-11')
            self.assertEqual([p.barcode for p in data.places], ['BB-11'])
            self.assertIs(data.prepaid, True)
            self.assertEqual(data.weight, 1.25)

            self.assertIsNone(connector.lookup('BB-404'))

        method, request = self.server.requests[0]
        self.assertEqual(method, 'ParcelInfo')
        self.assertEqual(request['token'], self.server.token)
        self.assertEqual(request['parcels'], [{'track': 'BB-10'}])

    @with_transaction(context=RU)
    def test_tracking_and_post_issue_facts(self):
        """The statuses of the account's tracked parcels become notes, the
        issue with what Boxberry says was taken; no parcel moves; a status
        is recorded once"""
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        company, point, boxberry, account = self.fixture()
        with set_company(company):
            on_way = create_parcel(point, boxberry, 'BB-1', ['BB-1'])
            issued = create_parcel(point, boxberry, 'BB-2', ['BB-2'])
            cancelled = create_parcel(point, boxberry, 'BB-3', ['BB-3'])
            accept_and_store([issued])
            Parcel.issue([Parcel(issued.id)])
            Parcel.cancel([cancelled])
            self.server.statuses['BB-1'] = statuses(
                "Загружен реестр ИМ", "Отправлено в город назначения")
            self.server.statuses['BB-2'] = statuses(
                "Загружен реестр ИМ", "Поступило в пункт выдачи", "Выдано",
                sum=1590, PaymentMethod="Эквайринг")
            self.server.statuses['BB-3'] = statuses("Загружен реестр ИМ")

            log = run_sync(account)
            self.assertEqual(log.state, 'done', [l.message for l in log.lines])
            # a cancelled parcel is not followed
            self.assertEqual(self.asked(), ['BB-1', 'BB-2'])
            self.assertTrue(all(p['token'] == self.server.token
                    for p in self.server.calls('ListStatusesFull')))

            first, second = self.notes(on_way)
            self.assertIn("Статус поставщика (Boxberry (boxberry))",
                second.detail)
            self.assertIn("Отправлено в город назначения (в пути)",
                second.detail)
            # 11:00 in Moscow
            self.assertEqual(second.date, dt.datetime(2026, 11, 20, 8, 0))
            loaded, arrived, issue = self.notes(issued)
            self.assertIn("Поступило в пункт выдачи (в пункте выдачи)",
                arrived.detail)
            self.assertIn(
                "Выдано (выдана): получено 1590.00 (Эквайринг)",
                issue.detail)
            # the supplier's word moves nothing
            self.assertEqual(Parcel(on_way.id).state, 'expected')
            self.assertEqual(Parcel(issued.id).state, 'issued')
            self.assertEqual(account.cursor, 'after:')

            # read again: nothing new is recorded
            log = run_sync(account)
            self.assertEqual(log.state, 'done')
            self.assertEqual(len(self.notes(on_way)), 2)
            self.assertEqual(len(self.notes(issued)), 3)

            # a new status, even of the same minute, is
            rows = self.server.statuses['BB-1']['statuses']
            rows.append(dict(rows[-1], Name="Поступило в пункт выдачи"))
            run_sync(account)
            *_, last = self.notes(on_way)
            self.assertIn("Поступило в пункт выдачи", last.detail)
            self.assertEqual(len(self.notes(on_way)), 3)

    @with_transaction(context=RU)
    def test_partial_issue(self):
        "PD: the items Boxberry says were given and given back"
        company, point, boxberry, account = self.fixture()
        with set_company(company):
            parcel = create_parcel(point, boxberry, 'BB-5', ['BB-5'])
            self.server.statuses['BB-5'] = statuses("Выдано", PD=True,
                sum='1000.5', PaymentMethod="Касса", products=[
                    {'Name': "Чайник", 'Give': 1, 'Return': 0,
                        'Item_ID': 'SKU-1'},
                    {'Name': "Кружка", 'Give': 0, 'Return': 2,
                        'Item_ID': 'SKU-2'}])
            log = run_sync(account)
            self.assertEqual(log.state, 'done')
            note, = self.notes(parcel)
            self.assertIn("Выдано (выдана частично): получено 1000.50 "
                "(Касса); товары выдано/возврат: Чайник: 1/0, Кружка: 0/2",
                note.detail)

    @with_transaction(context=RU)
    def test_batches(self):
        "BATCH parcels a run, the next run goes on after the last one"
        company, point, boxberry, account = self.fixture()
        with set_company(company), patch.object(
                connector_boxberry, 'BATCH', 2):
            for i in range(1, 4):
                create_parcel(point, boxberry, f'BB-{i}', [f'BB-{i}'])
            run_sync(account)
            self.assertEqual(self.asked(), ['BB-1', 'BB-2'])
            self.assertEqual(account.cursor, 'after:BB-2')
            run_sync(account)
            self.assertEqual(self.asked()[2:], ['BB-3'])
            self.assertEqual(account.cursor, 'after:')
            run_sync(account)
            self.assertEqual(self.asked()[3:], ['BB-1', 'BB-2'])

    @with_transaction(context=RU)
    def test_errors_in_russian(self):
        """{"err": ...} with HTTP 200 in its three shapes, a wrong token
        (not shown), a broken body: the run fails, nothing is written"""
        company, point, boxberry, account = self.fixture()
        with set_company(company):
            first = create_parcel(point, boxberry, 'BB-1', ['BB-1'])
            create_parcel(point, boxberry, 'BB-2', ['BB-2'])
            self.server.statuses['BB-1'] = statuses("Загружен реестр ИМ")
            self.server.statuses['BB-2'] = statuses("Загружен реестр ИМ")
            for error, text in [
                    ({'err': "Сервис временно недоступен"},
                        "Сервис временно недоступен"),
                    ({'err': True, 'message': "Превышен лимит запросов"},
                        "Превышен лимит запросов"),
                    ({'error': True, 'message': "Внутренняя ошибка"},
                        "Внутренняя ошибка")]:
                self.server.error = error
                log = run_sync(account)
                self.assertEqual(log.state, 'failed')
                message = log.lines[-1].message
                self.assertIn("Boxberry ответил ошибкой", message)
                self.assertIn(text, message)
            self.server.error = None

            account.token = 'wrong-token-0002'
            account.save()
            log = run_sync(account)
            self.assertEqual(log.state, 'failed')
            message = log.lines[-1].message
            self.assertIn("Boxberry отклонил логин или пароль", message)
            self.assertNotIn('wrong-token-0002', message)
            account.token = self.server.token
            account.save()

            # the second parcel's answer is cut: the first's notes go too
            self.server.broken.add('BB-2')
            log = run_sync(account)
            self.assertEqual(log.state, 'failed')
            self.assertIn("Boxberry прислал нечитаемый ответ",
                log.lines[-1].message)
            self.assertEqual(self.notes(first), [])
            self.assertIsNone(account.cursor)

            self.server.broken.clear()
            log = run_sync(account)
            self.assertEqual(log.state, 'done')
            self.assertEqual(len(self.notes(first)), 1)

    @with_transaction(context=RU)
    def test_timeout(self):
        company, point, boxberry, account = self.fixture(timeout=1)
        with set_company(company):
            parcel = create_parcel(point, boxberry, 'BB-1', ['BB-1'])
            self.server.statuses['BB-1'] = statuses("Загружен реестр ИМ")
            self.server.sleep = 1.3
            log = run_sync(account)
            self.assertEqual(log.state, 'failed')
            self.assertIn("Boxberry не ответил за 1 с",
                log.lines[-1].message)
            self.assertEqual(self.notes(parcel), [])

    def test_dates_are_moscow_time(self):
        parse = connector_boxberry.parse_date
        self.assertEqual(parse('26.12.2020 12:23'),
            dt.datetime(2020, 12, 26, 9, 23))
        self.assertEqual(parse('2020-12-26 12:23:26'),
            dt.datetime(2020, 12, 26, 9, 23, 26))
        with self.assertRaises(ValueError):
            parse('вчера')


del DBTestCase
