"""The access matrix of the Multipoint suite, derived from the live registry.

For every model registered by the seven modules (those they define and those
of other modules they extend, plus any model their XML gives access records
for) and every role, the matrix says whether the role may read, write,
create and delete records, which personal-data fields it may read, and which
fields it may not read or write although it may read or write the model.

The cells come from Tryton itself: ``ir.model.access.get_access`` and
``ir.model.field.access.get_access`` called as a user of the role, so they
are what the server enforces (defaults, ``__access__`` inheritance, group
parents), not what the XML seems to say.

Roles (ROLES below):
- owner, staff_manager, operator, reports, analytics, accountant: a res.user
  member of that Multipoint group only; their door is Tryton's JSON-RPC
  (sao, ``/<db>/rpc/``);
- no_group: a res.user of none of the Multipoint groups (an employee of
  another department): what any login gets by default;
- supplier_api: the technical user ``multipoint_suppliers.user_supplier_api``
  the supplier API runs as for an application key (it has no password: its
  door is the supplier API, ``/<db>/multipoint/supplier-api/v1``, with the
  key's supplier in the context of its record rules);
- portal_user: a web.user of the supplier portal. It has no res.user, so the
  generic RPC is closed to it; its door is the portal routes, which run as
  root and filter on its supplier in code: the matrix lists those routes;
- anonymous: no login at all; no model is open to it.

This module only derives and renders (nothing registers it: the module
does not import it); the expectation file is written by
scripts/access_matrix.py and checked by tests/test_access_matrix.py, which
both import it from here.
"""
import csv
import io
import re
from collections import namedtuple

from trytond.model import ModelStorage
from trytond.pool import Pool, isregisteredby
from trytond.transaction import Transaction

MODULES = (
    'multipoint_core', 'multipoint_pos', 'multipoint_suppliers',
    'multipoint_tickets', 'multipoint_settlement', 'multipoint_portal',
    'multipoint_claims')

# door: how the role reaches the models
#   rpc       Tryton's generic JSON-RPC as a res.user of the groups
#   api-key   the supplier API's technical user (no login)
#   portal    the supplier portal's routes (a web.user, no res.user)
#   none      nothing (no login)
Role = namedtuple('Role', ['name', 'door', 'groups', 'user'])
Role.__doc__ = """A role of the matrix: groups are (module, xml id) of the
groups a user of the role belongs to; user the (module, xml id) of an
existing user to use instead of a new one"""

ROLES = (
    Role('owner', 'rpc', [('multipoint_core', 'group_owner')], None),
    Role('staff_manager', 'rpc',
        [('multipoint_core', 'group_staff_manager')], None),
    Role('operator', 'rpc', [('multipoint_core', 'group_operator')], None),
    Role('reports', 'rpc', [('multipoint_core', 'group_reports')], None),
    Role('analytics', 'rpc', [('multipoint_core', 'group_analytics')], None),
    Role('accountant', 'rpc',
        [('multipoint_core', 'group_accountant')], None),
    Role('no_group', 'rpc', [], None),
    Role('supplier_api', 'api-key', [],
        ('multipoint_suppliers', 'user_supplier_api')),
    Role('portal_user', 'portal', [], None),
    Role('anonymous', 'none', [], None),
    )
ROLE_NAMES = [r.name for r in ROLES]
PERMS = ('read', 'write', 'create', 'delete')

# Personal data: the recipients' phones and names, issue codes and their
# hashes, credentials (passwords, secrets, tokens, keys), mobiles, the
# contacts of people. A field whose name looks like one of them must be
# classified here or in NOT_PERSONAL (tests/test_access_matrix.py checks
# that nothing is left out).
PERSONAL = {
    'multipoint.parcel': {
        'recipient_name': 'name', 'recipient_key': 'name',
        'recipient_phone': 'phone', 'issue_code_hash': 'code'},
    'multipoint.notification': {
        'recipient': 'phone', 'body': 'code'},
    'multipoint.consent': {'phone': 'phone'},
    'multipoint.login.code': {'code_hash': 'code'},
    'multipoint.configuration': {'code_secret': 'secret'},
    'multipoint.receipt': {'customer_contact': 'phone'},
    'multipoint.reception': {'courier_name': 'name'},
    'multipoint.return.batch': {'courier_name': 'name'},
    'multipoint.supplier.account': {
        'login': 'credential', 'password': 'credential',
        'token': 'credential', 'cdek_webhook_token': 'credential',
        'cdek_webhook_url': 'credential'},
    'res.user': {
        'password': 'credential', 'password_hash': 'credential',
        'password_reset': 'credential', 'multipoint_mobile': 'phone',
        'email': 'contact'},
    'res.user.application': {'key': 'credential'},
    'web.user': {
        'password': 'credential', 'password_hash': 'credential',
        'email_token': 'credential', 'reset_password_token': 'credential',
        'email': 'contact'},
    'party.party': {
        'phone': 'phone', 'mobile': 'phone', 'email': 'contact'},
    }
# Fields whose name looks personal but that are not, and why
NOT_PERSONAL = {
    'multipoint.parcel': {
        'phone_last4',  # the masked phone operators search and see
        'code_attempts', 'code_locked_until',  # counters, no code
        },
    'multipoint.notification': {'recipient_masked'},  # ***last 4 digits
    'multipoint.consent': {'phone_last4'},  # the masked phone
    'multipoint.personal_data.access': {'phone_last4'},  # of the phone read
    'multipoint.point': {'phone', 'email'},  # the point's own contacts
    'multipoint.receipt': {'supplier_phone'},  # a business, on 54-FZ receipts
    'multipoint.receipt.line': {'supplier_phone'},
    'multipoint.configuration': {
        'code_length', 'code_lock_minutes', 'code_max_attempts'},
    'multipoint.supplier.outbox': {'idempotency_key'},  # a delivery id
    'res.user': {
        'login',  # a user name, shown everywhere
        'password_reset_expire',  # a date
        },
    'party.party': {'code_alnum', 'code_digit', 'code_readonly'},
    'web.user': {'email_valid', 'reset_password_token_expire'},
    'sale.point': {'phone'},
    }
PERSONAL_PATTERN = re.compile(
    r'phone|mobile|recipient|passw|secret|token|hash|(^|_)key$|email'
    r'|courier_name|customer_contact|issue_code|code_|otp')

COLUMNS = ['model', 'role', 'door', *PERMS,
    'personal_readable', 'personal_refused',
    'other_read_refused', 'write_refused']
# the rows of the routes a door serves (portal, supplier API)
ROUTE_PREFIX = 'route '


def yes(value):
    return 'yes' if value else 'no'


def registered(model):
    return any(isregisteredby(model, m) for m in MODULES)


def matrix_models():
    """The names of the storage models registered by MODULES (that any RPC
    reaches) and of those their XML gives access records for, sorted"""
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    # a model without RPC methods (ir.session) is reached by no door
    names = {name for name, Model in pool.iterobject()
        if issubclass(Model, ModelStorage) and registered(Model)
        and Model.__rpc__}
    for kind in ['ir.model.access', 'ir.model.field.access']:
        Access = pool.get(kind)
        data = ModelData.search([
                ('module', 'in', MODULES), ('model', '=', kind)])
        names.update(a.model for a in Access.browse([d.db_id for d in data]))
    return sorted(names)


def personal_fields(model):
    "The personal-data fields of model that exist in the registry, sorted"
    Model = Pool().get(model)
    return sorted(f for f in PERSONAL.get(model, {}) if f in Model._fields)


def unclassified_fields(models=None):
    """(model, field) of the fields that look personal (PERSONAL_PATTERN)
    and are neither in PERSONAL nor in NOT_PERSONAL"""
    pool = Pool()
    result = []
    for model in models or matrix_models():
        Model = pool.get(model)
        known = set(PERSONAL.get(model, {})) | NOT_PERSONAL.get(model, set())
        for name, field in Model._fields.items():
            if field._type in {'one2many', 'many2many', 'many2one'}:
                continue
            if PERSONAL_PATTERN.search(name) and name not in known:
                result.append((model, name))
    return sorted(result)


def role_users(roles=ROLES):
    """{role name: res.user id} of a user of each RPC and api-key role:
    the existing user of the role, else a new active user of its groups
    (created in the current transaction, login 'matrix_<role>')"""
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    users = {}
    for role in roles:
        if role.door == 'api-key':
            users[role.name] = ModelData.get_id(*role.user)
        elif role.door == 'rpc':
            login = f'matrix_{role.name}'
            existing = User.search([('login', '=', login)])
            if existing:
                users[role.name] = existing[0].id
                continue
            user, = User.create([{
                        'login': login,
                        'name': f"Access matrix: {role.name}",
                        'groups': [('add', [
                                    ModelData.get_id(*g)
                                    for g in role.groups])],
                        }])
            users[role.name] = user.id
    return users


def derive_cells(models, user_id):
    """{model: row dict} of what Tryton grants to user_id: the model
    access and the field lists"""
    pool = Pool()
    ModelAccess = pool.get('ir.model.access')
    FieldAccess = pool.get('ir.model.field.access')
    rows = {}
    for model in models:
        Model = pool.get(model)
        # one model a call, as ModelAccess.check and ModelFieldAccess.check
        # do (8.0's FieldAccess.get_access shares one dict between the
        # models of a call)
        with Transaction().set_user(user_id):
            access = ModelAccess.get_access([model])[model]
            fields = FieldAccess.get_access([model])[model]
        perms = {p: bool(access[p]) for p in PERMS}
        personal = personal_fields(model)
        row = {p: yes(perms[p]) for p in PERMS}
        readable = [f for f in personal
            if perms['read'] and fields.get(f, {}).get('read', True)]
        row['personal_readable'] = ' '.join(readable)
        row['personal_refused'] = ' '.join(
            f for f in personal if perms['read'] and f not in readable)
        row['other_read_refused'] = ' '.join(sorted(
                f for f, a in fields.items()
                if perms['read'] and not a['read'] and f in Model._fields
                and f not in personal))
        row['write_refused'] = ' '.join(sorted(
                f for f, a in fields.items()
                if (perms['write'] or perms['create']) and not a['write']
                and f in Model._fields))
        rows[model] = row
    return rows


def closed_row():
    row = {p: 'no' for p in PERMS}
    row.update(personal_readable='', personal_refused='',
        other_read_refused='', write_refused='')
    return row


def route_rows(role, prefix):
    "The rows listing the routes served under prefix, for role"
    from trytond.wsgi import app
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(prefix):
            path = rule.rule[len('/<database_name>'):]
            routes.setdefault(path, set()).update(
                rule.methods - {'HEAD', 'OPTIONS'})
    rows = []
    for path, methods in sorted(routes.items()):
        row = dict.fromkeys(COLUMNS, '')
        row.update(model=ROUTE_PREFIX + path, role=role,
            door=' '.join(sorted(methods)))
        rows.append(row)
    return rows


PORTAL_PREFIX = '/<database_name>/multipoint/portal/api'
SUPPLIER_API_PREFIX = '/<database_name>/multipoint/supplier-api/v1'


def import_routes():
    "Register the routes of the seven modules (their modules add them)"
    import trytond.modules.multipoint_core  # noqa: F401
    import trytond.modules.multipoint_pos  # noqa: F401
    import trytond.modules.multipoint_portal  # noqa: F401
    import trytond.modules.multipoint_suppliers  # noqa: F401
    import trytond.modules.multipoint_tickets  # noqa: F401


def derive_matrix(users=None):
    """The rows of the matrix (dicts keyed by COLUMNS), sorted by model then
    role, derived in the current transaction (which must be able to create
    the role users, or users gives them)"""
    models = matrix_models()
    if users is None:
        users = role_users()
    rows = []
    by_role = {}
    for role in ROLES:
        if role.name in users:
            by_role[role.name] = derive_cells(models, users[role.name])
    for model in models:
        for role in ROLES:
            row = dict(by_role.get(role.name, {}).get(model) or closed_row())
            row.update(model=model, role=role.name, door=role.door)
            rows.append(row)
    import_routes()
    rows.extend(route_rows('portal_user', PORTAL_PREFIX))
    rows.extend(route_rows('supplier_api', SUPPLIER_API_PREFIX))
    return rows


def render(rows):
    "The CSV text of rows"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator='\n')
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, '') for c in COLUMNS})
    return out.getvalue()


def parse(text):
    "The rows of a matrix CSV text"
    return list(csv.DictReader(io.StringIO(text)))


def diff(expected_text, derived_text, expected_name='expected',
        derived_name='derived'):
    "A unified diff of two matrix texts, '' when equal"
    import difflib
    return ''.join(difflib.unified_diff(
            expected_text.splitlines(keepends=True),
            derived_text.splitlines(keepends=True),
            expected_name, derived_name, n=0))


# -- the product's rules, to point at cells worth a second look ----------

# models whose records an operator only handles through the business
# methods of the operator API (issue 12: least rights for the screen)
MONEY_MODELS = {
    'multipoint.supplier.terms', 'multipoint.supplier.terms.tier',
    'multipoint.supplier.terms.fine', 'multipoint.settlement',
    'multipoint.settlement.line', 'multipoint.settlement.fine',
    'multipoint.settlement.configuration', 'account.move'}
# what the supplier API writes: its parcels, their places, items, events
SUPPLIER_API_WRITES = {
    'multipoint.parcel', 'multipoint.parcel.line', 'multipoint.parcel.place',
    'multipoint.parcel.event'}
READ_ONLY_ROLES = {'reports', 'analytics'}


def suspicious(rows):
    """[(model, role, why)] of the cells of rows that look like leaks under
    the product's rules: phones and codes for owners only, credentials for
    nobody but owners, accountants read money and no personal data, reports
    and analytics read only, no rights without a Multipoint group beyond
    reading, the supplier API writes its parcels only, operators don't
    write money or terms"""
    result = []
    for row in rows:
        model, role = row['model'], row['role']
        if model.startswith(ROUTE_PREFIX) or row['door'] in {
                'portal', 'none'}:
            continue
        writes = [p for p in PERMS[1:] if row[p] == 'yes']
        categories = PERSONAL.get(model, {})
        readable = row['personal_readable'].split()
        if role != 'owner':
            for field in readable:
                category = categories.get(field)
                if category in {'phone', 'code', 'secret', 'credential'}:
                    if (role == 'staff_manager' and model == 'res.user'
                            and category == 'phone'):
                        continue  # staff managers call their staff
                    result.append((model, role,
                            f"reads {field} ({category})"))
        if role == 'accountant':
            for field in readable:
                if categories.get(field) in {'name', 'contact'}:
                    result.append((model, role,
                            f"reads {field} ({categories[field]})"))
        if role in READ_ONLY_ROLES and writes:
            result.append((model, role, f"may {'/'.join(writes)}"))
        if role == 'no_group' and writes:
            result.append((model, role,
                    f"may {'/'.join(writes)} without any Multipoint group"))
        if (role == 'supplier_api' and writes
                and model not in SUPPLIER_API_WRITES):
            result.append((model, role, f"may {'/'.join(writes)}"))
        if role == 'operator' and writes and model in MONEY_MODELS:
            result.append((model, role, f"may {'/'.join(writes)}"))
    return result
