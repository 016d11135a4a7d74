"""The parcels as the operator API shows them, read in two queries.

A scan is the desk's most frequent request. Reading its answer record by
record (the parcel, then its supplier, its cell, its places, each a query
with its own access checks) cost more than the rest of the request, so the
answer is read here at once: one query joins the parcels with their
supplier and cell, one reads their places. The rights are those of the
ORM's read: the access rights of the models and fields read
(ir.model.access, ir.model.field.access) are checked first, and the record
rules of the parcels and of the places are in the queries' conditions (as
ModelSQL.search adds them), so an operator still sees only the parcels of
their points. The queries are flat, without nested id subqueries:
PostgreSQL plans them in a fraction of the time.
"""
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from trytond import backend, config
from trytond.cache import Cache
from trytond.model.modelsql import convert_from
from trytond.pool import Pool
from trytond.tools import sqlite_apply_types
from trytond.transaction import Transaction

CENT = Decimal('0.01')
# the states' names come with the modules: a restart brings new ones
_state_names_cache = Cache('multipoint_parcel_json.state_names',
    context=False)
# what each model gives to the answer, checked as a read of these fields
READ = {
    'multipoint.parcel': ['supplier', 'order_number', 'point', 'state',
        'recipient_name', 'phone_last4', 'prepaid', 'cod_amount',
        'delivery_fee', 'size_class', 'cell', 'storage_deadline',
        'storage_until', 'storage_limit_hours', 'places'],
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


def ruled(Model, domain):
    """(from, where) of the records of Model matching domain that the user
    may read: the domain and the model's record rule as ModelSQL.search
    builds them, flat, for a query of our own"""
    Rule = Pool().get('ir.rule')
    tables, expression = Model.search_domain(domain)
    rule = Rule.domain_get(Model.__name__, mode='read')
    if rule:
        tables, rule_expression = Model.search_domain(
            rule, active_test=False, tables=tables)
        expression &= rule_expression
    return tables, expression


def parcels_json(parcels=None, domain=None, limit=None):
    """The JSON of the parcels the user may read, in the order of their
    ids: parcels (records or ids), or those matching domain (at most
    limit)"""
    pool = Pool()
    Parcel = pool.get('multipoint.parcel')
    Place = pool.get('multipoint.parcel.place')
    Party = pool.get('party.party')
    Location = pool.get('stock.location')
    check_read()
    if domain is None:
        domain = [('id', 'in', [int(p) for p in parcels])]
        if not domain[0][2]:
            return []
    tables, where = ruled(Parcel, domain)
    parcel = tables[None][0]
    party, cell = Party.__table__(), Location.__table__()
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
        (parcel.storage_until, 'DATETIME'),
        (parcel.storage_limit_hours, None),
        ]
    query = convert_from(None, tables
        ).join(party, condition=party.id == parcel.supplier
        ).join(cell, 'LEFT', condition=cell.id == parcel.cell
        ).select(*(c.as_(f'c{i}') for i, (c, _) in enumerate(columns)),
            where=where, order_by=parcel.id.asc, limit=limit)
    if backend.name == 'sqlite':
        sqlite_apply_types(query, [t for _, t in columns])
    cursor = Transaction().connection.cursor()
    cursor.execute(*query)
    rows = cursor.fetchall()
    if not rows:
        return []

    tables, where = ruled(Place, [('parcel', 'in', [r[0] for r in rows])])
    place = tables[None][0]
    query = convert_from(None, tables).select(
        place.parcel.as_('parcel'), place.barcode.as_('barcode'),
        place.state.as_('state'), place.damaged.as_('damaged'),
        where=where, order_by=place.id.asc)
    if backend.name == 'sqlite':
        sqlite_apply_types(query, [None, None, None, 'BOOLEAN'])
    cursor.execute(*query)
    places = {}
    for parcel_id, barcode, state, damaged in cursor:
        places.setdefault(parcel_id, []).append(
            {'barcode': barcode, 'state': state, 'damaged': bool(damaged)})

    cell_names = _cell_names({r[14] for r in rows if r[14]})
    state_names = _state_names()
    zones = _time_zones({r[5] for r in rows if r[22]})
    return [_json(r, places.get(r[0], []), cell_names, state_names, zones)
        for r in rows]


def _json(row, places, cell_names, state_names, zones):
    (id_, supplier, supplier_name, supplier_code, order_number, point,
        state, recipient_name, phone_last4, prepaid, cod_amount,
        delivery_fee, size_class, storage_deadline, cell, cell_barcode,
        cell_code, cell_name, cell_point, cell_size, cell_capacity,
        storage_until, storage_limit_hours) = row
    if isinstance(storage_until, str):
        storage_until = dt.datetime.fromisoformat(storage_until)
    if storage_limit_hours and storage_until:
        # a limit in hours ends at a time of the point's day
        storage_end_text = storage_until.replace(
            tzinfo=dt.timezone.utc).astimezone(zones[point]).strftime(
            '%d.%m.%Y %H:%M')
    else:
        storage_end_text = (storage_deadline.strftime('%d.%m.%Y')
            if storage_deadline else None)
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
        'storage_until': storage_until.isoformat() if storage_until else None,
        'storage_limit_hours': storage_limit_hours,
        'storage_end_text': storage_end_text,
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


def _time_zones(point_ids):
    "{point id: tzinfo} of the points, in one query"
    if not point_ids:
        return {}
    Point = Pool().get('multipoint.point')
    point = Point.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*point.select(point.id, point.timezone,
            where=point.id.in_(list(point_ids))))
    return {id_: ZoneInfo(zone or 'UTC') for id_, zone in cursor}


def _state_names():
    "The parcel states' names in the user's language"
    language = Transaction().language
    names = _state_names_cache.get(language)
    if names is None:
        Parcel = Pool().get('multipoint.parcel')
        names = _state_names_cache.set(language, {
                state: Parcel(state=state).state_string
                for state, _ in Parcel.state.selection})
    return names
