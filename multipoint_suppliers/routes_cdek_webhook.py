"""CDEK's ORDER_STATUS webhooks, received at

    POST /<database>/multipoint/suppliers/cdek/<token>

where token is a secret of the supplier account (CDEK signs nothing: the
address itself is the secret). Each status becomes a supplier event of
its parcel, the way the sync engine records a supplier's event feed, and
a CdekStatus row (cdek_webhook.py): a webhook CDEK sends again, or a status
the reconciliation poll (connector_cdek.fetch_events) finds later, is not
recorded twice. Answers: 404 for an unknown token (nothing written), 400
for a body that is not a status, else 200, also for an order that is none
of our parcels (logged), so CDEK does not send it again and again.
"""
import logging
from http import HTTPStatus

from trytond import backend
from trytond.model.modelsql import SQLConstraintError
from trytond.modules.multipoint_core.api import json_loads
from trytond.protocols.wrappers import Response, with_pool, with_transaction
from trytond.transaction import Transaction
from trytond.wsgi import app

from .cdek_webhook import PATH
from .connector_cdek import Received
from .sync_log import _record_events

logger = logging.getLogger(__name__)


class _Given:
    "The events of a webhook as a feed the sync engine records"

    def __init__(self, events):
        self.events = events

    def fetch_events(self, cursor=None):
        return self.events, cursor


def _answer(status, text=''):
    return Response(text or status.phrase, status=status,
        content_type='text/plain; charset=utf-8')


@app.route('/<database_name>' + PATH + '<token>', methods={'POST'})
@with_pool
@with_transaction()
def cdek_webhook(request, pool, token):
    Account = pool.get('multipoint.supplier.account')
    Status = pool.get('multipoint.supplier.cdek.status')
    accounts = Account.search([
            ('connector', '=', 'cdek'),
            ('cdek_webhook_token', '=', token),
            ], limit=1)
    if not accounts:
        return _answer(HTTPStatus.NOT_FOUND)
    account, = accounts
    body = request.get_data()
    try:
        data = json_loads(body, parse_float=float)
    except ValueError:
        return _answer(HTTPStatus.BAD_REQUEST, "not JSON")
    if not isinstance(data, dict):
        return _answer(HTTPStatus.BAD_REQUEST, "not an object")
    if data.get('type') != 'ORDER_STATUS':
        logger.info("CDEK webhook %s ignored (account %s)",
            data.get('type'), account.id)
        return _answer(HTTPStatus.OK)
    try:
        received = Received.from_webhook(data)
    except (TypeError, ValueError) as error:
        return _answer(HTTPStatus.BAD_REQUEST, f"no status: {error}")
    try:
        events = Status.store(account, [received], 'webhook',
            payload=body.decode('utf-8', 'replace'))
        _record_events(account, _Given(events), None)
    except (SQLConstraintError, backend.DatabaseIntegrityError):
        # the same status sent twice at once: the other request has it
        Transaction().rollback()
    return _answer(HTTPStatus.OK)
