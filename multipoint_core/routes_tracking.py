"""The public tracking page's routes (tracking.py: how a recipient's
parcels are found and shown, the limit of wrong attempts):

GET  /<database>/multipoint/track          the page
POST /<database>/multipoint/track          the parcels of an order number
                                           and the phone's last 4 digits
POST /<database>/multipoint/track/extend   extend their storage
POST /<database>/multipoint/track/consent  give ("give": true) or withdraw
                                           ("give": false) the consent to
                                           advertising by SMS
"""
import os
from http import HTTPStatus

from trytond.i18n import gettext
from trytond.protocols.wrappers import Response
from trytond.transaction import Transaction
from trytond.wsgi import app

from .api import error_response, json_response
from .exceptions import StorageError
from .tracking import (
    CONSENT_CHANNEL, CONSENT_PURPOSE, consent_json, public, tracking_json)


@app.route('/<database_name>/multipoint/track', methods={'GET'})
def tracking_page(request, database_name):
    path = os.path.join(os.path.dirname(__file__), 'static', 'tracking.html')
    with open(path, 'rb') as fp:
        return Response(fp.read(), content_type='text/html; charset=utf-8')


@app.route('/<database_name>/multipoint/track', methods={'POST'})
@public
def track(request, pool, parcels, data):
    return json_response({
            'parcels': [tracking_json(p) for p in parcels],
            'consent': consent_json(pool, parcels),
            })


@app.route('/<database_name>/multipoint/track/consent', methods={'POST'})
@public
def track_consent(request, pool, parcels, data):
    Consent = pool.get('multipoint.consent')
    give = data.get('give')
    if not isinstance(give, bool):
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, 'bad_request',
            gettext('multipoint_core.msg_tracking_consent_choice'))
    if give:
        Consent.give(parcels, CONSENT_PURPOSE, CONSENT_CHANNEL, 'tracking')
        message = 'multipoint_core.msg_tracking_consent_given'
    else:
        Consent.withdraw_phones({p.recipient_phone for p in parcels},
            CONSENT_PURPOSE, CONSENT_CHANNEL, 'tracking')
        message = 'multipoint_core.msg_tracking_consent_withdrawn'
    return json_response({
            'consent': consent_json(pool, parcels),
            'message': gettext(message),
            })


@app.route('/<database_name>/multipoint/track/extend', methods={'POST'})
@public
def track_extend(request, pool, parcels, data):
    Parcel = pool.get('multipoint.parcel')
    try:
        days = int(data.get('days') or 0)
        Parcel.extend_storage(parcels, days, gettext(
                'multipoint_core.msg_storage_source_recipient'))
    except (StorageError, ValueError) as exception:
        Transaction().rollback()
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, 'storage',
            getattr(exception, 'message', None) or gettext(
                'multipoint_core.msg_storage_extension_days'))
    parcels = Parcel.browse(parcels)
    deadlines = [text for _, text in sorted({(p.storage_until,
                    p.storage_end_text) for p in parcels if p.storage_until})]
    # the recipient sees what the extension gave: the new deadline
    return json_response({
            'parcels': [tracking_json(p) for p in parcels],
            'message': gettext('multipoint_core.msg_tracking_extended',
                deadline=', '.join(deadlines) or '—'),
            })
