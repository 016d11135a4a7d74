from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class MultipointError(UserError):
    "Base of the errors an operator can meet; `api_code` names it in the API"
    api_code = 'error'


class RequestError(MultipointError):
    "A malformed API request"
    api_code = 'bad_request'


class PointError(MultipointError):
    api_code = 'point'


class CellError(MultipointError):
    api_code = 'cell'


class CellFullError(CellError):
    api_code = 'cell_full'


class ParcelValidationError(ValidationError):
    api_code = 'parcel_invalid'


class ParcelStateError(MultipointError):
    api_code = 'parcel_state'


class PlacementError(MultipointError):
    api_code = 'placement'


class ReceptionError(MultipointError):
    api_code = 'reception'


class ReceptionClosedError(ReceptionError):
    api_code = 'reception_closed'


class NotFoundError(MultipointError):
    "Answered 404 by the API"
    api_code = 'not_found'


class BarcodeError(NotFoundError):
    api_code = 'barcode_unknown'


class BarcodeEmptyError(MultipointError):
    api_code = 'barcode_empty'


class BarcodeInvalidError(MultipointError):
    "A scan that cannot be a label (see barcode.py): nothing is recorded"
    api_code = 'barcode_invalid'


class EventImmutableError(MultipointError):
    api_code = 'event_immutable'


class IssueError(MultipointError):
    api_code = 'issue'


class StorageError(MultipointError):
    api_code = 'storage'


class ReturnError(MultipointError):
    api_code = 'return'


class DeskPhotoError(AccessError):
    "A desk photo is evidence: nobody changes or deletes it"
