"""``bulk`` (above 5,000 parcels; meant for the benchmark, up to 1,000,000 on
PostgreSQL): the ORM creates about 400 parcels/s here, far too slow, so the
parcels, places, items and journal events are written with direct inserts
(``COPY`` on PostgreSQL, python-sql multi-row ``INSERT`` on SQLite) into
the tables of the models, in batches of 5,000 with a commit per batch. The
rows are what the model code would have written: the phone normalized and
its last digits, the name search key (with the module's own
``normalize_phone``/``normalize_name``), place supplier, states and cells
consistent with the journal, which has one ``created`` event per parcel and
one ``state`` event per transition, dated along the parcel's history.
Bulk parcels have no reception record (no scan rows) and no outbox
messages; the parcels at the points get issue codes through
``Parcel.generate_codes``. Fields the model may gain later are filled with
their defaults (the script says which); at the end a sample of the rows is
validated with the model's own ``_validate`` and the tables are analysed.
About 3,000 parcels/s on PostgreSQL here (100,000 in 30–70 s depending on
the load of the machine). The history spans N / 450 days (60 to 730): the"""
import datetime as dt
import time
from collections import defaultdict

from .common import chunks, log, seconds
from .history import bulk_states
from .points import SIZE_ORDER


class BulkMode:
    """Direct inserts of parcels, places, items and journal events, in
    batches (see the module docstring)"""

    def __init__(self, gen, factory, points, suppliers, terms):
        self.gen = gen
        self.pool = gen.pool
        self.rng = gen.rng
        self.factory = factory
        self.points = points
        self.suppliers = suppliers
        self.terms = terms
        self.database = gen.transaction.database
        self.postgresql = self.database.name == 'postgresql' or (
            type(self.database).__module__.startswith(
                'trytond.backend.postgresql'))
        self.cells = {}          # point code -> [[id, size index, room]]
        self.column_cache = {}

    def load_cells(self):
        Location = self.pool.get('stock.location')
        for code, point in self.points.items():
            cells = Location.search([
                    ('multipoint_point', '=', point.id),
                    ('storage_kind', '=', 'cell'),
                    ], order=[('barcode', 'ASC')])
            counts = Location.parcel_counts(cells)
            self.cells[code] = [
                [c.id, SIZE_ORDER.index(c.size_class or 'xxl'),
                    (c.capacity or 10 ** 6) - counts[c.id]]
                for c in cells]

    def take_cell(self, code, size_class):
        "A fitting cell with room, the smallest first; None when full"
        size = SIZE_ORDER.index(size_class)
        cells = self.cells[code]
        fitting = [c for c in cells if c[1] >= size and c[2] > 0]
        if not fitting:
            return None
        best = min(c[1] for c in fitting)
        choice = self.rng.choice([c for c in fitting if c[1] == best])
        choice[2] -= 1
        return choice[0]

    def columns(self, Model, known):
        """The stored columns of Model we fill, plus the defaults of those
        the model may have gained since this script was written"""
        if Model.__name__ in self.column_cache:
            return self.column_cache[Model.__name__]
        from trytond import backend
        from trytond.model import fields
        skip = {'id', 'create_uid', 'create_date', 'write_uid', 'write_date'}
        table = backend.TableHandler(Model)
        extra = []
        for name, field in Model._fields.items():
            if (name in skip or name in known
                    or isinstance(field, fields.Function)
                    or field._type in {'one2many', 'many2many'}
                    or not table.column_exist(name)):
                continue
            extra.append(name)
        defaults = Model.default_get(extra, with_rec_name=False) if extra \
            else {}
        if extra:
            log("  note: %s has columns unknown to this script, filled "
                "with defaults: %s", Model.__name__,
                ', '.join(f'{k}={defaults.get(k)!r}' for k in extra))
        result = (extra, [defaults.get(k) for k in extra])
        self.column_cache[Model.__name__] = result
        return result

    def reserve_ids(self, table, count):
        connection = self.gen.transaction.connection
        if self.postgresql:
            return self.database.nextid(connection, table, count)
        cursor = connection.cursor()
        cursor.execute(f'SELECT MAX(id) FROM "{table}"')
        start = (cursor.fetchone()[0] or 0) + 1
        return list(range(start, start + count))

    def insert(self, Model, columns, rows):
        if not rows:
            return
        extra, defaults = self.columns(Model, set(columns))
        columns = list(columns) + extra
        if extra:
            rows = [list(r) + defaults for r in rows]
        table = Model._table
        cursor = self.gen.transaction.connection.cursor()
        if self.postgresql:
            names = ', '.join(f'"{c}"' for c in columns)
            with cursor.copy(
                    f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            t = Model.__table__()
            per = max(1, 900 // len(columns))
            for sub in chunks(rows, per):
                cursor.execute(*t.insert(
                        [getattr(t, c) for c in columns], values=sub))

    def run(self, n, batch=5000):
        pool = self.pool
        Parcel = pool.get('multipoint.parcel')
        Place = pool.get('multipoint.parcel.place')
        Line = pool.get('multipoint.parcel.line')
        Event = pool.get('multipoint.parcel.event')
        Terms = pool.get('multipoint.supplier.terms')
        from trytond.modules.multipoint_core.parcel import (
            normalize_name, normalize_phone)
        self.load_cells()
        rng = self.rng
        weights = bulk_states(self.factory.history_days)
        states = list(weights)
        parcel_cols = ['id', 'create_uid', 'create_date', 'company',
            'supplier', 'order_number', 'point', 'manifest',
            'recipient_name', 'recipient_phone', 'recipient_key',
            'phone_last4', 'prepaid', 'cod_amount', 'delivery_fee',
            'declared_value', 'weight', 'size_class', 'cell', 'reception',
            'arrival_date', 'storage_deadline', 'storage_until',
            'storage_limit_hours', 'state']
        # what Parcel.issue_to_recipient records, when the model has it
        issue_cols = ['issued_at', 'issued_by', 'verification']
        with_issue = set(issue_cols) <= set(Parcel._fields)
        if with_issue:
            parcel_cols += issue_cols
        place_cols = ['create_uid', 'create_date', 'parcel', 'supplier',
            'barcode', 'weight', 'state', 'damaged', 'reception']
        line_cols = ['create_uid', 'create_date', 'parcel', 'name',
            'article', 'quantity', 'unit_price', 'vat_rate', 'refusable',
            'refused_quantity']
        event_cols = ['create_uid', 'create_date', 'parcel', 'date', 'user',
            'point', 'kind', 'from_state', 'to_state', 'cell', 'reception',
            'detail']
        started = time.time()
        done = 0
        totals = defaultdict(int)
        first_id = None
        manifests = {}
        while done < n:
            size = min(batch, n - done)
            ids = self.reserve_ids(Parcel._table, size)
            if first_id is None:
                first_id = ids[0]
            parcels, places, lines, events = [], [], [], []
            for parcel_id in ids:
                state = rng.choices(states, [weights[s] for s in states])[0]
                code, key = self.factory.choose()
                if state == 'partially_issued' and not self.terms[
                        (key, code)]['partial_buyout']:
                    state = 'issued'
                plan = self.factory.history(state, code, key)
                manifest = None
                if plan['arrival_day'] is not None:
                    prefix = self.factory.supplier_info[key]['prefix']
                    day = (self.gen.now - dt.timedelta(
                            days=plan['arrival_day'])).strftime('%y%m%d')
                    manifest = f'{prefix}-{day}-{code}'
                elif state == 'expected':
                    manifest = manifests.setdefault((code, key), (
                            f"{self.factory.supplier_info[key]['prefix']}-"
                            f"{(self.gen.now + dt.timedelta(days=1)):%y%m%d}"
                            f"-{code}"))
                    if rng.random() < 0.4:
                        manifest = None
                values = self.factory.values(code, key, manifest=manifest)
                point = self.points[code]
                phone = normalize_phone(values['recipient_phone'])
                path = list(plan['path'])
                cell = None
                if any(s == 'stored' for s, _ in path):
                    if state == 'stored':
                        cell = self.take_cell(code, values['size_class'])
                        if cell is None:    # the point is full
                            path = path[:1]
                            state = 'accepted'
                    else:
                        # it was in a cell before; which one does not
                        # matter for the history
                        cells = self.cells[code]
                        size_i = SIZE_ORDER.index(values['size_class'])
                        fitting = [c[0] for c in cells if c[1] >= size_i]
                        cell = rng.choice(fitting) if fitting else None
                final_cell = cell if state in {
                    'stored', 'refused', 'to_return'} else None
                arrival = plan.get('arrival')
                deadline = until = limit_hours = None
                if arrival:
                    # the end of storage as acceptance computes it
                    term = self.terms[(key, code)]
                    probe = Parcel(point=point, arrival_date=seconds(arrival))
                    probe.set_storage_end(Terms(
                            storage_days=term['storage_days'],
                            storage_hours=term.get('storage_hours')))
                    deadline, until, limit_hours = (probe.storage_deadline,
                        probe.storage_until, probe.storage_limit_hours)
                operators = self.gen.operators.get(code) or [None]
                user = rng.choice(operators)
                row = [parcel_id, 0, plan['created'],
                    values['company'], values['supplier'],
                    values['order_number'], values['point'], manifest,
                    values['recipient_name'], phone,
                    normalize_name(values['recipient_name']),
                    phone[-4:], values['prepaid'], values['cod_amount'],
                    values['delivery_fee'], values['declared_value'],
                    values['weight'], values['size_class'], final_cell,
                    None, seconds(arrival), deadline, until, limit_hours,
                    state]
                if with_issue:
                    if state in {'issued', 'partially_issued'}:
                        id_check = self.terms[(key, code)].get(
                            'id_check_required')
                        row += [seconds(path[-1][1]), user,
                            'id_check' if id_check else 'code']
                    else:
                        row += [None, None, None]
                parcels.append(row)
                arrived = state not in {'expected', 'cancelled'}
                barcodes = values['places'] or [
                    {'barcode': values['order_number'], 'weight': None}]
                for place in barcodes:
                    places.append([0, plan['created'], parcel_id,
                            values['supplier'], place['barcode'],
                            place['weight'],
                            'received' if arrived else 'expected', False,
                            None])
                refused_line = None
                if state == 'partially_issued':
                    refusable = [i for i, l in enumerate(values['lines'])
                        if l['refusable']]
                    if refusable:
                        refused_line = rng.choice(refusable)
                for i, line in enumerate(values['lines']):
                    lines.append([0, plan['created'], parcel_id,
                            line['name'], line['article'], line['quantity'],
                            line['unit_price'], line['vat_rate'],
                            line['refusable'],
                            1 if i == refused_line else 0])
                events.append([0, plan['created'], parcel_id,
                        plan['created'], None, point.id, 'created', None,
                        'expected', None, None, None])
                previous = 'expected'
                for to_state, moment in path:
                    events.append([0, moment, parcel_id, moment, user,
                            point.id, 'state', previous, to_state,
                            cell if to_state == 'stored' else None, None,
                            None])
                    previous = to_state
                totals[state] += 1
            self.insert(Parcel, parcel_cols, parcels)
            self.insert(Place, place_cols, places)
            self.insert(Line, line_cols, lines)
            self.insert(Event, event_cols, events)
            self.gen.commit()
            done += size
            elapsed = time.time() - started
            log("  %d/%d parcels, %d places, %d events in this batch; "
                "%.0f parcels/s", done, n, len(places), len(events),
                done / elapsed)
        self.validate(first_id, n)
        self.issue_codes(first_id, n)
        if self.postgresql:
            cursor = self.gen.transaction.connection.cursor()
            for Model in [Parcel, Place, Line, Event]:
                cursor.execute(f'ANALYZE "{Model._table}"')
        self.gen.commit()
        log("  %d parcels inserted in %.0f s (%.0f parcels/s)", n,
            time.time() - started, n / (time.time() - started))
        return totals

    def issue_codes(self, first_id, n):
        "Parcels at the point have an issue code since their acceptance"
        Parcel = self.pool.get('multipoint.parcel')
        if not hasattr(Parcel, 'generate_codes'):
            return
        parcels = Parcel.search([
                ('id', '>=', first_id), ('id', '<', first_id + n),
                ('state', 'in', ['accepted', 'stored']),
                ], order=[('id', 'ASC')])
        for sub in chunks(parcels, 1000):
            Parcel.generate_codes(sub)
        self.gen.commit()
        log("  issue codes for the %d parcels at the points", len(parcels))

    def validate(self, first_id, n):
        "The model's own checks on a sample of what was inserted"
        pool = self.pool
        Parcel = pool.get('multipoint.parcel')
        Place = pool.get('multipoint.parcel.place')
        Line = pool.get('multipoint.parcel.line')
        table = Parcel.__table__()
        cursor = self.gen.transaction.connection.cursor()
        cursor.execute(*table.select(table.id,
                where=table.id >= first_id, order_by=[table.id]))
        ids = [i for i, in cursor]
        sample = sorted(self.rng.sample(ids, min(len(ids), 200)))
        parcels = Parcel.browse(sample)
        Parcel._validate(parcels)
        Place._validate(Place.browse(
                [pl.id for p in parcels for pl in p.places]))
        Line._validate(Line.browse(
                [ln.id for p in parcels for ln in p.lines]))
        log("  sample of %d parcels validated by the model", len(parcels))
