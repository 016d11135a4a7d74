"""Operator JSON API: inventory counts (see routes_desk.py for the
authentication and the errors, openapi.yaml for the paths)"""
from http import HTTPStatus

from trytond.i18n import gettext
from trytond.wsgi import app

from .api import OPERATOR_PREFIX as PREFIX
from .api import json_response, operator_api, request_json
from .api_desk import (
    current_point, inventory_json, inventory_scan_json, line_json,
    visible_record)
from .exceptions import CellError, NotFoundError, RequestError


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
