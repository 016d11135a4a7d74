from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class ChargeError(UserError):
    pass


class ChargeValidationError(ValidationError):
    pass


class ClaimError(UserError):
    pass


class ChargeImportError(UserError):
    pass
