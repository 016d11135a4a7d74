"""Operator JSON API, the workplace: the cash shifts (open, X report,
collection, close with the Z report) and the work a user left open at the
point. Same conventions as multipoint_core's routes_desk.py (session
authentication, access rules, JSON errors in the user's language); amounts
as api_pos.py reads and answers them.
"""
from http import HTTPStatus

from trytond.i18n import gettext
from trytond.modules.multipoint_core.api import OPERATOR_PREFIX as PREFIX
from trytond.modules.multipoint_core.api import json_response, operator_api
from trytond.modules.multipoint_core.api_desk import (
    current_point, inventory_json, reception_json, visible_record)
from trytond.modules.multipoint_core.exceptions import RequestError
from trytond.transaction import Transaction
from trytond.wsgi import app

from .api_pos import decimal_json, respond, shift_json
from .desk_print import has_printer, print_shift_report


def get_shift(pool, shift_id):
    return visible_record(pool, 'sale.point.cash.session', shift_id,
        'multipoint_pos.msg_api_shift_unknown', shift=shift_id)


@app.route(PREFIX + '/shifts/open', methods={'POST'})
@operator_api
def shift_open(request, pool):
    Session = pool.get('sale.point.cash.session')
    data = decimal_json(request)
    point = current_point(pool, data)
    if data.get('float') is None:
        raise RequestError(gettext('multipoint_core.msg_api_bad_json'))
    shift = Session.open_shift(point, data['float'])
    return respond(shift_json(Session(shift.id)), HTTPStatus.CREATED)


@app.route(PREFIX + '/shifts/current', methods={'GET'})
@operator_api
def shift_current(request, pool):
    Session = pool.get('sale.point.cash.session')
    point = current_point(pool, {'point': request.args.get('point', type=int)})
    shift = Session.current_shift(point)
    return respond({'shift': shift_json(shift) if shift else None})


@app.route(PREFIX + '/shifts/<int:shift_id>/x_report', methods={'GET'})
@operator_api
def shift_x_report(request, pool, shift_id):
    shift = get_shift(pool, shift_id)
    report = shift.x_report()
    report['suppliers'] = shift.supplier_summary()
    if request.args.get('print'):
        print_report('X', shift, report)
    return respond(report)


def print_report(kind, shift, report):
    """Print the X or Z summary into report: 'printed' says whether it was,
    'print_error' why not (no printer at the point is said too)"""
    point = shift.pickup_point
    if not has_printer(point):
        report['printed'] = False
        report['print_error'] = gettext(
            'multipoint_pos.msg_printer_none',
            point=point.rec_name if point else '')
        return
    report['print_error'] = print_shift_report(kind, shift, report)
    report['printed'] = not report['print_error']


@app.route(PREFIX + '/shifts/<int:shift_id>/collect', methods={'POST'})
@operator_api
def shift_collect(request, pool, shift_id):
    "Cash handed over during the shift (инкассация)"
    Session = pool.get('sale.point.cash.session')
    shift = get_shift(pool, shift_id)
    data = decimal_json(request)
    if data.get('amount') is None:
        raise RequestError(gettext('multipoint_core.msg_api_bad_json'))
    shift.collect(data['amount'])
    return respond(shift_json(Session(shift.id)))


@app.route(PREFIX + '/shifts/<int:shift_id>/close', methods={'POST'})
@operator_api
def shift_close(request, pool, shift_id):
    shift = get_shift(pool, shift_id)
    data = decimal_json(request)
    counts = data.get('counts')
    if not isinstance(counts, list) or not all(
            isinstance(c, dict) for c in counts):
        raise RequestError(gettext('multipoint_pos.msg_api_counts_needed'))
    report = shift.close_shift(counts, data.get('reason'))
    # the shift is closed whatever the printer says
    print_report('Z', shift, report)
    return respond(report)


@app.route(PREFIX + '/open_work', methods={'GET'})
@operator_api
def open_work(request, pool):
    """The receptions and inventories the user left open at the point: the
    screen offers to resume or cancel them after a new login"""
    Reception = pool.get('multipoint.reception')
    Inventory = pool.get('multipoint.inventory')
    point = current_point(pool, {'point': request.args.get('point', type=int)})
    user = Transaction().user
    receptions = Reception.search([
            ('point', '=', point.id),
            ('state', '=', 'open'),
            ('create_uid', '=', user),
            ], order=[('id', 'DESC')], limit=20)
    inventories = Inventory.search([
            ('point', '=', point.id),
            ('state', '=', 'in_progress'),
            ('create_uid', '=', user),
            ], order=[('id', 'DESC')], limit=20)
    return json_response({
            'receptions': [dict(reception_json(r, scans=0),
                    created_at=r.create_date) for r in receptions],
            'inventories': [inventory_json(i, lines=False)
                for i in inventories],
            })
