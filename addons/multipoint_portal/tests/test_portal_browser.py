"""The supplier portal in a real headless Chromium.

Debian's chromium driven by Selenium through the system chromedriver,
against a real trytond serving a SQLite file: the test's own database
(activated through Tryton's test cache, filled through the ORM) copied to a
file, so no trytond-admin run is needed.

MULTIPOINT_SCREENSHOTS=<folder> saves screenshots of the main views there.

The walk: login -> parcels list -> search -> a parcel's history -> upload a
CSV with an error (preview lists it) -> the corrected file, preview, import
-> an agent's report, its XLSX downloaded and opened -> a ticket waiting
for the supplier (its internal note not shown) answered: the answer in the
thread, the ticket back in progress, and in the server's database the
answer stored as the supplier's, not internal.

Runs in the SQLite pass of the suite only. Skipped when chromium,
chromedriver or selenium are missing, unless MULTIPOINT_BROWSER_TESTS=
required (CI), then it fails.
"""
import datetime as dt
import os
import sqlite3
import tempfile
import unittest
from decimal import Decimal

from trytond import backend
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.browser import (
    BrowserTestMixin, clean_environ, free_port, skip_reason)
from trytond.modules.multipoint_core.tests.tools import (
    accept_and_store, committed, create_parcel, create_point,
    create_supplier)
from trytond.modules.multipoint_suppliers.bulk import insert
from trytond.modules.multipoint_suppliers.tests.tools import (
    create_account, csv_bytes, rows)
from trytond.pool import Pool
from trytond.tests import test_tryton
from trytond.tests.test_tryton import DB_NAME, drop_db
from trytond.transaction import Transaction

D = Decimal
DATABASE = 'portal'
EMAIL = 'manager@lutik.example'
PASSWORD = 'Portal#2026-pass'
TICKET = "Повреждена коробка LT-1"
PUBLIC_NOTE = "Пришлите, пожалуйста, акт о вложении"
INTERNAL_NOTE = "Курьер поставщика грубил на приёмке"
REPLY = "Акт отправили курьером, номер 7731"

try:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
except ImportError:
    pass  # skip_reason() says why


def fill():
    "A supplier with a portal user, an account and parcels at two points"
    pool = Pool()
    WebUser = pool.get('web.user')
    company = create_company()
    with set_company(company):
        msk = create_point(company, 'MSK1', name="Москва, Тверская 1")
        kzn = create_point(company, 'KZN1', name="Казань, Баумана 5")
        lutik = create_supplier("Лютик", storage_days=5,
            max_extension_days=2)
        other = create_supplier("Василёк", storage_days=5,
            max_extension_days=2)
        create_account(company, lutik, {msk: 'L-MSK', kzn: 'L-KZN'})
        parcels = [create_parcel(msk, lutik, f'LT-{i}', [f'LB-{i}'])
            for i in range(1, 4)]
        create_parcel(kzn, lutik, 'LT-4', ['LB-4'])
        create_parcel(msk, other, 'VS-1', ['VB-1'])
        accept_and_store(parcels[:1])
        settlement(company, lutik, ['LT-1', 'LT-2'])
        ticket(msk, lutik, parcels[0])
        WebUser.create([{
                    'email': EMAIL,
                    'password': PASSWORD,
                    'multipoint_supplier': lutik.id,
                    }])


def settlement(company, supplier, orders):
    "An agent's report sent to the supplier, lines as computed"
    pool = Pool()
    Settlement = pool.get('multipoint.settlement')
    Line = pool.get('multipoint.settlement.line')
    today = dt.date.today()
    settlement, = Settlement.create([{
                'company': company.id, 'supplier': supplier.id,
                'period_start': today.replace(day=1), 'period_end': today,
                }])
    insert(Line, [{
                'settlement': settlement.id, 'order_number': order,
                'date': today, 'status': 'issued', 'cash': D('1699.00'),
                'amount': D('1699.00'), 'commission': D('33.98'),
                'net': D('1665.02'),
                } for order in orders])
    Settlement.update_totals([settlement])
    # as the workflow leaves it (no accounting needed here)
    Settlement.write([settlement], {'state': 'sent', 'number': 'АО-1'})


def ticket(point, supplier, parcel):
    "A ticket waiting for the supplier, with a note it must not see"
    pool = Pool()
    Ticket = pool.get('multipoint.ticket')
    Message = pool.get('multipoint.ticket.message')
    ticket, = Ticket.create([{
                'title': TICKET, 'type': 'damaged', 'point': point.id,
                'supplier': supplier.id, 'parcels': [('add', [parcel.id])],
                }])
    Message.create([
            {'ticket': ticket.id, 'body': PUBLIC_NOTE},
            {'ticket': ticket.id, 'body': INTERNAL_NOTE, 'internal': True},
            ])
    Ticket.wait_supplier([ticket])


def save_database(path):
    "Copy the test database (in memory or not) to the SQLite file path"
    database = backend.Database(DB_NAME).connect()
    connection = database.get_connection()
    try:
        with sqlite3.connect(path) as target:
            connection.backup(target)
    finally:
        database.put_connection(connection)


def load_database(path):
    """Copy the SQLite file path (the server's database) over the test
    database, kept with its pool: initialising a new pool takes seconds"""
    database = backend.Database(DB_NAME).connect()
    connection = database.get_connection()
    try:
        with sqlite3.connect(path) as source:
            source.backup(connection)
    finally:
        database.put_connection(connection)


@unittest.skipIf(skip_reason(), skip_reason())
class PortalBrowserTestCase(BrowserTestMixin, unittest.TestCase):
    "A supplier's visit to the portal in Chromium"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        # the modules of test_portal.py: one cached database for both
        test_tryton.activate_module(['multipoint_portal', 'multipoint_tickets',
                'multipoint_settlement'], lang='ru')
        committed(fill, user=1)
        cls.tmp = tempfile.mkdtemp(prefix='multipoint-portal-')
        save_database(os.path.join(cls.tmp, f'{DATABASE}.sqlite'))
        port = free_port()
        cls.base = f'http://127.0.0.1:{port}/{DATABASE}/multipoint/portal/'
        config = os.path.join(cls.tmp, 'trytond.conf')
        with open(config, 'w') as fp:
            fp.write(f"""[database]
uri = sqlite://
path = {cls.tmp}
language = ru
[web]
listen = 127.0.0.1:{port}
""")
        cls.start_server(config, DATABASE, clean_environ(), port)
        cls.start_browser()
        cls.downloads = os.path.join(cls.tmp, 'downloads')
        os.makedirs(cls.downloads)
        cls.driver.execute_cdp_cmd('Browser.setDownloadBehavior', {
                'behavior': 'allow', 'downloadPath': cls.downloads})

    @classmethod
    def tearDownClass(cls):
        cls.stop_all(drop_db)
        super().tearDownClass()

    # --- helpers -------------------------------------------------------
    def rows(self, selector):
        return [r.text for r in self.driver.find_elements(
                By.CSS_SELECTOR, f'{selector} tbody tr')]

    def shot(self, name):
        "MULTIPOINT_SCREENSHOTS=<folder> keeps pictures of the main views"
        folder = os.environ.get('MULTIPOINT_SCREENSHOTS')
        if folder:
            os.makedirs(folder, exist_ok=True)
            self.driver.save_screenshot(
                os.path.join(folder, f'portal-{name}.png'))

    def assertNotInPage(self, text):
        # the whole page, hidden parts included; not printed when found
        self.assertFalse(text in self.driver.page_source,
            f"{text!r} is in the page")

    def upload(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, 'wb') as fp:
            fp.write(data)
        self.find('#import-file').send_keys(path)
        self.find('#import-form button[type=submit]').click()

    # --- the walk ------------------------------------------------------
    def test_supplier_visit(self):
        driver = self.driver
        driver.get(self.base)
        self.wait(lambda: self.find('#login-email').is_displayed(),
            "no login form")
        self.type('#login-email', EMAIL)
        self.type('#login-password', 'wrong' + Keys.ENTER)
        self.wait_text('#login-error', 'Неверный e-mail или пароль')
        self.type('#login-password', PASSWORD + Keys.ENTER)
        self.wait(lambda: self.find('#app').is_displayed(), "no app")
        self.assertEqual(self.text('#supplier-name'), "Лютик")

        # the supplier's own parcels, not the other supplier's
        self.wait_text('#parcel-total', 'Найдено посылок: 4')
        listed = '\n'.join(self.rows('#parcel-table'))
        self.assertIn('LT-1', listed)
        self.assertNotIn('VS-1', listed)
        self.assertIn('На хранении', listed)
        self.shot('parcels')

        # search by barcode, then a parcel's history
        self.type('#filter-q', 'LB-1' + Keys.ENTER)
        self.wait_text('#parcel-total', 'Найдено посылок: 1')
        self.find('#parcel-rows tr').click()
        self.wait_text('#parcel-detail', 'Заказ LT-1')
        self.wait_text('#parcel-detail', 'MSK1')
        self.assertIn('На хранении', self.text('#parcel-detail .events'))
        self.shot('parcel')

        # a manifest with a bad phone: the preview shows the row
        self.find('[data-tab=imports]').click()
        self.wait(lambda: self.find('#import-point option'), "no points")
        table = rows(2, prefix='NEW')
        table[1][3] = 'нет телефона'
        self.upload('bad.csv', csv_bytes(table))
        self.wait_text('#preview-status', 'не может быть загружен')
        self.wait_text('#preview-errors', 'нет телефона')
        self.assertEqual(self.find('#preview-errors tbody td').text, '3')
        self.assertFalse(self.find('#import-confirm').is_enabled())
        self.shot('preview-errors')

        # the corrected file: preview, then the import
        self.upload('good.csv', csv_bytes(rows(2, prefix='NEW')))
        self.wait_text('#preview-status', 'Ошибок нет')
        self.assertIn('Будет создано\n2', self.text('#preview-summary'))
        self.find('#import-confirm').click()
        self.wait_text('#import-state', 'Выполнено')
        self.wait_text('#import-state', 'Создано: 2')
        self.shot('import')
        self.wait(lambda: any('good.csv' in r
                for r in self.rows('#import-table')), "no import listed")

        self.find('[data-tab=parcels]').click()
        self.type('#filter-q', 'NEW-' + Keys.ENTER)
        self.wait_text('#parcel-total', 'Найдено посылок: 2')

        # the agent's report: read it, download its XLSX
        self.find('[data-tab=settlements]').click()
        self.wait_text('#settlement-rows', 'АО-1')
        self.find('#settlement-rows tr').click()
        self.wait_text('#settlement-summary', '3 398,00')
        self.assertIn('LT-2', self.text('#settlement-lines'))
        self.shot('settlement')
        self.find('#settlement-xlsx').click()
        path = os.path.join(self.downloads, 'АО-1.xlsx')
        self.wait(lambda: os.path.exists(path), "no XLSX downloaded")
        import openpyxl
        book = self.wait(lambda: openpyxl.load_workbook(path),
            "the XLSX does not open")
        cells = {c.value for sheet in book for row in sheet.iter_rows()
            for c in row}
        self.assertTrue({'LT-1', 'LT-2'} <= cells)

        self.answer_ticket()

        # signed out: the page asks to sign in again
        self.find('#logout').click()
        self.wait(lambda: self.find('#login-email').is_displayed(),
            "not signed out")
        driver.refresh()
        self.wait(lambda: self.find('#login-email').is_displayed(),
            "the session survived the logout")

    def answer_ticket(self):
        "The supplier answers the ticket waiting for it"
        self.find('[data-tab=tickets]').click()
        self.wait_text('#ticket-rows', TICKET)
        self.assertIn('Ожидает поставщика', self.text('#ticket-rows'))
        self.find('#ticket-rows tr').click()
        self.wait_text('#ticket-thread', PUBLIC_NOTE)
        self.assertIn('LT-1', self.text('#ticket-summary'))
        self.assertNotInPage(INTERNAL_NOTE)
        self.type('#reply-body', REPLY)
        self.find('#reply-form button[type=submit]').click()
        self.wait_text('#ticket-thread li.mine', REPLY)
        self.wait_text('#ticket-summary', 'В работе')
        self.wait_text('#ticket-rows', 'В работе')
        self.assertNotInPage(INTERNAL_NOTE)
        self.shot('ticket')

        # what the server stored, read through the ORM
        load_database(os.path.join(self.tmp, f'{DATABASE}.sqlite'))
        with Transaction().start(DB_NAME, 0, readonly=True):
            pool = Pool()
            Ticket = pool.get('multipoint.ticket')
            Message = pool.get('multipoint.ticket.message')
            ticket, = Ticket.search([('title', '=', TICKET)])
            self.assertEqual(ticket.state, 'in_progress')
            reply, = Message.search([
                    ('ticket', '=', ticket.id), ('body', '=', REPLY)])
            self.assertEqual((reply.kind, reply.internal, reply.author),
                ('comment', False, None))
            self.assertEqual(reply.supplier, ticket.supplier)
            self.assertEqual(reply.supplier.name, "Лютик")
