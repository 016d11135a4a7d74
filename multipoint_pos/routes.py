"""Operator JSON API, workplace part: shifts and payment at issue.

Same conventions as multipoint_core.routes (session authentication, access
rules, JSON errors in the user's language). Amounts are decimals: send them
as JSON strings or numbers (numbers are read as decimals, never floats);
they are answered as strings with 2 decimals.
"""
from decimal import Decimal
from http import HTTPStatus

from trytond.i18n import gettext
from trytond.modules.multipoint_core.exceptions import (
    NotFoundError, RequestError)
from trytond.modules.multipoint_core.routes import (
    PREFIX, code_failure_response, current_point, issue_items,
    json_response, lock_now, operator_api, parcel_json, reception_json,
    request_json)
from trytond.modules.multipoint_core.routes_inventory import inventory_json
from trytond.transaction import Transaction
from trytond.wsgi import app

from .desk_print import has_printer, print_issue_slip, print_shift_report


def money(data):
    "Decimals (amounts) as strings with 2 decimals, recursively"
    if isinstance(data, Decimal):
        return f'{data:.2f}'
    if isinstance(data, dict):
        return {k: money(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [money(v) for v in data]
    return data


def respond(data, status=HTTPStatus.OK):
    return json_response(money(data), status)


def decimal_json(request):
    "The JSON body with its numbers as Decimal"
    return request_json(request, parse_float=Decimal)


def shift_json(shift):
    point = shift.pickup_point
    return {
        'id': shift.id,
        'number': shift.number,
        'name': shift.rec_name,
        'state': shift.state,
        'point': point.id if point else None,
        'opened_at': shift.opened_at,
        'opened_by': shift.opened_by.rec_name if shift.opened_by else None,
        'start_amount': shift.start_amount,
        'float_amount': shift.float_amount,
        'cash_expected': shift.expected_amount,
        }


def sale_json(sale):
    return {
        'id': sale.id,
        'number': sale.number,
        'state': sale.state,
        'kind': sale.multipoint_kind,
        'supplier': ({'id': sale.supplier.id, 'name': sale.supplier.rec_name}
            if sale.supplier else None),
        'total': sale.total,
        'lines': [{
                'description': l.description or l.product.rec_name,
                'kind': l.agent_kind,
                'parcel': l.parcel.id if l.parcel else None,
                'quantity': l.quantity,
                'unit_price': l.unit_price,
                'amount': l.amount,
                } for l in sale.lines],
        'payments': [{
                'method': p.method.multipoint_kind,
                'amount': p.amount,
                'tendered': p.tendered,
                'change': p.change,
                } for p in sale.payments],
        }


def receipt_json(receipt):
    return {
        'id': receipt.id,
        'name': receipt.rec_name,
        'kind': receipt.kind,
        'state': receipt.state,
        'state_name': receipt.state_string,
        'supplier': receipt.supplier_name,
        'total': receipt.total,
        'sale': receipt.sale.id if receipt.sale else None,
        'error': receipt.error_message,
        'fiscal_document_number': receipt.fiscal_document_number,
        'fiscal_sign': receipt.fiscal_sign,
        }


def get_shift(pool, shift_id):
    Session = pool.get('sale.point.cash.session')
    shifts = Session.search([('id', '=', shift_id)])
    if not shifts:
        raise NotFoundError(gettext(
                'multipoint_pos.msg_api_shift_unknown', shift=shift_id))
    return shifts[0]


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


@app.route(PREFIX + '/issue/quote', methods={'POST'})
@operator_api
def issue_quote(request, pool):
    "The amount due with the refused items out, for the screen"
    Parcel = pool.get('multipoint.parcel')
    data = decimal_json(request)
    point = current_point(pool, data)
    to_issue, _, _, refused, refused_whole = issue_items(pool, data)
    dues = Parcel.amounts_due(to_issue + list(refused_whole), refused,
        refused_whole=list(refused_whole))
    return respond({
            'parcels': [{
                    'id': parcel.id,
                    'goods': due.goods,
                    'delivery_fee': due.delivery_fee,
                    'refused_value': due.refused_value,
                    'refuse': due.full_refusal,
                    'total': due.total,
                    } for parcel, due in dues.items()],
            'total': sum((d.total for d in dues.values()), Decimal('0.00')),
            })


@operator_api
def take_payment_and_issue(request, pool):
    """First step of /issue/pay, committed on its own: the payment, the
    issue and the draft receipts; the ids of what it made"""
    Parcel = pool.get('multipoint.parcel')
    data = decimal_json(request)
    point = current_point(pool, data)
    to_issue, verifications, codes, refused, refused_whole = issue_items(
        pool, data)
    lock_now(Parcel, to_issue + list(refused_whole))
    payments = data.get('payments') or []
    failures = Parcel.check_codes(codes)
    if failures:
        # the wrong attempts are kept: they count towards the lock
        return code_failure_response(pool, failures)
    result = Parcel.issue_with_payment(to_issue, point, verifications,
        payments, refused=refused, signature=bool(data.get('signature')),
        refused_whole=refused_whole)
    return {k: ([r.id for r in v] if isinstance(v, (list, tuple)) else v)
        for k, v in result.items() if k != 'dues'}


@operator_api
def fiscalize_and_answer(request, pool, result):
    """Second step of /issue/pay, in a transaction of its own: the register
    makes the receipts of the committed payment (a failure leaves them
    failed and their sales open, to send again)"""
    Parcel = pool.get('multipoint.parcel')
    Sale = pool.get('sale.point.sale')
    Receipt = pool.get('multipoint.receipt')
    User = pool.get('res.user')
    Sequence = pool.get('ir.sequence.strict')
    receipts = Receipt.browse(result['receipts'])
    # the sales are numbered when their receipt is made: take the sequences
    # before the register prints, not after
    lock_now(Sequence, {r.sale.point.sequence.id for r in receipts
            if r.sale and not r.sale.number})
    Receipt.send(receipts)
    receipts = Receipt.browse(receipts)
    issued = Parcel.browse(result['issued'])
    sales = Sale.browse(result['sales'])
    point = current_point(pool, decimal_json(request))
    print_error = print_issue_slip(point, issued, sales,
        User(Transaction().user).rec_name)
    return respond({
            'issued': [parcel_json(p) for p in issued],
            'refused': [parcel_json(p)
                for p in Parcel.browse(result['refused'])],
            'sales': [sale_json(s) for s in sales],
            'receipts': [receipt_json(r) for r in receipts],
            'fiscalized': all(r.state == 'done' for r in receipts),
            'print_error': print_error,
            'total': result['total'],
            'change': result['change'],
            })


@app.route(PREFIX + '/issue/pay', methods={'POST'})
def issue_pay(request, database_name):
    """Take the payment and issue: one agent sale per supplier in the open
    shift; refused with nothing written when the payments don't add up to
    the recomputed amount due. The register prints only after the money is
    committed: it cannot take a receipt back."""
    result = take_payment_and_issue(request, database_name)
    if not isinstance(result, dict):
        return result  # an error, nothing written
    return fiscalize_and_answer(request, database_name, result)


# both steps check the database and the request; trytond must not read the
# session to choose the request's size limit before they do
issue_pay.max_request_size = take_payment_and_issue.max_request_size


@app.route(PREFIX + '/receipts/pending', methods={'GET'})
@operator_api
def receipts_pending(request, pool):
    "The receipts of the current point the register has not made yet"
    Receipt = pool.get('multipoint.receipt')
    point = current_point(pool, {'point': request.args.get('point', type=int)})
    receipts = Receipt.search([
            ('point', '=', point.id),
            ('state', 'in', ['draft', 'pending', 'failed']),
            ], order=[('id', 'ASC')])
    return respond({'receipts': [receipt_json(r) for r in receipts]})


@app.route(PREFIX + '/receipts/<int:receipt_id>/send', methods={'POST'})
@operator_api
def receipt_send(request, pool, receipt_id):
    """Send a receipt the register has not made (again): done, or failed
    with the register's error"""
    Receipt = pool.get('multipoint.receipt')
    receipts = Receipt.search([('id', '=', receipt_id)])
    if not receipts:
        raise NotFoundError(gettext(
                'multipoint_pos.msg_receipt_not_found', receipt=receipt_id))
    receipt, = receipts
    if receipt.sale and not receipt.sale.number:
        lock_now(pool.get('ir.sequence.strict'),
            [receipt.sale.point.sequence.id])
    if receipt.state == 'failed':
        Receipt.retry([receipt])
    else:
        Receipt.send([receipt])
    return respond(receipt_json(Receipt(receipt.id)))


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
