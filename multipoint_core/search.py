"""One query finds the parcels to issue: a place barcode, the supplier's
order number, the last 4 digits of the phone, an issue code or a part of the
recipient's name (case- and ё/е-insensitive)."""
import re

from trytond.pool import Pool

from .issue import code_hash
from .parcel import normalize_name

# Parcels waiting for their recipient at the point
WAITING = ['accepted', 'stored']


def find_for_issue(query, point):
    """Return (matched parcels, every parcel waiting at point for the same
    recipients, across suppliers). Each key is tried with an index."""
    pool = Pool()
    Parcel = pool.get('multipoint.parcel')
    Place = pool.get('multipoint.parcel.place')
    Configuration = pool.get('multipoint.configuration')
    query = (query or '').strip()
    if not query:
        return [], []
    here = [('point', '=', point.id)]
    matched = [p.parcel for p in Place.search([('barcode', '=', query)])
        if p.parcel.point == point]
    if not matched:
        matched = Parcel.search(here + [('order_number', '=', query)])
    digits = re.sub(r'\D', '', query)
    if not matched and query.isdigit() and len(query) == 4:
        matched = Parcel.search(here + [
                ('phone_last4', '=', query), ('state', 'in', WAITING)])
    if not matched and digits == query and (
            len(query) == Configuration.get_config().code_length):
        matched = Parcel.search(here + [
                ('issue_code_hash', '=', code_hash(query)),
                ('state', 'in', WAITING)])
    if not matched and not digits:
        matched = Parcel.search(here + [
                ('recipient_key', 'ilike', f'%{normalize_name(query)}%'),
                ('state', 'in', WAITING)], limit=50)
    phones = list({p.recipient_phone for p in matched})
    group = Parcel.search(here + [
            ('recipient_phone', 'in', phones),
            ('state', 'in', WAITING)],
        order=[('recipient_phone', 'ASC'), ('id', 'ASC')]) if phones else []
    return matched, group
