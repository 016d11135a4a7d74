from trytond.exceptions import UserError


class SettlementError(UserError):
    "A settlement cannot do what was asked"


class ReconciliationError(UserError):
    "A supplier's report cannot be reconciled"
