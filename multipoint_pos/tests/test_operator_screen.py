"The operator screen: its page, assets and the points route"
import base64
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    OPERATOR_PASSWORD, create_point, create_user)
from trytond.modules.multipoint_pos.routes_screen import ASSETS, FEATURES
from trytond.tests.test_tryton import RouteTestCase

STATIC = os.path.join(
    os.path.dirname(os.path.dirname(__file__)), 'static', 'operator')
OPENAPI = os.path.join(os.path.dirname(os.path.dirname(
            os.path.dirname(os.path.abspath(__file__)))), 'openapi.yaml')


# the page's modules: every .js of the folder
SCRIPTS = sorted(n for n in os.listdir(STATIC) if n.endswith('.js'))
IMPORT_RE = re.compile(
    r"^import\s*\{([^}]*)\}\s*from\s*'\./([\w.]+)';", re.M)
EXPORT_RE = re.compile(
    r"^export\s+(?:async\s+)?(?:function|const|let|class)\s+([\w$]+)", re.M)


def read_script(name):
    with open(os.path.join(STATIC, name), encoding='utf-8') as fp:
        return fp.read()


def script_calls():
    "The (path, method) of the operator API calls written in the scripts"
    script = ''
    for name in SCRIPTS:
        with open(os.path.join(STATIC, name), encoding='utf-8') as fp:
            script += fp.read()
    calls = set()
    for method, path in re.findall(
            r"api\.(get|post)\(\s*[`']([^`'?]+)", script):
        calls.add((path, method))
    for path in re.findall(r"openPdf\(\s*[`']([^`']+)", script):
        calls.add((path, 'get'))
    # the queued scans build their path in a variable
    for path in re.findall(r"`(\w+/\$\{[^}]+\}/scans)`", script):
        calls.add((path, 'post'))
    return {(re.sub(r'\$\{[^}]+\}', '{}', p), m) for p, m in calls}


class OperatorScreenTestCase(RouteTestCase):
    "Test the operator screen routes"
    module = 'multipoint_pos'
    language = 'ru'

    @classmethod
    def setUpDatabase(cls):
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            kzn = create_point(company, 'KZN1')
            create_user('op_msk', ['operator'], [msk], company)
            create_user('op_both', ['operator'], [msk, kzn], company)
        cls.msk, cls.kzn = msk.id, kzn.id

    def url(self, path=''):
        return f'/{self.db_name}/multipoint/operator/{path}'

    def login(self, login='op_msk'):
        client = self.client()
        response = client.post(f'/{self.db_name}/session/login',
            json={'params': [login, {'password': OPERATOR_PASSWORD}, 'ru']})
        self.assertEqual(response.status_code, 200)
        return client

    def test_page(self):
        "The page is served as Russian HTML and links its assets"
        response = self.client().get(self.url())
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.content_type.startswith('text/html'))
        page = response.data.decode('utf-8')
        self.assertIn('lang="ru"', page)
        self.assertIn('operator.css', page)
        self.assertIn('Выдача', page)
        self.assertIn('Закрыть смену', page)
        # one module script, which imports the others: no classic scripts
        # sharing globals
        self.assertEqual(re.findall(r'<script[^>]*>', page),
            ['<script type="module" src="main.js">'])

    def test_assets(self):
        "Each file of the page is served with its content type"
        files = sorted(os.listdir(STATIC))
        self.assertEqual(sorted(ASSETS), files)
        for name in files:
            content_type = {'.html': 'text/html', '.css': 'text/css',
                '.js': 'text/javascript'}[os.path.splitext(name)[1]]
            with self.subTest(name=name):
                response = self.client().get(self.url(name))
                self.assertEqual(response.status_code, 200)
                self.assertTrue(
                    response.content_type.startswith(content_type),
                    response.content_type)
                with open(os.path.join(STATIC, name), 'rb') as fp:
                    self.assertEqual(response.data, fp.read())

    def test_unknown_asset(self):
        "Only the listed files are served"
        client = self.client()
        for path in ['missing.js', '..%2F..%2F__init__.py',
                '%2E%2E%2Froutes_screen.py', '../routes_screen.py',
                '../../../multipoint_pos/routes_screen.py',
                'static/main.js', '.main.js', 'operator.js', 'main.mjs']:
            with self.subTest(path=path):
                response = client.get(self.url(path))
                self.assertEqual(response.status_code, 404, response.data)
                self.assertNotIn(b'import', response.data)

    def test_points_requires_session(self):
        "The points route answers 401 JSON without a session"
        response = self.client().get(self.url('points'))
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json['error']['code'], 'unauthorized')
        self.assertRegex(response.json['error']['message'], '[А-Яа-яЁё]')

    def test_points_of_user(self):
        "Only the user's points are listed"
        response = self.login('op_msk').get(self.url('points'))
        self.assertEqual(response.status_code, 200, response.data)
        points = response.json['points']
        self.assertEqual([p['id'] for p in points], [self.msk])
        self.assertEqual(points[0]['code'], 'MSK1')

        response = self.login('op_both').get(self.url('points'))
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(
            sorted(p['id'] for p in response.json['points']),
            sorted([self.msk, self.kzn]))

    def test_points_session_header(self):
        "The page's way: JSON-RPC login, then the Authorization header"
        client = self.client()
        response = client.post(f'/{self.db_name}/rpc/', json={
                'id': 1, 'method': 'common.db.login',
                'params': ['op_msk', {'password': OPERATOR_PASSWORD}, 'ru']})
        self.assertEqual(response.status_code, 200, response.data)
        user_id, token = response.json['result'][:2]
        auth = base64.b64encode(
            f'op_msk:{user_id}:{token}'.encode()).decode()
        response = self.client().get(self.url('points'),
            headers={'Authorization': f'Session {auth}'})
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(
            [p['id'] for p in response.json['points']], [self.msk])

        response = self.client().get(self.url('points'),
            headers={'Authorization': 'Session ' + base64.b64encode(
                    f'op_msk:{user_id}:wrong'.encode()).decode()})
        self.assertEqual(response.status_code, 401)

    @unittest.skipIf(not os.path.exists(OPENAPI), "no openapi.yaml")
    def test_script_uses_documented_api(self):
        "The scripts call only operations documented in openapi.yaml"
        import yaml
        with open(OPENAPI, encoding='utf-8') as fp:
            spec = yaml.safe_load(fp)
        documented = {(re.sub(r'\{\w+\}', '{}', path.lstrip('/')), method)
            for path, item in spec['paths'].items() for method in item}
        calls = script_calls()
        self.assertIn(('receptions/{}/scans', 'post'), calls)
        self.assertIn(('inventories/{}/scans', 'post'), calls)
        self.assertIn(('issue', 'post'), calls)
        self.assertIn(('issue/pay', 'post'), calls)
        self.assertIn(('shifts/{}/close', 'post'), calls)
        self.assertIn(('receipts/{}/send', 'post'), calls)
        self.assertIn(('tickets', 'post'), calls)
        self.assertIn(('tasks/today', 'get'), calls)
        self.assertIn(('tasks/{}/done', 'post'), calls)
        self.assertIn(('tasks/{}/undo', 'post'), calls)
        self.assertIn(('features', 'get'), calls)
        self.assertLessEqual(calls, documented, calls - documented)

    def test_modules(self):
        """The scripts are modules sharing nothing but their imports: each
        name imported is exported by the file it is imported from, every
        file is imported, and no data is passed through window"""
        exports = {name: set(EXPORT_RE.findall(read_script(name)))
            for name in SCRIPTS}
        imported = {'main.js'}
        for name in SCRIPTS:
            script = read_script(name)
            with self.subTest(name=name):
                self.assertNotIn("'use strict'", script)  # modules are
                self.assertNotRegex(script, r'window\.\w+\s*=[^=]')
                self.assertNotRegex(script, r'globalThis')
                for names, source in IMPORT_RE.findall(script):
                    self.assertIn(source, exports, f"{name} imports it")
                    imported.add(source)
                    for item in names.split(','):
                        self.assertIn(item.strip(), exports[source],
                            f"{name} imports it from {source}")
        self.assertEqual(imported, set(SCRIPTS))

    @unittest.skipIf(not shutil.which('node'), "node is not installed")
    def test_script_parses(self):
        "The scripts are valid JavaScript modules"
        with tempfile.TemporaryDirectory() as folder:
            for name in SCRIPTS:
                # .mjs: node parses it as a module
                path = os.path.join(folder, name[:-3] + '.mjs')
                shutil.copy(os.path.join(STATIC, name), path)
                subprocess.run(['node', '--check', path],
                    check=True, capture_output=True, timeout=60)

    def test_features_requires_session(self):
        "The features answer 401 JSON without a session"
        response = self.client().get(
            f'/{self.db_name}/multipoint/api/v1/features')
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json['error']['code'], 'unauthorized')
        self.assertRegex(response.json['error']['message'], '[А-Яа-яЁё]')

    def test_features(self):
        "The features of the activated modules: no tickets here"
        client = self.login('op_msk')
        for _ in range(2):  # the second from the cache
            response = client.get(
                f'/{self.db_name}/multipoint/api/v1/features')
            self.assertEqual(response.status_code, 200, response.data)
            features = response.json['features']
            self.assertEqual(set(features), set(FEATURES))
            self.assertTrue(all(isinstance(v, bool)
                    for v in features.values()), features)
            self.assertTrue(features['core'])
            self.assertTrue(features['pos'])
            self.assertFalse(features['tickets'])


class OperatorFeaturesTicketsTestCase(RouteTestCase):
    "Test the features of a database with multipoint_tickets"
    module = 'multipoint_pos'
    extras = ['multipoint_tickets']
    language = 'ru'

    @classmethod
    def setUpDatabase(cls):
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            create_user('op_msk', ['operator'], [msk], company)

    def test_features(self):
        "tickets is on when multipoint_tickets is activated"
        client = self.client()
        response = client.post(f'/{self.db_name}/session/login',
            json={'params': ['op_msk', {'password': OPERATOR_PASSWORD}, 'ru']})
        self.assertEqual(response.status_code, 200)
        response = client.get(f'/{self.db_name}/multipoint/api/v1/features')
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.json['features'],
            dict({f: False for f in FEATURES},
                core=True, pos=True, tickets=True))
