"""The workplace's part of the operator API toolkit (multipoint_core's
api.py and api_desk.py) shared by routes_shift.py and routes_payment.py:
amounts and the JSON shapes of shifts, sales and receipts.

Amounts are decimals: the requests send them as JSON strings or numbers
(numbers are read as decimals, never floats); they are answered as strings
with 2 decimals.
"""
from decimal import Decimal
from http import HTTPStatus

from trytond.modules.multipoint_core.api import json_response, request_json


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
