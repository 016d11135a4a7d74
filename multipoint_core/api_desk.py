"""The operator desk's part of the API toolkit (api.py): what the route
files of the operator API (routes_desk.py, routes_inventory.py and the
other modules' routes_*.py) share besides the routes themselves:

- reading a desk request: the point the operator works at, the parcels of
  an issue, the records the user may see, the rows to lock first;
- the JSON shapes of the desk's records (parcels, cells, receptions and
  their scans, return batches, inventories), as openapi.yaml documents
  them;
- the answer of wrong issue codes.
"""
import base64
import binascii
import datetime as dt
from http import HTTPStatus

from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.transaction import Transaction

from .api import error_response
from .exceptions import NotFoundError, RequestError
from .parcel_json import parcels_json


# -- reading a desk request -----------------------------------------------

# photos sent with one request of the desk, each a picture, not a video
MAX_PHOTOS = 10
MAX_PHOTO_SIZE = 10 * 1024 * 1024


def decode_photos(photos):
    "[(name, bytes)] from the request's [{name, data: base64}]"
    def too_many_or_large():
        return RequestError(gettext('multipoint_core.msg_api_photos_needed',
                count=MAX_PHOTOS, size=MAX_PHOTO_SIZE // (1024 * 1024)))
    if not isinstance(photos, list):
        raise RequestError(gettext('multipoint_core.msg_api_bad_photo'))
    if len(photos) > MAX_PHOTOS:
        raise too_many_or_large()
    result = []
    for i, photo in enumerate(photos, 1):
        if not isinstance(photo, dict) or not isinstance(
                photo.get('data'), str):
            raise RequestError(gettext('multipoint_core.msg_api_bad_photo'))
        try:
            data = base64.b64decode(photo['data'], validate=True)
        except (ValueError, binascii.Error):
            raise RequestError(gettext('multipoint_core.msg_api_bad_photo'))
        if not data or len(data) > MAX_PHOTO_SIZE:
            raise too_many_or_large()
        name = str(photo.get('name') or '').strip() or f'photo-{i}.jpg'
        result.append((name[:100], data))
    return result


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


def visible_record(pool, model, record_id, message, **variables):
    """The record of model with record_id when the user may see it (the
    record rules apply to the search), else a 404 with message"""
    Model = pool.get(model)
    records = Model.search([('id', '=', record_id)])
    if not records:
        raise NotFoundError(gettext(message, **variables))
    return records[0]


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


# -- answers --------------------------------------------------------------

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


# -- the JSON of the desk's records ---------------------------------------

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
                    'refusable': bool(l.refusable),
                    'marked': bool(l.marked),
                    'marking_scanned': bool(l.marking_code)}
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


def inventory_json(inventory, lines=True):
    result = {
        'id': inventory.id,
        'number': inventory.number,
        'point': inventory.point.id,
        'state': inventory.state,
        'state_name': inventory.state_string,
        'cells': [c.barcode for c in inventory.cells],
        'current_cell': (cell_json(inventory.current_cell)
            if inventory.current_cell else None),
        'started_at': inventory.started_at,
        'finished_at': inventory.finished_at,
        'counts': {
            'expected': inventory.expected_count,
            'scanned': inventory.scanned_count,
            'ok': inventory.ok_count,
            'misplaced': inventory.misplaced_count,
            'unexpected': inventory.unexpected_count,
            'duplicate': inventory.duplicate_count,
            'missing': inventory.missing_count,
            'unresolved': inventory.open_count,
            },
        }
    if lines:
        result['lines'] = [line_json(l) for l in inventory.lines]
    return result


def inventory_scan_json(scan):
    return {
        'id': scan.id,
        'barcode': scan.barcode,
        'cell': scan.cell.barcode if scan.cell else None,
        'result': scan.result,
        'result_name': scan.result_string,
        'parcel': scan.parcel.id if scan.parcel else None,
        'recorded_cell': (scan.recorded_cell.barcode
            if scan.recorded_cell else None),
        'detail': scan.detail,
        'client_id': scan.client_id,
        }


def line_json(line):
    parcel = line.parcel
    return {
        'id': line.id,
        'kind': line.kind,
        'kind_name': line.kind_string,
        'parcel': {
            'id': parcel.id,
            'order_number': parcel.order_number,
            'state': parcel.state,
            'cell': parcel.cell.barcode if parcel.cell else None,
            } if parcel else None,
        'barcode': line.barcode,
        'cell': line.cell.barcode if line.cell else None,
        'recorded_cell': (line.recorded_cell.barcode
            if line.recorded_cell else None),
        'detail': line.detail,
        'state': line.state,
        'resolution': line.resolution,
        'resolution_name': line.resolution_string or None,
        'reason': line.reason,
        'resolved_at': line.resolved_at,
        }
