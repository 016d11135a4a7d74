from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class MultipointError(UserError):
    "Base of the errors an operator can meet; `code` names it in the API"
    code = 'error'


class PointError(MultipointError):
    code = 'point'


class CellError(MultipointError):
    code = 'cell'


class CellFullError(CellError):
    code = 'cell_full'


class ParcelValidationError(ValidationError):
    code = 'parcel_invalid'


class ParcelStateError(MultipointError):
    code = 'parcel_state'


class PlacementError(MultipointError):
    code = 'placement'


class ReceptionError(MultipointError):
    code = 'reception'


class ReceptionClosedError(ReceptionError):
    code = 'reception_closed'


class BarcodeError(MultipointError):
    code = 'barcode'


class EventImmutableError(MultipointError):
    code = 'event_immutable'
