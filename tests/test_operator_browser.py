"""The operator screen in a real headless Chromium.

Debian's chromium driven by Selenium through the system chromedriver (no
downloaded browser), against a real trytond serving a SQLite database made by
trytond-admin and filled through the ORM (browser_data.py). Between the
browser and the server sits a TCP proxy on 127.0.0.1 that can refuse
connections or swallow answers: the network failures of the offline queue.
The fiscal register is the demo driver; the desk printer is a socket on
127.0.0.1 keeping the ESC/POS bytes.

The walk: login (the page is native modules; the server's features say
multipoint_tickets is there) -> today's task done and undone -> open shift
-> accept a delivery (one scan while the server is unreachable, its retry's
answer lost once, a surplus label) and open a ticket about it with a photo
-> place -> issue with code and cash -> partial buyout with card -> close
shift.

MULTIPOINT_SCREENSHOTS=<folder> saves screenshots of the main views there
(the README's pictures: docs/screenshots).

Runs in the SQLite pass of the suite only (its database is its own SQLite
file either way). Skipped when chromium, chromedriver or selenium are
missing, unless MULTIPOINT_BROWSER_TESTS=required (CI), then it fails.
"""
import json
import os
import socket
import sys
import tempfile
import threading
import unittest

from trytond.modules.multipoint_core.tests.browser import (
    BrowserTestMixin, free_port, skip_reason)
from trytond.modules.multipoint_pos.tests.devices import PrinterServer, cp866

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATABASE = 'browser'
PASSWORD = 'operator-pass-2026'

try:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
except ImportError:
    pass  # skip_reason() says why


class SwitchableProxy:
    """A TCP proxy to the server: 'up' forwards, 'down' refuses (closes every
    connection), 'drop' forwards the request but swallows the answer"""

    def __init__(self, upstream):
        self.upstream = upstream
        self.mode = 'up'
        self.dropped = 0
        self.sockets = set()
        self.lock = threading.Lock()
        self.server = socket.create_server(('127.0.0.1', 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def set_mode(self, mode):
        self.mode = mode
        if mode != 'up':
            with self.lock:
                for sock in list(self.sockets):
                    self.close(sock)

    def close(self, sock):
        self.sockets.discard(sock)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if self.mode == 'down':
                client.close()
                continue
            threading.Thread(
                target=self.serve, args=(client,), daemon=True).start()

    def serve(self, client):
        try:
            upstream = socket.create_connection(('127.0.0.1', self.upstream))
        except OSError:
            client.close()
            return
        with self.lock:
            self.sockets.update({client, upstream})
        threading.Thread(
            target=self.pipe, args=(client, upstream), daemon=True).start()
        while True:
            try:
                data = upstream.recv(65536)
            except OSError:
                data = b''
            if not data or self.mode != 'up':
                if data and self.mode == 'drop':
                    self.dropped += 1
                with self.lock:
                    self.close(client)
                    self.close(upstream)
                return
            try:
                client.sendall(data)
            except OSError:
                return

    def pipe(self, source, target):
        while True:
            try:
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
            except OSError:
                break

    def stop(self):
        self.server.close()
        self.set_mode('down')


@unittest.skipIf(skip_reason(), skip_reason())
class OperatorBrowserTestCase(BrowserTestMixin, unittest.TestCase):
    "The operator's day in Chromium"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix='multipoint-browser-')
        cls.printer = PrinterServer()
        cls.server_port = free_port()
        cls.config = os.path.join(cls.tmp, 'trytond.conf')
        with open(cls.config, 'w') as fp:
            fp.write(f"""[database]
uri = sqlite://
path = {cls.tmp}
language = ru
[web]
listen = 127.0.0.1:{cls.server_port}
[session]
authentications = password
[multipoint_fiscal]
driver = demo
[multipoint_printer]
host = 127.0.0.1
port = {cls.printer.port}
timeout = 2
""")
        cls.create_database(cls.config, DATABASE,
            ['multipoint_pos', 'multipoint_tickets'])
        cls.data = json.loads(cls.run_quiet(cls.data_command('setup')))
        cls.start_server(cls.config, DATABASE, cls.env, cls.server_port)
        cls.proxy = SwitchableProxy(cls.server_port)
        cls.start_browser(page_load_timeout=60)

    @classmethod
    def tearDownClass(cls):
        cls.stop_all(cls.proxy.stop, cls.printer.stop)
        super().tearDownClass()

    @classmethod
    def data_command(cls, *args):
        return [sys.executable, '-m',
            'trytond.modules.multipoint_pos.tests.browser_data',
            '-c', cls.config, '-d', DATABASE, *args]

    # --- helpers -------------------------------------------------------
    def key(self, key):
        self.find('body').send_keys(key)

    def scan(self, code):
        field = self.find('#scan')
        field.clear()
        field.send_keys(code + Keys.ENTER)

    def click(self, selector):
        self.wait(lambda: self.find(selector).is_enabled(),
            f"{selector} stays disabled")
        self.find(selector).click()

    def shot(self, name):
        folder = os.environ.get('MULTIPOINT_SCREENSHOTS')
        if folder:
            os.makedirs(folder, exist_ok=True)
            self.driver.execute_script('window.scrollTo(0, 0);')
            self.driver.save_screenshot(os.path.join(folder, f'{name}.png'))

    def shot_to(self, folder, name):
        "A screenshot into folder (the README's pictures)"
        os.makedirs(folder, exist_ok=True)
        self.driver.save_screenshot(os.path.join(folder, f'{name}.png'))

    def viewport(self, width, height):
        "The page's viewport at exactly width x height"
        self.driver.execute_cdp_cmd('Emulation.setDeviceMetricsOverride', {
                'width': width, 'height': height, 'deviceScaleFactor': 1,
                'mobile': False})
        self.wait(lambda: self.driver.execute_script(
                'return innerWidth') == width, "the viewport did not change")

    def assertUncovered(self, element, what):
        """element, scrolled into view, is the one at its own centre (or
        holds it): nothing (the payment, a bar, a drawer) covers it"""
        uncovered = self.driver.execute_script("""
            const node = arguments[0];
            node.scrollIntoView({block: 'center'});
            const box = node.getBoundingClientRect();
            const top = document.elementFromPoint(box.left + box.width / 2,
                box.top + box.height / 2);
            return Boolean(top) && (top === node || node.contains(top));
            """, element)
        self.assertTrue(uncovered, f"{what} is covered")

    def card(self, order_number):
        return self.wait(lambda: next(c for c in self.driver.find_elements(
                    By.CSS_SELECTOR, '#issue-parcels .parcel')
                if f'№ {order_number}' in c.text),
            f"no card of {order_number}")

    # --- the walk ------------------------------------------------------
    def test_operator_day(self):
        driver = self.driver
        driver.get(f'http://127.0.0.1:{self.proxy.port}/{DATABASE}'
            '/multipoint/operator/')
        self.wait(lambda: self.find('#login-name').is_displayed(),
            "no login form")
        self.type('#login-name', 'op_msk')
        self.type('#login-password', PASSWORD + Keys.ENTER)
        self.wait(lambda: self.find('#app').is_displayed(), "no app")
        self.assertIn('MSK1', self.text('#point-name'))
        driver.execute_script('window.confirm = () => true;')

        # one module script, which imports the others: nothing of the
        # screen is a global (but the elements with an id, as always)
        self.assertEqual(driver.execute_script(
                "return Array.from(document.scripts, (s) => s.type)"),
            ['module'])
        for name in ['setMode', 'onScan', 'api', 'session', 'state',
                'showError', 'currentShift']:
            self.assertEqual(driver.execute_script(
                    f'return typeof window.{name}'), 'undefined', name)
        # the server says multipoint_tickets is there: «Сегодня» shows
        driver.set_script_timeout(30)
        self.assertEqual(driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            const db = location.pathname.split('/')[1];
            const s = JSON.parse(sessionStorage.getItem(
                `multipoint.operator.${decodeURIComponent(db)}`));
            const token = btoa(`${s.login}:${s.userId}:${s.token}`);
            fetch(`/${db}/multipoint/api/v1/features`,
                {headers: {Authorization: `Session ${token}`}})
              .then((r) => r.json()).then(done, (e) => done(String(e)));
            """)['features']['tickets'], True)

        # today's task from the top bar: done, then to do again
        self.wait_text('#today-toggle', 'Сегодня: 1')
        self.key(Keys.F7)
        self.wait_text('#today-list', 'Инкассация')
        self.find('#today-list li.task button.primary').click()
        self.wait_text('#today-list', 'выполнил(а): op_msk')
        self.wait_text('#today-toggle', 'Сегодня: 0')
        self.find('#today-list li.task button').click()
        self.wait_text('#today-toggle', 'Сегодня: 1')
        self.find('#today-close').click()

        # the shift is said up front, with the offer to open it
        self.wait_text('#shift-banner', 'Смена на этом пункте не открыта')
        self.wait_text('#shift-chip', 'Смена закрыта')
        self.find('#shift-banner-open').click()
        self.wait(lambda: self.find('#shift-open').is_displayed(),
            "no open-shift form")
        self.assertEqual(driver.switch_to.active_element.get_attribute('id'),
            'shift-float')
        self.type('#shift-float', '1000')
        self.find('#shift-open button').click()
        self.wait_text('#shift-name', 'MSK1')
        self.wait_text('#shift-cash', '1 000,00')
        self.wait_text('#shift-chip', 'Смена открыта')
        self.assertFalse(self.find('#shift-banner').is_displayed())
        # the drawer and the messages stay in their mode
        self.key(Keys.F7)
        self.wait(lambda: self.find('#today').is_displayed(), "no drawer")
        self.assertIn('Смена открыта', self.text('#flash'))

        # accept the delivery; the first scan while the server is away
        self.key(Keys.F2)
        self.assertFalse(self.find('#today').is_displayed())
        self.assertEqual(self.text('#flash'), '')
        self.find('#reception-open button').click()
        self.wait(lambda: self.find('#reception-view').is_displayed(),
            "no reception")
        self.proxy.set_mode('down')
        self.scan('HB-1')
        self.wait_text('#queue', 'Очередь: 1')
        self.wait_text('#flash', 'Нет связи')
        # the retry reaches the server but its answer is lost
        self.proxy.set_mode('drop')
        self.wait(lambda: self.proxy.dropped, "the retry never came", 20)
        self.proxy.set_mode('up')
        self.wait_text('#queue', 'Очередь: 0', 20)
        self.wait_text('#reception-counts', 'Принято 1 из 3')
        self.scan('RB-1')
        # applied once: HB-1 counted once, RB-1 the second
        self.wait_text('#reception-counts', 'Принято 2 из 3')
        self.scan('DB-1')
        self.wait_text('#reception-counts', 'Принято 3 из 3')
        self.assertNotIn('Повтор', self.text('#reception-scans'))
        self.assertFalse(self.find('#reception-ticket').is_displayed())
        self.scan('X-999')
        self.wait_text('#reception-counts', 'излишки: 1')
        self.shot('acceptance')
        self.find('#reception-close').click()
        self.wait_text('#reception-number', 'закрыта')

        # a ticket about the surplus label, with a photo
        self.click('#reception-ticket button')
        self.wait(lambda: self.find('#ticket-dialog').is_displayed(),
            "no ticket dialog")
        self.type('#ticket-comment', "Этикетка X-999 без посылки")
        photo = os.path.join(self.tmp, 'label.jpg')
        with open(photo, 'wb') as fp:
            fp.write(b'\xff\xd8\xff\xe0 a photo of the label')
        self.find('#ticket-photos').send_keys(photo)
        self.find('#ticket-submit').click()
        self.wait_text('#reception-ticket', 'Обращение ОБ-')
        self.assertIn('фото: 1', self.text('#reception-ticket'))
        self.assertFalse(self.find('#ticket-dialog').is_displayed())

        # place both parcels in the suggested cells
        self.key(Keys.F3)
        for barcode in ['HB-1', 'RB-1', 'DB-1']:
            self.scan(barcode)
            suggestion = self.wait(lambda: (
                    'рекомендуемая ячейка: ' in self.text('#placement-state')
                    and self.text('#placement-state')),
                "no suggested cell")
            cell = suggestion.split('рекомендуемая ячейка: ')[1].split('.')[0]
            # the cell as on its label, the code one scans
            self.assertIn(cell, ['A-1', 'A-2', 'B-1'])
            self.scan(cell)
            self.wait_text('#placement-state', 'Ожидается посылка')
        self.assertEqual(
            len(driver.find_elements(By.CSS_SELECTOR, '#placement-log li')),
            3)

        codes = json.loads(self.run_quiet(
                self.data_command('codes', 'H-1', 'R-1')))

        # the issue screen at the sizes people have: the payment never
        # covers the parcel, its code field or the refuse boxes
        self.key(Keys.F1)
        self.scan('H-1')
        self.card('R-1')
        self.card('D-1')
        self.card('R-1').find_element(By.CSS_SELECTOR,
            'header input').click()
        self.wait(lambda: self.find('#issue-payment').is_displayed(),
            "no payment")
        driver.execute_script("document.querySelector('#pay-status')"
            ".textContent = 'Очень длинное сообщение об оплате. '.repeat(12);")
        folder = os.environ.get('MULTIPOINT_SCREENSHOTS')
        for width, height in [(1366, 768), (1024, 768), (800, 1280)]:
            self.viewport(width, height)
            for order in ['H-1', 'R-1']:
                card = self.card(order)
                self.assertUncovered(card, f"the card of {order} at {width}")
                self.assertUncovered(
                    card.find_element(By.CSS_SELECTOR, 'input.code'),
                    f"the code field of {order} at {width}")
            self.assertUncovered(self.card('R-1').find_element(
                    By.CSS_SELECTOR, 'li input[type=checkbox]'),
                f"a refuse box at {width}")
            cell = self.card('H-1').find_element(By.CSS_SELECTOR, '.cell')
            self.assertRegex(cell.text, r'^[A-B]-\d$')
            self.assertEqual(cell.size['height'] < 60, True,
                "the cell takes more than one line")
            if folder:
                driver.execute_script('window.scrollTo(0, 0);')
                self.shot_to(folder, f'operator-{width}x{height}')
        driver.execute_cdp_cmd('Emulation.clearDeviceMetricsOverride', {})
        self.card('R-1').find_element(By.CSS_SELECTOR,
            'header input').click()

        # a wrong code: the tries left before the lock
        card = self.card('H-1')
        card.find_element(By.CSS_SELECTOR, 'input.code').send_keys('000000')
        self.wait_text('#issue-total', '1 699,00')
        self.click('#issue-submit')
        self.wait(lambda: 'Осталось попыток: 4' in self.card('H-1').text,
            "no tries left shown")

        # issue H-1 found by its code (filled in), cash 2,000 for 1,699
        self.scan(codes['H-1'])
        self.wait(lambda: self.card('H-1').find_element(
                By.CSS_SELECTOR, 'input.code').get_attribute('value')
            == codes['H-1'], "the code is not filled in")
        self.assertNotIn('Осталось попыток', self.card('H-1').text)
        self.wait_text('#issue-total', '1 699,00')
        self.type('#pay-tendered', '2000')
        self.wait_text('#pay-change', '301,00')
        self.wait_text('#pay-status', 'Оплата сходится')
        self.shot('issue-cash')
        self.click('#issue-submit')
        self.wait_text('#issue-result', 'Выдано посылок: 1')
        self.wait_text('#issue-result', 'Сдача: 301,00')
        self.wait_text('#issue-result', 'Чек Hermes: 1 699,00 ₽ — Пробит')
        slip = self.printer.wait(1)
        self.assertIn(cp866('H-1 (Hermes)'), slip)
        # the recipient's other parcels stay
        self.card('R-1')
        self.card('D-1')

        # the skirt refused, 1,500 + the delivery fee 250 by card
        self.scan('R-1')
        # the search's answer replaces the cards still listed
        card = self.wait(lambda: next(c for c in self.driver.find_elements(
                    By.CSS_SELECTOR, '#issue-parcels .parcel.matched')
                if '№ R-1' in c.text), "R-1 not found")
        skirt = next(li for li in card.find_elements(By.CSS_SELECTOR, 'li')
            if 'Юбка' in li.text)
        skirt.find_element(By.CSS_SELECTOR, 'input').click()
        self.wait_text('#issue-total', '1 750,00')
        self.find('#issue-payment [data-pay="card"]').click()
        card.find_element(By.CSS_SELECTOR, 'input.code').send_keys(
            codes['R-1'])
        self.wait_text('#pay-status', 'Оплата сходится')
        self.shot('issue-partial-card')
        self.click('#issue-submit')
        self.wait_text('#issue-result', 'Выдана частично')
        self.wait_text('#issue-result', 'Чек runCRM: 1 750,00 ₽ — Пробит')
        self.shot('issue-result')

        # D-1 refused whole: a reason from the list, the delivery the
        # terms charge on refusal paid by card, what follows said
        self.card('D-1').find_element(By.CSS_SELECTOR,
            'header input').click()
        self.click('#issue-refuse')
        self.wait(lambda: self.find('#refuse-dialog').is_displayed(),
            "no refusal dialog")
        self.wait_text('#refuse-fee', '300,00')
        self.assertIn('вернутся поставщику (DPD)', self.text('#refuse-what'))
        self.assertIn('возвращать получателю нечего',
            self.text('#refuse-what'))
        self.assertFalse(self.find('#refuse-submit').is_enabled())
        from selenium.webdriver.support.ui import Select
        Select(self.find('#refuse-reason')).select_by_visible_text('Другое')
        self.assertFalse(self.find('#refuse-submit').is_enabled())
        self.type('#refuse-other', 'Заказал по ошибке')
        self.find('#refuse-fee [data-pay="card"]').click()
        self.click('#refuse-submit')
        self.wait_text('#issue-result', 'Отказ оформлен, посылок: 1')
        self.assertFalse(self.find('#refuse-dialog').is_displayed())
        self.assertEqual(
            driver.find_elements(By.CSS_SELECTOR, '#issue-parcels .parcel'),
            [])

        # close the shift: 1,000 + 1,699 in cash, counted exactly
        self.key(Keys.F6)
        self.wait_text('#shift-cash', '2 699,00')
        self.wait_text('#shift-report', 'Hermes')
        for denomination, quantity in [('2000', 1), ('500', 1), ('100', 1),
                ('50', 1), ('10', 4), ('5', 1), ('2', 2)]:
            self.find('#shift-counts '
                f'input[data-denomination="{denomination}"]').send_keys(
                str(quantity))
        self.wait_text('#shift-counted', '2 699,00')
        self.wait_text('#shift-difference', '0,00')
        self.shot('shift')
        self.find('#shift-close button').click()
        self.wait_text('#shift-z', 'Z-отчёт')
        self.assertIn('расхождение 0,00', self.text('#shift-z'))
        self.wait(lambda: self.find('#shift-open').is_displayed(),
            "the shift is still open")
        z = self.printer.wait(2)
        self.assertIn(cp866('runCRM'), z)

        # a reception left open is offered after a new login; an empty
        # one is cancelled
        self.key(Keys.F2)
        self.find('#reception-open button').click()
        self.wait(lambda: self.find('#reception-cancel').is_displayed(),
            "no cancel of an empty reception")
        number = self.text('#reception-number')
        self.find('#logout').click()
        self.wait(lambda: self.find('#login-name').is_displayed(),
            "no login form")
        # a new login loses what the tab remembered
        driver.execute_script('sessionStorage.clear();')
        self.type('#login-name', 'op_msk')
        self.type('#login-password', PASSWORD + Keys.ENTER)
        self.wait(lambda: self.find('#app').is_displayed(), "no app")
        self.wait_text('#resume', number.split(' ', 1)[1])
        self.find('#resume-list button.danger').click()
        self.wait_text('#flash', 'отменена')
        self.assertFalse(self.find('#resume').is_displayed())
