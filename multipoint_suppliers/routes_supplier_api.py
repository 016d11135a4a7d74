"""Supplier JSON API, the routes: /<database>/multipoint/supplier-api/v1/...

POST /parcels                          create or update one parcel or a batch
GET  /parcels                          the supplier's parcels, a page
GET  /parcels/<order number>           one parcel with its events
POST /parcels/<order number>/cancel    cancel an expected parcel

The key's authentication, the reading of the parcels sent and the JSON of
the answers are in api_supplier.py; see openapi.yaml (tag "supplier API").
"""
import base64
import binascii
import datetime as dt

from trytond.i18n import gettext
from trytond.modules.multipoint_core.api import item_errors, json_response
from trytond.modules.multipoint_core.parcel import STATES
from trytond.wsgi import app

from .api_supplier import (
    PREFIX, ApiUpsert, BadRequest, InvalidParcels, ItemReader, StateRefused,
    find_parcel, parcel_detail_json, parcel_json, request_parcels,
    supplier_api, supplier_message, timestamp, touched_ids)

DEFAULT_LIMIT, MAX_LIMIT = 100, 500


@app.route(PREFIX + '/parcels', methods={'POST'})
@supplier_api
def parcels_post(request, pool, scope):
    """Create or update one parcel or a batch by order number: all of them
    or, with any error, none"""
    Parcel = pool.get('multipoint.parcel')
    readers = [ItemReader(i, raw)
        for i, raw in enumerate(request_parcels(request))]
    items = []
    for reader in readers:
        # each parcel against its schema in openapi.yaml first (its errors
        # answered with the others', parcel by parcel), then its own checks
        messages = item_errors('SupplierParcelIn', reader.raw) \
            if isinstance(reader.raw, dict) else []
        reader.errors.extend(gettext('multipoint_core.msg_api_item_error',
                order=reader.label, message=m) for m in messages)
        items.append((reader, None if messages else reader.read()))
    # what the database cannot tell: the same order or box twice here
    seen_orders, seen_barcodes = set(), set()
    for reader, data in items:
        if reader.order_number and reader.order_number in seen_orders:
            reader.fail('msg_api_order_twice', 'order_number')
        seen_orders.add(reader.order_number)
        barcodes = [p.barcode for p in data.places] if data else []
        for barcode in barcodes:
            if barcode in seen_barcodes or barcodes.count(barcode) > 1:
                reader.fail('msg_api_barcode_twice', 'places.barcode',
                    barcode=barcode)
                break
        seen_barcodes.update(barcodes)
    existing = {p.order_number: p for p in Parcel.search([
                ('supplier', '=', scope.supplier),
                ('order_number', 'in', [
                        d.order_number for r, d in items
                        if d and not r.point_code]),
                ])}
    groups = {}
    for reader, data in items:
        if data is None or reader.errors:
            continue
        target = _target(scope, reader, data, existing)
        if target:
            groups.setdefault(target, []).append(data)
    plans = []
    for (account, point), parcels in groups.items():
        upsert = ApiUpsert(account, point)
        plans.append((upsert, upsert.plan(parcels)))
    by_order = {r.order_number: r for r in readers if r.order_number}
    warnings = {}
    for _, plan in plans:
        for error in plan.errors:
            by_order[error.order_number].errors.append(error.message)
        for warning in plan.warnings:
            warnings.setdefault(warning.order_number, []).append(
                warning.message)
    details = [{
            'index': r.index,
            'order_number': r.order_number,
            'message': message,
            } for r in readers for message in r.errors]
    if details:
        raise InvalidParcels(supplier_message('msg_api_invalid',
                count=len({d['index'] for d in details})), details=details)
    created, touched = set(), set()
    for upsert, plan in plans:
        upsert.apply(plan)
        created.update(v['order_number'] for v in plan.to_create)
        touched |= touched_ids(plan)
    parcels = {p.order_number: p for p in Parcel.search([
                ('supplier', '=', scope.supplier),
                ('order_number', 'in', list(by_order)),
                ])}
    answers = []
    for reader in readers:
        parcel = parcels.get(reader.order_number)
        if reader.order_number in created:
            result = 'created'
        elif parcel and parcel.id in touched:
            result = 'updated'
        else:
            result = 'unchanged'
        answer = {'order_number': reader.order_number, 'result': result}
        if parcel:
            answer.update(parcel_json(parcel, scope))
        answer['warnings'] = warnings.get(reader.order_number, [])
        answers.append(answer)
    return json_response({'parcels': answers})


def _target(scope, reader, data, existing):
    """(account, point) whose upsert takes data: the point of the code
    given, else the parcel's own; None with an error of the reader"""
    if reader.point_code:
        found = scope.by_code(reader.point_code)
        if not found:
            reader.fail(
                'msg_api_point_ambiguous' if found is None
                else 'msg_api_point_unknown', 'point',
                code=reader.point_code)
            return None
        return found
    parcel = existing.get(data.order_number)
    if parcel is None:
        reader.fail('msg_row_point_missing', 'point')
        return None
    account = scope.account_for(parcel)
    if account is None:
        reader.fail('msg_api_no_account', 'point')
        return None
    return account, parcel.point


@app.route(PREFIX + '/parcels', methods={'GET'})
@supplier_api
def parcels_list(request, pool, scope):
    """The supplier's parcels by id, a page after the cursor; filtered by
    states and by a change since a moment"""
    Parcel = pool.get('multipoint.parcel')
    args = request.args
    now = dt.datetime.utcnow()
    domain = [
        ('supplier', '=', scope.supplier),
        ('id', '>', _cursor(args.get('cursor'))),
        ]
    if args.get('state'):
        states = [s.strip() for s in args['state'].split(',')]
        if not set(states) <= {s for s, _ in STATES}:
            raise _bad_param('state', args['state'])
        domain.append(('state', 'in', states))
    if args.get('since'):
        since = _moment(args['since'])
        domain.append(['OR',
                ('write_date', '>=', since),
                ('create_date', '>=', since),
                ])
    limit = _limit(args.get('limit'))
    parcels = Parcel.search(domain, order=[('id', 'ASC')], limit=limit + 1)
    more = len(parcels) > limit
    parcels = parcels[:limit]
    return json_response({
            'parcels': [parcel_json(p, scope) for p in parcels],
            'next_cursor': _encode_cursor(parcels[-1].id) if more else None,
            'server_time': timestamp(now),
            })


@app.route(PREFIX + '/parcels/<path:order_number>', methods={'GET'})
@supplier_api
def parcel_get(request, pool, scope, order_number):
    return json_response(parcel_detail_json(
            find_parcel(pool, scope, order_number), scope))


@app.route(PREFIX + '/parcels/<path:order_number>/cancel', methods={'POST'})
@supplier_api
def parcel_cancel(request, pool, scope, order_number):
    "Cancel an expected parcel; cancelling it again changes nothing"
    Parcel = pool.get('multipoint.parcel')
    parcel = find_parcel(pool, scope, order_number)
    if parcel.state not in {'expected', 'cancelled'}:
        raise StateRefused(supplier_message('msg_api_cancel_refused',
                order=parcel.order_number, state=parcel.state_string))
    if parcel.state == 'expected':
        Parcel.cancel([parcel])
    return json_response(parcel_detail_json(Parcel(parcel.id), scope))


def _bad_param(name, value):
    return BadRequest(supplier_message('msg_api_bad_param', name=name,
            value=value))


def _encode_cursor(last_id):
    return base64.urlsafe_b64encode(f'id:{last_id}'.encode()).decode()


def _cursor(value):
    "The last id of the previous page (0: from the start)"
    if not value:
        return 0
    try:
        kind, last = base64.urlsafe_b64decode(
            value.encode()).decode().split(':')
        if kind != 'id':
            raise ValueError(kind)
        return int(last)
    except (binascii.Error, UnicodeError, ValueError):
        raise _bad_param('cursor', value)


def _moment(value):
    "An ISO 8601 date or date and time (UTC when without offset)"
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise _bad_param('since', value)
    if moment.tzinfo:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment


def _limit(value):
    if value is None or value == '':
        return DEFAULT_LIMIT
    try:
        limit = int(value)
    except ValueError:
        raise _bad_param('limit', value)
    if not 1 <= limit <= MAX_LIMIT:
        raise _bad_param('limit', value)
    return limit
