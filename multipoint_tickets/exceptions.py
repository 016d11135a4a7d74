from trytond.modules.multipoint_core.exceptions import (
    MultipointError, NotFoundError)


class TicketError(MultipointError):
    api_code = 'ticket'


class TicketNotFoundError(NotFoundError):
    "A ticket the caller (a supplier in the portal) may not see"
    api_code = 'not_found'


class MessageImmutableError(MultipointError):
    api_code = 'message_immutable'


class TaskError(MultipointError):
    api_code = 'task'
