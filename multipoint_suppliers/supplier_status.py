"""Tracking by number, for suppliers without an event feed (Boxberry,
PickPoint): which parcels of an account to ask about, which of their
statuses are already recorded, and the normalized status of suppliers.md
§13 a supplier's status maps to.

The supplier's statuses become parcel notes (sync_log._record_events):
they never move our parcel. A parcel is asked about while it may still
change at the supplier: from expected until it leaves the point, then for
POST_ISSUE more days, so that what the supplier records after our issue
or return (the "post-issue facts": amount taken, payment method, items
given back) is read back too.
"""
import datetime as dt

from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.transaction import without_check_access

# our states in which the supplier's status is still to follow
OPEN_STATES = ['expected', 'accepted', 'stored', 'refused', 'to_return']
# our final states after which the supplier still reports its facts
FINISHED_STATES = ['issued', 'partially_issued', 'returned']
POST_ISSUE = dt.timedelta(days=7)
# the cursor: the last order number asked about ("after:" alone: start
# again from the first one). Never empty: the sync engine keeps the old
# cursor when a connector returns an empty one.
CURSOR_PREFIX = 'after:'
# suppliers.md §13, the normalized status enum
NORMALIZED = [
    'in_transit', 'accepted', 'issued', 'partially_issued', 'refused',
    'expired', 'returned', 'lost']
# Russian status names by words: the first status with a group of words
# all in the name; [INF]: Boxberry publishes no dictionary of its names,
# PickPoint's getstates gives texts with its numeric states
KEYWORDS = [
    ('partially_issued', [('частичн',)]),
    ('refused', [('отказ',)]),
    ('expired', [('невостребован',), ('срок хранения',)]),
    ('lost', [('утер',), ('утрач',)]),
    ('returned', [('возвр',)]),
    ('issued', [('выдан',), ('вручен',)]),
    ('accepted', [
            ('пункт выдачи', 'поступ'), ('пункт выдачи', 'прибыл'),
            ('пункт выдачи', 'доставлен'), ('постамат', 'поступ'),
            ('постамат', 'заложен'), (' пт', 'поступ'),
            ('ожидает получения',), ('готов к выдаче',)]),
    ]


def normalize(name):
    "The NORMALIZED status of a supplier's status name"
    name = ' ' + (name or '').lower().replace('ё', 'е')
    for status, groups in KEYWORDS:
        if any(all(w in name for w in group) for group in groups):
            return status
    return 'in_transit'


def label(status):
    "The translated label of a NORMALIZED status"
    return gettext(f'multipoint_suppliers.msg_status_{status}')


def parcels_to_track(account, cursor, limit):
    """(parcels, next cursor): the next `limit` parcels of the account,
    by order number, whose supplier status may still change"""
    Parcel = Pool().get('multipoint.parcel')
    after = ''
    if cursor and cursor.startswith(CURSOR_PREFIX):
        after = cursor[len(CURSOR_PREFIX):]
    since = dt.datetime.utcnow() - POST_ISSUE
    domain = [
        ('company', '=', account.company.id),
        ('supplier', '=', account.supplier.id),
        ('point', 'in', [p.point.id for p in account.points]),
        ['OR',
            ('state', 'in', OPEN_STATES),
            [('state', 'in', FINISHED_STATES), ('write_date', '>=', since)],
            ],
        ]
    if after:
        domain.append(('order_number', '>', after))
    with without_check_access():
        parcels = Parcel.search(
            domain, order=[('order_number', 'ASC')], limit=limit)
    if len(parcels) < limit:
        # the end of the list: the next run starts again from the first
        return parcels, CURSOR_PREFIX
    return parcels, CURSOR_PREFIX + parcels[-1].order_number


def recorded(parcels):
    """{order number: [(date, detail)]} of the notes already recorded for
    parcels: a status read again at the next run is not recorded twice"""
    Event = Pool().get('multipoint.parcel.event')
    numbers = {p.id: p.order_number for p in parcels}
    result = {n: [] for n in numbers.values()}
    if not numbers:
        return result
    with without_check_access():
        events = Event.search([
                ('parcel', 'in', list(numbers)),
                ('kind', '=', 'note'),
                ])
    for event in events:
        result[numbers[event.parcel.id]].append((event.date, event.detail))
    return result


def is_recorded(notes, date, name):
    "Whether a note of the status name at date is among notes"
    return any(d == date and name in (detail or '') for d, detail in notes)


def status_text(name, status, *details):
    """The text of a supplier's status in the parcel's journal: the
    supplier's own name, the normalized status, the details given"""
    text = f'{name} ({label(status)})'
    details = [d for d in details if d]
    if details:
        text += ': ' + '; '.join(details)
    return text
