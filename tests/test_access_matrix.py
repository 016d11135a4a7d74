"""The access matrix (docs/access-matrix.csv) is what the registry grants,
and what every door really does.

1. The matrix derived from the live registry (the seven modules activated,
   multipoint_core/access_matrix.py) equals the reviewed file; when it
   does not, the failure shows the diff and how to regenerate the file.
2. Each cell of the file is tried through Tryton's generic JSON-RPC
   (``POST /<db>/rpc/``) as a real user of the role, logged in with
   ``common.db.login``: read (search_read), write, create, delete, reading
   each personal-data field, writing each write-refused field. A denied cell
   must answer Tryton's access error for that model (or field); anything
   else (a success, or any other answer, which means the call went past the
   access check) is a leak. A granted cell must not answer the access error.
   Write, create and delete attempts leave nothing behind: granted cells are
   tried on no record (``write([], {})``, ``create([])``, ``delete([])``:
   Tryton checks the model access before looking at the records), denied
   ones on an existing record (or a blank one for create), which they must
   refuse.
3. The supplier API key's user has no login: its cells are tried through
   the ORM as that user with access checks on and a key's supplier in the
   context, as the supplier API runs; its login is refused.
4. The portal user (a web.user) cannot log in to the generic RPC with its
   e-mail and password, and its portal session key opens no model there;
   the anonymous caller gets 401 from every model call.

Leaks are counted; the test fails on any. When MULTIPOINT_FAULTS_REPORT
names a file, one JSON line {"check": "access_matrix", "cells": <cells tried
through the doors>, "leaks": <count>} is appended to it (make faults).
"""
import base64
import json
import os
import pathlib
from collections import namedtuple

from trytond.i18n import gettext
from trytond.model import ModelSingleton
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core import access_matrix as matrix
from trytond.modules.multipoint_core.tests.tools import (
    OPERATOR_PASSWORD, create_parcel, create_point, create_supplier)
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction, check_access

ROOT = pathlib.Path(__file__).resolve().parent.parent
MATRIX_FILE = ROOT / 'docs' / 'access-matrix.csv'
REGENERATE = '.venv/bin/python scripts/access_matrix.py --write'
PORTAL_EMAIL = 'matrix-portal@example.com'
PORTAL_PASSWORD = 'Portal#Matrix2026'
LANGUAGES = ('ru', 'en')


def faults_report(cells, leaks):
    path = os.environ.get('MULTIPOINT_FAULTS_REPORT')
    if path:
        with open(path, 'a', encoding='utf-8') as fp:
            fp.write(json.dumps({
                        'check': 'access_matrix', 'cells': cells,
                        'leaks': leaks}) + '\n')


Cell = namedtuple('Cell',
    ['name', 'granted', 'field', 'method', 'args', 'retry'])
Cell.__doc__ = """One cell to try: granted in the file or not, the field of
a field cell, the call, and the call to retry a denied cell with when the
first answer is a refusal of another kind"""

# Granted cells on which the door fails for a known reason (a bug reported,
# to be fixed in the model): (model, method) -> the reason
KNOWN_FAILURES = {
    ('multipoint.supplier.sync.log.line', 'delete'):
        "its field 'log' hides ModelStorage.log(): every delete and every "
        "write with values through the RPC raises TypeError",
    ('multipoint.supplier.sync.log.line', 'write'):
        "its field 'log' hides ModelStorage.log()",
    }


class Outcome:
    "What a door answered to one call"
    OK = 'ok'                  # the call succeeded
    DENIED = 'denied'          # Tryton's access error for the model
    FIELD_DENIED = 'field-denied'  # ... for the field of the call
    REFUSED = 'refused'        # another user error (a business rule)
    UNAUTHORIZED = 'unauthorized'  # HTTP 401: no session
    NOT_EXPOSED = 'not-exposed'  # HTTP 403: no such RPC method
    CRASH = 'crash'            # a server error
    TABLE_QUERY = 'table-query'  # a view of other tables: never written


class AccessMatrixTestCase(RouteTestCase):
    "The access matrix: derived, reviewed, tried through every door"
    # the seven modules (the portal brings suppliers, core and pos): the
    # template of multipoint_portal's tests and of scripts/access_matrix.py
    module = 'multipoint_portal'
    extras = ['multipoint_tickets', 'multipoint_settlement',
        'multipoint_claims']
    language = 'ru'

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        WebUser = pool.get('web.user')
        Session = pool.get('web.user.session')
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            kzn = create_point(company, 'KZN1')
            supplier = create_supplier("Лавка")
            other = create_supplier("Другой поставщик")
            create_parcel(msk, supplier, 'MX-1')
            create_parcel(kzn, other, 'MX-2')
            cls.users = {}
            for role in matrix.ROLES:
                if role.door != 'rpc':
                    continue
                user, = User.create([{
                            'login': f'matrix_{role.name}',
                            'name': f"Access matrix: {role.name}",
                            'password': OPERATOR_PASSWORD,
                            'groups': [('add', [
                                        ModelData.get_id(*g)
                                        for g in role.groups])],
                            'multipoint_points': [('add', [msk.id])],
                            'companies': [('add', [company.id])],
                            'company': company.id,
                            }])
                cls.users[role.name] = user.id
            web_user, = WebUser.create([{
                        'email': PORTAL_EMAIL,
                        'password': PORTAL_PASSWORD,
                        'multipoint_supplier': supplier.id,
                        }])
            cls.portal_user = web_user.id
            cls.portal_key = Session.add(web_user)
        cls.supplier = supplier.id
        cls.api_user = ModelData.get_id(
            'multipoint_suppliers', 'user_supplier_api')
        cls.api_login = User(cls.api_user).login

    # -- helpers ---------------------------------------------------------

    def expected_rows(self):
        if not MATRIX_FILE.exists():
            self.fail(f"{MATRIX_FILE.relative_to(ROOT)} is missing: "
                f"generate it with {REGENERATE}")
        return matrix.parse(MATRIX_FILE.read_text(encoding='utf-8'))

    @staticmethod
    def access_messages(models_fields):
        """({model: messages}, {(model, field): messages}) of Tryton's
        access errors, in the languages a user may have"""
        model_messages, field_messages = {}, {}
        for language in LANGUAGES:
            with Transaction().start(DB_NAME, 0, context={
                        'language': language}):
                pool = Pool()
                for model, fields in models_fields.items():
                    Model = pool.get(model)
                    model_messages.setdefault(model, set()).add(gettext(
                            'ir.msg_access_rule_error',
                            **Model.__names__()))
                    for field in fields:
                        if field not in Model._fields:
                            continue
                        field_messages.setdefault(
                            (model, field), set()).add(gettext(
                                'ir.msg_access_rule_field_error',
                                **Model.__names__(field)))
        return model_messages, field_messages

    @staticmethod
    def record_ids(models):
        "{model: [id]} of one existing record of each model, or []"
        ids = {}
        for model in models:
            # a transaction each: a failed search must not spoil the next
            # ones (PostgreSQL)
            with Transaction().start(DB_NAME, 0):
                Model = Pool().get(model)
                try:
                    records = Model.search([], limit=1, order=[('id', 'ASC')])
                except Exception:
                    records = []
                ids[model] = [r.id for r in records]
        return ids

    @staticmethod
    def cells(row, record_ids, singleton):
        """[Cell] that try the cells of row. Granted write, create and
        delete go on no record; denied ones on an existing record (a blank
        one for create), and, if that is refused for another reason than
        the access (a check made before it), again on no record."""
        model = row['model']
        granted = {p: row[p] == 'yes' for p in matrix.PERMS}
        existing = record_ids.get(model, [])
        # create on a singleton writes its record (ModelSingleton.create)
        blank = [{}] if singleton or not granted['create'] else []
        result = [
            Cell('read', granted['read'], None,
                'search_read', [[], 0, 1, None, ['id']], None),
            Cell('write', granted['write'], None, 'write',
                [[] if granted['write'] else existing, {}], [[], {}]),
            Cell('create', granted['create'], None, 'create',
                [blank], [[]]),
            Cell('delete', granted['delete'], None, 'delete',
                [[] if granted['delete'] else existing], [[]]),
            ]
        if singleton and granted['write'] and not granted['create']:
            # ModelSingleton.create writes the existing record: the door
            # is the write access
            result[2] = result[2]._replace(granted=True)
        if granted['read']:
            for field in row['personal_readable'].split():
                result.append(Cell(f'read {field}', True, field,
                        'search_read', [[], 0, 1, None, [field]], None))
            for field in row['personal_refused'].split():
                result.append(Cell(f'read {field}', False, field,
                        'search_read', [[], 0, 1, None, [field]], None))
        for field in row['write_refused'].split():
            if granted['write']:
                result.append(Cell(f'write {field}', False, field,
                        'write', [[], {field: None}], None))
            elif granted['create']:
                result.append(Cell(f'write {field}', False, field,
                        'create', [[{field: None}]], None))
        return result

    @staticmethod
    def classify_error(error, model, field, model_messages, field_messages):
        if (isinstance(error, (list, tuple)) and len(error) == 2
                and error[0] == 'UserError'):
            message = error[1][0]
            if message in model_messages.get(model, ()):
                return Outcome.DENIED
            if field and message in field_messages.get((model, field), ()):
                return Outcome.FIELD_DENIED
            return Outcome.REFUSED
        if (isinstance(error, (list, tuple)) and error
                and error[0] in {'UserWarning', 'ConcurrencyException'}):
            return Outcome.REFUSED
        if (isinstance(error, (list, tuple)) and error
                and error[0] == 'On table_query'):
            return Outcome.TABLE_QUERY
        return Outcome.CRASH

    def rpc(self, client, headers, model, method, args):
        "The JSON-RPC answer of model.<model>.<method>(*args, {})"
        response = client.post(f'/{self.db_name}/rpc/', headers=headers,
            json={'id': 1, 'method': f'model.{model}.{method}',
                'params': [*args, {}]})
        if response.status_code == 401:
            return Outcome.UNAUTHORIZED, response.status_code
        if response.status_code == 403:
            return Outcome.NOT_EXPOSED, response.status_code
        if response.status_code != 200:
            return Outcome.CRASH, response.status_code
        data = response.json
        if 'error' in data:
            return None, data['error']
        return Outcome.OK, data.get('result')

    def login(self, client, login, password):
        response = client.post(f'/{self.db_name}/rpc/', json={
                'id': 1, 'method': 'common.db.login',
                'params': [login, {'password': password}, 'ru']})
        return response

    def session_headers(self, login, password):
        response = self.login(self.client(), login, password)
        self.assertEqual(response.status_code, 200, response.data)
        user_id, token = response.json['result'][:2]
        auth = base64.b64encode(f'{login}:{user_id}:{token}'.encode())
        return {'Authorization': 'Session ' + auth.decode()}

    @staticmethod
    def judge(cell, outcome, retried=None):
        """'pass', 'leak' (a refused cell the door let through), 'blocked'
        (a granted cell the door refuses or fails on) or 'not exposed'"""
        refusal = Outcome.FIELD_DENIED if cell.field else Outcome.DENIED
        closed = {refusal, Outcome.NOT_EXPOSED, Outcome.TABLE_QUERY}
        if cell.field:
            closed.add(Outcome.DENIED)
        if not cell.granted:
            if outcome in closed or retried in closed:
                return 'pass'
            if retried == Outcome.REFUSED:
                # refused even on no record: the model refuses before the
                # access check (res.user.delete), nothing gets through
                return 'guarded'
            return 'leak'
        if outcome == Outcome.NOT_EXPOSED:
            return 'not exposed'
        if outcome in {Outcome.OK, Outcome.REFUSED}:
            return 'pass'
        return 'blocked'

    # -- 1. derived == reviewed ------------------------------------------

    def test_matrix_matches_file(self):
        "The matrix derived from the registry is the reviewed file"
        with Transaction().start(DB_NAME, 0) as transaction:
            derived = matrix.render(matrix.derive_matrix())
            transaction.rollback()
        expected = MATRIX_FILE.read_text(encoding='utf-8') \
            if MATRIX_FILE.exists() else ''
        difference = matrix.diff(expected,
            derived, str(MATRIX_FILE.relative_to(ROOT)), 'derived')
        if difference:
            self.fail("the access matrix derived from the registry differs "
                f"from {MATRIX_FILE.relative_to(ROOT)} (- file, + registry):"
                f"\n{difference}\nReview the change, then regenerate the "
                f"file with: {REGENERATE}")

    def test_personal_fields_classified(self):
        "Every field that looks personal is classified as personal or not"
        with Transaction().start(DB_NAME, 0):
            self.assertEqual(matrix.unclassified_fields(), [],
                "add these fields to PERSONAL or NOT_PERSONAL in "
                "multipoint_core/access_matrix.py")

    # -- 2.-4. every cell through its door -------------------------------

    def test_cells_through_the_doors(self):
        "Each cell of the file holds through its door: no leak"
        rows = [r for r in self.expected_rows()
            if not r['model'].startswith(matrix.ROUTE_PREFIX)]
        models = sorted({r['model'] for r in rows})
        fields = {}
        for row in rows:
            fields.setdefault(row['model'], set()).update(
                row['personal_readable'].split()
                + row['personal_refused'].split()
                + row['write_refused'].split())
        model_messages, field_messages = self.access_messages(
            {m: fields.get(m, ()) for m in models})
        record_ids = self.record_ids(models)
        with Transaction().start(DB_NAME, 0):
            pool = Pool()
            singletons = {m for m in models
                if issubclass(pool.get(m), ModelSingleton)}

        report = {'cells': 0, 'calls': 0, 'leak': [], 'blocked': [],
            'known': [], 'not exposed': [], 'guarded': [], 'values': []}

        def try_cells(role, row, call):
            """Try the cells of row with call(model, method, args) ->
            (outcome, answer)"""
            model = row['model']
            for cell in self.cells(row, record_ids, model in singletons):
                outcome, answer = call(model, cell.method, cell.args)
                report['calls'] += 1
                retried = None
                if (not cell.granted and cell.retry is not None
                        and outcome in {Outcome.REFUSED, Outcome.CRASH}):
                    retried, _ = call(model, cell.method, cell.retry)
                    report['calls'] += 1
                report['cells'] += 1
                verdict = self.judge(cell, outcome, retried)
                line = (f"{model} {role} {cell.name}: "
                    f"{'granted' if cell.granted else 'denied'} in the "
                    f"file, answered {outcome}"
                    + (f" then {retried} on no record" if retried else '')
                    + f" {str(answer)[:160]}")
                if (verdict == 'blocked'
                        and (model, cell.method) in KNOWN_FAILURES):
                    verdict = 'known'
                    line += ' -- known: ' + KNOWN_FAILURES[
                        (model, cell.method)]
                if verdict != 'pass':
                    report[verdict].append(line)
                if (cell.field and cell.granted and outcome == Outcome.OK
                        and role != 'owner'
                        and any(r.get(cell.field) for r in answer)):
                    report['values'].append(
                        f"{model}.{cell.field} read by {role}")

        def rpc_door(headers):
            client = self.client()

            def call(model, method, args):
                outcome, answer = self.rpc(
                    client, headers, model, method, args)
                if outcome is None:
                    field = None
                    if method == 'search_read':
                        field = args[4][0]
                    elif method == 'write':
                        field = next(iter(args[1]), None)
                    elif method == 'create' and args[0]:
                        field = next(iter(args[0][0]), None)
                    outcome = self.classify_error(answer, model, field,
                        model_messages, field_messages)
                return outcome, answer
            return call

        # RPC roles: a real session of a user of the role
        for role in matrix.ROLES:
            if role.door != 'rpc':
                continue
            call = rpc_door(self.session_headers(
                    f'matrix_{role.name}', OPERATOR_PASSWORD))
            for row in rows:
                if row['role'] == role.name:
                    try_cells(role.name, row, call)

        # the supplier API key's user: the ORM as that user, as the API;
        # a transaction a model, rolled back
        def orm_door(model, method, args):
            return self.orm_call(Pool().get(model), method, args,
                model_messages, field_messages)
        for row in rows:
            if row['role'] == 'supplier_api':
                with Transaction().start(DB_NAME, 0, context={
                            'language': 'ru'}) as transaction:
                    try_cells('supplier_api', row, orm_door)
                    transaction.rollback()

        # the portal user's session key, and no session at all: the door is
        # shut before any model
        portal_auth = base64.b64encode(
            f'{PORTAL_EMAIL}:{self.portal_user}:{self.portal_key}'.encode())
        for role, headers in [
                ('portal_user', {
                        'Authorization': 'Session ' + portal_auth.decode()}),
                ('anonymous', {}),
                ]:
            door = rpc_door(headers)

            def shut(model, method, args):
                outcome, answer = door(model, method, args)
                if outcome in {Outcome.UNAUTHORIZED, Outcome.NOT_EXPOSED}:
                    outcome = Outcome.DENIED
                return outcome, answer
            for row in rows:
                if row['role'] == role:
                    try_cells(role, row, shut)

        faults_report(report['cells'], len(report['leak']))
        self.__class__.report = report
        message = (f"{report['cells']} cells tried ({report['calls']} "
            f"calls), {len(report['leak'])} leaks, "
            f"{len(report['blocked'])} granted cells refused, "
            f"{len(report['known'])} known failures, "
            f"{len(report['guarded'])} denied cells the model refuses "
            "before the access check, "
            f"{len(report['not exposed'])} granted cells of models that "
            "the RPC does not expose")
        if os.environ.get('MULTIPOINT_ACCESS_MATRIX_VERBOSE'):
            print(message)
            for key in ['known', 'not exposed', 'guarded', 'values']:
                print(f"{key}:", *report[key], sep='\n  ')
        if report['leak'] or report['blocked']:
            self.fail(message
                + "\nleaks (denied in the file, let through):\n  "
                + '\n  '.join(report['leak'] or ['none'])
                + "\ngranted in the file, refused by the door:\n  "
                + '\n  '.join(report['blocked'] or ['none']))
        self.assertGreater(report['cells'], 0)

    def orm_call(self, Model, method, args, model_messages, field_messages):
        "Call as the supplier API's user with a key's supplier in context"
        from trytond.modules.multipoint_suppliers.api_key import (
            SUPPLIER_CONTEXT)
        field = None
        transaction = Transaction()
        with transaction.set_user(self.api_user), transaction.set_context(
                {SUPPLIER_CONTEXT: self.supplier}), check_access():
            try:
                if method == 'search_read':
                    domain, offset, limit, order, names = args
                    field = names[0] if names != ['id'] else None
                    answer = Model.search_read(domain, offset=offset,
                        limit=limit, order=order, fields_names=names)
                elif method == 'write':
                    ids, values = args
                    field = next(iter(values), None)
                    answer = Model.write(Model.browse(ids), values)
                elif method == 'create':
                    if args[0]:
                        field = next(iter(args[0][0]), None)
                    answer = [r.id for r in Model.create(args[0])]
                else:
                    answer = Model.delete(Model.browse(args[0]))
            except Exception as error:
                if isinstance(error, NotImplementedError):
                    error_args = [str(error)]
                else:
                    error_args = ['UserError', [
                            getattr(error, 'message', str(error)), '', None]]
                return self.classify_error(error_args, Model.__name__,
                    field, model_messages, field_messages), repr(error)
        return Outcome.OK, answer

    def test_logins(self):
        """Only res.users log in to the generic RPC: the portal user's
        e-mail and password and the supplier API's user are refused"""
        client = self.client()
        response = self.login(client, PORTAL_EMAIL, PORTAL_PASSWORD)
        self.assertEqual(response.status_code, 401, response.data)
        response = self.login(client, self.api_login, '')
        self.assertEqual(response.status_code, 401, response.data)
        response = self.login(client, self.api_login, OPERATOR_PASSWORD)
        self.assertEqual(response.status_code, 401, response.data)
        # while a real user of a role does
        response = self.login(client, 'matrix_operator', OPERATOR_PASSWORD)
        self.assertEqual(response.status_code, 200, response.data)

    def test_owner_reads_personal_data(self):
        """Owners read every phone, name, code and contact of the models
        they may read (credentials and secrets may be closed to them too)"""
        for row in self.expected_rows():
            if row['role'] == 'owner' and row['read'] == 'yes':
                categories = matrix.PERSONAL.get(row['model'], {})
                refused = [f for f in row['personal_refused'].split()
                    if categories.get(f) in {
                        'phone', 'name', 'code', 'contact'}]
                with self.subTest(model=row['model']):
                    self.assertEqual(refused, [],
                        f"owners may not read {refused}")
