"""The parcels as the operator API shows them, read in two queries.

A scan is the desk's most frequent request. Reading its answer record by
record (the parcel, then its supplier, its cell, its places, each a query
with its own access checks) cost more than the rest of the request, so the
answer is read here at once: one query joins the parcels with their
supplier and cell, one reads their places. The rights are those of the
ORM's read: the access rights of the models and fields read
(ir.model.access, ir.model.field.access) are checked first, and the record
rules of the parcels and of the places are in the queries (the id
subqueries of `search(..., query=True)`), so an operator still sees only
the parcels of their points.
"""
from decimal import Decimal

from trytond import backend, config
from trytond.pool import Pool
from trytond.tools import sqlite_apply_types
from trytond.transaction import Transaction

CENT = Decimal('0.01')
# what each model gives to the answer, checked as a read of these fields
READ = {
    'multipoint.parcel': ['supplier', 'order_number', 'point', 'state',
        'recipient_name', 'phone_last4', 'prepaid', 'cod_amount',
        'delivery_fee', 'size_class', 'cell', 'storage_deadline', 'places'],
    'multipoint.parcel.place': ['parcel', 'barcode', 'state', 'damaged'],
    'party.party': ['name', 'code'],
    'stock.location': ['barcode', 'code', 'name', 'multipoint_point',
        'size_class', 'capacity'],
    }


def check_read():
    "The access rights the ORM's read of READ would check"
    pool = Pool()
    ModelAccess = pool.get('ir.model.access')
    ModelFieldAccess = pool.get('ir.model.field.access')
    for model, names in READ.items():
        ModelAccess.check(model, 'read')
        ModelFieldAccess.check(model, names, 'read')


def parcels_json(parcels):
    """The JSON of parcels (records, ids or an SQL query of ids) the user
    may read, in the order of their ids"""
    pool = Pool()
    Parcel = pool.get('multipoint.parcel')
    Place = pool.get('multipoint.parcel.place')
    Party = pool.get('party.party')
    Location = pool.get('stock.location')
    check_read()
    if isinstance(parcels, (list, tuple)):
        ids = [int(p) for p in parcels]
        if not ids:
            return []
        parcels = Parcel.search([('id', 'in', ids)], query=True)
    else:
        # the caller's query already carries the rules; keep them anyway
        parcels = Parcel.search([('id', 'in', parcels)], query=True)

    parcel, party, cell = (
        Parcel.__table__(), Party.__table__(), Location.__table__())
    columns = [
        (parcel.id, None), (parcel.supplier, None),
        (party.name, None), (party.code, None),
        (parcel.order_number, None), (parcel.point, None),
        (parcel.state, None), (parcel.recipient_name, None),
        (parcel.phone_last4, None), (parcel.prepaid, 'BOOLEAN'),
        (parcel.cod_amount, 'NUMERIC'), (parcel.delivery_fee, 'NUMERIC'),
        (parcel.size_class, None), (parcel.storage_deadline, 'DATE'),
        (cell.id, None), (cell.barcode, None), (cell.code, None),
        (cell.name, None), (cell.multipoint_point, None),
        (cell.size_class, None), (cell.capacity, None),
        ]
    query = parcel.join(party, condition=party.id == parcel.supplier
        ).join(cell, 'LEFT', condition=cell.id == parcel.cell
        ).select(*(c.as_(f'c{i}') for i, (c, _) in enumerate(columns)),
            where=parcel.id.in_(parcels), order_by=parcel.id.asc)
    if backend.name == 'sqlite':
        sqlite_apply_types(query, [t for _, t in columns])
    cursor = Transaction().connection.cursor()
    cursor.execute(*query)
    rows = cursor.fetchall()
    if not rows:
        return []
    ids = [r[0] for r in rows]

    place = Place.__table__()
    query = place.select(place.parcel.as_('parcel'),
        place.barcode.as_('barcode'), place.state.as_('state'),
        place.damaged.as_('damaged'),
        where=place.id.in_(Place.search([('parcel', 'in', ids)], query=True)),
        order_by=place.id.asc)
    if backend.name == 'sqlite':
        sqlite_apply_types(query, [None, None, None, 'BOOLEAN'])
    cursor.execute(*query)
    places = {}
    for parcel_id, barcode, state, damaged in cursor:
        places.setdefault(parcel_id, []).append(
            {'barcode': barcode, 'state': state, 'damaged': bool(damaged)})

    cell_names = _cell_names({r[14] for r in rows if r[14]})
    state_names = _state_names()
    return [_json(r, places.get(r[0], []), cell_names, state_names)
        for r in rows]


def _json(row, places, cell_names, state_names):
    (id_, supplier, supplier_name, supplier_code, order_number, point,
        state, recipient_name, phone_last4, prepaid, cod_amount,
        delivery_fee, size_class, storage_deadline, cell, cell_barcode,
        cell_code, cell_name, cell_point, cell_size, cell_capacity) = row
    amount_due = Decimal(0) if prepaid else (
        Decimal(cod_amount or 0) + Decimal(delivery_fee or 0))
    return {
        'id': id_,
        'supplier': {'id': supplier,
            'name': supplier_name or f'[{supplier_code}]'},
        'order_number': order_number,
        'point': point,
        'state': state,
        'state_name': state_names.get(state, state),
        'recipient_name': recipient_name,
        # operators need only the last digits to confirm a recipient
        'recipient_phone': f'***{phone_last4}' if phone_last4 else None,
        'amount_due': str(amount_due.quantize(CENT)),
        'prepaid': bool(prepaid),
        'size_class': size_class,
        'cell': {
            'id': cell,
            'barcode': cell_barcode,
            'name': cell_names.get(cell) or (
                f'[{cell_code}] {cell_name}' if cell_code else cell_name),
            'point': cell_point,
            'size_class': cell_size,
            'capacity': cell_capacity,
            } if cell else None,
        'storage_deadline': storage_deadline,
        'places': places,
        }


def _cell_names(cell_ids):
    """The cells' names in the user's language when it is not the
    database's (the column holds that one; the others are translations)"""
    if not cell_ids or Transaction().language == config.get(
            'database', 'language'):
        return {}
    Location = Pool().get('stock.location')
    return {c.id: c.rec_name for c in Location.browse(list(cell_ids))}


def _state_names():
    "The parcel states' names in the user's language"
    Parcel = Pool().get('multipoint.parcel')
    return {state: Parcel(state=state).state_string
        for state, _ in Parcel.state.selection}
