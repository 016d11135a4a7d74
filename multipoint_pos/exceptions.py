"Errors of the operator's workplace (shifts, payments, point of sale setup)"
from trytond.modules.multipoint_core.exceptions import MultipointError


class PosSetupError(MultipointError):
    "The point of sale of a pickup point can't be set up or is missing"
    api_code = 'pos_setup'


class ShiftError(MultipointError):
    api_code = 'shift'


class ShiftClosedError(ShiftError):
    "No open shift where one is needed"
    api_code = 'shift_closed'


class ShiftOpenError(ShiftError):
    "A shift is already open at the point"
    api_code = 'shift_open'


class ShiftCountError(ShiftError):
    "The cash count at close is invalid or its difference unexplained"
    api_code = 'shift_count'


class ShiftReceiptsPendingError(ShiftError):
    "Money of the shift still waits for its receipt"
    api_code = 'receipts_pending'


class PaymentError(MultipointError):
    api_code = 'payment'


class PaymentMismatchError(PaymentError):
    "The payments don't add up to the amount due"
    api_code = 'payment_mismatch'


class RefundError(PaymentError):
    api_code = 'refund'
