"""The supplier portal's part of the claims (multipoint_claims): the claims
the network sent to the supplier, read-only.

Registered only when multipoint_claims is activated (tryton.cfg,
[register multipoint_claims]): without it, the portal has no claims page
and its claim routes (routes_portal_claims.py) answer 404. A draft or a
withdrawn draft was never addressed to the supplier: the portal shows the
claims once sent."""
from trytond.i18n import gettext
from trytond.modules.multipoint_core.exceptions import NotFoundError
from trytond.pool import Pool, PoolMeta

# the states of a claim the supplier received
PORTAL_CLAIM_STATES = ['sent', 'closed']


class Claim(metaclass=PoolMeta):
    __name__ = 'multipoint.charge.claim'

    @classmethod
    def portal_claims(cls, supplier, claim_id=None):
        "The claims sent to supplier (the one of claim_id), newest first"
        domain = [
            ('charge.supplier', '=', supplier.id),
            ('state', 'in', PORTAL_CLAIM_STATES),
            ]
        if claim_id is not None:
            domain.append(('id', '=', claim_id))
        claims = cls.search(domain,
            order=[('sent_at', 'DESC'), ('id', 'DESC')], limit=200)
        names = cls.portal_names()
        return [c.portal_json(names) for c in claims]

    @classmethod
    def portal_claim(cls, supplier, claim_id):
        found = cls.portal_claims(supplier, claim_id)
        if not found:
            # the message is the claims module's: this class exists only
            # with it (and the portal's records stay those of its upgrade)
            raise NotFoundError(gettext(
                    'multipoint_claims.msg_claim_unknown', claim=claim_id))
        return found[0]

    @classmethod
    def portal_names(cls):
        "The names of the states, outcomes and kinds in the user's language"
        Charge = Pool().get('multipoint.charge')
        fields = cls.fields_get(['state', 'outcome'])
        kinds = Charge.fields_get(['kind'])['kind']['selection']
        return {
            'state': dict(fields['state']['selection']),
            'outcome': dict(fields['outcome']['selection']),
            'kind': dict(kinds),
            }

    def portal_json(self, names):
        # what the letter says and the answer the point recorded; nothing
        # of who at the point sent it or the evidence pack's files
        charge = self.charge
        shares = charge.parcel_shares()
        return {
            'id': self.id,
            'number': self.number,
            'order_number': charge.order_number or (
                ', '.join(charge.parcel_orders()) or None),
            # every parcel the charge is for (one amount may cover several)
            'parcels': [{
                    'order_number': line.parcel.order_number,
                    'amount': shares.get(line.id),
                    } for line in charge.parcels],
            'point': {'code': charge.point.code, 'name': charge.point.name},
            'charge_date': charge.date,
            'kind': charge.kind,
            'kind_name': names['kind'].get(charge.kind),
            'ground': charge.ground,
            'amount': charge.amount,
            'state': self.state,
            'state_name': names['state'].get(self.state),
            'sent_date': self.sent_date,
            'deadline': self.deadline_date,
            'text': self.text,
            'outcome': self.outcome,
            'outcome_name': names['outcome'].get(self.outcome) or None,
            'won_amount': self.won_amount,
            'answer': self.answer,
            }
