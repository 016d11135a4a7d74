from trytond.exceptions import UserError


class AccountError(UserError):
    "A supplier account cannot do what was asked"


class ImportValidationError(UserError):
    "A parcel of an import cannot be created"

