"""CDEK's ORDER_STATUS webhooks, received at

    POST /<database>/multipoint/suppliers/cdek/<token>

where token is a secret of the supplier account (CDEK signs nothing: the
address itself is the secret). Each status becomes a supplier event of
its parcel, the way the sync engine records a supplier's event feed, and
a CdekStatus row: a webhook CDEK sends again, or a status the
reconciliation poll (connector_cdek.fetch_events) finds later, is not
recorded twice. Answers: 404 for an unknown token (nothing written), 400
for a body that is not a status, else 200, also for an order that is none
of our parcels (logged), so CDEK does not send it again and again.
"""
import json
import logging
import secrets
from http import HTTPStatus

from trytond import backend, config
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.model.modelsql import SQLConstraintError
from trytond.pool import Pool, PoolMeta
from trytond.protocols.wrappers import Response, with_pool, with_transaction
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access
from trytond.wsgi import app

from .connector import ConnectorError
from .connector_cdek import Received, status_text
from .exceptions import AccountError
from .sync_log import _record_events

logger = logging.getLogger(__name__)
PATH = '/multipoint/suppliers/cdek/'
_cdek = {'invisible': Eval('connector') != 'cdek'}


class CdekStatus(ModelSQL):
    "CDEK Status Received"
    __name__ = 'multipoint.supplier.cdek.status'
    account = fields.Many2One(
        'multipoint.supplier.account', "Account", required=True,
        ondelete='CASCADE')
    parcel = fields.Many2One(
        'multipoint.parcel', "Parcel", required=True, ondelete='CASCADE')
    order_uuid = fields.Char("CDEK Order UUID")
    code = fields.Char("Status Code", required=True)
    date = fields.DateTime("Status Date", required=True)
    city = fields.Char("City")
    source = fields.Selection([
            ('webhook', "Webhook"),
            ('poll', "Reconciliation Poll"),
            ], "Source", required=True)
    payload = fields.Text("Payload", help="The webhook's body as received.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            # one status of one order at one time: the webhook sent again
            # or its status found by the poll
            ('parcel_code_date_unique', Unique(t, t.parcel, t.code, t.date),
                'multipoint_suppliers.msg_cdek_status_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.account, Index.Equality())))

    @classmethod
    def known(cls, account, parcels):
        "{parcel id: {status code: CDEK's order uuid}} received for parcels"
        known = {}
        ids = [p.id for p in parcels]
        for i in range(0, len(ids), 1000):
            for status in cls.search([
                        ('account', '=', account.id),
                        ('parcel', 'in', ids[i:i + 1000]),
                        ], order=[('date', 'ASC'), ('id', 'ASC')]):
                known.setdefault(status.parcel.id, {})[status.code] = (
                    status.order_uuid)
        return known

    @classmethod
    def store(cls, account, received, source, payload=None):
        """Keep the statuses of account's parcels not received before; the
        (order number, status text, date) of each, as a supplier's event
        feed gives them. The orders that are none of our parcels are
        logged and left."""
        Parcel = Pool().get('multipoint.parcel')
        numbers = list({n for r in received for n in r.numbers})
        parcels = {}
        for i in range(0, len(numbers), 1000):
            for parcel in Parcel.search([
                        ('company', '=', account.company.id),
                        ('supplier', '=', account.supplier.id),
                        ('order_number', 'in', numbers[i:i + 1000]),
                        ]):
                parcels[parcel.order_number] = parcel
        seen = set()
        for status in cls.search([
                    ('parcel', 'in', [p.id for p in parcels.values()]),
                    ]):
            seen.add((status.parcel.id, status.code, status.date))
        rows, events = [], []
        for status in received:
            parcel = next(
                (parcels[n] for n in status.numbers if n in parcels), None)
            if parcel is None:
                logger.info("CDEK status %s of order %s: not a parcel of "
                    "account %s", status.code, '/'.join(status.numbers),
                    account.id)
                continue
            key = (parcel.id, status.code, status.date)
            if key in seen:
                continue
            seen.add(key)
            rows.append({
                    'account': account.id,
                    'parcel': parcel.id,
                    'order_uuid': status.order_uuid,
                    'code': status.code,
                    'date': status.date,
                    'city': status.city,
                    'source': source,
                    'payload': payload,
                    })
            events.append((parcel.order_number,
                    status_text(status.code, status.city), status.date))
        cls.create(rows)
        return events


class _Given:
    "The events of a webhook as a feed the sync engine records"

    def __init__(self, events):
        self.events = events

    def fetch_events(self, cursor=None):
        return self.events, cursor


class Account(metaclass=PoolMeta):
    __name__ = 'multipoint.supplier.account'
    cdek_webhook_token = fields.Char(
        "Webhook Token", readonly=True, strip=False, states=_cdek,
        help="The secret part of the address CDEK sends the statuses to.")
    cdek_webhook_url = fields.Function(
        fields.Char("Webhook Address", states=_cdek,
            help="Where CDEK sends the statuses of the orders."),
        'get_cdek_webhook_url')
    cdek_webhook = fields.Char(
        "Webhook Subscription", readonly=True, states=_cdek,
        help="CDEK's identifier of the subscription, once registered.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('cdek_webhook_token_unique', Unique(t, t.cdek_webhook_token),
                'multipoint_suppliers.msg_cdek_webhook_token_unique'),
            ]
        cls._buttons.update({
                'cdek_register_webhook': {
                    'invisible': Eval('connector') != 'cdek',
                    'depends': ['connector'],
                    },
                })

    @staticmethod
    def new_cdek_webhook_token():
        return secrets.token_urlsafe(24)

    @classmethod
    def create(cls, vlist):
        accounts = super().create(vlist)
        # given here, not as a default: the secret is no value a user
        # without access to it would be writing
        with without_check_access():
            new = [a for a in cls.browse(accounts)
                if not a.cdek_webhook_token]
            if new:
                cls.write(*[v for a in new for v in (
                            [a], {'cdek_webhook_token':
                                cls.new_cdek_webhook_token()})])
        return accounts

    @classmethod
    def copy(cls, accounts, default=None):
        default = default.copy() if default is not None else {}
        # a copy is another account: its own secret, no subscription
        default.setdefault('cdek_webhook_token', None)
        default.setdefault('cdek_webhook', None)
        return super().copy(accounts, default=default)

    def get_cdek_webhook_url(self, name=None):
        if not self.cdek_webhook_token:
            return None
        from trytond.url import http_host
        base = config.get('multipoint', 'public_url') or http_host()
        return (f'{base.rstrip("/")}/{Transaction().database.name}{PATH}'
            f'{self.cdek_webhook_token}')

    @classmethod
    @ModelView.button
    def cdek_register_webhook(cls, accounts):
        "Subscribe each account's webhook address to CDEK's order statuses"
        for account in accounts:
            if account.connector != 'cdek':
                continue
            if not account.cdek_webhook_token:
                # an account older than the field
                with without_check_access():
                    cls.write([account], {'cdek_webhook_token':
                            cls.new_cdek_webhook_token()})
            try:
                subscription = account.get_connector().register_webhook(
                    account.get_cdek_webhook_url())
            except ConnectorError as error:
                raise AccountError(gettext(
                        'multipoint_suppliers.msg_cdek_webhook_failed',
                        account=account.rec_name,
                        error=account.redact(str(error))))
            account.cdek_webhook = subscription
            account.save()


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
        data = json.loads(body)
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
