"""New parcels of an import in a few statements.

The ORM's create validates every new record field by field (domains,
required, digits, function fields) and costs about 2.5 ms a parcel with
its place and its event: two minutes for a 50,000-parcel manifest. The
upsert has checked every value before (manifest rows, Upsert._check), so
its new parcels go in here: the models' own preprocess_values and
defaults, multi-row INSERTs with ids from the table's sequence, then the
places, the items and the "created" events that Parcel.create makes. The
database constraints (one order number and one barcode per supplier) still
hold; ir.trigger rules on parcel creation are not run.
"""
import datetime as dt

from sql.functions import CurrentTimestamp

from trytond import backend
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .exceptions import ImportValidationError

_AUDIT = {'id', 'create_uid', 'create_date', 'write_uid', 'write_date'}


def _stored(Model):
    return {name for name, field in Model._fields.items()
        if name not in _AUDIT and not isinstance(field, (
                fields.Function, fields.One2Many, fields.Many2Many))}


def insert(Model, vlist):
    """Insert vlist (stored fields only, preprocessed) as new records of
    Model with the model's defaults; return their ids in order"""
    if not vlist:
        return []
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    table = Model.__table__()
    given = set().union(*vlist)
    assert given <= _stored(Model), given - _stored(Model)
    defaults = Model.default_get(
        sorted(_stored(Model) - given), with_rec_name=False)
    names = sorted(given | set(defaults))
    formats = [Model._fields[n].sql_format for n in names]
    columns = [table.id, table.create_uid, table.create_date] + [
        getattr(table, n) for n in names]
    ids = _new_ids(Model, len(vlist))
    user = transaction.user
    if backend.name == 'postgresql':
        # COPY: no SQL text to build for tens of thousands of rows
        cursor.execute('SELECT CURRENT_TIMESTAMP::timestamp')
        now, = cursor.fetchone()
        names_sql = ', '.join(f'"{c.name}"' for c in columns)
        with cursor.copy(
                f'COPY "{Model._table}" ({names_sql}) FROM STDIN') as copy:
            for id_, values in zip(ids, vlist):
                copy.write_row([id_, user, now] + [
                        f(values.get(n, defaults.get(n)))
                        for n, f in zip(names, formats)])
    else:
        rows = [[id_, user, CurrentTimestamp()] + [
                f(values.get(n, defaults.get(n)))
                for n, f in zip(names, formats)]
            for id_, values in zip(ids, vlist)]
        per = max(1, backend.MAX_QUERY_PARAMS // (len(columns) + 1))
        for sub in grouped_slice(rows, per):
            cursor.execute(*table.insert(columns, list(sub)))
    transaction.create_records[Model.__name__].extend(ids)
    return ids


def _new_ids(Model, count):
    transaction = Transaction()
    ids = transaction.database.nextid(
        transaction.connection, Model._table, count=count)
    if ids is not None:
        return [ids] if count == 1 else ids
    # SQLite: no sequence, and one writer at a time
    cursor = transaction.connection.cursor()
    table = Model.__table__()
    cursor.execute(*table.select(table.id, order_by=[table.id.desc],
            limit=1))
    row = cursor.fetchone()
    start = (row[0] if row else 0) + 1
    return list(range(start, start + count))


def create_parcels(vlist):
    """Create parcels from the values of Upsert._plan_create, as
    Parcel.create would: places, items and a "created" event each"""
    pool = Pool()
    Parcel = pool.get('multipoint.parcel')
    Place = pool.get('multipoint.parcel.place')
    Line = pool.get('multipoint.parcel.line')
    Event = pool.get('multipoint.parcel.event')
    Point = pool.get('multipoint.point')
    closed = {p.id for p in Point.browse({v['point'] for v in vlist})
        if p.state == 'closed'}
    parcels, places, lines = [], [], []
    for values in vlist:
        if values['point'] in closed:
            raise ImportValidationError(gettext(
                    'multipoint_suppliers.msg_point_closed',
                    order=values['order_number'],
                    point=Point(values['point']).rec_name))
        values = Parcel.preprocess_values('create', dict(values))
        places.append([Place.preprocess_values('create', dict(v))
                for a, vs in values.pop('places') if a == 'create'
                for v in vs])
        lines.append([v for a, vs in values.pop('lines', [])
                if a == 'create' for v in vs])
        parcels.append(values)
    ids = insert(Parcel, parcels)
    insert(Place, [dict(v, parcel=i, supplier=values['supplier'])
            for i, vs, values in zip(ids, places, parcels) for v in vs])
    insert(Line, [dict(v, parcel=i)
            for i, vs in zip(ids, lines) for v in vs])
    user = Transaction().user or None
    now = dt.datetime.utcnow()
    insert(Event, [{
                'parcel': i,
                'date': now,
                'user': user,
                'point': values['point'],
                'kind': 'created',
                'to_state': values.get('state') or 'expected',
                } for i, values in zip(ids, parcels)])
    return ids
