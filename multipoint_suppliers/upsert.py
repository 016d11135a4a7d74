"""Idempotent upsert of supplier parcels by (supplier, order number).

plan() reads what exists in one query per chunk of order numbers (and one
for their barcodes) and decides, without writing, what to create, what to
update and what to leave; apply() then writes with list-based create and
write. Changes apply only where the parcel's state allows them and never
move a parcel back in its workflow:

- expected: every change (recipient, amounts, point, new places, items)
  and cancellation;
- accepted, stored: a new storage deadline only;
- any other state, and anything not allowed above: left as it is, with a
  warning in the sync log.

Every change made is logged as a "Supplier Update" parcel event.
"""
import dataclasses
import datetime as dt
from decimal import Decimal

from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.transaction import Transaction

from trytond.modules.multipoint_core.guard import business
from trytond.modules.multipoint_core.marking import (
    MarkingCodeError, normalize_gtin, parse)
from trytond.modules.multipoint_core.parcel import normalize_phone

from .bulk import create_parcels
from .manifest import RowError

CHUNK = 1000
# new parcels go in by this many (multi-row inserts, see bulk.py)
CREATE_CHUNK = 5000
# fields of ParcelData compared with the parcel and written as they are
FIELDS = [
    'recipient_name', 'recipient_phone', 'cod_amount', 'delivery_fee',
    'declared_value', 'prepaid', 'weight', 'manifest']
# the only change allowed once the parcel is at the point
DEADLINE_STATES = {'accepted', 'stored'}
# the phone is shown to owners only: events name the change, not the value
SECRET_FIELDS = {'recipient_phone'}


@dataclasses.dataclass
class Plan:
    to_create: list = dataclasses.field(default_factory=list)
    # (parcel id, {field: value}, [change descriptions])
    to_write: list = dataclasses.field(default_factory=list)
    # (parcel id, [place values])
    to_add_places: list = dataclasses.field(default_factory=list)
    # (parcel id, [line values]): replace the items
    to_replace_lines: list = dataclasses.field(default_factory=list)
    to_cancel: list = dataclasses.field(default_factory=list)
    # (parcel id, date, previous date)
    to_extend: list = dataclasses.field(default_factory=list)
    fetched: int = 0
    unchanged: int = 0
    refused: int = 0
    errors: list = dataclasses.field(default_factory=list)
    warnings: list = dataclasses.field(default_factory=list)

    @property
    def created(self):
        return len(self.to_create)

    @property
    def updated(self):
        return len({i for i, *_ in self.to_write}
            | {i for i, _ in self.to_add_places}
            | {i for i, _ in self.to_replace_lines}
            | set(self.to_cancel)
            | {i for i, *_ in self.to_extend})

    @property
    def failed(self):
        return len({(e.order_number or e.row) for e in self.errors})

    @property
    def skipped(self):
        return self.unchanged + self.refused


class Upsert:
    "Upsert the parcels of one supplier account"

    def __init__(self, account, point=None):
        self.account = account
        self.supplier = account.supplier.id
        self.company = account.company.id
        self.point = point.id if point else None
        self.point_codes = {
            p.supplier_code: p.point.id for p in account.points}
        Parcel = Pool().get('multipoint.parcel')
        self.state_names = dict(
            Parcel.fields_get(['state'])['state']['selection'])

    def error(self, plan, data, message_id, level='error', **kwargs):
        row = int(data.source) if (data.source or '').isdigit() else None
        kwargs.setdefault('order', data.order_number)
        target = plan.errors if level == 'error' else plan.warnings
        target.append(RowError(row, gettext(
                    'multipoint_suppliers.' + message_id,
                    row=row or data.source or '', **kwargs),
                order_number=data.order_number, level=level))

    def plan(self, parcels, progress=None):
        """The plan of parcels; progress(fraction) is called after each
        chunk"""
        plan = Plan(fetched=len(parcels))
        for i in range(0, len(parcels), CHUNK):
            self._plan_chunk(plan, parcels[i:i + CHUNK])
            if progress:
                progress(min(i + CHUNK, len(parcels)) / len(parcels))
        return plan

    def _plan_chunk(self, plan, chunk):
        existing = self._read_parcels([p.order_number for p in chunk])
        ids = [r['id'] for r in existing.values()]
        # the barcodes of this chunk already known to the supplier, and
        # the places of the parcels found
        places, barcodes = self._read_places(
            [pl.barcode for p in chunk for pl in p.places], ids)
        lines = {}
        if any(p.lines for p in chunk) and ids:
            lines = self._read_lines(ids)
        by_id = {r['id']: r for r in existing.values()}
        for data in chunk:
            if data.error:
                self.error(plan, data, 'msg_row_unreadable',
                    error=data.error)
                continue
            point = self._point(plan, data)
            if point is None:
                continue
            record = existing.get(data.order_number)
            taken = [pl.barcode for pl in data.places
                if places.get(pl.barcode) not in {
                        None, record and record['id']}]
            if taken:
                other = by_id.get(places[taken[0]])
                self.error(plan, data, 'msg_row_barcode_taken',
                    barcode=taken[0], other=other['order_number'] if other
                    else self._order_number(places[taken[0]]))
                continue
            if record is None:
                self._plan_create(plan, data, point)
            else:
                self._plan_update(plan, data, point, record,
                    barcodes.get(record['id'], set()),
                    lines.get(record['id'], []))

    # Reads straight from the tables: one query per chunk, no record
    # instances (the caller checked the user's access)

    def _read_parcels(self, numbers):
        "{order number: {field: value}} of the supplier's parcels"
        Parcel = Pool().get('multipoint.parcel')
        table = Parcel.__table__()
        names = ['id', 'order_number', 'state', 'point'] + FIELDS + [
            'storage_deadline']
        cursor = Transaction().connection.cursor()
        if not numbers:
            return {}
        cursor.execute(*table.select(*[getattr(table, n) for n in names],
                where=(table.supplier == self.supplier)
                & table.order_number.in_(numbers)))
        records = {}
        for row in cursor:
            record = dict(zip(names, row))
            for name in ['cod_amount', 'delivery_fee', 'declared_value']:
                if record[name] is not None:
                    record[name] = Decimal(str(record[name]))
            if record['prepaid'] is not None:
                record['prepaid'] = bool(record['prepaid'])
            if isinstance(record['storage_deadline'], str):
                record['storage_deadline'] = dt.date.fromisoformat(
                    record['storage_deadline'])
            records[record['order_number']] = record
        return records

    def _read_places(self, barcodes, parcel_ids):
        """({barcode: parcel id} of barcodes known to the supplier,
        {parcel id: set of barcodes} of parcel_ids)"""
        Place = Pool().get('multipoint.parcel.place')
        table = Place.__table__()
        cursor = Transaction().connection.cursor()
        owner, by_parcel = {}, {}
        for keys, where in [
                (barcodes, lambda: (table.supplier == self.supplier)
                    & table.barcode.in_(barcodes)),
                (parcel_ids, lambda: table.parcel.in_(parcel_ids))]:
            if not keys:
                continue
            cursor.execute(*table.select(table.barcode, table.parcel,
                    where=where()))
            for barcode, parcel in cursor:
                owner[barcode] = parcel
                by_parcel.setdefault(parcel, set()).add(barcode)
        return owner, by_parcel

    def _read_lines(self, parcel_ids):
        Line = Pool().get('multipoint.parcel.line')
        table = Line.__table__()
        names = ['parcel', 'name', 'article', 'quantity', 'unit_price',
            'vat_rate', 'marked', 'gtin', 'marking_code']
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(*[getattr(table, n) for n in names],
                where=table.parcel.in_(parcel_ids),
                order_by=[table.id.asc]))
        lines = {}
        for row in cursor:
            line = dict(zip(names, row))
            lines.setdefault(line['parcel'], []).append(line)
        return lines

    def _order_number(self, parcel_id):
        Parcel = Pool().get('multipoint.parcel')
        return Parcel(parcel_id).order_number

    def _point(self, plan, data):
        if data.point_code:
            point = self.point_codes.get(data.point_code)
            if point is None:
                self.error(plan, data, 'msg_row_point_unknown',
                    code=data.point_code)
            return point
        if self.point is None:
            self.error(plan, data, 'msg_row_point_missing')
        return self.point

    def _check(self, plan, data):
        """Whether a supplier's parcel may be created: manifests are
        checked row by row before, connectors' data here"""
        ok = True
        for name in ['recipient_name', 'recipient_phone']:
            if not getattr(data, name):
                ok = False
                self.error(plan, data, 'msg_row_field_missing', field=name)
        if data.recipient_phone:
            phone = normalize_phone(data.recipient_phone)
            if not phone:
                ok = False
                self.error(plan, data, 'msg_row_field_invalid',
                    field='recipient_phone', value=data.recipient_phone)
            data.recipient_phone = phone
        for name in ['cod_amount', 'delivery_fee', 'declared_value']:
            value = getattr(data, name)
            if value is not None and value < 0:
                ok = False
                self.error(plan, data, 'msg_row_field_invalid',
                    field=name, value=value)
        return ok

    def _check_marking(self, plan, data):
        """Drop the malformed marking codes of data's items with a warning:
        the item stays marked, its code is scanned at the desk"""
        for line in data.lines:
            if line.gtin and not normalize_gtin(line.gtin):
                self.error(plan, data, 'msg_row_field_invalid',
                    level='warning', field='gtin', value=line.gtin)
                line.gtin = None
            if not line.marking_code:
                continue
            try:
                code = parse(line.marking_code)
            except MarkingCodeError:
                code = None
            # a code is one piece: several pieces need their own codes
            if code is None or line.quantity != 1 or (line.gtin
                    and normalize_gtin(line.gtin) != code.gtin):
                self.error(plan, data, 'msg_row_field_invalid',
                    level='warning', field='marking_code',
                    value=line.marking_code.replace('\x1d', '<GS>'))
                line.marking_code, line.marked = None, True

    def _plan_create(self, plan, data, point):
        if data.cancelled:
            plan.unchanged += 1
            return
        self._check_marking(plan, data)
        if not self._check(plan, data):
            return
        values = {
            'company': self.company,
            'supplier': self.supplier,
            'point': point,
            'order_number': data.order_number,
            'places': [('create', [
                        self._place_values(pl) for pl in data.places])],
            }
        for name in FIELDS:
            value = getattr(data, name)
            if value is not None:
                values[name] = value
        if data.lines:
            values['lines'] = [('create', self._lines_values(data.lines))]
        plan.to_create.append(values)

    @staticmethod
    def _place_values(place):
        values = {'barcode': place.barcode}
        if place.weight:
            values['weight'] = place.weight
        return values

    @classmethod
    def _lines_values(cls, lines):
        """The values of the items; a marked item of several pieces is
        one item per piece: each has its own code"""
        result = []
        for line in lines:
            values = cls._line_values(line)
            if values.get('marked') and values['quantity'] > 1:
                result.extend(dict(values, quantity=1)
                    for _ in range(values['quantity']))
            else:
                result.append(values)
        return result

    @staticmethod
    def _line_values(line):
        values = {
            'name': line.name,
            'article': line.article,
            'quantity': line.quantity,
            'unit_price': line.unit_price,
            'vat_rate': line.vat_rate or 'none',
            'marked': bool(line.marked or line.marking_code),
            'gtin': normalize_gtin(line.gtin) if line.gtin else None,
            'marking_code': line.marking_code,
            }
        if values['marking_code']:
            # stored in one form: a code sent again is no change; the items
            # are inserted in bulk, without the model's own normalization
            code = parse(values['marking_code'])
            values['marking_code'] = code.code
            values['gtin'] = values['gtin'] or code.gtin
        return values

    def _plan_update(self, plan, data, point, record, barcodes, lines):
        state = record['state']
        self._check_marking(plan, data)
        if data.recipient_phone:
            data.recipient_phone = (
                normalize_phone(data.recipient_phone) or data.recipient_phone)
        changes = {}
        for name in FIELDS:
            value = getattr(data, name)
            if value is not None and not _same(value, record[name]):
                changes[name] = value
        if point != record['point']:
            changes['point'] = point
        new_places = [pl for pl in data.places if pl.barcode not in barcodes]
        new_lines = self._lines_values(data.lines)
        lines_changed = bool(data.lines) and (
            [_line_key(l) for l in new_lines]
            != [_line_key(l) for l in lines])
        deadline = (data.storage_until
            if data.storage_until
            and data.storage_until != record['storage_deadline'] else None)
        cancel = data.cancelled and state != 'cancelled'
        if not (changes or new_places or lines_changed or deadline
                or cancel):
            plan.unchanged += 1
            return
        if state == 'expected':
            if changes:
                plan.to_write.append((record['id'], changes,
                        self._describe(changes, record)))
            if new_places:
                plan.to_add_places.append((record['id'], [
                            self._place_values(pl) for pl in new_places]))
            if lines_changed:
                plan.to_replace_lines.append((record['id'], new_lines))
            if cancel:
                plan.to_cancel.append(record['id'])
            if deadline:
                self.error(plan, data, 'msg_row_deadline_expected',
                    level='warning')
            return
        refused = list(changes)
        if new_places:
            refused.append('places')
        if lines_changed:
            refused.append('lines')
        if cancel:
            refused.append('cancelled')
        if deadline and state in DEADLINE_STATES:
            plan.to_extend.append(
                (record['id'], deadline, record['storage_deadline']))
        elif deadline:
            refused.append('storage_until')
        if refused:
            plan.refused += 1
            self.error(plan, data, 'msg_row_state_refused', level='warning',
                state=self.state_names.get(state, state),
                fields=', '.join(refused))

    def _describe(self, changes, record):
        return [name if name in SECRET_FIELDS
            else f'{name}: {_show(record[name])} → {_show(value)}'
            for name, value in changes.items()]

    @business
    def apply(self, plan):
        """Write the plan; the caller's transaction makes it all or nothing.
        The plan holds only what the parcels' states allow (plan()): its
        writes are the system's, the journal records them"""
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Place = pool.get('multipoint.parcel.place')
        Line = pool.get('multipoint.parcel.line')
        Event = pool.get('multipoint.parcel.event')
        for i in range(0, len(plan.to_create), CREATE_CHUNK):
            create_parcels(plan.to_create[i:i + CREATE_CHUNK])
        details = {}
        if plan.to_write:
            args = []
            for parcel_id, values, described in plan.to_write:
                args.extend(([Parcel(parcel_id)], values))
                details.setdefault(parcel_id, []).extend(described)
            Parcel.write(*args)
        if plan.to_add_places:
            Place.create([dict(values, parcel=parcel_id)
                    for parcel_id, vlist in plan.to_add_places
                    for values in vlist])
            for parcel_id, vlist in plan.to_add_places:
                details.setdefault(parcel_id, []).append(
                    'places: +' + ', '.join(v['barcode'] for v in vlist))
        if plan.to_replace_lines:
            ids = [i for i, _ in plan.to_replace_lines]
            Line.delete(Line.search([('parcel', 'in', ids)]))
            Line.create([dict(values, parcel=parcel_id)
                    for parcel_id, vlist in plan.to_replace_lines
                    for values in vlist])
            for parcel_id in ids:
                details.setdefault(parcel_id, []).append('lines')
        if plan.to_extend:
            Parcel.write(*[a for parcel_id, date, _ in plan.to_extend
                    for a in ([Parcel(parcel_id)],
                        {'storage_deadline': date})])
            for parcel_id, date, previous in plan.to_extend:
                details.setdefault(parcel_id, []).append(
                    f'storage_deadline: {_show(previous)} → {_show(date)}')
        if details:
            self._log_events(Event, Parcel.browse(list(details)), details)
        if plan.to_cancel:
            Parcel.cancel(Parcel.browse(plan.to_cancel))

    def _log_events(self, Event, parcels, details):
        user = Transaction().user or None
        now = dt.datetime.utcnow()
        account = self.account.rec_name
        Event.create([{
                    'parcel': p.id,
                    'date': now,
                    'user': user,
                    'point': p.point.id,
                    'kind': 'supplier_update',
                    'detail': gettext(
                        'multipoint_suppliers.msg_event_supplier_update',
                        account=account, changes='; '.join(details[p.id])),
                    } for p in parcels])


def _same(value, current):
    if isinstance(value, Decimal) or isinstance(current, Decimal):
        return current is not None and Decimal(value) == Decimal(current)
    if isinstance(value, float) and current is not None:
        return abs(value - current) < 0.0005
    return value == current


def _show(value):
    if value is None:
        return '—'
    if isinstance(value, dt.date):
        return value.strftime('%d.%m.%Y')
    return str(value)


def _line_key(values):
    return (values['name'], values['article'] or None, values['quantity'],
        Decimal(values['unit_price']).quantize(Decimal('0.01')),
        values['vat_rate'], bool(values['marked']),
        values['marking_code'] or None)
