"""The parcels as the operator API shows them, read in one query.

A scan is the desk's most frequent request. Reading its answer record by
record (the parcel, then its supplier, its cell, its places, each a query
with its own access checks) cost more than the rest of the request, so the
answer is read here at once: one query joins the parcels with their
supplier and cell and gathers each parcel's places as a JSON array (a
subquery per parcel shown). The rights are those of the ORM's read: the
access rights of the models and fields read (ir.model.access,
ir.model.field.access) are checked first, and the record rules of the
parcels and of the places are in the query's conditions (as
ModelSQL.search adds them), so an operator still sees only the parcels of
their points. The conditions are flat, without nested id subqueries:
PostgreSQL plans them in a fraction of the time.

The lookup of a scanned code goes one step further (``lookup_json``):
building its query from the domain and the record rules cost more than
running it, and between two scans of the same user only the code changes.
So its SQL is built once per record rules of the user and kept by the
process, with the code as a parameter: the rules are still read from
``ir.rule`` on every scan (cached by Tryton, cleared when they or the
user's points change) and are part of the key, so a changed rule builds
new SQL.
"""
import datetime as dt
import json
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

from sql.aggregate import Aggregate
from sql.functions import Function

from trytond import backend, config
from trytond.cache import Cache, LRUDict
from trytond.model.modelsql import convert_from
from trytond.pool import Pool
from trytond.tools import sqlite_apply_types
from trytond.transaction import Transaction

CENT = Decimal('0.01')
# the scanned code's place in the kept SQL of the lookup: no code can be it,
# the API refuses NUL bytes
CODE = '\x00multipoint-scanned-code\x00'
# per process: the lookup's SQL per database, rules and limit
_lookup_queries = LRUDict(512)
# the parameters' places in the SQL of psycopg's format style
PLACEHOLDER = re.compile(r'(%%|%s)')


class JsonAgg(Aggregate):
    "PostgreSQL's JSON array of the rows' values"
    _sql = 'JSON_AGG'


class JsonBuildArray(Function):
    _function = 'JSON_BUILD_ARRAY'


class JsonGroupArray(Aggregate):
    "SQLite's JSON_AGG"
    _sql = 'JSON_GROUP_ARRAY'


class JsonArray(Function):
    "SQLite's JSON_BUILD_ARRAY"
    _function = 'JSON_ARRAY'

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
    """The access rights the ORM's read of READ would check: read at once
    for the four models; where one is missing, the ORM's own check raises
    its error"""
    pool = Pool()
    ModelAccess = pool.get('ir.model.access')
    ModelFieldAccess = pool.get('ir.model.field.access')
    if not Transaction().check_access:
        return
    models = list(READ)
    model_access = ModelAccess.get_access(models)
    field_access = ModelFieldAccess.get_access(models)
    for model, names in READ.items():
        allowed = model_access[model]['read']
        fields = field_access.get(model, {})
        if ((not allowed and allowed is not None)
                or not all(fields[n]['read'] for n in names if n in fields)):
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
    Parcel = Pool().get('multipoint.parcel')
    check_read()
    if domain is None:
        domain = [('id', 'in', [int(p) for p in parcels])]
        if not domain[0][2]:
            return []
    tables, where = ruled(Parcel, domain)
    query = _parcels_query(tables, where, limit)
    cursor = Transaction().connection.cursor()
    cursor.execute(*query)
    return _rows_json(cursor.fetchall())


def lookup_json(code, limit=10):
    """The JSON of the parcels (at most limit) one of whose places has the
    barcode code, as parcels_json(domain=[('places.barcode', '=', code)])
    shows them, through the lookup's kept SQL"""
    check_read()
    query = _lookup_query_of_user(limit)
    if query is None:
        return parcels_json(domain=[('places.barcode', '=', code)],
            limit=limit)
    cursor = Transaction().connection.cursor()
    cursor.execute(*query.bind(code))
    return _rows_json(cursor.fetchall())


class KeptQuery:
    """The SQL of a query built with CODE in its parameters, to bind a code.

    On PostgreSQL the other parameters (the values of the record rules and
    the limit) are written into the SQL as literals, quoted by psycopg: a
    scan then sends the code alone, and the server plans the kept statement
    knowing the rules' values."""

    def __init__(self, query):
        sql, params = tuple(query)
        params = list(params)
        if backend.name == 'postgresql':
            sql, params = _inline_constants(sql, params)
        self.sql, self.params = sql, params
        self.code_at = [i for i, p in enumerate(self.params) if p == CODE]

    def bind(self, code):
        params = list(self.params)
        for i in self.code_at:
            params[i] = code
        return self.sql, params


def _inline_constants(sql, params):
    """(sql, params) with every parameter but CODE written in sql as a
    literal; '%%' (a percent sign of the SQL) is left as it is"""
    from psycopg.sql import Literal
    connection = Transaction().connection
    parts, kept = [], []
    values = iter(params)
    for token in PLACEHOLDER.split(sql):
        if token == '%s':
            value = next(values)
            if value == CODE:
                kept.append(value)
            else:
                token = Literal(value).as_string(connection).replace(
                    '%', '%%')
        parts.append(token)
    return ''.join(parts), kept


def _lookup_query_of_user(limit):
    """The KeptQuery of the lookup under the user's record rules, built on
    the first scan; None when the code is not a plain parameter of the
    built SQL (then the lookup builds its SQL each time)"""
    pool = Pool()
    Rule = pool.get('ir.rule')
    transaction = Transaction()
    key = (transaction.database.name, limit,
        transaction.context.get('active_test', True),
        repr(Rule.domain_get('multipoint.parcel', mode='read')),
        repr(Rule.domain_get('multipoint.parcel.place', mode='read')))
    try:
        return _lookup_queries[key]
    except KeyError:
        pass
    Parcel = pool.get('multipoint.parcel')
    Place = pool.get('multipoint.parcel.place')
    tables, where = ruled(Place, [('barcode', '=', CODE)])
    place = tables[None][0]
    scanned = convert_from(None, tables).select(place.parcel, where=where)
    tables, where = ruled(Parcel, [])
    parcel = tables[None][0]
    where &= parcel.id.in_(scanned)
    query = KeptQuery(_parcels_query(tables, where, limit))
    if not query.code_at:
        query = None
    _lookup_queries[key] = query
    return query


PARCEL_COLUMN_TYPES = [None, None, None, None, None, None, None, None, None,
    'BOOLEAN', 'NUMERIC', 'NUMERIC', None, 'DATE',
    None, None, None, None, None, None, None, 'DATETIME', None, None]


def _parcels_query(tables, where, limit):
    """The query of the parcels of (tables, where) with their supplier,
    cell and places, the columns _json reads"""
    pool = Pool()
    Party = pool.get('party.party')
    Location = pool.get('stock.location')
    parcel = tables[None][0]
    party, cell = Party.__table__(), Location.__table__()
    columns = [
        parcel.id, parcel.supplier, party.name, party.code,
        parcel.order_number, parcel.point, parcel.state,
        parcel.recipient_name, parcel.phone_last4, parcel.prepaid,
        parcel.cod_amount, parcel.delivery_fee, parcel.size_class,
        parcel.storage_deadline,
        cell.id, cell.barcode, cell.code, cell.name, cell.multipoint_point,
        cell.size_class, cell.capacity,
        parcel.storage_until, parcel.storage_limit_hours,
        _places_column(parcel),
        ]
    query = convert_from(None, tables
        ).join(party, condition=party.id == parcel.supplier
        ).join(cell, 'LEFT', condition=cell.id == parcel.cell
        ).select(*(c.as_(f'c{i}') for i, c in enumerate(columns)),
            where=where, order_by=parcel.id.asc, limit=limit)
    if backend.name == 'sqlite':
        sqlite_apply_types(query, PARCEL_COLUMN_TYPES)
    return query


def _places_column(parcel):
    """The places of the parcel the user may read, as a JSON array of
    [id, barcode, state, damaged] (an aggregate keeps no order everywhere:
    _places sorts them)"""
    Place = Pool().get('multipoint.parcel.place')
    tables, where = ruled(Place, [])
    place = tables[None][0]
    if backend.name == 'sqlite':
        Agg, Array = JsonGroupArray, JsonArray
    else:
        Agg, Array = JsonAgg, JsonBuildArray
    return convert_from(None, tables).select(
        Agg(Array(place.id, place.barcode, place.state, place.damaged)),
        where=where & (place.parcel == parcel.id))


def _places(value):
    "The places' JSON of the places column, in the order of their ids"
    if isinstance(value, str):
        value = json.loads(value)
    return [{'barcode': barcode, 'state': state, 'damaged': bool(damaged)}
        for _, barcode, state, damaged in sorted(value or [])]


def _rows_json(rows):
    "The JSON of the parcels' rows"
    cell_names = _cell_names({r[14] for r in rows if r[14]})
    state_names = _state_names()
    zones = _time_zones({r[5] for r in rows if r[22]})
    return [_json(r, cell_names, state_names, zones) for r in rows]


def _json(row, cell_names, state_names, zones):
    (id_, supplier, supplier_name, supplier_code, order_number, point,
        state, recipient_name, phone_last4, prepaid, cod_amount,
        delivery_fee, size_class, storage_deadline, cell, cell_barcode,
        cell_code, cell_name, cell_point, cell_size, cell_capacity,
        storage_until, storage_limit_hours, places) = row
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
        'places': _places(places),
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
