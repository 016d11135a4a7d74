"""sao, the managers' web client, in a real headless Chromium, in Russian,
for every role.

A trytond of its own serves a SQLite database made by trytond-admin (the
eight modules, addons included, in Russian) and filled by
tests/sao_browser_data.py (two points, parcels accepted, stored and issued,
a reception, a settlement, a ticket, a charge and its claim, a user per
role). For each role (owner, staff manager, accountant, reports, analytics,
operator) the test logs into sao through its login dialog, lists the menu
entries the user sees (ir.ui.menu through sao's own RPC), opens every
entry's action as a click on the menu does, and where the action is a list
with records opens its first record's form, or its graph for a report
table without a form (analytics). To stay within five minutes (CI's whole
run has 45), a model's form or graph is opened once, by the first role
that lists records of it, mostly the owner; the other roles open the lists
only. It fails on:

- any SEVERE message of the browser console (sao's TypeErrors among them);
- a tab that never opens, or «Обработка» still shown after the timeout;
- an English word in the chrome of the Russian UI: menu, tab titles,
  labels, column headers, buttons, page tabs (record values are data).

test_owner_dashboard opens the owner's analytics dashboard (the board of
multipoint_analytics) and the network of points, waits until billboard.js
has drawn their graphs as SVG (bars, arcs, points of a size) and the
network lists a row per point, and saves sao-analytics-*.png screenshots.

MULTIPOINT_SCREENSHOTS=<folder> saves sao-*.png of the main screens there
(docs/screenshots; the dashboard's go to a temporary folder otherwise).
Runs in the SQLite pass only; skipped without chromium, chromedriver or
selenium unless MULTIPOINT_BROWSER_TESTS=required (CI), then it fails.
scripts/setup.sh installs chromium as root. It took 3 min 47 s on a
loaded 2-core machine (CI's budget allows it five). While working on it,
MULTIPOINT_SAO_KEEP=<folder> keeps the database between runs.
"""
import json
import os
import re
import shutil
import sys
import tempfile
import time
import unittest

from trytond.modules.multipoint_core.tests.browser import (
    BrowserTestMixin, clean_environ, free_port, skip_reason)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATABASE = 'sao'
ROLES = ['owner', 'kadry', 'buh', 'otchety', 'analitik', 'op_msk']
# Latin words that are not English UI: codes, brands, units
ALLOWED = {
    'ID', 'XML', 'CSV', 'PDF', 'XLSX', 'SBP', 'SLA', 'API', 'URL', 'QR',
    'ESC', 'POS', 'SMS', 'MSK', 'KZN', 'NSK', 'INN', 'KPP', 'BIC', 'IBAN',
    'CDEK', 'DPD', 'Boxberry', 'PickPoint', 'Hermes', 'runCRM', 'Tryton',
    'ATOL', 'Email', 'E-mail', 'JSON', 'HTTP', 'HTTPS', 'SQL', 'UTC',
    }
# The chrome: what the UI itself says (not the records' values)
CHROME = """
    var out = [];
    var seen = function(el) {
        return el.offsetParent !== null || el.getClientRects().length;
    };
    var take = function(selector, root) {
        jQuery(root || document).find(selector).each(function() {
            if (seen(this)) {
                var t = (this.innerText || '').trim();
                if (t) out.push(t);
            }
        });
    };
    take('#menu .treeview td, #menu .tree-row, #tablist > li > a');
    var pane = jQuery('#tabcontent > .tab-pane.active');
    take('label, th, legend, .nav-tabs > li > a, button, '
        + '.dropdown-menu > li > a, .alert, .modal-title', pane);
    take('.modal.in label, .modal.in th, .modal.in .modal-title, '
        + '.modal.in button');
    return out;
"""
# The requests running, but the bus's long poll (notifications) always there
REQUESTS = """(jQuery.active - ((Sao.Bus.request
        && Sao.Bus.request.state() == 'pending') ? 1 : 0))"""
OPEN_STATE = """
    var tabs = Sao.Tab.tabs;
    var modal = jQuery('.modal.in').length;
    var busy = jQuery('#processing:visible').length + REQUESTS;
    var tab = tabs.get_current && tabs.get_current();
    var ready = false, info = {};
    if (tab && tab.screen) {
        var s = tab.screen;
        info.model = s.model_name;
        info.view = s.current_view && s.current_view.view_type;
        info.records = s.group ? s.group.length : 0;
        ready = !!s.current_view && !tab.el.find('.loading:visible').length;
    } else if (tab) {
        ready = true;  // a board or a wizard tab
    }
    return {tabs: tabs.length, modal: modal, busy: busy, ready: ready,
        info: info};
""".replace('REQUESTS', REQUESTS)
# The view types of the current tab's action, loaded or not
VIEWS = """
    var s = Sao.Tab.tabs.get_current().screen;
    return s.views.map(function(v) { return v.view_type; }).concat(
        s.view_to_load);
"""
# Every tab closed at once, whatever it holds (a modified record, a wizard
# not at its end): the walk only reads
CLOSE = """
    jQuery('.modal.in').modal('hide');
    for (const tab of Sao.Tab.tabs.slice()) {
        tab._close_allowed = function() { return jQuery.when(); };
        tab.close();
    }
"""

# The charts of the current tab (billboard.js draws sao's graphs as SVG with
# d3): per chart, its panel's title on a board, the records it got, whether
# it has an svg and how many of its marks (bars, arcs, points) have a size
CHARTS = """
    var tab = Sao.Tab.tabs.get_current();
    var charts = [];
    var marks = function(el) {
        return jQuery(el).find('path.bb-bar, .bb-chart-arc path, '
            + 'circle.bb-circle').filter(function() {
                var box = this.getBoundingClientRect();
                return box.width > 0 && box.height > 0;
            }).length;
    };
    if (tab.board) {
        for (const action of tab.board.actions) {
            charts.push({
                title: action.title.text(),
                records: action.screen.group ? action.screen.group.length : 0,
                svg: action.body.find('.graph svg').length,
                marks: marks(action.body)});
        }
    } else if (tab.screen) {
        charts.push({title: tab.name,
            records: tab.screen.group.length,
            svg: tab.el.find('.graph svg').length,
            marks: marks(tab.el.find('.graph'))});
    }
    return {busy: jQuery('#processing:visible').length + REQUESTS,
        charts: charts};
""".replace('REQUESTS', REQUESTS)


def english(texts):
    "The texts (their first line) with English-looking words"
    found = set()
    for text in texts:
        for word in re.findall(r"[A-Za-z][A-Za-z'-]{2,}", text):
            if word not in ALLOWED and not word.isupper():
                found.add(text.strip().split('\n')[0][:60])
                break
    return found


@unittest.skipIf(skip_reason(), skip_reason())
class SaoBrowserTestCase(BrowserTestMixin, unittest.TestCase):
    "Every role walks sao's whole menu in Russian"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix='multipoint-sao-')
        # a database kept between runs while working on this test
        keep = os.environ.get('MULTIPOINT_SAO_KEEP')
        if keep:
            os.makedirs(keep, exist_ok=True)
            kept = os.path.join(keep, f'{DATABASE}.sqlite')
        port = free_port()
        cls.url = f'http://127.0.0.1:{port}/'
        cls.config = os.path.join(cls.tmp, 'trytond.conf')
        with open(cls.config, 'w') as fp:
            fp.write(f"""[database]
uri = sqlite://
path = {cls.tmp}
language = ru
[web]
listen = 127.0.0.1:{port}
root = {os.path.join(ROOT, 'var', 'sao', 'package')}
[session]
authentications = password
[multipoint_fiscal]
driver = demo
""")
        database = os.path.join(cls.tmp, f'{DATABASE}.sqlite')
        if keep and os.path.exists(kept):
            shutil.copyfile(kept, database)
            cls.env, cls.data = clean_environ(), json.load(
                open(kept + '.json'))
            cls.start_server(cls.config, DATABASE, cls.env, port)
            cls.start_browser(page_load_timeout=60)
            cls.shots = os.environ.get('MULTIPOINT_SCREENSHOTS')
            return
        cls.create_database(cls.config, DATABASE, ['multipoint_core',
                'multipoint_pos', 'multipoint_suppliers',
                'multipoint_tickets', 'multipoint_settlement',
                'multipoint_portal', 'multipoint_claims',
                'multipoint_analytics'], timeout=900)
        cls.data = json.loads(cls.run_quiet([sys.executable,
                    os.path.join(ROOT, 'tests', 'sao_browser_data.py'),
                    '-c', cls.config, '-d', DATABASE]))
        if keep:
            shutil.copyfile(database, kept)
            with open(kept + '.json', 'w') as fp:
                json.dump(cls.data, fp)
        cls.start_server(cls.config, DATABASE, cls.env, port)
        cls.start_browser(page_load_timeout=60)
        cls.shots = os.environ.get('MULTIPOINT_SCREENSHOTS')

    @classmethod
    def tearDownClass(cls):
        keep = os.environ.get('MULTIPOINT_SAO_KEEP')
        cls.stop_all(lambda: keep and shutil.copyfile(
                os.path.join(cls.tmp, 'trytond.log'),
                os.path.join(keep, 'trytond.log')))
        super().tearDownClass()

    @classmethod
    def run_quiet(cls, command, timeout=300):
        return super().run_quiet(command, timeout=timeout, cwd=ROOT)

    @classmethod
    def start_browser(cls, page_load_timeout=30):
        "The harness's Chromium, its navigator.language Russian"
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        from trytond.modules.multipoint_core.tests.browser import (
            CHROMEDRIVER, CHROMIUM)
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ['--headless=new', '--no-sandbox', '--disable-gpu',
                '--disable-dev-shm-usage', '--window-size=1366,900',
                '--lang=ru-RU']:
            options.add_argument(argument)
        options.add_experimental_option(
            'prefs', {'intl.accept_languages': 'ru-RU,ru'})
        options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
        cls.driver = webdriver.Chrome(
            service=Service(CHROMEDRIVER), options=options)
        cls.driver.set_page_load_timeout(page_load_timeout)

    # --- helpers -------------------------------------------------------
    def wait(self, condition, message, timeout=15):
        "The harness's wait; message may be a function, called on failure"
        if callable(message):
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                try:
                    value = condition()
                except Exception:
                    value = None
                if value:
                    return value
                time.sleep(0.1)
            self.fail(message())
        return super().wait(condition, message, timeout)

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def console_errors(self):
        errors = []
        for entry in self.driver.get_log('browser'):
            if entry['level'] != 'SEVERE':
                continue
            message = entry['message']
            # sao asks for the optional custom.js/css of a deployment
            # and its catalogue as ru_RU before ru
            if re.search(r'/custom\.(js|css)|favicon|/locale/\w+\.json',
                    message):
                continue
            errors.append(message)
        return errors

    def login(self, user):
        driver = self.driver
        driver.delete_all_cookies()
        driver.get(self.url)
        self.js("window.localStorage.clear(); window.sessionStorage.clear()")
        driver.get(self.url)
        self.js("""
            window.__pending = {};
            var n = 0;
            jQuery(document).ajaxSend(function(e, xhr, o) {
                var key = ++n;
                window.__pending[key] = o.url + ' ' + (o.data || '').slice(0, 120);
                xhr.always(function() { delete window.__pending[key]; });
            });""")
        self.wait(lambda: self.find(".login-dialog #login").is_displayed(),
            "no login dialog")
        dialog = self.text('.login-dialog').lower()
        self.assertIn("вход", dialog)
        self.assertIn("имя пользователя", dialog)
        database = self.find('.login-dialog #database')
        if database.is_displayed():
            self.type('.login-dialog input#database', DATABASE)
        self.type('.login-dialog #login', user)
        self.find('.login-dialog button[type=submit], '
            '.login-dialog .btn-primary').click()

        def password():
            for field in self.driver.find_elements(
                    'css selector', '.modal.in input[type=password]'):
                if field.is_displayed():
                    return field
        field = self.wait(password, f"no password asked for {user}")
        field.send_keys(self.data['password'])
        field.send_keys('\n')
        self.wait(lambda: self.js(
                "return !!(Sao.Session.current_session "
                "&& Sao.Session.current_session.user_id) "
                "&& jQuery('#menu .treeview, #menu table').length > 0"),
            f"{user} is not logged in", timeout=30)

    def menus(self):
        "[(id, complete name, action)] of the entries the user sees"
        self.js("""
            window.__menus = undefined;
            Sao.rpc({'method': 'model.ir.ui.menu.search_read',
                'params': [[], 0, null, [['id', 'ASC']],
                    ['complete_name', 'action'], {}]},
                Sao.Session.current_session).then(
                function(r) { window.__menus = r; },
                function(e) { window.__menus = null; });
            """)
        menus = self.wait(lambda: self.js("return window.__menus"),
            "menus not read")
        return [(m['id'], m['complete_name'], m['action'])
            for m in menus if m.get('action')]

    def close_tabs(self):
        self.js(CLOSE)
        self.wait(lambda: self.js("return Sao.Tab.tabs.length == 0 "
                "&& !jQuery('.modal.in').length && !" + REQUESTS),
            lambda: "tabs do not close: " + str(self.js(
                    "return [Sao.Tab.tabs.length, " + REQUESTS + ", window.__pending, "
                    "jQuery('.modal.in').map(function() {"
                    "return this.innerText.slice(0, 200); }).get()]")),
            timeout=10)

    def open_menu(self, menu_id):
        self.js("Sao.Action.exec_keyword('tree_open', "
            "{'model': 'ir.ui.menu', 'id': arguments[0]}, null, false);",
            menu_id)

    def state(self):
        return self.js(OPEN_STATE)

    def settled(self, timeout=15, view=None):
        "The state once the tab (or dialog) is open and no request runs"
        end = time.monotonic() + timeout
        state, calm = None, 0
        while time.monotonic() < end:
            state = self.state()
            if (not state['busy'] and (state['modal']
                        or (state['tabs'] and state['ready']))
                    and (not view or state['info'].get('view') == view)):
                calm += 1
                if calm >= 2:  # twice in a row: no request chained
                    return state
            else:
                calm = 0
            time.sleep(0.1)
        return dict(state or {}, timeout=True)

    def screenshot(self, name):
        if self.shots:
            os.makedirs(self.shots, exist_ok=True)
            self.driver.save_screenshot(
                os.path.join(self.shots, f'sao-{name}.png'))

    # --- the walk ------------------------------------------------------
    def test_every_role_every_action(self):
        problems = []
        walked = {}
        # a model's other view (form or graph) is opened once, by the first
        # role that lists records of it (the owner sees the most): opening
        # each for every role took the test past its five minutes
        second = set()
        started = time.monotonic()
        for user in ROLES:
            with self.subTest(user=user):
                self.login(user)
                self.console_errors()  # the login page's own messages
                menu_english = english(self.js(CHROME))
                if menu_english:
                    problems.append(f"{user}: menu: {sorted(menu_english)}")
                menus = self.menus()
                count = 0
                for menu_id, name, action in menus:
                    if action.split(',')[0] in {
                            'ir.action.report', 'ir.action.url'}:
                        continue
                    self.close_tabs()
                    self.open_menu(menu_id)
                    state = self.settled()
                    count += 1
                    where = f"{user}: «{name}»"
                    if os.environ.get('MULTIPOINT_SAO_VERBOSE'):
                        print(f"{time.monotonic() - started:6.1f} {where} "
                            f"{state}", flush=True)
                    if state.get('timeout'):
                        problems.append(f"{where}: never opens {state}")
                        for error in self.console_errors():
                            problems.append(f"{where}: console: {error[:300]}")
                        self.login(user)  # a fresh page for the next one
                        continue
                    info = state.get('info') or {}
                    # the action's other view: the first record's form, or
                    # for a report table without one (analytics) its graph
                    view = None
                    if info.get('view') == 'tree' and info.get('records'):
                        views = self.js(VIEWS)
                        view = 'form' if 'form' in views else (
                            'graph' if 'graph' in views else None)
                    if view and (info['model'], view) not in second:
                        second.add((info['model'], view))
                        self.js("var s = Sao.Tab.tabs.get_current().screen;"
                            "s.current_record = s.group[0];"
                            "s.switch_view(arguments[0]);", view)
                        state = self.settled(view=view)
                        if state.get('timeout'):
                            problems.append(
                                f"{where}: its {view} never opens")
                            for error in self.console_errors():
                                problems.append(
                                    f"{where}: console: {error[:300]}")
                            self.login(user)
                            continue
                    words = english(self.js(CHROME))
                    if words:
                        problems.append(f"{where}: English {sorted(words)}")
                    for error in self.console_errors():
                        problems.append(f"{where}: console: {error[:300]}")
                    if user == 'owner':
                        self.shoot(name, info)
                walked[user] = count
                self.close_tabs()
        print(f"sao walk: actions opened per role {walked}, "
            f"{len(second)} forms and graphs of their first records")
        self.assertFalse(problems, "\n".join(problems))

    def charts_drawn(self, count, filled):
        """The current tab's count charts once they are drawn: an svg each,
        marks of a size where they have records and filled of them with
        records (the searches come after the first empty drawing)"""
        def drawn():
            state = self.js(CHARTS)
            charts = state['charts']
            if (not state['busy'] and len(charts) == count
                    and all(c['svg'] and (c['marks'] or not c['records'])
                        for c in charts)
                    and sum(1 for c in charts if c['records']) >= filled):
                return charts
        return self.wait(drawn,
            lambda: f"charts not drawn: {self.js(CHARTS)}", timeout=30)

    def save_shot(self, folder, name):
        "A screenshot PNG of the page, checked to hold a real picture"
        path = os.path.join(folder, f'sao-{name}.png')
        # sao scrolls to the field it focuses: the shot from the top left
        self.js("jQuery('#tabcontent *').scrollTop(0).scrollLeft(0);"
            "window.scrollTo(0, 0);")
        self.driver.save_screenshot(path)
        with open(path, 'rb') as fp:
            self.assertEqual(fp.read(8), b'\x89PNG\r\n\x1a\n', path)
        # a blank page of this size compresses to a few kilobytes
        self.assertGreater(os.path.getsize(path), 20000, path)
        return path

    def test_owner_dashboard(self):
        "The owner's dashboard and network view draw their graphs"
        folder = self.shots or os.path.join(self.tmp, 'screenshots')
        os.makedirs(folder, exist_ok=True)
        # a window tall enough for the board's four charts
        self.driver.set_window_size(1600, 1500)
        self.addCleanup(self.driver.set_window_size, 1366, 900)
        self.login('owner')
        self.console_errors()
        self.close_tabs()

        self.open_menu(self.data['menus']['menu_board'])
        # this month's journal: parcels over time, issued per point and the
        # shelf have records to draw (no recipient was served at a desk)
        self.charts_drawn(4, 3)
        time.sleep(0.5)  # billboard.js animates its bars in
        self.save_shot(folder, 'analytics-dashboard')
        self.assertFalse(english(self.js(CHROME)))
        self.assertFalse(self.console_errors())
        self.close_tabs()

        # the network: a row per point of the journal, then its graph
        self.open_menu(self.data['menus']['menu_network'])
        # the list's search may come after it is drawn empty
        points = len(self.data['points'])
        self.wait(lambda: self.settled(view='tree')['info'].get(
                'records') == points,
            lambda: f"not {points} rows in the network: {self.state()}")
        rows = self.wait(lambda: self.js(
                "return jQuery('#tabcontent > .tab-pane.active "
                "table tbody tr').map(function() {"
                "return this.innerText; }).get()"),
            "no rows in the network's list")
        for point in self.data['points']:
            self.assertTrue(any(point in r for r in rows), (point, rows))
        self.save_shot(folder, 'analytics-network')
        self.js("Sao.Tab.tabs.get_current().screen.switch_view('graph');")
        self.charts_drawn(1, 1)
        time.sleep(0.5)
        self.save_shot(folder, 'analytics-network-graph')
        self.assertFalse(english(self.js(CHROME)))
        self.assertFalse(self.console_errors())
        self.close_tabs()

    def shoot(self, name, info):
        model = info.get('model')
        if 'Доска' in name:
            self.screenshot('ticket-board')
        elif model in {
                'multipoint.parcel', 'multipoint.reception',
                'multipoint.settlement'}:
            view = self.js("var t = Sao.Tab.tabs.get_current();"
                "return t.screen.current_view.view_type;")
            if view == 'form':
                self.screenshot(model.split('.')[-1])
