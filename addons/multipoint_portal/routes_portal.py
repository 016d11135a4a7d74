"""The supplier portal: a single-page web app served by trytond and its JSON
API, for the web users (web_user module) linked to a supplier party.

GET  /<database>/multipoint/portal/            the page
GET  /<database>/multipoint/portal/<file>      its assets (a fixed list)
     /<database>/multipoint/portal/api/...     the JSON API below

Who is signed in, the cookie and the CSRF checks and the wrapper of the
routes (portal_route) are in api_portal.py: every route reaches the
supplier's records through its Portal, which always filters on the supplier
of the session's web user.
"""
import datetime as dt
import logging
import os
from http import HTTPStatus

from sql.aggregate import Count

from trytond import config
from trytond.exceptions import RateLimitException
from trytond.i18n import gettext
from trytond.modules.multipoint_core.api import (
    asset_response, download_response, error_response, json_response,
    request_json)
from trytond.modules.multipoint_core.exceptions import (
    NotFoundError, RequestError)
from trytond.modules.multipoint_core.parcel import STATES
from trytond.modules.multipoint_core.security import mask_phone
from trytond.modules.multipoint_suppliers.api_key import (
    APPLICATION as API_APPLICATION)
from trytond.modules.multipoint_suppliers.import_manifest import (
    check_import, preview)
from trytond.res.user import PasswordError
from trytond.tools import escape_wildcard
from trytond.transaction import Transaction
from trytond.wsgi import app

from .api_portal import (
    PREFIX, SETTLEMENT_STATES, UPLOAD_SIZE, Portal, clear_session_cookie,
    has_claims, has_model, has_tickets, portal_route, set_session_cookie)

logger = logging.getLogger(__name__)

STATIC = os.path.join(os.path.dirname(__file__), 'static', 'portal')
ASSETS = {
    'index.html': 'text/html; charset=utf-8',
    'portal.js': 'text/javascript; charset=utf-8',
    'portal.css': 'text/css; charset=utf-8',
    }
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# a broken file may have an error on every row; the page shows the first
MAX_ROW_ERRORS = 500
SETTLEMENT_AMOUNTS = [
    'cash', 'card', 'sbp', 'collected', 'refunded', 'refused_amount',
    'commission', 'fine_amount', 'net_amount']
LINE_AMOUNTS = [
    'cod_amount', 'delivery_fee', 'cash', 'card', 'sbp', 'refunded',
    'amount', 'refused_amount', 'commission', 'fine', 'net']
LINES_PAGE = 100
# the operator's own words typed at the desk are none of the supplier's
HIDDEN_DETAIL_KINDS = {'search'}


# -- page ---------------------------------------------------------------

def portal_asset_response(name):
    headers = {'X-Frame-Options': 'DENY', 'Referrer-Policy': 'no-referrer'}
    if name == 'index.html':
        headers['Content-Security-Policy'] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; "
            "img-src 'self' data:; connect-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
    return asset_response(STATIC, ASSETS, name, headers)


@app.route(PREFIX + '/', methods={'GET'})
def portal_page(request, database_name):
    return portal_asset_response('index.html')


@app.route(PREFIX + '/<name>', methods={'GET'})
def portal_asset(request, database_name, name):
    # only the listed names are served: api/..., a traversal, anything
    # else is not found
    return portal_asset_response(name)


# no session of trytond is read for the size limit (that would open the
# database named in the URL, which may not exist)
portal_page.max_request_size = portal_asset.max_request_size = 0


# -- session ------------------------------------------------------------

def me_json(portal):
    return {
        'email': portal.user.email,
        'supplier': {
            'id': portal.supplier.id,
            'name': portal.supplier.rec_name,
            },
        'csrf': portal.csrf,
        'features': {
            'tickets': has_tickets(portal.pool),
            'claims': has_claims(portal.pool),
            'settlements': has_model(portal.pool, 'multipoint.settlement'),
            },
        }


@portal_route('/login', {'POST'}, login=False)
def login(request, pool, portal):
    WebUser = pool.get('web.user')
    Session = pool.get('web.user.session')
    data = request_json(request)
    email = data.get('email')
    password = data.get('password')
    if not isinstance(email, str) or not isinstance(password, str):
        raise RequestError(gettext(
                'multipoint_portal.msg_portal_login_failed'))
    try:
        # web_user counts the failures per e-mail and network, makes each
        # new try wait longer and refuses once they are too many
        user = WebUser.authenticate(email.strip(), password)
    except RateLimitException:
        return error_response(HTTPStatus.TOO_MANY_REQUESTS, 'rate_limited',
            gettext('multipoint_portal.msg_portal_login_rate_limited'))
    if not user:
        return error_response(HTTPStatus.UNAUTHORIZED, 'login_failed',
            gettext('multipoint_portal.msg_portal_login_failed'))
    if not user.multipoint_supplier:
        return error_response(HTTPStatus.FORBIDDEN, 'no_supplier',
            gettext('multipoint_portal.msg_portal_no_supplier'))
    key = user.new_session()
    response = json_response(me_json(Portal(pool, user, key)))
    set_session_cookie(request, response, pool.database_name, key,
        int(Session.timeout().total_seconds()))
    return response


@portal_route('/logout', {'POST'})
def logout(request, pool, portal):
    Session = pool.get('web.user.session')
    Session.remove(portal.key)
    response = json_response({'ok': True})
    clear_session_cookie(request, response, pool.database_name)
    return response


@portal_route('/me', {'GET'})
def me(request, pool, portal):
    return json_response(me_json(portal))


@portal_route('/password/reset', {'POST'}, login=False)
def password_reset(request, pool, portal):
    "Send the reset e-mail of web_user; the answer never tells who exists"
    WebUser = pool.get('web.user')
    email = request_json(request).get('email')
    if not isinstance(email, str) or not email.strip():
        raise RequestError(gettext(
                'multipoint_portal.msg_portal_email_needed'))
    users = WebUser.search([
            ('email', '=', email.strip().lower()),
            ('multipoint_supplier', '!=', None),
            ])
    if users:
        WebUser.reset_password(users)
    return json_response({'message': gettext(
                'multipoint_portal.msg_portal_reset_sent')})


def check_password(pool, password, users):
    """Tryton's password rules ([password] length, forbidden, not the
    e-mail), which web_user skips for root, with messages in Russian"""
    User = pool.get('res.user')
    length = config.getint('password', 'length', default=0)
    if len(password.encode('utf-8')) < length:
        raise RequestError(gettext(
                'multipoint_portal.msg_portal_password_short',
                length=length))
    try:
        User.validate_password(password, users)
    except PasswordError:
        raise RequestError(gettext(
                'multipoint_portal.msg_portal_password_rejected'))


@portal_route('/password/set', {'POST'}, login=False)
def password_set(request, pool, portal):
    "The new password of the reset e-mail's link (email and token)"
    WebUser = pool.get('web.user')
    data = request_json(request)
    email, token, password = (
        data.get('email'), data.get('token'), data.get('password'))
    if not all(isinstance(v, str) and v for v in [email, token, password]):
        raise RequestError(gettext(
                'multipoint_portal.msg_portal_reset_invalid'))
    users = WebUser.search([('email', '=', email.strip().lower())])
    check_password(pool, password, users)
    if not WebUser.set_password_token(email.strip(), token, password):
        raise RequestError(gettext(
                'multipoint_portal.msg_portal_reset_invalid'))
    return json_response({'message': gettext(
                'multipoint_portal.msg_portal_password_set')})


# -- parcels ------------------------------------------------------------

def point_json(point):
    return {
        'id': point.id,
        'code': point.code,
        'name': point.name,
        'city': point.city,
        'address': point.address,
        }


def parcel_json(parcel):
    return {
        'id': parcel.id,
        'order_number': parcel.order_number,
        'state': parcel.state,
        'state_name': parcel.state_string,
        'point': point_json(parcel.point),
        'manifest': parcel.manifest,
        'recipient_name': parcel.recipient_name,
        'recipient_phone': mask_phone(parcel.recipient_phone) or None,
        'prepaid': bool(parcel.prepaid),
        'cod_amount': parcel.cod_amount,
        'delivery_fee': parcel.delivery_fee,
        'declared_value': parcel.declared_value,
        'amount_due': parcel.amount_due,
        'created': parcel.create_date,
        'arrival_date': parcel.arrival_date,
        'storage_deadline': parcel.storage_deadline,
        'barcodes': [p.barcode for p in parcel.places],
        }


def selection_names(record, field):
    "{value: name in the user's language} of a selection field of record"
    selection = record.fields_get([field])[field]['selection']
    if isinstance(selection, str):
        # a selection given by a class method of the model
        selection = getattr(record, selection)()
    return dict(selection)


def event_json(event, kinds, states):
    return {
        'date': event.date,
        'kind': event.kind,
        'kind_name': kinds.get(event.kind),
        'from_state': event.from_state,
        'from_state_name': states.get(event.from_state),
        'to_state': event.to_state,
        'to_state_name': states.get(event.to_state),
        # the point alone: never the user, the cell or the reception
        'point': ({'id': event.point.id, 'code': event.point.code,
                'name': event.point.name} if event.point else None),
        'detail': (None if event.kind in HIDDEN_DETAIL_KINDS
            else event.detail),
        }


def parse_date(value):
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise RequestError(gettext(
                'multipoint_portal.msg_portal_bad_date', value=value))


def parse_int(value, default=None):
    if value in {None, ''}:
        return default
    try:
        return int(value)
    except ValueError:
        raise RequestError(gettext(
                'multipoint_portal.msg_portal_bad_number', value=value))


def parcels_domain(portal, args):
    domain = [('supplier', '=', portal.supplier.id)]
    state = args.get('state')
    if state:
        if state not in dict(STATES):
            raise RequestError(gettext(
                    'multipoint_portal.msg_portal_bad_state', state=state))
        domain.append(('state', '=', state))
    point = parse_int(args.get('point'))
    if point is not None:
        domain.append(('point', '=', point))
    if args.get('from'):
        start = parse_date(args['from'])
        domain.append(('create_date', '>=',
                dt.datetime.combine(start, dt.time())))
    if args.get('to'):
        end = parse_date(args['to']) + dt.timedelta(days=1)
        domain.append(('create_date', '<',
                dt.datetime.combine(end, dt.time())))
    query = (args.get('q') or '').strip()[:100]
    if query:
        domain.append(['OR',
                ('order_number', '=', query),
                ('order_number', 'ilike', escape_wildcard(query) + '%'),
                ('places.barcode', '=', query),
                ])
    return domain


@portal_route('/points', {'GET'})
def points(request, pool, portal):
    Point = pool.get('multipoint.point')
    points = Point.browse(sorted(portal.point_ids()))
    return json_response({'points': [point_json(p) for p in points]})


@portal_route('/states', {'GET'})
def states(request, pool, portal):
    Parcel = pool.get('multipoint.parcel')
    names = dict(Parcel.fields_get(['state'])['state']['selection'])
    return json_response({'states': [
                {'state': s, 'name': names[s]} for s, _ in STATES]})


@portal_route('/parcels', {'GET'})
def parcels(request, pool, portal):
    Parcel = pool.get('multipoint.parcel')
    domain = parcels_domain(portal, request.args)
    limit = min(max(parse_int(request.args.get('limit'), PAGE_SIZE), 1),
        MAX_PAGE_SIZE)
    page = max(parse_int(request.args.get('page'), 1), 1)
    total = Parcel.search_count(domain)
    records = Parcel.search(domain, offset=(page - 1) * limit, limit=limit,
        order=[('create_date', 'DESC'), ('id', 'DESC')])
    return json_response({
            'parcels': [parcel_json(p) for p in records],
            'total': total,
            'page': page,
            'pages': max((total + limit - 1) // limit, 1),
            'limit': limit,
            })


@portal_route('/parcels/<int:parcel_id>', {'GET'})
def parcel(request, pool, portal, parcel_id):
    Event = pool.get('multipoint.parcel.event')
    Place = pool.get('multipoint.parcel.place')
    parcel = portal.parcel(parcel_id)
    events = Event.search([('parcel', '=', parcel.id)],
        order=[('date', 'ASC'), ('id', 'ASC')])
    result = parcel_json(parcel)
    place_states = selection_names(Place, 'state')
    result['places'] = [{
            'barcode': p.barcode,
            'state': p.state,
            'state_name': place_states.get(p.state),
            } for p in parcel.places]
    kinds = selection_names(Event, 'kind')
    states = selection_names(Event, 'to_state')
    result['events'] = [event_json(e, kinds, states) for e in events]
    return json_response(result)


# -- manifest imports ---------------------------------------------------

def account_json(account):
    return {
        'id': account.id,
        'name': account.name,
        'points': [{
                'id': p.point.id,
                'code': p.point.code,
                'name': p.point.name,
                'supplier_code': p.supplier_code,
                } for p in account.points],
        }


def row_error_json(error):
    return {
        'row': error.row,
        'order_number': error.order_number,
        'barcode': error.barcode,
        'message': error.message,
        }


def import_json(log, lines=True):
    states = selection_names(log, 'state')
    result = {
        'id': log.id,
        'account': {'id': log.account.id, 'name': log.account.name},
        'point': {'id': log.point.id, 'code': log.point.code,
            'name': log.point.name},
        'file_name': log.file_name,
        'state': log.state,
        'state_name': states.get(log.state),
        'created_at': log.create_date,
        'started': log.started,
        'finished': log.finished,
        'progress': getattr(log, 'progress', None),
        }
    for name in ['rows', 'fetched', 'created', 'updated', 'skipped',
            'failed']:
        result[name] = getattr(log, name) or 0
    if lines:
        result['lines'] = [{
                'level': l.level,
                'row': l.row,
                'order_number': l.order_number,
                'barcode': l.barcode,
                'message': l.message,
                } for l in log.lines[:MAX_ROW_ERRORS]]
    return result


def import_request(request, portal):
    "(account, point, data, file name) of an upload form, checked"
    account = portal.account(parse_int(request.form.get('account'), 0))
    point_id = parse_int(request.form.get('point'), 0)
    served = [p.point for p in account.points if p.point.id == point_id]
    if not served:
        raise NotFoundError(gettext(
                'multipoint_portal.msg_portal_point_unknown'))
    check_import(account, served[0])
    upload = request.files.get('file')
    data = upload.read() if upload else b''
    if not data:
        raise RequestError(gettext(
                'multipoint_portal.msg_portal_file_missing'))
    return account, served[0], data, os.path.basename(
        upload.filename or '') or None


@portal_route('/accounts', {'GET'})
def accounts(request, pool, portal):
    return json_response({'accounts': [
                account_json(a) for a in portal.accounts()]})


@portal_route('/imports/preview', {'POST'}, max_size=UPLOAD_SIZE)
def import_preview(request, pool, portal):
    "What the file would do, with its row errors; nothing is written"
    account, point, data, file_name = import_request(request, portal)
    manifest, plan = preview(account, point, data, file_name)
    errors = manifest.errors + (plan.errors if plan else [])
    warnings = plan.warnings if plan else []
    return json_response({
            'file_name': file_name,
            'valid': not errors,
            'format': manifest.encoding,
            'delimiter': manifest.delimiter,
            'columns': list(manifest.columns.values()),
            'rows': manifest.rows,
            'parcels': len(manifest.parcels),
            'created': plan.created if plan else 0,
            'updated': plan.updated if plan else 0,
            'skipped': plan.skipped if plan else 0,
            'errors_total': len(errors),
            'errors': [row_error_json(e) for e in errors[:MAX_ROW_ERRORS]],
            'warnings': [
                row_error_json(w) for w in warnings[:MAX_ROW_ERRORS]],
            })


@portal_route('/imports', {'POST'}, max_size=UPLOAD_SIZE)
def import_create(request, pool, portal):
    """Import the file: all its rows or none, now or, when large, by a
    worker; the page follows the import's state"""
    SyncLog = pool.get('multipoint.supplier.sync.log')
    account, point, data, file_name = import_request(request, portal)
    log = SyncLog.create_import(account, point, data, file_name)
    SyncLog.process([log])
    return json_response({'import': import_json(SyncLog(log.id))},
        status=HTTPStatus.CREATED)


@portal_route('/imports', {'GET'})
def imports(request, pool, portal):
    SyncLog = pool.get('multipoint.supplier.sync.log')
    logs = SyncLog.search([
            ('account.supplier', '=', portal.supplier.id),
            ('kind', '=', 'import'),
            ], limit=50)
    return json_response({'imports': [
                import_json(l, lines=False) for l in logs]})


@portal_route('/imports/<int:log_id>', {'GET'})
def import_get(request, pool, portal, log_id):
    return json_response(import_json(portal.import_log(log_id)))


@portal_route('/summary', {'GET'})
def summary(request, pool, portal):
    "The supplier's own parcels per state, in one grouped query"
    Parcel = pool.get('multipoint.parcel')
    parcel = Parcel.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*parcel.select(parcel.state, Count(parcel.id),
            where=parcel.supplier == portal.supplier.id,
            group_by=[parcel.state]))
    counts = dict(cursor)
    return json_response({'states': {s: counts.get(s, 0) for s, _ in STATES}})


# -- API keys -------------------------------------------------------------

def key_json(application):
    # the whole key is shown once, when it is created; Tryton has no
    # Russian names of its states, the page names them
    return {
        'id': application.id,
        'hint': f'{application.key[:4]}…{application.key[-4:]}',
        'state': application.state,
        'created_at': application.create_date,
        }


def supplier_keys(pool, portal, domain=()):
    UserApplication = pool.get('res.user.application')
    return UserApplication.search([
            ('application', '=', API_APPLICATION),
            ('multipoint_supplier', '=', portal.supplier.id),
            ] + list(domain), order=[('id', 'DESC')])


@portal_route('/keys', {'GET'})
def keys(request, pool, portal):
    return json_response({
            'keys': [key_json(k) for k in supplier_keys(pool, portal)],
            'api': f'/{pool.database_name}/multipoint/supplier-api/v1/',
            })


@portal_route('/keys', {'POST'})
def key_create(request, pool, portal):
    "A new key of the supplier API: its secret is answered this once"
    UserApplication = pool.get('res.user.application')
    secret = UserApplication.create_supplier_key(portal.supplier)
    application, = supplier_keys(pool, portal, [('key', '=', secret)])
    result = key_json(application)
    result['key'] = secret
    return json_response(result, status=HTTPStatus.CREATED)


@portal_route('/keys/<int:key_id>/revoke', {'POST'})
def key_revoke(request, pool, portal, key_id):
    UserApplication = pool.get('res.user.application')
    applications = supplier_keys(pool, portal, [('id', '=', key_id)])
    if not applications:
        raise NotFoundError(gettext(
                'multipoint_portal.msg_portal_key_unknown'))
    UserApplication.revoke(applications)
    return json_response(key_json(UserApplication(key_id)))


# -- settlements ----------------------------------------------------------

def settlement_json(settlement, states):
    result = {
        'id': settlement.id,
        'number': settlement.number,
        'period_start': settlement.period_start,
        'period_end': settlement.period_end,
        'date': settlement.date,
        # no point: every point of the period
        'point': ({'id': settlement.point.id, 'code': settlement.point.code,
                'name': settlement.point.name}
            if settlement.point else None),
        'state': settlement.state,
        'state_name': states.get(settlement.state),
        'parcel_count': settlement.parcel_count or 0,
        'sent_at': settlement.sent_at,
        'answered_at': settlement.answered_at,
        'dispute_comment': settlement.dispute_comment,
        'can_answer': settlement.state in {'sent', 'disputed'},
        'can_dispute': settlement.state == 'sent',
        }
    for name in SETTLEMENT_AMOUNTS:
        result[name] = getattr(settlement, name)
    return result


def settlement_model(pool):
    if not has_model(pool, 'multipoint.settlement'):
        raise NotFoundError(gettext(
                'multipoint_portal.msg_portal_unavailable'))
    return pool.get('multipoint.settlement')


@portal_route('/settlements', {'GET'})
def settlements(request, pool, portal):
    Settlement = settlement_model(pool)
    states = selection_names(Settlement, 'state')
    records = Settlement.search([
            ('supplier', '=', portal.supplier.id),
            ('state', 'in', SETTLEMENT_STATES),
            ], limit=100)
    return json_response({'settlements': [
                settlement_json(s, states) for s in records]})


@portal_route('/settlements/<int:settlement_id>', {'GET'})
def settlement_get(request, pool, portal, settlement_id):
    "A settlement, its fines and a page of its lines"
    Settlement = settlement_model(pool)
    Line = pool.get('multipoint.settlement.line')
    Fine = pool.get('multipoint.settlement.fine')
    settlement = portal.settlement(settlement_id)
    page = max(parse_int(request.args.get('page'), 1), 1)
    domain = [('settlement', '=', settlement.id)]
    total = Line.search_count(domain)
    lines = Line.search(domain, offset=(page - 1) * LINES_PAGE,
        limit=LINES_PAGE, order=[('date', 'ASC'), ('id', 'ASC')])
    statuses = selection_names(Line, 'status')
    fine_kinds = selection_names(Fine, 'kind')
    result = settlement_json(settlement, selection_names(Settlement, 'state'))
    result['fines'] = [{
            'kind': f.kind,
            'kind_name': fine_kinds.get(f.kind),
            'order_number': f.parcel.order_number if f.parcel else None,
            'amount': f.amount,
            'description': f.description,
            } for f in settlement.fines]
    result['lines'] = [dict({
                'order_number': l.order_number,
                'date': l.date,
                'point': l.point.code if l.point else None,
                'status': l.status,
                'status_name': statuses.get(l.status),
                }, **{n: getattr(l, n) for n in LINE_AMOUNTS})
        for l in lines]
    result['lines_total'] = total
    result['page'] = page
    result['pages'] = max((total + LINES_PAGE - 1) // LINES_PAGE, 1)
    return json_response(result)


@portal_route('/settlements/<int:settlement_id>/<any(xlsx, pdf):kind>',
    {'GET'})
def settlement_file(request, pool, portal, settlement_id, kind):
    "The agent's report as the network's accountants export it"
    settlement_model(pool)
    settlement = portal.settlement(settlement_id)
    Report = pool.get(f'multipoint.settlement.{kind}', type='report')
    extension, content, _, _ = Report.execute([settlement.id], {})
    content_type = {
        'xlsx': 'application/vnd.openxmlformats-officedocument'
        '.spreadsheetml.sheet',
        'pdf': 'application/pdf',
        }[kind]
    name = f'{settlement.number or settlement.id}.{extension}'
    return download_response(name, bytes(content), content_type)


@portal_route('/settlements/<int:settlement_id>/agree', {'POST'})
def settlement_agree(request, pool, portal, settlement_id):
    Settlement = settlement_model(pool)
    settlement = portal.settlement(settlement_id)
    if settlement.state not in {'sent', 'disputed'}:
        raise RequestError(gettext(
                'multipoint_portal.msg_portal_settlement_answered',
                settlement=settlement.rec_name))
    Settlement.agree([settlement])
    return json_response(settlement_json(Settlement(settlement.id),
            selection_names(Settlement, 'state')))


@portal_route('/settlements/<int:settlement_id>/dispute', {'POST'})
def settlement_dispute(request, pool, portal, settlement_id):
    "The supplier does not agree: its comment says why"
    Settlement = settlement_model(pool)
    settlement = portal.settlement(settlement_id)
    comment = request_json(request).get('comment')
    if settlement.state != 'sent':
        raise RequestError(gettext(
                'multipoint_portal.msg_portal_settlement_answered',
                settlement=settlement.rec_name))
    if not isinstance(comment, str):
        comment = ''
    Settlement.write([settlement], {'dispute_comment': comment.strip()})
    # refuses an empty comment, in Russian
    Settlement.dispute([settlement])
    return json_response(settlement_json(Settlement(settlement.id),
            selection_names(Settlement, 'state')))
