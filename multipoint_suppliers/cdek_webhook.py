"""The statuses CDEK sends to our webhook (routes_cdek_webhook.py) or the
reconciliation poll finds (connector_cdek.fetch_events): a CdekStatus row
per status of a parcel, so that a webhook CDEK sends again, or a status the
poll finds later, is not recorded twice. The account's webhook address and
its subscription are on the account (account.py)."""
import logging

from trytond.model import Index, ModelSQL, Unique, fields
from trytond.pool import Pool

from .connector_cdek import status_text

logger = logging.getLogger(__name__)
# where CDEK posts the statuses, after /<database>: + the account's token
PATH = '/multipoint/suppliers/cdek/'


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
