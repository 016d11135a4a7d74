"""What the desk prints after an operation: the issue slip after a payment,
the X and Z summaries of a shift.

Printing never undoes the operation: a printer that is offline gives a
message for the operator (returned, not raised). A point without a printer
(none in its settings nor in [multipoint_printer]) prints nothing."""
from decimal import Decimal

from trytond import config

from .printer import SECTION, SlipPrinter, try_print


def has_printer(point):
    return bool(getattr(point, 'printer_host', None)
        or config.get(SECTION, 'host', default=None))


def print_issue_slip(point, parcels, sales, cashier):
    """The slip of the parcels issued with the payments of their sales;
    returns None or the printer's error message"""
    if not has_printer(point) or not parcels:
        return None
    amounts, payments = {}, {}
    for sale in sales:
        for line in sale.lines:
            if line.parcel:
                amounts[line.parcel.id] = (
                    amounts.get(line.parcel.id, Decimal(0)) + line.amount)
        for payment in sale.payments:
            kind = payment.method.multipoint_kind or 'cash'
            payments[kind] = payments.get(kind, Decimal(0)) + payment.amount
    for parcel in parcels:
        amounts.setdefault(parcel.id, Decimal(0))
    return try_print(SlipPrinter.for_point(point).print_issue_slip,
        point, parcels, cashier, amounts=amounts,
        payments=sorted(payments.items()))


def shift_totals(report):
    "The printer's summary of an X/Z report of the shift (Session.z_report)"
    shift = report['shift']
    totals = {
        'shift': shift['number'],
        'opened_at': shift['opened_at'],
        'closed_at': shift['closed_at'],
        'cashier': shift['closed_by'] or shift['opened_by'],
        'start_amount': report['start_amount'],
        'sales': report['taken'],
        'refunds': report['refunded'],
        'collections': report['collected'],
        'expected_cash': report['cash_expected'],
        'receipts': report['sales'],
        'refund_receipts': report['refunds'],
        }
    if report.get('counted') is not None:
        totals.update({
                'counted_cash': report['counted'],
                'difference': report['difference'],
                'difference_reason': report['reason'],
                })
    if report.get('suppliers'):
        totals['suppliers'] = [{
                'name': (row['supplier'] or {}).get('name') or '-',
                'sales': sum(row['taken'].values(), Decimal(0)),
                'refunds': sum(row['refunded'].values(), Decimal(0)),
                'count': row['sales'],
                } for row in report['suppliers']]
    return totals


def print_shift_report(kind, shift, report):
    "Print the X or Z summary; None or the printer's error message"
    point = shift.pickup_point
    if not has_printer(point):
        return None
    return try_print(SlipPrinter.for_point(point).print_shift_report,
        kind, shift_totals(report), point=point)
