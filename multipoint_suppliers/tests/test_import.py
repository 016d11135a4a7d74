"""Manifest imports and connector syncs through the real ORM: file
formats, header aliases, Russian row errors, all or nothing, idempotent
upsert that respects the parcel workflow, access"""
import datetime as dt
import threading
import unittest
from decimal import Decimal
from unittest.mock import patch

from trytond.model.exceptions import AccessButtonError, AccessError
from trytond import backend
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    DBTestCase, accept_and_store, committed, create_point, create_supplier,
    create_user)
from trytond.modules.multipoint_suppliers import upsert as upsert_module
from trytond.modules.multipoint_suppliers.connector import (
    ConnectorError, connectors)
from trytond.modules.multipoint_suppliers.manifest import (
    decode, parse, sniff_delimiter)
from trytond.modules.multipoint_suppliers.tests.tools import (
    HEADERS, MemoryConnector, create_account, csv_bytes, parcel_data, rows,
    xlsx_bytes)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction, check_access

RU = {'language': 'ru'}


class SupplierImportTestCase(DBTestCase):
    module = 'multipoint_suppliers'
    language = 'ru'

    def setUp(self):
        super().setUp()
        MemoryConnector.pages = {}
        MemoryConnector.calls = []
        MemoryConnector.fail_with = None

    def fixture(self):
        company = create_company()
        msk = create_point(company, 'MSK1')
        kzn = create_point(company, 'KZN1')
        shop = create_supplier("Ромашка", storage_days=5,
            max_extension_days=2)
        account = create_account(company, shop, {msk: 'R-MSK', kzn: 'R-KZN'})
        return company, msk, kzn, shop, account

    def run_import(self, account, point, data, name='manifest.csv'):
        SyncLog = Pool().get('multipoint.supplier.sync.log')
        log = SyncLog.create_import(account, point, data, name)
        SyncLog.process([log])
        return SyncLog(log.id)

    def preview(self, account, point, data, name='manifest.csv'):
        "The preview of the Import Manifest wizard"
        Wizard = Pool().get('multipoint.supplier.manifest.import',
            type='wizard')
        session_id, _, _ = Wizard.create()
        result = Wizard.execute(session_id, {'start': {
                    'account': account.id, 'point': point.id,
                    'file': data, 'file_name': name}}, 'preview')
        return session_id, result['view']['defaults']

    def parcels(self, shop):
        Parcel = Pool().get('multipoint.parcel')
        return Parcel.search([('supplier', '=', shop.id)],
            order=[('order_number', 'ASC')])

    # -- files ----------------------------------------------------------

    @with_transaction(context=RU)
    def test_encodings_and_delimiters(self):
        "UTF-8 (with or without BOM) and CP1251, `;`, `,` and tab detected"
        table = rows(3)
        expected = None
        for encoding in ['utf-8', 'utf-8-sig', 'cp1251']:
            for delimiter in [';', ',', '\t']:
                data = csv_bytes(table, delimiter=delimiter,
                    encoding=encoding)
                text, found = decode(data)
                self.assertEqual(found,
                    'utf-8' if encoding == 'utf-8' else encoding)
                self.assertEqual(sniff_delimiter(text), delimiter)
                manifest = parse(data)
                self.assertEqual(manifest.errors, [])
                self.assertEqual(manifest.delimiter, delimiter)
                result = [(p.order_number, p.recipient_name,
                        p.recipient_phone, p.cod_amount,
                        [pl.barcode for pl in p.places])
                    for p in manifest.parcels]
                expected = expected or result
                self.assertEqual(result, expected)
        self.assertEqual(expected[0], ('A-1', "Получатель 1",
                '+79160010101', Decimal('1590.00'), ['2000000000001']))

    @with_transaction(context=RU)
    def test_xlsx_numbers_stay_codes(self):
        "XLSX cells typed as numbers give the same codes as a CSV"
        table = rows(2)
        table[0][4] = '1590,5'
        from_xlsx = parse(xlsx_bytes(table))
        from_csv = parse(csv_bytes(table))
        self.assertEqual(from_xlsx.errors, [])
        self.assertEqual(from_xlsx.encoding, 'xlsx')
        self.assertEqual(from_xlsx.parcels, from_csv.parcels)
        self.assertEqual(from_xlsx.parcels[0].places[0].barcode,
            '2000000000001')
        self.assertEqual(from_xlsx.parcels[0].cod_amount, Decimal('1590.50'))
        self.assertEqual(from_xlsx.parcels[0].weight, 1.25)

    @with_transaction(context=RU)
    def test_header_aliases(self):
        "English, ё-less and the account's own headers all map"
        pool = Pool()
        Column = pool.get('multipoint.supplier.account.column')
        company, msk, _, shop, account = self.fixture()
        with set_company(company):
            english = ["order_number", "Barcode", "Recipient", "Phone",
                "COD", "delivery_fee", "Declared Value", "weight_kg"]
            manifest = account.get_connector().import_manifest(
                csv_bytes(rows(1), headers=english))
            self.assertEqual(manifest.errors, [])
            self.assertEqual(manifest.parcels[0].cod_amount,
                Decimal('1590.00'))
            own = ["Заказ клиента", "ШК", "Клиент", "тел.", "наложенный "
                "платеж:", "Доставка", "Оценочная стоимость", "Вес"]
            manifest = account.get_connector().import_manifest(
                csv_bytes(rows(1), headers=own))
            self.assertEqual(sorted(manifest.columns), sorted([
                        'barcode', 'cod_amount', 'delivery_fee',
                        'declared_value', 'weight']))
            self.assertTrue(manifest.errors[0].message.startswith(
                    "Нет колонки «Номер заказа»"))
            Column.create([
                    {'account': account.id, 'column': 'order_number',
                        'header': "Заказ клиента"},
                    {'account': account.id, 'column': 'recipient_name',
                        'header': "Клиент"},
                    {'account': account.id, 'column': 'recipient_phone',
                        'header': "Тел."},
                    ])
            account = type(account)(account.id)
            manifest = account.get_connector().import_manifest(
                csv_bytes(rows(1), headers=own))
            self.assertEqual(manifest.errors, [])
            self.assertEqual(manifest.parcels[0].recipient_name,
                "Получатель 1")
            self.assertEqual(manifest.parcels[0].recipient_phone,
                '+79160010101')

    @with_transaction(context=RU)
    def test_preview_lists_row_errors_in_russian(self):
        "The preview names each bad row in Russian and writes nothing"
        company, msk, _, shop, account = self.fixture()
        with set_company(company):
            table = rows(6)
            table[1][3] = '12-34'                 # bad phone, row 3
            table[2][0] = ''                      # no order number, row 4
            table[3][4] = '-10'                   # negative amount, row 5
            table[4][1] = table[0][1]             # duplicate barcode, row 6
            _, preview = self.preview(account, msk, csv_bytes(table))
            self.assertFalse(preview['valid'])
            errors = preview['errors'].splitlines()
            self.assertEqual(len(errors), 4, errors)
            self.assertEqual(errors[0], "Строка 3: «12-34» в колонке "
                "«Телефон» — не номер телефона.")
            self.assertEqual(errors[1], "Строка 4: Не указан номер заказа "
                "(«Номер заказа»).")
            self.assertEqual(errors[2], "Строка 5: Отрицательная сумма в "
                "колонке «Наложенный платёж»: -10.")
            self.assertEqual(errors[3], "Строка 6: Штрихкод 2000000000001 "
                "уже есть в строке 2.")
            self.assertIn("Строк: 6, заказов: 2", preview['summary'])
            self.assertEqual(self.parcels(shop), [])

            _, preview = self.preview(account, msk, csv_bytes(rows(2)))
            self.assertTrue(preview['valid'])
            self.assertIn("Будет создано: 2, обновлено: 0, без изменений: 0",
                preview['summary'])
            self.assertEqual(self.parcels(shop), [])

    # -- all or nothing, idempotence --------------------------------------

    @with_transaction(context=RU)
    def test_import_all_or_nothing(self):
        "One bad row: nothing imported, the log tells why"
        company, msk, _, shop, account = self.fixture()
        with set_company(company):
            table = rows(5)
            table[3][3] = 'нет телефона'
            log = self.run_import(account, msk, csv_bytes(table))
            self.assertEqual(log.state, 'failed')
            self.assertEqual((log.fetched, log.created, log.failed),
                (4, 0, 1))
            line, = log.lines
            self.assertEqual((line.row, line.order_number, line.level),
                (5, 'A-4', 'error'))
            self.assertIn("не номер телефона", line.message)
            self.assertEqual(self.parcels(shop), [])

    @with_transaction(context=RU)
    def test_import_rolls_back_a_failure_while_writing(self):
        "A failure after some parcels were written leaves none of them"
        pool = Pool()
        company, msk, _, shop, account = self.fixture()
        with set_company(company):
            calls = []
            create = upsert_module.create_parcels

            def failing_create(vlist):
                calls.append(len(vlist))
                if len(calls) == 3:
                    raise RuntimeError("disk full")
                return create(vlist)
            with patch.object(upsert_module, 'CREATE_CHUNK', 2), \
                    patch.object(upsert_module, 'create_parcels',
                        failing_create):
                log = self.run_import(account, msk, csv_bytes(rows(6)))
            self.assertEqual(calls, [2, 2, 2])
            self.assertEqual(log.state, 'failed')
            self.assertEqual((log.created, log.updated), (0, 0))
            self.assertIn("disk full", log.lines[0].message)
            self.assertEqual(self.parcels(shop), [])
            # and it runs again once the cause is gone
            SyncLog = pool.get('multipoint.supplier.sync.log')
            SyncLog.run_import([log])
            self.assertEqual(SyncLog(log.id).created, 6)

    @with_transaction(context=RU)
    def test_reimport_unchanged_changes_nothing(self):
        "The same file twice (CSV, then as XLSX): no duplicate, no update"
        pool = Pool()
        Event = pool.get('multipoint.parcel.event')
        company, msk, _, shop, account = self.fixture()
        with set_company(company):
            table = rows(20)
            table[0][1:2] = ['2000000000001']
            # a two-place order: two rows with the same order number
            table.append(['A-1', '2000000000099'] + table[0][2:])
            log = self.run_import(account, msk, csv_bytes(table))
            self.assertEqual(log.state, 'done')
            self.assertEqual((log.rows, log.fetched, log.created,
                    log.updated, log.skipped), (21, 20, 20, 0, 0))
            parcels = self.parcels(shop)
            self.assertEqual(len(parcels), 20)
            self.assertEqual(sorted(p.barcode for p in parcels[0].places),
                ['2000000000001', '2000000000099'])
            self.assertEqual(parcels[0].weight, 2.5)
            # as the ORM would have made them (bulk.py)
            first = parcels[0]
            self.assertEqual((first.state, first.company, first.point,
                    first.prepaid, first.amount_due), ('expected', company,
                    msk, False, Decimal('1789.00')))
            self.assertEqual(first.recipient_phone, '+79160010101')
            self.assertEqual(first.phone_last4, '0101')
            self.assertEqual(first.recipient_key, 'получатель 1')
            self.assertEqual({(p.supplier, p.state) for p in first.places},
                {(shop, 'expected')})
            self.assertEqual([(e.kind, e.to_state, e.point)
                    for e in first.events], [('created', 'expected', msk)])
            self.assertTrue(first.create_date)
            events = Event.search_count([])
            for data, name in [(csv_bytes(table), 'again.csv'),
                    (xlsx_bytes(table), 'again.xlsx')]:
                log = self.run_import(account, msk, data, name)
                self.assertEqual(log.state, 'done')
                self.assertEqual((log.fetched, log.created, log.updated,
                        log.skipped, log.failed), (20, 0, 0, 20, 0))
                self.assertEqual(log.lines, ())
            self.assertEqual(len(self.parcels(shop)), 20)
            self.assertEqual(Event.search_count([]), events)

    @with_transaction(context=RU)
    def test_changed_rows_respect_the_workflow(self):
        """A change updates an expected parcel (logged as a parcel event),
        not a stored one; cancellation only while expected"""
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Event = pool.get('multipoint.parcel.event')
        company, msk, _, shop, account = self.fixture()
        with set_company(company):
            table = rows(3)
            self.run_import(account, msk, csv_bytes(table))
            a1, a2, a3 = self.parcels(shop)
            accept_and_store([a2])
            self.assertEqual(Parcel(a2.id).state, 'stored')

            table[0][4] = '1700.00'               # A-1 expected: applied
            table[1][4] = '1700.00'               # A-2 stored: refused
            table[2][3] = '+7 916 555-44-33'      # A-3 expected: applied
            table.append(['A-4'] + rows(1, 4)[0][1:])  # new
            log = self.run_import(account, msk, csv_bytes(table))
            self.assertEqual(log.state, 'done')
            self.assertEqual((log.fetched, log.created, log.updated,
                    log.skipped), (4, 1, 2, 1))
            warning, = log.lines
            self.assertEqual(warning.level, 'warning')
            self.assertEqual(warning.order_number, 'A-2')
            self.assertIn("изменения (cod_amount) не применены",
                warning.message)
            self.assertEqual(Parcel(a1.id).cod_amount, Decimal('1700.00'))
            self.assertEqual(Parcel(a2.id).cod_amount, Decimal('1590.00'))
            self.assertEqual(Parcel(a2.id).state, 'stored')
            self.assertEqual(Parcel(a3.id).recipient_phone, '+79165554433')
            event, = Event.search([
                    ('parcel', '=', a1.id), ('kind', '=', 'supplier_update')])
            self.assertIn("cod_amount: 1590.00 → 1700.00", event.detail)
            event, = Event.search([
                    ('parcel', '=', a3.id), ('kind', '=', 'supplier_update')])
            # the phone is for owners only: the event names it, no value
            self.assertNotIn('5554433', event.detail)
            self.assertEqual(Event.search_count([
                        ('parcel', '=', a2.id),
                        ('kind', '=', 'supplier_update')]), 0)

            # cancelled by the supplier: only the expected parcel is
            headers = HEADERS + ["Отменён"]
            log = self.run_import(account, msk, csv_bytes(
                    [r + ['1'] for r in table[:2]], headers=headers))
            self.assertEqual(Parcel(a1.id).state, 'cancelled')
            self.assertEqual(Parcel(a2.id).state, 'stored')
            self.assertEqual((log.updated, log.skipped), (1, 1))
            # and the cancelled parcel does not come back
            log = self.run_import(account, msk, csv_bytes(table[:1]))
            self.assertEqual(Parcel(a1.id).state, 'cancelled')
            self.assertEqual((log.created, log.updated, log.skipped),
                (0, 0, 1))

    @with_transaction(context=RU)
    def test_barcode_of_another_order_refused(self):
        company, msk, _, shop, account = self.fixture()
        with set_company(company):
            self.run_import(account, msk, csv_bytes(rows(2)))
            table = rows(1, start=7)
            table[0][1] = '2000000000002'          # the barcode of A-2
            _, preview = self.preview(account, msk, csv_bytes(table))
            self.assertEqual(preview['errors'], "Строка 2: Штрихкод "
                "2000000000002 заказа A-7 уже принадлежит заказу A-2.")

    @with_transaction(context=RU)
    def test_point_codes_of_the_account(self):
        "A point code column sends each order to the point it names"
        company, msk, kzn, shop, account = self.fixture()
        with set_company(company):
            headers = HEADERS + ["Код ПВЗ"]
            table = [r + [c] for r, c in zip(rows(3), [
                        'R-MSK', 'R-KZN', 'NOWHERE'])]
            _, preview = self.preview(account, msk, csv_bytes(
                    table, headers=headers))
            self.assertIn("кода ПВЗ «NOWHERE» нет", preview['errors'])
            log = self.run_import(account, msk, csv_bytes(
                    table[:2], headers=headers))
            self.assertEqual([p.point for p in self.parcels(shop)],
                [msk, kzn])
            self.assertEqual(log.created, 2)

    @with_transaction(context=RU)
    def test_large_file_is_queued(self):
        "A large file goes to a worker; the log shows it queued"
        pool = Pool()
        Queue = pool.get('ir.queue')
        company, msk, _, shop, account = self.fixture()
        with set_company(company):
            log = self.run_import(account, msk, csv_bytes(rows(1200)))
            self.assertEqual(log.state, 'queued')
            task, = Queue.search([('name', '=', 'default')], limit=1,
                order=[('id', 'DESC')])
            self.assertEqual(task.data['method'], 'run_import')
            self.assertEqual(self.parcels(shop), [])
            # what the worker does
            task.run()
            log = type(log)(log.id)
            self.assertEqual((log.state, log.created), ('done', 1200))

    @unittest.skipIf(backend.name != 'postgresql',
        "progress is recorded on PostgreSQL only")
    def test_progress_seen_while_the_import_runs(self):
        "Others see a running import's progress before it commits"
        def fixture():
            pool = Pool()
            SyncLog = pool.get('multipoint.supplier.sync.log')
            company = create_company()
            point = create_point(company, 'PRG1')
            shop = create_supplier("Прогресс")
            with set_company(company):
                account = create_account(company, shop, {point: 'PRG'})
                log = SyncLog.create_import(account, point,
                    csv_bytes(rows(4000, prefix='PRG')), 'big.csv')
            return log.id

        def read():
            log = Pool().get('multipoint.supplier.sync.log')(log_id)
            return log.state, log.progress

        def run():
            SyncLog = Pool().get('multipoint.supplier.sync.log')
            SyncLog.run_import(SyncLog.browse([log_id]))

        log_id = committed(fixture)
        worker = threading.Thread(target=committed, args=(run,))
        worker.start()
        seen = []
        while worker.is_alive():
            seen.append(committed(read))
        worker.join()
        # the log itself changes only when the run commits (all or
        # nothing): until then others read its state as queued and the
        # progress growing
        running = [p for s, p in seen if s != 'done']
        self.assertTrue(any(0 < p < 1 for p in running), seen)
        self.assertEqual(running, sorted(running))
        self.assertEqual(committed(read), ('done', 1))

    @with_transaction(context=RU)
    def test_templates_import_cleanly(self):
        "The downloadable templates are read back without an error"
        pool = Pool()
        company, msk, _, shop, account = self.fixture()
        with set_company(company):
            for name, ext in [
                    ('multipoint.supplier.manifest.template.xlsx', 'xlsx'),
                    ('multipoint.supplier.manifest.template.csv', 'csv')]:
                Report = pool.get(name, type='report')
                extension, data, _, _ = Report.execute([account.id], {})
                self.assertEqual(extension, ext)
                manifest = parse(data, account.aliases())
                self.assertEqual(manifest.errors, [])
                parcel, = manifest.parcels
                self.assertEqual(parcel.recipient_phone, '+79161234567')
                self.assertEqual(parcel.lines[0].unit_price,
                    Decimal('1590.00'))
                self.assertEqual(parcel.lines[0].vat_rate, '22')

    # -- connectors -------------------------------------------------------

    @with_transaction(context=RU)
    def test_connector_sync_is_idempotent(self):
        "Pages from the cursor; a second run creates and updates nothing"
        pool = Pool()
        SyncLog = pool.get('multipoint.supplier.sync.log')
        Parcel = pool.get('multipoint.parcel')
        company, msk, _, shop, _ = self.fixture()
        with set_company(company):
            self.assertIn('test_memory', connectors())
            account = create_account(company, shop, {msk: 'H-1'},
                connector='test_memory', password='s3cret-pw')
            MemoryConnector.pages = {'H-1': [
                    [parcel_data('H-100'), parcel_data('H-101')],
                    [parcel_data('H-102', recipient_phone='123')],
                    ]}
            log, = SyncLog.queue_syncs([account])
            SyncLog.run_sync([log])
            log = SyncLog(log.id)
            self.assertEqual(log.state, 'done')
            self.assertEqual((log.fetched, log.created, log.failed),
                (3, 2, 1))
            self.assertIn("recipient_phone", log.lines[0].message)
            self.assertEqual(account.points[0].cursor, '2')
            self.assertEqual(MemoryConnector.calls,
                [('H-1', None), ('H-1', '1'), ('H-1', '2')])

            # the supplier fixes the phone and sends everything again
            MemoryConnector.pages['H-1'][1] = [parcel_data('H-102')]
            account.points[0].cursor = None
            account.points[0].save()
            log, = SyncLog.queue_syncs([account])
            SyncLog.run_sync([log])
            log = SyncLog(log.id)
            self.assertEqual((log.fetched, log.created, log.updated,
                    log.skipped), (3, 1, 0, 2))
            self.assertEqual(Parcel.search_count(
                    [('supplier', '=', shop.id)]), 3)

    @with_transaction(context=RU)
    def test_connector_failure_keeps_cursor_and_hides_credentials(self):
        pool = Pool()
        SyncLog = pool.get('multipoint.supplier.sync.log')
        company, msk, _, shop, _ = self.fixture()
        with set_company(company):
            account = create_account(company, shop, {msk: 'H-1'},
                connector='test_memory', login='pvz', password='s3cret-pw',
                token='tok-123456')
            MemoryConnector.pages = {'H-1': [[parcel_data('H-100')]]}
            MemoryConnector.fail_with = ConnectorError(
                "401 for https://pvz:s3cret-pw@api.example/?token=tok-123456")
            log, = SyncLog.queue_syncs([account])
            SyncLog.run_sync([log])
            log = SyncLog(log.id)
            self.assertEqual(log.state, 'failed')
            message = log.lines[0].message
            self.assertIn("401", message)
            self.assertNotIn('s3cret-pw', message)
            self.assertNotIn('tok-123456', message)
            self.assertIsNone(account.points[0].cursor)

    @with_transaction(context=RU)
    def test_cron_queues_due_accounts(self):
        pool = Pool()
        Account = pool.get('multipoint.supplier.account')
        SyncLog = pool.get('multipoint.supplier.sync.log')
        company, msk, _, shop, file_account = self.fixture()
        with set_company(company):
            account = create_account(company, shop, {msk: 'H-1'},
                connector='test_memory',
                sync_interval=dt.timedelta(minutes=15))
            Account.write([file_account], {
                    'sync_interval': dt.timedelta(minutes=15)})
            Account.sync_due()
            logs = SyncLog.search([('kind', '=', 'sync')])
            # the file connector cannot fetch: not queued
            self.assertEqual([l.account for l in logs], [account])

    # -- access -----------------------------------------------------------

    @with_transaction(context=RU)
    def test_credentials_readable_by_owners_only(self):
        pool = Pool()
        Account = pool.get('multipoint.supplier.account')
        company, msk, _, shop, account = self.fixture()
        with set_company(company):
            Account.write([account], {
                    'login': 'pvz', 'password': 's3cret-pw',
                    'token': 'tok', 'url': 'https://api.example'})
            owner = create_user('owner', ['owner'], company=company)
            manager = create_user('manager', ['staff_manager'],
                company=company)
            operator = create_user('op', ['operator'], [msk], company)
            accountant = create_user('buh', ['accountant'], company=company)
            with Transaction().set_user(owner.id), check_access():
                self.assertEqual(Account.read([account.id],
                        ['password'])[0]['password'], 's3cret-pw')
            for user in [manager, operator, accountant]:
                with Transaction().set_user(user.id), check_access():
                    self.assertEqual(Account.read([account.id], ['name'])[0][
                            'name'], account.name)
                    for field in ['login', 'password', 'token', 'url']:
                        with self.assertRaises(AccessError):
                            Account.read([account.id], [field])
                    # the form shows them to owners only
                    view = Account.fields_view_get(view_type='form')
                    self.assertNotIn('password', view['fields'])
                    self.assertNotIn('name="password"', view['arch'])
            # staff managers manage the accounts, without the secrets
            with Transaction().set_user(manager.id), check_access():
                Account.write([Account(account.id)], {'name': "Ромашка 2"})
                with self.assertRaises(AccessError):
                    Account.write([Account(account.id)], {'password': 'x'})
            for user in [operator, accountant]:
                with Transaction().set_user(user.id), check_access():
                    with self.assertRaises(AccessError):
                        Account.write([Account(account.id)], {'name': "X"})
                    with self.assertRaises(AccessError):
                        Account.create([{'name': "X",
                                    'company': company.id,
                                    'supplier': shop.id,
                                    'connector': 'file'}])

    @with_transaction(context=RU)
    def test_operators_import_for_their_points_only(self):
        pool = Pool()
        SyncLog = pool.get('multipoint.supplier.sync.log')
        Account = pool.get('multipoint.supplier.account')
        company, msk, kzn, shop, account = self.fixture()
        with set_company(company):
            operator = create_user('op', ['operator'], [msk], company)
            accountant = create_user('buh', ['accountant'], company=company)
            data = csv_bytes(rows(2))
            with Transaction().set_user(operator.id), check_access():
                # from the account's button: the account is filled in
                Wizard = pool.get('multipoint.supplier.manifest.import',
                    type='wizard')
                with Transaction().set_context(
                        active_model=Account.__name__, active_id=account.id,
                        active_ids=[account.id]):
                    session_id, _, _ = Wizard.create()
                    start = Wizard.execute(session_id, {}, 'start')
                self.assertEqual(start['view']['defaults']['account'],
                    account.id)
                # the operator's own point of the account, chosen already
                self.assertEqual(
                    start['view']['defaults']['account_points'], [msk.id])
                self.assertEqual(start['view']['defaults']['point'], msk.id)
                session_id, preview = self.preview(account, msk, data)
                self.assertTrue(preview['valid'])
                Wizard = pool.get('multipoint.supplier.manifest.import',
                    type='wizard')
                result = Wizard.execute(session_id, {}, 'import_')
                action, = result['actions']
                log_id, = action[1]['res_id']
                with self.assertRaises(AccessError):
                    self.preview(account, kzn, data)
                with self.assertRaises(AccessError):
                    SyncLog.create_import(account, kzn, data)
                # the operator sees the logs of the own points only
                self.assertEqual(
                    [l.id for l in SyncLog.search([])], [log_id])
            self.assertEqual(SyncLog(log_id).created, 2)
            self.assertEqual(SyncLog(log_id).user, operator)
            with Transaction().set_user(accountant.id), check_access():
                with self.assertRaises(AccessError):
                    self.preview(account, msk, data)
                with self.assertRaises(AccessError):
                    SyncLog.create_import(account, msk, data)
                with self.assertRaises(AccessButtonError):
                    Account.sync_now([Account(account.id)])
            self.assertEqual(len(self.parcels(shop)), 2)

    @with_transaction()
    def test_every_string_translated_in_russian(self):
        Translation = Pool().get('ir.translation')
        sources = {(t.type, t.name, t.res_id, t.src)
            for t in Translation.search([
                    ('module', '=', 'multipoint_suppliers'),
                    ('lang', '=', 'en')])}
        translated = {(t.type, t.name, t.res_id, t.src)
            for t in Translation.search([
                    ('module', '=', 'multipoint_suppliers'),
                    ('lang', '=', 'ru'), ('value', '!=', '')])}
        # (the connectors of the tests, registered by whichever test module
        # this process imported, are no user's)
        test_strings = {c.string for c in connectors().values()
            if '.tests.' in c.__module__} | {MemoryConnector.string}
        sources = {s for s in sources if s[3] not in test_strings}
        self.assertTrue(sources)
        self.assertEqual(sources - translated, set())


del DBTestCase
