"""Operator JSON API, core part: /<database>/multipoint/api/v1/...

Requests are authenticated by the Tryton session (the cookie set by
/<database>/session/login, or an "Authorization: Session ..." header) and
run as that user with access rights and record rules enforced, so an
operator reaches only the points they are assigned to. Every request is
checked against openapi.yaml (at the top of the repository) first and every
error is JSON, {"error": {"code": "...", "message": "..."}} with the message
in the user's language (Russian by default): api.py is that toolkit, shared
by the three APIs; this file keeps the routes and their JSON.
"""
import base64
import datetime as dt
import logging
from http import HTTPStatus

from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.protocols.wrappers import Response
from trytond.transaction import Transaction
from trytond.wsgi import app

# the API toolkit, imported from here by the other modules' routes too
from .api import (  # noqa: F401
    error_code, error_response, json_response, operator_api, request_json)
from .parcel_json import parcels_json
from .exceptions import (
    BarcodeEmptyError, BarcodeError, NotFoundError, RequestError)

PREFIX = '/<database_name>/multipoint/api/v1'
logger = logging.getLogger(__name__)


def mask_phone(phone):
    "Operators only need the last digits to confirm a recipient"
    return f'***{phone[-4:]}' if phone else None


def parcel_json(parcel):
    "The JSON of one parcel the user may read (parcel_json.parcels_json)"
    return parcels_json([parcel])[0]


def cell_json(cell):
    return {
        'id': cell.id,
        'barcode': cell.barcode,
        'name': cell.rec_name,
        'point': cell.multipoint_point.id if cell.multipoint_point else None,
        'size_class': cell.size_class,
        'capacity': cell.capacity,
        }


def reception_json(reception, scans=20):
    # only the last scans: reading reception.scans would load every scan of
    # the reception after each scan
    Scan = Pool().get('multipoint.reception.scan')
    last = Scan.search([('reception', '=', reception.id)],
        order=[('id', 'DESC')], limit=scans) if scans else []
    return {
        'id': reception.id,
        'number': reception.number,
        'point': reception.point.id,
        'state': reception.state,
        'courier_name': reception.courier_name,
        'vehicle': reception.vehicle,
        'manifest': reception.manifest,
        'suppliers': [s.id for s in reception.suppliers],
        'expected': reception.expected_count,
        'scanned': reception.scanned_count,
        'surplus': reception.surplus_count,
        'damaged': reception.damaged_count,
        'progress': reception.progress,
        'last_scans': [scan_json(s) for s in last],
        }


def scan_json(scan):
    return {
        'id': scan.id,
        'barcode': scan.barcode,
        'result': scan.result,
        'result_name': scan.result_string,
        'detail': scan.detail,
        'damaged': scan.damaged,
        'client_id': scan.client_id,
        'parcel': scan.parcel.id if scan.parcel else None,
        }


def lock_now(Model, ids):
    """Lock rows of Model as a restarted transaction would: Model.lock()
    of rows not locked at the start restarts the whole request (Tryton
    8.0), so a route that knows which rows it will lock takes them first.
    On PostgreSQL a row changed since the snapshot still fails the lock
    and the request is retried."""
    transaction = Transaction()
    table = Model._table
    ids = set(map(int, ids)) - transaction._locked_records[table]
    if ids and table not in transaction._locked_tables:
        transaction.database.lock_records(
            transaction.connection, table, sorted(ids))
        transaction._locked_records[table].update(ids)


def visible_record(pool, model, record_id, message, **variables):
    """The record of model with record_id when the user may see it (the
    record rules apply to the search), else a 404 with message"""
    Model = pool.get(model)
    records = Model.search([('id', '=', record_id)])
    if not records:
        raise NotFoundError(gettext(message, **variables))
    return records[0]


def get_reception(pool, reception_id):
    return visible_record(pool, 'multipoint.reception', reception_id,
        'multipoint_core.msg_api_reception_unknown', reception=reception_id)


@app.route(PREFIX + '/session', methods={'GET'})
@operator_api
def session(request, pool):
    "Whether the session is still valid: its user, nothing read"
    return json_response({'user': Transaction().user})


@app.route(PREFIX + '/lookup', methods={'GET'})
@operator_api
def lookup(request, pool):
    "A scanned code: a parcel place barcode or a cell barcode"
    Location = pool.get('stock.location')
    code = (request.args.get('code') or '').strip()
    if not code:
        raise BarcodeEmptyError(gettext('multipoint_core.msg_barcode_empty'))
    parcels = parcels_json(domain=[('places.barcode', '=', code)], limit=10)
    if parcels:
        return json_response({'type': 'parcel', 'parcels': parcels})
    cells = Location.search([
            ('barcode', '=', code),
            ('storage_kind', '=', 'cell'),
            ], limit=10)
    if cells:
        counts = Location.parcel_counts(cells)
        return json_response({
                'type': 'cell',
                'cells': [dict(cell_json(c), parcels=counts[c.id])
                    for c in cells],
                })
    raise BarcodeError(gettext(
            'multipoint_core.msg_barcode_unknown', barcode=code))


@app.route(PREFIX + '/receptions', methods={'POST'})
@operator_api
def reception_open(request, pool):
    Reception = pool.get('multipoint.reception')
    data = request_json(request)
    if not data.get('point'):
        raise RequestError(gettext('multipoint_core.msg_api_point_needed'))
    Point = pool.get('multipoint.point')
    points = Point.search([('id', '=', data['point'])])
    if not points:
        raise RequestError(gettext('multipoint_core.msg_api_point_needed'))
    reception, = Reception.create([{
                'point': points[0].id,
                'company': points[0].company.id,
                'courier_name': data.get('courier_name'),
                'vehicle': data.get('vehicle'),
                'manifest': data.get('manifest'),
                'suppliers': [('add', data.get('suppliers') or [])],
                }])
    return json_response(reception_json(reception), HTTPStatus.CREATED)


@app.route(PREFIX + '/receptions/<int:reception_id>', methods={'GET'})
@operator_api
def reception_get(request, pool, reception_id):
    return json_response(reception_json(get_reception(pool, reception_id)))


@app.route(PREFIX + '/receptions/<int:reception_id>/scans', methods={'POST'})
@operator_api
def reception_scan(request, pool, reception_id):
    reception = get_reception(pool, reception_id)
    data = request_json(request)
    photo = data.get('photo')
    if photo:
        try:
            photo = base64.b64decode(photo, validate=True)
        except ValueError:
            raise RequestError(gettext(
                    'multipoint_core.msg_api_bad_photo'))
    scan = reception.scan(
        data.get('barcode'), damaged=data.get('damaged', False),
        note=data.get('note'), photo=photo,
        photo_name=data.get('photo_name'), client_id=data.get('client_id'))
    return json_response({
            'scan': scan_json(scan),
            'reception': reception_json(reception, scans=0),
            })


@app.route(PREFIX + '/receptions/<int:reception_id>/close', methods={'POST'})
@operator_api
def reception_close(request, pool, reception_id):
    Reception = pool.get('multipoint.reception')
    reception = get_reception(pool, reception_id)
    reception.check_open()
    Reception.close([reception])
    return json_response(reception_json(Reception(reception.id)))


@app.route(PREFIX + '/receptions/<int:reception_id>/cancel', methods={'POST'})
@operator_api
def reception_cancel(request, pool, reception_id):
    """Cancel a reception that received no place (a courier who did not
    come, a reception opened by mistake); one with received places is
    closed instead"""
    Reception = pool.get('multipoint.reception')
    reception = get_reception(pool, reception_id)
    reception.check_open()
    Reception.cancel([reception])
    return json_response(reception_json(Reception(reception.id)))


@app.route(PREFIX + '/receptions/<int:reception_id>/act', methods={'GET'})
@operator_api
def reception_act(request, pool, reception_id):
    AcceptanceAct = pool.get('multipoint.reception.act', type='report')
    reception = get_reception(pool, reception_id)
    ext, content, _, name = AcceptanceAct.execute([reception.id], {})
    return Response(content, content_type='application/pdf', headers={
            'Content-Disposition': f'inline; filename="{reception.number}.pdf"'
            })


@app.route(PREFIX + '/placements', methods={'POST'})
@operator_api
def placement(request, pool):
    "Scan the parcel, then the cell: the parcel is stored (or moved) there"
    from .placement import find_cell, place_parcel
    Parcel = pool.get('multipoint.parcel')
    data = request_json(request)
    parcel = Parcel.find_by_barcode(data.get('parcel'))
    cell = find_cell(parcel.point, data.get('cell'))
    lock_now(pool.get('stock.location'), [cell])
    place_parcel(parcel, cell)
    return json_response(parcel_json(Parcel(parcel.id)))


@app.route(PREFIX + '/placements/suggestion', methods={'GET'})
@operator_api
def placement_suggestion(request, pool):
    from .placement import suggest_cell
    Parcel = pool.get('multipoint.parcel')
    parcel = Parcel.find_by_barcode(request.args.get('parcel'))
    cell = suggest_cell(parcel)
    return json_response({
            'parcel': parcel_json(parcel),
            'cell': cell_json(cell) if cell else None,
            })


def current_point(pool, data):
    """The point the operator works at now: given in the request, else the
    one chosen in their preferences, else their only one"""
    Point = pool.get('multipoint.point')
    domain = [('state', '=', 'active')]
    wanted = data.get('point') or Transaction().context.get(
        'multipoint_point')
    if wanted:
        domain.append(('id', '=', wanted))
    points = Point.search(domain, limit=2)
    if len(points) != 1:
        raise RequestError(gettext('multipoint_core.msg_api_point_needed'))
    return points[0]


def issue_parcels_json(parcels, terms):
    "The parcels as the issue screen needs them: items and supplier rules"
    Line = Pool().get('multipoint.parcel.line')
    lines = {}
    for line in Line.search([('parcel', 'in', [p.id for p in parcels])],
            order=[('id', 'ASC')]):
        lines.setdefault(line.parcel.id, []).append(line)
    shown = {p['id']: p for p in parcels_json(parcels)}
    now = dt.datetime.utcnow()
    result = []
    for parcel in parcels:
        term = terms.get((parcel.supplier.id, parcel.point.id))
        result.append(dict(shown[parcel.id],
            lines=[{'id': l.id, 'name': l.name, 'quantity': l.quantity,
                    'unit_price': str(l.unit_price), 'vat_rate': l.vat_rate,
                    'refusable': bool(l.refusable)}
                for l in lines.get(parcel.id, [])],
            code_locked=bool(parcel.code_locked_until
                and parcel.code_locked_until > now),
            rules={
                'id_check_required': bool(term and term.id_check_required),
                'id_check_replaces_code': bool(
                    term and term.id_check_replaces_code),
                'signature_required': bool(
                    term and term.signature_required),
                'partial_buyout': bool(term and term.partial_buyout),
                }))
    return result


@app.route(PREFIX + '/issue/search', methods={'POST'})
@operator_api
def issue_search(request, pool):
    """Find the recipient's parcels; the search starts the service time of
    the parcels found"""
    from .search import find_for_issue
    Event = pool.get('multipoint.parcel.event')
    Terms = pool.get('multipoint.supplier.terms')
    data = request_json(request)
    point = current_point(pool, data)
    matched, group = find_for_issue(data.get('query'), point)
    if group:
        Event.log(group, 'search', detail=(data.get('query') or '')[:50])
    terms = Terms.for_parcels(
        (p.supplier.id, p.point.id) for p in matched + group)
    return json_response({
            'matched': [p.id for p in matched],
            'parcels': issue_parcels_json(group or matched, terms),
            })


def issue_items(pool, data):
    """The parcels of an issue request (/issue, /issue/quote, /issue/pay),
    read after its schema: (parcels to issue, verifications, codes, refused
    lines, parcels refused whole with their reason)"""
    Parcel = pool.get('multipoint.parcel')
    wanted = data.get('parcels') or []
    ids = {w['id'] for w in wanted}
    parcels = Parcel.search([('id', 'in', list(ids))])
    by_id = {p.id: p for p in parcels}
    if not wanted or len(by_id) != len(ids):
        raise NotFoundError(gettext('multipoint_core.msg_issue_nothing'))
    verifications, codes, refused, refused_whole = {}, {}, {}, {}
    to_issue = []
    for item in wanted:
        parcel = by_id[item['id']]
        if item.get('refuse'):
            refused_whole[parcel] = item['refuse']
            continue
        to_issue.append(parcel)
        for method in ['code', 'id_check', 'proxy']:
            if item.get(method):
                verifications[parcel] = (method, item[method])
                break
        if item.get('code'):
            codes[parcel] = item['code']
        lines = {l.id: l for l in parcel.lines}
        for refusal in item.get('refused') or []:
            line = lines.get(refusal.get('line'))
            if not line:
                raise RequestError(gettext(
                        'multipoint_core.msg_api_bad_json'))
            refused[line] = refusal.get('quantity') or 0
    return to_issue, verifications, codes, refused, refused_whole


def code_failure_response(pool, failures):
    """The 422 of wrong codes ({parcel: message} of check_codes), with the
    tries each parcel has left before its code is locked (0: locked)"""
    config = pool.get('multipoint.configuration').get_config()
    now = dt.datetime.utcnow()
    tries = {str(p.id): 0 if (p.code_locked_until
            and p.code_locked_until > now)
        else max((config.code_max_attempts or 0) - (p.code_attempts or 0), 0)
        for p in failures}
    return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, 'code_wrong',
        ' '.join(failures.values()), details={'tries_left': tries})


@app.route(PREFIX + '/issue', methods={'POST'})
@operator_api
def issue(request, pool):
    """Issue parcels: each with its code, or an ID check / power of attorney
    where the supplier allows it; refused items for partial buyout."""
    Parcel = pool.get('multipoint.parcel')
    data = request_json(request)
    point = current_point(pool, data)
    parcels, verifications, codes, refused, refused_whole = issue_items(
        pool, data)
    if refused_whole:
        # a whole parcel is refused through /issue/refuse or /issue/pay
        raise RequestError(gettext('multipoint_core.msg_api_bad_json'))
    lock_now(Parcel, parcels)
    failures = Parcel.check_codes(codes)
    if failures:
        # the wrong attempts are kept: they count towards the lock
        return code_failure_response(pool, failures)
    Parcel.issue_to_recipient(parcels, point, verifications,
        refused=refused, signature=bool(data.get('signature')))
    return json_response({'issued': parcels_json(parcels)})


@app.route(PREFIX + '/issue/refuse', methods={'POST'})
@operator_api
def issue_refuse(request, pool):
    "The recipient refuses whole parcels at the desk: they go back"
    Parcel = pool.get('multipoint.parcel')
    data = request_json(request)
    point = current_point(pool, data)
    ids = data.get('parcels') or []
    parcels = Parcel.search([('id', 'in', ids), ('point', '=', point.id)])
    if not ids or len(parcels) != len(set(ids)):
        raise NotFoundError(gettext('multipoint_core.msg_issue_nothing'))
    Parcel.refuse_at_desk(parcels, data.get('reason'))
    return json_response({'refused': parcels_json(parcels)})


def return_batch_json(batch):
    return {
        'id': batch.id,
        'number': batch.number,
        'point': batch.point.id,
        'supplier': {'id': batch.supplier.id,
            'name': batch.supplier.rec_name},
        'courier_name': batch.courier_name,
        'state': batch.state,
        'parcels': [parcel_json(p) for p in batch.parcels],
        'customer_returns': [r.parcel.order_number
            for r in batch.customer_returns],
        }


def get_return_batch(pool, batch_id):
    return visible_record(pool, 'multipoint.return.batch', batch_id,
        'multipoint_core.msg_api_return_batch_unknown', batch=batch_id)


@app.route(PREFIX + '/returns/pending', methods={'GET'})
@operator_api
def returns_pending(request, pool):
    "What waits at the point to go back, per supplier"
    Parcel = pool.get('multipoint.parcel')
    point = current_point(pool, {'point': request.args.get('point', type=int)})
    parcels = Parcel.search([
            ('point', '=', point.id),
            ('return_batch', '=', None),
            ['OR', ('state', '=', 'to_return'),
                [('state', '=', 'partially_issued'),
                    ('lines.refused_quantity', '>', 0)]],
            ], order=[('supplier', 'ASC'), ('id', 'ASC')])
    suppliers = {}
    for parcel in parcels:
        entry = suppliers.setdefault(parcel.supplier.id, {
                'supplier': {'id': parcel.supplier.id,
                    'name': parcel.supplier.rec_name},
                'parcels': []})
        entry['parcels'].append(parcel_json(parcel))
    return json_response({'suppliers': list(suppliers.values())})


@app.route(PREFIX + '/returns', methods={'POST'})
@operator_api
def return_open(request, pool):
    Batch = pool.get('multipoint.return.batch')
    data = request_json(request)
    point = current_point(pool, data)
    if not data.get('supplier'):
        raise RequestError(gettext('multipoint_core.msg_api_bad_json'))
    batch, = Batch.create([{
                'point': point.id,
                'company': point.company.id,
                'supplier': data['supplier'],
                'courier_name': data.get('courier_name'),
                }])
    return json_response(return_batch_json(batch), HTTPStatus.CREATED)


@app.route(PREFIX + '/returns/<int:batch_id>', methods={'GET'})
@operator_api
def return_get(request, pool, batch_id):
    return json_response(return_batch_json(get_return_batch(pool, batch_id)))


@app.route(PREFIX + '/returns/<int:batch_id>/scans', methods={'POST'})
@operator_api
def return_scan(request, pool, batch_id):
    batch = get_return_batch(pool, batch_id)
    data = request_json(request)
    if not (data.get('barcode') or '').strip():
        raise BarcodeEmptyError(gettext('multipoint_core.msg_barcode_empty'))
    parcel = batch.add(data['barcode'])
    return json_response({'parcel': parcel_json(parcel),
            'batch': return_batch_json(batch)})


@app.route(PREFIX + '/returns/<int:batch_id>/hand_over', methods={'POST'})
@operator_api
def return_hand_over(request, pool, batch_id):
    Batch = pool.get('multipoint.return.batch')
    batch = get_return_batch(pool, batch_id)
    Batch.hand_over([batch])
    return json_response(return_batch_json(Batch(batch.id)))


@app.route(PREFIX + '/returns/<int:batch_id>/act', methods={'GET'})
@operator_api
def return_act(request, pool, batch_id):
    ReturnAct = pool.get('multipoint.return.act', type='report')
    batch = get_return_batch(pool, batch_id)
    ext, content, _, name = ReturnAct.execute([batch.id], {})
    return Response(content, content_type='application/pdf', headers={
            'Content-Disposition': f'inline; filename="{batch.number}.pdf"'
            })
