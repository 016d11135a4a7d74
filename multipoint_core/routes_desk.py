"""Operator JSON API, the desk: /<database>/multipoint/api/v1/...

The session check, the lookup of a scanned code, the receptions, the
placement in cells, the issue to the recipient and the returns to the
suppliers. Requests are authenticated by the Tryton session (the cookie set
by /<database>/session/login, or an "Authorization: Session ..." header)
and run as that user with access rights and record rules enforced, so an
operator reaches only the points they are assigned to. Every request is
checked against openapi.yaml (at the top of the repository) first and every
error is JSON, {"error": {"code": "...", "message": "..."}} with the message
in the user's language (Russian by default): api.py is that toolkit, shared
by the three APIs, and api_desk.py the desk's request reading and JSON
shapes; this file keeps the routes.
"""
import base64
import logging
from http import HTTPStatus

from trytond.i18n import gettext
from trytond.protocols.wrappers import Response
from trytond.transaction import Transaction
from trytond.wsgi import app

from .api import OPERATOR_PREFIX as PREFIX
from .api import json_response, operator_api, request_json
from .api_desk import (
    MAX_PHOTO_SIZE, MAX_PHOTOS, cell_json, code_failure_response,
    current_point, decode_photos, issue_items, issue_parcels_json, lock_now,
    parcel_json, reception_json, return_batch_json, scan_json,
    visible_record)
from .exceptions import (
    BarcodeEmptyError, BarcodeError, NotFoundError, RequestError)
from .parcel_json import lookup_json, parcels_json
from .parcel_marking import marking_codes_of

logger = logging.getLogger(__name__)


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
    parcels = lookup_json(code)
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


@app.route(PREFIX + '/issue', methods={'POST'})
@operator_api
def issue(request, pool):
    """Issue parcels: each with its code, or an ID check / power of attorney
    where the supplier allows it; refused items for partial buyout; the
    codes scanned from marked items ({line id: code})."""
    Parcel = pool.get('multipoint.parcel')
    Line = pool.get('multipoint.parcel.line')
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
    # the items' codes scanned at the desk, kept only if the issue is done
    Line.scan_marking_codes(marking_codes_of(pool, data, parcels))
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


@app.route(PREFIX + '/parcels/<int:parcel_id>/photos', methods={'POST'})
@operator_api
def parcel_photos(request, pool, parcel_id):
    """Photos of a parcel taken at the desk ({"photos": [{name, data:
    base64}], "note"}): kept on the parcel as evidence"""
    Parcel = pool.get('multipoint.parcel')
    data = request_json(request)
    parcel = visible_record(pool, 'multipoint.parcel', parcel_id,
        'multipoint_core.msg_api_parcel_unknown', parcel=parcel_id)
    photos = decode_photos(data.get('photos', []))
    note = data.get('note')
    if not photos or not isinstance(note, (str, type(None))):
        raise RequestError(gettext('multipoint_core.msg_api_photos_needed',
                count=MAX_PHOTOS, size=MAX_PHOTO_SIZE // (1024 * 1024)))
    attachments = Parcel.attach_desk_photos(parcel, photos, note)
    return json_response({'photos': [
                {'id': a.id, 'name': a.name} for a in attachments]},
        status=HTTPStatus.CREATED)


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
