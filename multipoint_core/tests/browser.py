"""What the browser tests share: Debian's chromium driven by Selenium
through the system chromedriver (no downloaded browser), a real trytond
process to talk to, and the helpers that read and fill a page.

Skipped when chromium, chromedriver or selenium are missing, unless
MULTIPOINT_BROWSER_TESTS=required (CI), then they fail. They run in the
SQLite pass only: the screens over HTTP don't depend on the database."""
import os
import shutil
import socket
import subprocess
import sys
import time

from . import db_cache

CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
CHROMEDRIVER = shutil.which('chromedriver') or '/usr/bin/chromedriver'

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
except ImportError:
    webdriver = None


def skip_reason():
    "Why the browser tests can't run here, or None"
    if os.environ.get('TRYTOND_DATABASE_URI', '').startswith('postgresql'):
        return "runs once, in the SQLite pass"
    reason = None
    if webdriver is None:
        reason = "selenium is not installed"
    for path in [CHROMIUM, CHROMEDRIVER]:
        if not reason and not os.path.exists(path):
            reason = (f"{path} is missing "
                "(apt-get install chromium chromium-driver)")
    if reason and os.environ.get('MULTIPOINT_BROWSER_TESTS') == 'required':
        raise RuntimeError(f"browser tests required: {reason}")
    return reason


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def clean_environ():
    "The environment for a trytond of its own: no test database settings"
    return {k: v for k, v in os.environ.items()
        if not k.startswith('TRYTOND_') and k != 'DB_NAME'}


class BrowserTestMixin:
    "A unittest.TestCase's trytond process, browser and page helpers"

    @classmethod
    def start_server(cls, config, database, env, port):
        "Run trytond with config on database until it answers on port"
        cls.log = open(os.path.join(cls.tmp, 'trytond.log'), 'w')
        cls.server = subprocess.Popen([
                os.path.join(os.path.dirname(sys.executable), 'trytond'),
                '-c', config, '-d', database],
            env=env, stdout=cls.log, stderr=subprocess.STDOUT)
        cls.wait_port(port)

    @classmethod
    def run_quiet(cls, command, timeout=300, cwd=None):
        "Run command with cls.env; its output, or its error's tail raised"
        result = subprocess.run(command, env=cls.env, capture_output=True,
            text=True, timeout=timeout, cwd=cwd)
        if result.returncode:
            raise RuntimeError(
                f"{command[0]} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    @classmethod
    def create_database(cls, config, database, modules, timeout=600):
        """A SQLite database of config with the modules activated in
        Russian: the test databases' cached one when there is a cache,
        else made by trytond-admin; sets cls.env for the later commands"""
        folder = os.path.dirname(config)
        path = os.path.join(folder, f'{database}.sqlite')
        env = clean_environ()
        passfile = os.path.join(folder, 'admin-password')
        with open(passfile, 'w') as fp:
            fp.write('admin-browser-2026\n')
        env['TRYTONPASSFILE'] = passfile
        cls.env = env
        admin = [os.path.join(os.path.dirname(sys.executable), 'trytond-admin'),
            '-c', config, '-d', database, '--email', 'admin@example.com']
        if db_cache.database_file(modules, 'ru', path):
            cls.run_quiet(admin + ['--password'], timeout=timeout)
            return
        open(path, 'w').close()
        cls.run_quiet(admin + ['--all', '-u', *modules,
                '--activate-dependencies', '-l', 'ru'], timeout=timeout)

    @classmethod
    def start_browser(cls, page_load_timeout=30, arguments=()):
        """Start chromium; arguments are more of its command-line switches
        (the fake camera of tests/test_operator_camera.py)"""
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ['--headless=new', '--no-sandbox', '--disable-gpu',
                '--disable-dev-shm-usage', '--window-size=1366,900',
                '--lang=ru-RU', *arguments]:
            options.add_argument(argument)
        cls.driver = webdriver.Chrome(
            service=Service(CHROMEDRIVER), options=options)
        cls.driver.set_page_load_timeout(page_load_timeout)

    @classmethod
    def stop_all(cls, *more):
        "Quit the browser, stop the server, then more; whatever fails"
        for stop in [lambda: cls.driver.quit(), cls.server.terminate,
                lambda: cls.server.wait(20), cls.log.close, *more,
                lambda: shutil.rmtree(cls.tmp, ignore_errors=True)]:
            try:
                stop()
            except Exception:
                pass

    @classmethod
    def wait_port(cls, port, timeout=60):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                socket.create_connection(('127.0.0.1', port), 1).close()
                return
            except OSError:
                if cls.server.poll() is not None:
                    break
                time.sleep(0.2)
        raise RuntimeError("trytond did not start, see its log")

    def wait(self, condition, message, timeout=15):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                value = condition()
            except Exception:
                value = None
            if value:
                return value
            time.sleep(0.1)
        self.fail(f"{message}; flash: {self.text('#flash')!r}")

    def find(self, selector):
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def text(self, selector):
        "The text of selector with non-breaking spaces as spaces"
        try:
            text = self.find(selector).text
        except Exception:
            return ''
        return text.replace('\xa0', ' ').replace('\u202f', ' ')

    def wait_text(self, selector, expected, timeout=15):
        self.wait(lambda: expected in self.text(selector),
            f"{expected!r} not in {selector}: {self.text(selector)!r}",
            timeout)

    def type(self, selector, value):
        field = self.find(selector)
        field.clear()
        field.send_keys(value)
