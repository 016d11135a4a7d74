"""Operator JSON API: inventory counts (see routes.py for authentication
and errors, openapi.yaml for the paths)"""
from http import HTTPStatus

from trytond.i18n import gettext
from trytond.wsgi import app

from .exceptions import CellError, NotFoundError, RequestError
from .routes import (
    PREFIX, cell_json, current_point, json_response, operator_api,
    request_json, visible_record)


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


def get_inventory(pool, inventory_id):
    return visible_record(pool, 'multipoint.inventory', inventory_id,
        'multipoint_core.msg_inventory_api_unknown', inventory=inventory_id)


@app.route(PREFIX + '/inventories', methods={'POST'})
@operator_api
def inventory_open(request, pool):
    "Open an inventory of the point (or of some of its cells) and start it"
    Inventory = pool.get('multipoint.inventory')
    Location = pool.get('stock.location')
    data = request_json(request)
    point = current_point(pool, data)
    barcodes = data.get('cells') or []
    if not isinstance(barcodes, list) or not all(
            isinstance(b, str) for b in barcodes):
        raise RequestError(gettext('multipoint_core.msg_api_bad_json'))
    barcodes = {b.strip() for b in barcodes}
    cells = Location.search([
            ('multipoint_point', '=', point.id),
            ('storage_kind', '=', 'cell'),
            ('barcode', 'in', list(barcodes)),
            ]) if barcodes else []
    unknown = barcodes - {c.barcode for c in cells}
    if unknown:
        raise CellError(gettext(
                'multipoint_core.msg_inventory_cell_unknown',
                barcode=', '.join(sorted(unknown)), point=point.rec_name))
    inventory, = Inventory.create([{
                'point': point.id,
                'company': point.company.id,
                'cells': [('add', [c.id for c in cells])],
                'note': data.get('note'),
                }])
    Inventory.start([inventory])
    return json_response(
        inventory_json(Inventory(inventory.id)), HTTPStatus.CREATED)


@app.route(PREFIX + '/inventories/<int:id>', methods={'GET'})
@operator_api
def inventory_get(request, pool, id):
    return json_response(inventory_json(get_inventory(pool, id)))


@app.route(PREFIX + '/inventories/<int:id>/scans', methods={'POST'})
@operator_api
def inventory_scan(request, pool, id):
    """Scan a cell label (it becomes the current cell) or a place label
    (counted in the current cell, or in "cell" when given)"""
    Inventory = pool.get('multipoint.inventory')
    inventory = get_inventory(pool, id)
    data = request_json(request)
    values = [data.get(k) for k in ['barcode', 'cell', 'client_id']]
    if not all(v is None or isinstance(v, str) for v in values):
        raise RequestError(gettext('multipoint_core.msg_api_bad_json'))
    barcode, cell, client_id = values
    scan = inventory.scan(barcode, cell_barcode=cell, client_id=client_id)
    inventory = Inventory(inventory.id)
    return json_response({
            'scan': inventory_scan_json(scan) if scan else None,
            'inventory': inventory_json(inventory, lines=False),
            })


@app.route(PREFIX + '/inventories/<int:id>/complete', methods={'POST'})
@operator_api
def inventory_complete(request, pool, id):
    Inventory = pool.get('multipoint.inventory')
    inventory = get_inventory(pool, id)
    inventory.check_in_progress()
    Inventory.complete([inventory])
    return json_response(inventory_json(Inventory(inventory.id)))


@app.route(
    PREFIX + '/inventories/<int:id>/lines/<int:line_id>/resolve',
    methods={'POST'})
@operator_api
def inventory_line_resolve(request, pool, id, line_id):
    Line = pool.get('multipoint.inventory.line')
    inventory = get_inventory(pool, id)
    lines = Line.search([
            ('id', '=', line_id),
            ('inventory', '=', inventory.id),
            ])
    if not lines:
        raise NotFoundError(gettext(
                'multipoint_core.msg_inventory_api_line_unknown',
                line=line_id, inventory=inventory.rec_name))
    data = request_json(request)
    Line.resolve(lines, data.get('resolution'), data.get('reason'))
    return json_response(line_json(Line(lines[0].id)))
