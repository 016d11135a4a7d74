from trytond.exceptions import UserError


class AccountError(UserError):
    "A supplier account cannot do what was asked"


class ImportValidationError(UserError):
    "A parcel of an import cannot be created"


class SettlementError(UserError):
    "A settlement cannot do what was asked"


class ReconciliationError(UserError):
    "A supplier's report cannot be reconciled"
