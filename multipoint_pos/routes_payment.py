"""Operator JSON API, payment at issue: the amount due of the parcels to
issue, the payment with the issue and the register's receipts, the receipts
the register has not made yet. Same conventions as multipoint_core's
routes_desk.py (session authentication, access rules, JSON errors in the
user's language); amounts as api_pos.py reads and answers them.
"""
from decimal import Decimal

from trytond.modules.multipoint_core.api import OPERATOR_PREFIX as PREFIX
from trytond.modules.multipoint_core.api import operator_api
from trytond.modules.multipoint_core.api_desk import (
    code_failure_response, current_point, issue_items, lock_now,
    parcel_json, visible_record)
from trytond.modules.multipoint_core.parcel_marking import marking_codes_of
from trytond.transaction import Transaction
from trytond.wsgi import app

from .api_pos import decimal_json, receipt_json, respond, sale_json
from .desk_print import print_issue_slip


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
    # a receipt the register would refuse is told before the money is asked
    pool.get('multipoint.receipt').check_parcels_printable(
        [p for p, due in dues.items() if due.total > 0], point)
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
    # the items' codes scanned at the desk, kept only if the issue is done
    pool.get('multipoint.parcel.line').scan_marking_codes(
        marking_codes_of(pool, data, to_issue))
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
    receipt = visible_record(pool, 'multipoint.receipt', receipt_id,
        'multipoint_pos.msg_receipt_not_found', receipt=receipt_id)
    if receipt.sale and not receipt.sale.number:
        lock_now(pool.get('ir.sequence.strict'),
            [receipt.sale.point.sequence.id])
    if receipt.state == 'failed':
        Receipt.retry([receipt])
    else:
        Receipt.send([receipt])
    return respond(receipt_json(Receipt(receipt.id)))
