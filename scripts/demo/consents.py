"""The recipients' consents to advertising (152-FZ) and the withdrawal of
one, so that Parcels ‣ Consents shows a history"""
from .common import log

# (source it was given through, whether the recipient later withdrew it)
STORIES = [('tracking', False), ('desk', False), ('tracking', True)]


def recipient_consents(gen, points):
    """Marketing consents by SMS of the recipients of three waiting
    parcels (once: nothing when the database has consents already)"""
    pool = gen.pool
    Consent = pool.get('multipoint.consent')
    Parcel = pool.get('multipoint.parcel')
    if Consent.search([], limit=1):
        return 0
    parcels = Parcel.search([
            ('point', 'in', [p.id for p in points.values()]),
            ('state', '=', 'stored'),
            ], limit=20, order=[('id', 'ASC')])
    given, seen = [], set()
    for parcel in parcels:
        if parcel.recipient_phone in seen:
            continue
        seen.add(parcel.recipient_phone)
        source, withdrawn = STORIES[len(given)]
        consent, = Consent.give([parcel], 'marketing', 'sms', source)
        if withdrawn:
            Consent.withdraw_phones([parcel.recipient_phone], 'marketing',
                'sms', 'tracking')
        given.append(consent)
        if len(given) == len(STORIES):
            break
    log("Recipients' consents to advertising: %d (one withdrawn)",
        len(given))
    return len(given)
