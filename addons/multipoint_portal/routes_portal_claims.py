"""The claims in the supplier portal: its JSON routes under
/<database>/multipoint/portal/api/claims, read-only.

trytond's routes are the same for every database: these answer 404 in a
database without multipoint_claims (the portal's Claim of claim.py is
registered only with it)."""
from trytond.i18n import gettext
from trytond.modules.multipoint_core.api import json_response
from trytond.modules.multipoint_core.exceptions import NotFoundError

from .api_portal import has_claims, portal_route


def claim_model(pool):
    if not has_claims(pool):
        raise NotFoundError(gettext(
                'multipoint_portal.msg_portal_unavailable'))
    return pool.get('multipoint.charge.claim')


@portal_route('/claims', {'GET'})
def claims(request, pool, portal):
    Claim = claim_model(pool)
    return json_response({'claims': Claim.portal_claims(portal.supplier)})


@portal_route('/claims/<int:claim_id>', {'GET'})
def claim(request, pool, portal, claim_id):
    Claim = claim_model(pool)
    return json_response(Claim.portal_claim(portal.supplier, claim_id))
