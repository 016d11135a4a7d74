"""Every input gets a clean answer: a property-based fuzz of the three HTTP
APIs (the operator API as an operator, the supplier portal as a portal
user, the supplier API with a key), through trytond's WSGI app and a real
database.

For every operation of openapi.yaml, hypothesis (with hypothesis-jsonschema)
sends requests built from the operation's own schemas (the schemas api.py
validates with) and deliberately invalid ones: a field replaced by a wrong
type, a NUL byte, a huge or negative number, a long string; random JSON,
bytes that are no JSON, ids that do not exist, are negative or do not fit
an int4. Not one answer may be a 5xx, nor anything but JSON (the files of
the PDF / XLSX / attachment routes excepted when they succeed).

Bounded for CI: a fixed number of examples per operation, derandomized (the
same requests on every run), no deadline, no shrinking (a bad answer is
recorded with its request, not raised inside hypothesis). With
MULTIPOINT_FAULTS_REPORT naming a file, one JSON line is appended to it:
{"check": "fuzz", "cases": ..., "server_errors": ..., "non_json": ...}.

Then the regression cases of issue 12, one by one.
"""
import base64
import io
import json
import os
import time
import urllib.parse
from unittest import mock

# hypothesis keeps a cache of its own: in var/, not in the checkout
os.environ.setdefault('HYPOTHESIS_STORAGE_DIRECTORY', os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        'var', 'hypothesis'))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis_jsonschema import from_schema  # noqa: E402

from trytond import backend
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core import api as api_layer
from trytond.modules.multipoint_core import routes_desk
from trytond.modules.multipoint_core.tests.tools import (
    OPERATOR_PASSWORD, committed, create_user)
from trytond.modules.multipoint_pos.tests.pos_tools import (
    pos_point, settings as trytond_settings, setup_accounting, stored_parcel,
    supplier)
from trytond.modules.multipoint_suppliers.tests.tools import create_account
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase

# examples per operation (each is one request)
EXAMPLES = int(os.environ.get('MULTIPOINT_FUZZ_EXAMPLES', 20))
PORTAL_PASSWORD = 'Fuzz#Portal-2026'
AJAX = {'X-Requested-With': 'XMLHttpRequest'}
FILE_TYPES = {'application/pdf', 'application/octet-stream',
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'}
RUSSIAN = '[А-Яа-яЁё]'

# values no schema wants: wrong types, NUL bytes, huge and negative
# numbers, long strings
NASTY = [
    None, True, False, -1, 0, 2 ** 31, -2 ** 31 - 1, 10 ** 30, -10 ** 30,
    1e308, 0.5, -0.01, '', ' ', 'abc', '\x00', 'B-1\x00', 'ё' * 300,
    'x' * 20000, [], [1], ['\x00'], {}, {'a': 1}, '-1', '9' * 40,
    "'; DROP TABLE multipoint_parcel; --", '../../etc/passwd', '1e400',
    'NaN', '2026-02-30', '<script>alert(1)</script>',
    ]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12)
nasty = st.sampled_from(NASTY) | json_values
FORMATS = {
    'byte': st.binary(max_size=48).map(
        lambda b: base64.b64encode(b).decode()),
    'binary': st.text(max_size=8),
    }
bad_ids = st.sampled_from([0, -1, -7, 2 ** 31, 10 ** 20, 'abc', '1.5',
        '%00', 'x' * 300])


def _paths(value, path=()):
    "Every place of a JSON value a mutation may replace"
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, path + (i,))


def _replace(value, path, new):
    if not path:
        return new
    value = json.loads(json.dumps(value))
    node = value
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = new
    return value


@st.composite
def mutated(draw, schema):
    """A body of the schema with one place (or a property it knows) set to
    a value it does not want"""
    body = draw(from_schema(schema, custom_formats=FORMATS))
    places = list(_paths(body))
    if isinstance(body, dict):
        places += [(name,) for name in schema.get('properties', {})
            if name not in body]
    path = draw(st.sampled_from(places))
    return _replace(body, path, draw(nasty))


def body_strategy(operation):
    if operation.body is None and operation.item_schema is None:
        # no body is read: send garbage all the same
        return st.one_of(st.none(), json_values.map(json.dumps))
    if operation.item_schema:
        item = api_layer.schema(
            {'$ref': f'#/components/schemas/{operation.item_schema}'})
        schema = {'anyOf': [item, {'type': 'object', 'required': ['parcels'],
                    'properties': {'parcels': {'type': 'array',
                            'items': item, 'maxItems': 3}}}]}
    else:
        schema = operation.body.schema
    return st.one_of(
        from_schema(schema, custom_formats=FORMATS).map(json.dumps),
        mutated(schema).map(json.dumps),
        mutated(schema).map(json.dumps),
        json_values.map(json.dumps),
        st.binary(max_size=40),
        st.sampled_from([b'{"a": NaN}', b'[' * 5000, b'{"x": 1e999}',
                b'{"x": ' + b'9' * 5000 + b'}', b'\xff\xfe']))


def value_strategy(validator):
    "A query, form or path value: of its schema, else anything, as text"
    good = from_schema(validator.schema, custom_formats=FORMATS)
    return st.one_of(good, nasty, bad_ids).map(
        lambda v: v if isinstance(v, str) else json.dumps(v))


class FuzzAPITestCase(RouteTestCase):
    "Fuzz the operator API, the supplier portal and the supplier API"
    module = 'multipoint_portal'
    extras = ['multipoint_tickets', 'multipoint_settlement']
    language = 'ru'
    cases = server_errors = non_json = 0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        committed(cls.create_data, user=1)
        cls.enterClassContext(trytond_settings('multipoint_fiscal',
                driver='demo'))
        cls.failures = []

    @classmethod
    def tearDownClass(cls):
        report = os.environ.get('MULTIPOINT_FAULTS_REPORT')
        if report and cls.cases:
            with open(report, 'a') as fp:
                fp.write(json.dumps({
                            'check': 'fuzz',
                            'cases': cls.cases,
                            'server_errors': cls.server_errors,
                            'non_json': cls.non_json,
                            }) + '\n')
        super().tearDownClass()

    @classmethod
    def create_data(cls):
        pool = Pool()
        WebUser = pool.get('web.user')
        UserApplication = pool.get('res.user.application')
        company = create_company()
        with set_company(company):
            accounts = setup_accounting(company)
            msk = pos_point(company, 'MSK1', accounts)
            shop = supplier("Магазин Фазз", partial_buyout=True)
            create_account(company, shop, {msk: 'F-MSK'})
            parcels = [stored_parcel(msk, shop, f'FZ-{i}',
                    lines=[("Платье", 1, '1500'), ("Юбка", 2, '700')],
                    barcodes=[f'FZB-{i}'])[0] for i in range(1, 4)]
            create_user('op_fuzz', ['operator'], [msk], company)
            WebUser.create([{
                        'email': 'fuzz@portal.example',
                        'password': PORTAL_PASSWORD,
                        'multipoint_supplier': shop.id,
                        }])
            cls.key = UserApplication.create_supplier_key(shop)
        cls.point = msk.id
        cls.parcel_ids = [p.id for p in parcels]
        cls.line_ids = [l.id for p in parcels for l in p.lines]

    # -- clients ------------------------------------------------------------

    def operator(self):
        client = self.client()
        response = client.post(f'/{self.db_name}/session/login',
            json={'params': ['op_fuzz', {'password': OPERATOR_PASSWORD},
                    'ru']})
        self.assertEqual(response.status_code, 200, response.data)
        return client, {}

    def portal(self):
        client = self.client()
        response = client.post(
            f'/{self.db_name}/multipoint/portal/api/login', headers=AJAX,
            json={'email': 'fuzz@portal.example',
                'password': PORTAL_PASSWORD})
        self.assertEqual(response.status_code, 200, response.data)
        return client, dict(AJAX, **{'X-CSRF-Token': response.json['csrf']})

    def supplier(self):
        return self.client(), {'Authorization': f'Bearer {self.key}'}

    # -- sending and judging --------------------------------------------------

    def judge(self, operation, method, url, body, response):
        "Count the answer; keep it when it is a 5xx or not JSON"
        cls = type(self)
        cls.cases += 1
        content_type = (response.mimetype or '')
        problem = None
        if response.status_code >= 500:
            cls.server_errors += 1
            problem = 'server error'
        if content_type == 'application/json':
            try:
                data = json.loads(response.get_data())
            except ValueError:
                data = None
                problem = problem or 'unreadable JSON'
            if response.status_code >= 400 and not (
                    isinstance(data, dict)
                    and isinstance(data.get('error'), dict)
                    and isinstance(data['error'].get('code'), str)
                    and isinstance(data['error'].get('message'), str)):
                problem = problem or 'not an error object'
        elif not (response.status_code < 300
                and content_type in FILE_TYPES):
            cls.non_json += 1
            problem = problem or 'not JSON'
        if problem:
            cls.failures.append(
                f'{problem}: {method} {url} {body!r:.200} -> '
                f'{response.status_code} {response.get_data()[:300]!r}')

    def url(self, operation, path_values, query):
        path = operation.path
        for name, value in path_values.items():
            path = path.replace('{%s}' % name,
                urllib.parse.quote(str(value), safe=''))
        url = f'/{self.db_name}{operation.base}{path}'
        if query:
            url += '?' + urllib.parse.urlencode(query)
        return url

    def request_strategy(self, operation):
        paths = {}
        for name, validator in operation.path_parameters:
            if validator.schema.get('type') == 'integer':
                known = sorted(set(self.parcel_ids + self.line_ids + [
                            self.point, 1, 2, 3]))
                paths[name] = st.one_of(st.sampled_from(known),
                    st.integers(min_value=-5, max_value=60), bad_ids)
            else:
                paths[name] = st.one_of(
                    st.sampled_from(['FZ-1', 'FZ-2', 'nope', 'a/b']),
                    value_strategy(validator))
        query = {name: st.none() | value_strategy(validator)
            for name, _, validator in operation.query_parameters}
        form = None
        if operation.form is not None:
            fields = {}
            for name, spec in operation.form.get('properties', {}).items():
                if spec.get('format') == 'binary' or spec.get(
                        'type') == 'array':
                    fields[name] = st.none() | st.binary(max_size=200)
                else:
                    fields[name] = st.none() | st.one_of(
                        st.sampled_from([str(self.point), '1', '-1', 'x']),
                        nasty.map(lambda v: v if isinstance(v, str)
                            else json.dumps(v)))
            form = st.fixed_dictionaries(fields)
        return st.fixed_dictionaries({
                'path': st.fixed_dictionaries(paths),
                'query': st.fixed_dictionaries(query),
                'body': (st.none() if form is not None
                    else body_strategy(operation)),
                'form': form if form is not None else st.none(),
                })

    def send(self, client, headers, operation, request):
        method = operation.method.upper()
        query = {k: v for k, v in request['query'].items() if v is not None}
        url = self.url(operation, request['path'], query)
        if request['form'] is not None:
            data = {}
            for name, value in request['form'].items():
                if value is None:
                    continue
                if isinstance(value, bytes):
                    data[name] = (io.BytesIO(value), 'fuzz.csv')
                else:
                    data[name] = value
            response = client.open(url, method=method, data=data,
                headers=headers, content_type='multipart/form-data')
            body = request['form']
        else:
            body = request['body']
            if isinstance(body, str):
                body = body.encode()
            response = client.open(url, method=method, data=body or b'',
                headers=headers, content_type='application/json')
        self.judge(operation, method, url, body, response)

    def fuzz(self, api, login, skip=()):
        client, headers = login()
        operations = sorted(
            (o for o in api_layer.OPERATIONS.values()
                if o.api == api and (o.path, o.method) not in skip),
            key=lambda o: (o.path, o.method))
        self.assertTrue(operations)
        started = time.monotonic()
        for operation in operations:
            @settings(max_examples=EXAMPLES, deadline=None,
                derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck))
            @given(self.request_strategy(operation))
            def run(request):
                self.send(client, headers, operation, request)
            run()
            if operation.path == '/api/logout':
                client, headers = login()
        self.assertEqual(type(self).failures, [],
            '\n'.join(type(self).failures[:20]))
        return time.monotonic() - started

    # -- the fuzz ------------------------------------------------------------

    def test_fuzz_operator_api(self):
        "Every operation of the operator API, as an operator"
        self.fuzz('operator', self.operator)

    def test_fuzz_portal(self):
        "Every JSON route of the supplier portal, as a portal user"
        self.fuzz('portal', self.portal)

    def test_fuzz_supplier_api(self):
        "Every operation of the supplier API, with a key"
        self.fuzz('supplier', self.supplier)

    # -- the cases of issue 12 ---------------------------------------------

    def api(self, path):
        return f'/{self.db_name}/multipoint/api/v1/{path}'

    def assertError(self, response, status, code=None):
        self.assertEqual(response.status_code, status, response.data)
        self.assertEqual(response.mimetype, 'application/json')
        error = response.json['error']
        if code:
            self.assertEqual(error['code'], code)
        self.assertRegex(error['message'], RUSSIAN)
        return error['message']

    def test_point_of_a_wrong_type(self):
        client, _ = self.operator()
        for path in ['receptions', 'issue/search', 'issue/pay']:
            with self.subTest(path=path):
                message = self.assertError(client.post(self.api(path),
                        json={'point': 'abc'}), 422, 'bad_request')
                self.assertIn('point', message)

    def test_nul_byte_in_a_barcode(self):
        client, _ = self.operator()
        reception = client.post(self.api('receptions'),
            json={'point': self.point})
        self.assertEqual(reception.status_code, 201, reception.data)
        scans = self.api(f"receptions/{reception.json['id']}/scans")
        message = self.assertError(client.post(scans,
                json={'barcode': 'FZB-1\x00'}), 422, 'bad_request')
        self.assertIn('NUL', message)
        self.assertError(client.get(self.api('lookup?code=FZB%00')), 422,
            'bad_request')

    def test_photos_not_a_list(self):
        client, _ = self.operator()
        self.assertError(client.post(self.api('tickets'), json={
                    'title': "Фото", 'photos': 'abc'}), 422, 'bad_request')
        self.assertError(client.post(self.api('tickets'), json={
                    'title': "Фото", 'photos': [{'data': '***'}]}),
            422, 'bad_request')

    def test_refused_line_of_a_wrong_type(self):
        client, _ = self.operator()
        parcel = self.parcel_ids[0]
        for path in ['issue', 'issue/quote', 'issue/pay']:
            with self.subTest(path=path):
                self.assertError(client.post(self.api(path), json={
                            'parcels': [{'id': parcel, 'code': '1',
                                    'refused': ['Платье']}],
                            'payments': []}), 422, 'bad_request')
                self.assertError(client.post(self.api(path), json={
                            'parcels': [{'id': parcel, 'code': '1',
                                    'refused': [{'line': 'Платье'}]}],
                            'payments': []}), 422, 'bad_request')

    def test_placement_parcel_an_object(self):
        client, _ = self.operator()
        self.assertError(client.post(self.api('placements'),
                json={'parcel': {'a': 1}, 'cell': 'A-1'}), 422,
            'bad_request')

    def test_huge_amount(self):
        client, _ = self.operator()
        opened = client.post(self.api('shifts/open'),
            json={'float': '1000.00'})
        self.assertIn(opened.status_code, {201, 422}, opened.data)
        shift = client.get(self.api('shifts/current')).json['shift']
        for amount in [10 ** 30, '1' + '0' * 30, 1e300, '12.345', 'много']:
            with self.subTest(amount=amount):
                self.assertError(client.post(
                        self.api(f"shifts/{shift['id']}/collect"),
                        json={'amount': amount}), 422, 'bad_request')
        # the shift is as it was
        self.assertEqual(client.get(self.api('shifts/current')).json[
                'shift']['cash_expected'], shift['cash_expected'])

    def test_ids_out_of_range(self):
        client, _ = self.operator()
        for path in ['receptions/-5', 'receptions/-5/scans',
                'returns/-1/hand_over', 'inventories/0',
                f'receptions/{2 ** 31}', f'tasks/{10 ** 20}/done',
                'receptions/abc']:
            method = 'GET' if path.count('/') == 1 else 'POST'
            with self.subTest(path=path):
                self.assertError(client.open(self.api(path), method=method,
                        json={'barcode': 'X'}), 404, 'not_found')
        self.assertError(client.post(self.api('issue'), json={
                    'parcels': [{'id': -3}]}), 422, 'bad_request')
        self.assertError(client.post(self.api('issue'), json={
                    'parcels': [{'id': 2 ** 31}]}), 422, 'bad_request')
        # an id that does not exist is not found
        self.assertError(client.get(self.api(f'receptions/{2 ** 31 - 1}')),
            404, 'not_found')

    def test_long_barcode(self):
        client, _ = self.operator()
        opened = client.post(self.api('inventories'), json={})
        # refused when the fuzz left one open: the request is checked
        # before the inventory is looked for anyway
        inventory = opened.json['id'] if opened.status_code == 201 else 1
        scans = self.api(f"inventories/{inventory}/scans")
        message = self.assertError(client.post(scans,
                json={'barcode': 'B' * 1024 * 1024}), 422, 'bad_request')
        self.assertIn('128', message)

    def test_unknown_database(self):
        "404 at once, nothing left opening it"
        for path, headers in [
                ('multipoint/api/v1/lookup?code=X', {}),
                ('multipoint/portal/api/me', {}),
                ('multipoint/supplier-api/v1/parcels',
                    {'Authorization': 'Bearer x'}),
                ('multipoint/api/v1/issue', {
                        'Cookie': 'tryton_session=' + base64.b64encode(
                            b'op:1:abc').decode()}),
                ]:
            with self.subTest(path=path):
                started = time.monotonic()
                response = self.client().open(f'/no_such_db_fuzz/{path}',
                    method='POST' if path.endswith('issue') else 'GET',
                    headers=headers, json={})
                self.assertError(response, 404, 'database_unknown')
                self.assertLess(time.monotonic() - started, 2)
        self.assertNotIn('no_such_db_fuzz', Pool.database_list())

    def test_unknown_paths_and_methods(self):
        client, _ = self.operator()
        db = self.db_name
        for url in [f'/{db}/multipoint/api/v1/nope',
                f'/{db}/multipoint/api/v1/',
                f'/{db}/multipoint/api/v2/lookup',
                f'/{db}/multipoint/portal/api/nope',
                f'/{db}/multipoint/portal/api/parcels/1/x',
                f'/{db}/multipoint/supplier-api/v1/nope',
                f'/{db}/multipoint/supplier-api/v1/']:
            with self.subTest(url=url):
                self.assertError(client.get(url), 404)
        for method, url in [
                ('DELETE', f'/{db}/multipoint/api/v1/receptions'),
                ('GET', f'/{db}/multipoint/api/v1/issue'),
                ('PUT', f'/{db}/multipoint/portal/api/login'),
                ('DELETE', f'/{db}/multipoint/portal/api/parcels/1'),
                ('PATCH', f'/{db}/multipoint/supplier-api/v1/parcels'),
                ]:
            with self.subTest(method=method, url=url):
                response = client.open(url, method=method)
                self.assertError(response, 405, 'method_not_allowed')
                self.assertTrue(response.headers['Allow'])

    def test_lock_contention_answers_409(self):
        "Contention that outlasts the retries: JSON 409, try again"
        client, _ = self.operator()
        locked = backend.DatabaseOperationalError('database is locked')
        with mock.patch.object(routes_desk, 'current_point',
                side_effect=locked):
            response = client.post(self.api('issue/search'),
                json={'query': 'FZ-1'})
        message = self.assertError(response, 409, 'busy')
        self.assertIn('повторите', message)
        # a failure nobody expected: logged, a JSON 500, no traceback
        with mock.patch.object(routes_desk, 'current_point',
                side_effect=ZeroDivisionError), \
                self.assertLogs(api_layer.logger, 'ERROR'):
            response = client.post(self.api('issue/search'),
                json={'query': 'FZ-1'})
        self.assertError(response, 500, 'internal')
        self.assertNotIn(b'Traceback', response.data)

    def test_supplier_api_refusals(self):
        client, headers = self.supplier()
        url = f'/{self.db_name}/multipoint/supplier-api/v1/parcels'
        response = client.post(url, headers=headers, json={
                'order_number': 'FZ-9', 'cod_amount': 10 ** 30,
                'point': 'F-MSK', 'places': 'box'})
        self.assertError(response, 422, 'invalid_parcels')
        details = response.json['error']['details']
        self.assertEqual({d['index'] for d in details}, {0})
        self.assertIn('cod_amount', ' '.join(d['message'] for d in details))
        response = client.post(url, headers=headers,
            json={'order_number': 'FZ\x00'})
        self.assertError(response, 400, 'bad_request')
        self.assertError(client.get(url + '?limit=100000000000000000000',
                headers=headers), 400, 'bad_request')

    def test_portal_refusals(self):
        client, headers = self.portal()
        base = f'/{self.db_name}/multipoint/portal/api'
        self.assertError(client.get(f'{base}/parcels?point=abc',
                headers=headers), 422, 'bad_request')
        self.assertError(client.get(f'{base}/parcels?q=a%00',
                headers=headers), 422, 'bad_request')
        self.assertError(client.get(f'{base}/parcels/-1', headers=headers),
            404, 'not_found')
        self.assertError(client.post(f'{base}/login', headers=AJAX,
                json={'email': ['a'], 'password': 1}), 422, 'bad_request')


del RouteTestCase
