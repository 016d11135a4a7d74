"""Inventory counts (инвентаризация): the operator scans the cells of a point
and the parcels in them; at completion the differences with the recorded
cells become lines to resolve (found, moved, lost, sent to the supplier).
"""
import datetime as dt

from sql.aggregate import Count

from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Unique, fields)
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .guard import Workflow, privileged
from .barcode import is_plausible_barcode, is_searchable, shown_barcode
from .exceptions import (
    BarcodeEmptyError, BarcodeInvalidError, CellError, MultipointError)
from .numbering import NumberedMixin
from .parcel import ON_SITE_STATES

# Parcels the counted cells should hold; accepted parcels without a cell
# are expected only when the whole point is counted
EXPECTED_STATES = ['accepted', 'stored']
SCAN_RESULTS = [
    ('ok', "In Place"),
    ('misplaced', "Misplaced"),
    ('unexpected', "Unexpected"),
    ('unknown', "Unknown Barcode"),
    ('duplicate', "Duplicate"),
    ]
LINE_KINDS = [
    ('missing', "Missing"),
    ('unexpected', "Unexpected"),
    ('misplaced', "Misplaced"),
    ]
RESOLUTIONS = [
    ('found', "Found"),
    ('moved', "Moved"),
    ('lost', "Lost"),
    ('sent_to_supplier', "Sent to Supplier"),
    ]


class InventoryError(MultipointError):
    api_code = 'inventory'


class InventoryClosedError(InventoryError):
    api_code = 'inventory_closed'


class InventoryResolveError(InventoryError):
    api_code = 'inventory_resolve'


class Inventory(NumberedMixin, Workflow, ModelSQL, ModelView):
    "Inventory"
    __name__ = 'multipoint.inventory'
    _number_sequence = 'sequence_inventory'
    _rec_name = 'number'
    _draft = {'readonly': Eval('state') != 'draft'}

    number = fields.Char("Number", readonly=True)
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_draft)
    point = fields.Many2One(
        'multipoint.point', "Point", required=True, ondelete='RESTRICT',
        states={'readonly': Eval('id', -1) >= 0},
        domain=[
            ('state', '=', 'active'),
            ('company', '=', Eval('company', -1)),
            ])
    cells = fields.Many2Many(
        'multipoint.inventory-stock.location', 'inventory', 'cell',
        "Cells", states=_draft,
        domain=[
            ('multipoint_point', '=', Eval('point', -1)),
            ('storage_kind', '=', 'cell'),
            ],
        help="Leave empty to count the whole point.")
    current_cell = fields.Many2One(
        'stock.location', "Current Cell", readonly=True,
        domain=[
            ('multipoint_point', '=', Eval('point', -1)),
            ('storage_kind', '=', 'cell'),
            ],
        help="The last cell scanned: the next parcels are counted in it.")
    note = fields.Text("Note")
    started_at = fields.DateTime("Started At", readonly=True)
    finished_at = fields.DateTime("Finished At", readonly=True)
    scans = fields.One2Many(
        'multipoint.inventory.scan', 'inventory', "Scans", readonly=True)
    lines = fields.One2Many(
        'multipoint.inventory.line', 'inventory', "Differences",
        readonly=True)
    expected_snapshot = fields.Integer(
        "Expected at Completion", readonly=True)
    expected_count = fields.Function(
        fields.Integer("Expected",
            help="Parcels the counted cells should hold."),
        'get_counts')
    scanned_count = fields.Function(
        fields.Integer("Scanned",
            help="Places scanned, without the duplicates."),
        'get_counts')
    ok_count = fields.Function(fields.Integer("In Place"), 'get_counts')
    misplaced_count = fields.Function(
        fields.Integer("Misplaced"), 'get_counts')
    unexpected_count = fields.Function(
        fields.Integer("Unexpected",
            help="Places of other points, not on site or unknown."),
        'get_counts')
    duplicate_count = fields.Function(
        fields.Integer("Duplicates"), 'get_counts')
    missing_count = fields.Function(
        fields.Integer("Missing",
            help="Expected parcels not scanned (yet)."),
        'get_counts')
    open_count = fields.Function(
        fields.Integer("Unresolved"), 'get_counts')
    state = fields.Selection([
            ('draft', "Draft"),
            ('in_progress', "In Progress"),
            ('done', "Completed"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')
    del _draft

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.point, Index.Equality()),
                (t.state, Index.Equality(cardinality='low'))))
        cls._order = [('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'in_progress'),
            ('in_progress', 'done'),
            ('draft', 'cancelled'),
            ('in_progress', 'cancelled'),
            }
        cls._buttons.update({
                'start': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'scan_wizard': {
                    'invisible': Eval('state') != 'in_progress',
                    'depends': ['state'],
                    },
                'complete': {
                    'invisible': Eval('state') != 'in_progress',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(
                        ['draft', 'in_progress']),
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @staticmethod
    def default_state():
        return 'draft'

    @classmethod
    def check_modification(cls, mode, inventories, values=None,
            external=False):
        super().check_modification(
            mode, inventories, values=values, external=external)
        if mode == 'delete':
            for inventory in inventories:
                if inventory.state not in {'draft', 'cancelled'}:
                    raise InventoryError(gettext(
                            'multipoint_core.msg_inventory_delete',
                            inventory=inventory.rec_name))

    @classmethod
    def copy(cls, inventories, default=None):
        default = default.copy() if default is not None else {}
        for name in ['number', 'started_at', 'finished_at', 'scans',
                'lines', 'current_cell', 'expected_snapshot']:
            default.setdefault(name, None)
        return super().copy(inventories, default=default)

    def _expected_where(self, table):
        "SQL condition on the parcel table for the expected parcels"
        where = ((table.point == self.point.id)
            & table.state.in_(EXPECTED_STATES))
        if self.cells:
            where &= table.cell.in_([c.id for c in self.cells])
        return where

    @classmethod
    def get_counts(cls, inventories, names):
        "Counts of every inventory in a few grouped queries"
        pool = Pool()
        Scan = pool.get('multipoint.inventory.scan')
        Line = pool.get('multipoint.inventory.line')
        Parcel = pool.get('multipoint.parcel')
        cursor = Transaction().connection.cursor()
        ids = [i.id for i in inventories]
        result = {n: {i: 0 for i in ids} for n in names}
        by_result = {i: {} for i in ids}
        scan = Scan.__table__()
        cursor.execute(*scan.select(
                scan.inventory, scan.result, Count(scan.id),
                where=scan.inventory.in_(ids),
                group_by=[scan.inventory, scan.result]))
        for inventory_id, result_, count in cursor:
            by_result[inventory_id][result_] = count
        missing, unresolved = {i: 0 for i in ids}, {i: 0 for i in ids}
        line = Line.__table__()
        cursor.execute(*line.select(
                line.inventory, line.kind, line.state, Count(line.id),
                where=line.inventory.in_(ids),
                group_by=[line.inventory, line.kind, line.state]))
        for inventory_id, kind, state, count in cursor:
            if kind == 'missing':
                missing[inventory_id] += count
            if state == 'open':
                unresolved[inventory_id] += count
        expected = {}
        parcel = Parcel.__table__()
        for inventory in inventories:
            if inventory.state == 'done':
                expected[inventory.id] = inventory.expected_snapshot or 0
                continue
            if not ({'expected_count', 'missing_count'} & set(names)):
                continue
            where = inventory._expected_where(parcel)
            cursor.execute(*parcel.select(Count(parcel.id), where=where))
            expected[inventory.id], = cursor.fetchone()
            if inventory.state == 'in_progress':
                cursor.execute(*parcel.select(Count(parcel.id),
                        where=where & parcel.id.in_(scan.select(
                                scan.parcel,
                                where=(scan.inventory == inventory.id)
                                & (scan.parcel != None)))))  # noqa: E711
                found, = cursor.fetchone()
                missing[inventory.id] = expected[inventory.id] - found
        for inventory_id in ids:
            counts = by_result[inventory_id]
            values = {
                'expected_count': expected.get(inventory_id, 0),
                'scanned_count': sum(
                    c for r, c in counts.items() if r != 'duplicate'),
                'ok_count': counts.get('ok', 0),
                'misplaced_count': counts.get('misplaced', 0),
                'unexpected_count': (counts.get('unexpected', 0)
                    + counts.get('unknown', 0)),
                'duplicate_count': counts.get('duplicate', 0),
                'missing_count': missing[inventory_id],
                'open_count': unresolved[inventory_id],
                }
            for name in names:
                result[name][inventory_id] = values[name]
        return result

    def check_in_progress(self):
        if self.state != 'in_progress':
            raise InventoryClosedError(gettext(
                    'multipoint_core.msg_inventory_not_in_progress',
                    inventory=self.rec_name, state=self.state_string))

    def find_cell(self, barcode):
        "The cell of the point labelled barcode, or None"
        Location = Pool().get('stock.location')
        cells = Location.search([
                ('multipoint_point', '=', self.point.id),
                ('barcode', '=', (barcode or '').strip()),
                ('storage_kind', '=', 'cell'),
                ], limit=1)
        if not cells:
            return None
        cell, = cells
        if self.cells and cell not in self.cells:
            raise InventoryError(gettext(
                    'multipoint_core.msg_inventory_cell_not_counted',
                    cell=cell.rec_name, inventory=self.rec_name))
        return cell

    def set_cell(self, cell):
        if self.current_cell != cell:
            # read-only on the form: only scans move the current cell
            with privileged():
                self.__class__.write([self], {'current_cell': cell.id})

    def scan(self, barcode, cell_barcode=None, client_id=None):
        """Record one scan. A cell label makes it the current cell and
        returns None; a place label is recorded in cell_barcode if given,
        else in the current cell, and the scan is returned. A few indexed
        queries whatever the size of the point."""
        pool = Pool()
        Scan = pool.get('multipoint.inventory.scan')
        ModelAccess = pool.get('ir.model.access')
        transaction = Transaction()
        if transaction.user and transaction.check_access:
            # records load without access checks: refuse before any change
            ModelAccess.check(Scan.__name__, 'create')
            self.__class__.read([self.id], ['id'])
        self.check_in_progress()
        barcode = (barcode or '').strip()
        if not barcode:
            raise BarcodeEmptyError(gettext(
                    'multipoint_core.msg_barcode_empty'))
        if not is_searchable(barcode):
            self.refuse_barcode(barcode)
        if client_id:
            # the operator screen resends a scan it could not confirm
            done = Scan.search([
                    ('inventory', '=', self.id),
                    ('client_id', '=', client_id)], limit=1)
            if done:
                return done[0]
        if (cell_barcode or '').strip():
            cell = self.find_cell(cell_barcode)
            if not cell:
                raise CellError(gettext(
                        'multipoint_core.msg_inventory_cell_unknown',
                        barcode=cell_barcode, point=self.point.rec_name))
            self.set_cell(cell)
        else:
            cell = self.find_cell(barcode)
            if cell:
                self.set_cell(cell)
                return None
            cell = self.current_cell
        if not cell and self.cells:
            raise InventoryError(gettext(
                    'multipoint_core.msg_inventory_cell_first',
                    inventory=self.rec_name))
        values = {
            'inventory': self.id,
            'barcode': barcode,
            'cell': cell.id if cell else None,
            'client_id': client_id,
            }
        previous = Scan.search([
                ('inventory', '=', self.id),
                ('barcode', '=', barcode),
                ], order=[('id', 'ASC')], limit=1)
        if previous:
            previous, = previous
            values.update({
                    'result': 'duplicate',
                    'parcel': previous.parcel.id if previous.parcel else None,
                    'recorded_cell': (previous.recorded_cell.id
                        if previous.recorded_cell else None),
                    'detail': gettext(
                        'multipoint_core.msg_inventory_scan_duplicate',
                        cell=previous.cell.rec_name if previous.cell else '—'),
                    })
        else:
            values.update(self._identify(barcode, cell))
        # created, not saved: the access rights of the user apply
        scan, = Scan.create([values])
        return scan

    @staticmethod
    def refuse_barcode(barcode):
        raise BarcodeInvalidError(gettext(
                'multipoint_core.msg_barcode_invalid',
                barcode=shown_barcode(barcode)))

    def _identify(self, barcode, cell):
        "The result of scanning barcode in cell, with the parcel found"
        Place = Pool().get('multipoint.parcel.place')
        # places of other points are looked up too, to tell them from
        # unknown labels; only their point is reported
        with without_check_access():
            places = Place.search([('barcode', '=', barcode)], limit=10)
            here = [p.parcel for p in places
                if p.parcel.point == self.point]
            if here:
                parcel = here[0]
                state, state_string = parcel.state, parcel.state_string
                recorded = parcel.cell
            elif places:
                other = places[0].parcel
                return {
                    'result': 'unexpected',
                    'detail': gettext(
                        'multipoint_core.msg_inventory_scan_other_point',
                        parcel=other.order_number,
                        point=other.point.rec_name),
                    }
        if not places:
            if not is_plausible_barcode(barcode):
                # junk is not an unknown label (see barcode.py)
                self.refuse_barcode(barcode)
            return {'result': 'unknown'}
        elif state not in ON_SITE_STATES:
            return {
                'result': 'unexpected',
                'parcel': parcel.id,
                'detail': gettext(
                    'multipoint_core.msg_inventory_scan_state',
                    state=state_string),
                }
        elif recorded == cell:
            return {
                'result': 'ok',
                'parcel': parcel.id,
                'recorded_cell': recorded.id if recorded else None,
                }
        return {
            'result': 'misplaced',
            'parcel': parcel.id,
            'recorded_cell': recorded.id if recorded else None,
            'detail': gettext(
                'multipoint_core.msg_inventory_scan_misplaced',
                cell=recorded.rec_name if recorded else '—'),
            }

    @classmethod
    @ModelView.button
    @Workflow.transition('in_progress')
    def start(cls, inventories):
        for inventory in inventories:
            inventory.check_overlap()
        cls.write(inventories, {'started_at': dt.datetime.utcnow()})

    def check_overlap(self):
        "Two counts of the same cells at once would report each other"
        running = self.search([
                ('point', '=', self.point.id),
                ('state', '=', 'in_progress'),
                ('id', '!=', self.id),
                ])
        mine = set(self.cells)
        for other in running:
            theirs = set(other.cells)
            if not mine or not theirs or (mine & theirs):
                raise InventoryError(gettext(
                        'multipoint_core.msg_inventory_overlap',
                        inventory=self.rec_name, other=other.rec_name))

    @classmethod
    @ModelView.button_action('multipoint_core.wizard_inventory_scan')
    def scan_wizard(cls, inventories):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def complete(cls, inventories):
        """Compute the differences: a few queries per inventory, whatever
        the number of parcels"""
        pool = Pool()
        Line = pool.get('multipoint.inventory.line')
        vlist = []
        for inventory in inventories:
            lines, expected = inventory._compute_lines()
            vlist += lines
            cls.write([inventory], {'expected_snapshot': expected})
        Line.create(vlist)
        cls.write(inventories, {
                'finished_at': dt.datetime.utcnow(),
                'current_cell': None,
                })

    def _compute_lines(self):
        "The values of the difference lines and the expected count"
        pool = Pool()
        Scan = pool.get('multipoint.inventory.scan')
        Parcel = pool.get('multipoint.parcel')
        cursor = Transaction().connection.cursor()
        scan = Scan.__table__()
        cursor.execute(*scan.select(
                scan.id, scan.parcel, scan.barcode, scan.cell,
                scan.recorded_cell, scan.result, scan.detail,
                where=(scan.inventory == self.id)
                & (scan.result != 'duplicate'),
                order_by=[scan.id.asc]))
        scans = list(cursor)
        parcel = Parcel.__table__()
        cursor.execute(*parcel.select(
                parcel.id, parcel.cell, where=self._expected_where(parcel),
                order_by=[parcel.id.asc]))
        expected = list(cursor)

        lines, seen, misplaced, unexpected = [], set(), {}, {}
        for (scan_id, parcel_id, barcode, cell_id, recorded_id, result,
                detail) in scans:
            if parcel_id:
                seen.add(parcel_id)
            if result == 'misplaced':
                # the last place scanned tells where the parcel is
                misplaced[parcel_id] = (
                    scan_id, barcode, cell_id, recorded_id, detail)
            elif result in {'unexpected', 'unknown'}:
                key = parcel_id or barcode
                unexpected.setdefault(key, (
                        scan_id, parcel_id, barcode, cell_id, detail))
        for parcel_id, cell_id in expected:
            if parcel_id not in seen:
                lines.append({
                        'inventory': self.id,
                        'kind': 'missing',
                        'parcel': parcel_id,
                        'recorded_cell': cell_id,
                        })
        for parcel_id, (scan_id, barcode, cell_id, recorded_id, detail) in (
                misplaced.items()):
            lines.append({
                    'inventory': self.id,
                    'kind': 'misplaced',
                    'parcel': parcel_id,
                    'scan': scan_id,
                    'barcode': barcode,
                    'cell': cell_id,
                    'recorded_cell': recorded_id,
                    'detail': detail,
                    })
        for scan_id, parcel_id, barcode, cell_id, detail in (
                unexpected.values()):
            lines.append({
                    'inventory': self.id,
                    'kind': 'unexpected',
                    'parcel': parcel_id,
                    'scan': scan_id,
                    'barcode': barcode,
                    'cell': cell_id,
                    'detail': detail,
                    })
        return lines, len(expected)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, inventories):
        cls.write(inventories, {'current_cell': None})


class InventoryCell(ModelSQL):
    "Inventory - Cell"
    __name__ = 'multipoint.inventory-stock.location'
    inventory = fields.Many2One(
        'multipoint.inventory', "Inventory", required=True,
        ondelete='CASCADE')
    cell = fields.Many2One(
        'stock.location', "Cell", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('inventory')
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.inventory, Index.Equality())))


class InventoryScan(ModelSQL, ModelView):
    "Inventory Scan"
    __name__ = 'multipoint.inventory.scan'
    inventory = fields.Many2One(
        'multipoint.inventory', "Inventory", required=True,
        ondelete='CASCADE', readonly=True)
    barcode = fields.Char("Barcode", required=True, readonly=True)
    cell = fields.Many2One(
        'stock.location', "Cell", readonly=True, ondelete='RESTRICT',
        help="The cell the place was scanned in.")
    recorded_cell = fields.Many2One(
        'stock.location', "Recorded Cell", readonly=True,
        ondelete='RESTRICT',
        help="The cell the parcel was recorded in when scanned.")
    date = fields.Timestamp("Date", readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True)
    result = fields.Selection(
        SCAN_RESULTS, "Result", required=True, readonly=True)
    result_string = result.translated('result')
    parcel = fields.Many2One(
        'multipoint.parcel', "Parcel", readonly=True, ondelete='RESTRICT')
    detail = fields.Char("Detail", readonly=True)
    client_id = fields.Char(
        "Client Id", readonly=True,
        help="Id given by the scanning device to send a scan only once.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('inventory')
        t = cls.__table__()
        cls._sql_constraints += [
            ('inventory_client_id_unique', Unique(t, t.inventory, t.client_id),
                'multipoint_core.msg_inventory_scan_client_id_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.inventory, Index.Equality()),
                    (t.barcode, Index.Equality())),
                Index(t, (t.inventory, Index.Equality()),
                    (t.result, Index.Equality(cardinality='low'))),
                Index(t, (t.parcel, Index.Equality()),
                    where=t.parcel != None),  # noqa: E711
                })
        cls._order = [('id', 'DESC')]

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            values.setdefault('date', dt.datetime.utcnow())
            values.setdefault('user', Transaction().user or None)
        return values


class InventoryLine(ModelSQL, ModelView):
    "Inventory Line"
    __name__ = 'multipoint.inventory.line'
    _resolved = {'required': Eval('state') == 'resolved'}
    inventory = fields.Many2One(
        'multipoint.inventory', "Inventory", required=True,
        ondelete='CASCADE', readonly=True)
    kind = fields.Selection(LINE_KINDS, "Kind", required=True, readonly=True)
    kind_string = kind.translated('kind')
    parcel = fields.Many2One(
        'multipoint.parcel', "Parcel", readonly=True, ondelete='RESTRICT')
    barcode = fields.Char("Barcode", readonly=True)
    scan = fields.Many2One(
        'multipoint.inventory.scan', "Source Scan", readonly=True,
        ondelete='SET NULL')
    cell = fields.Many2One(
        'stock.location', "Scanned In", readonly=True, ondelete='RESTRICT')
    recorded_cell = fields.Many2One(
        'stock.location', "Recorded Cell", readonly=True,
        ondelete='RESTRICT')
    detail = fields.Char("Detail", readonly=True)
    resolution = fields.Selection(
        [(None, "")] + RESOLUTIONS, "Resolution", readonly=True,
        states=_resolved)
    resolution_string = resolution.translated('resolution')
    reason = fields.Text("Reason", readonly=True, states=_resolved)
    resolved_by = fields.Many2One('res.user', "Resolved By", readonly=True)
    resolved_at = fields.DateTime("Resolved At", readonly=True)
    state = fields.Selection([
            ('open', "Unresolved"),
            ('resolved', "Resolved"),
            ], "State", required=True, readonly=True, sort=False)
    del _resolved

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('inventory')
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.inventory, Index.Equality()),
                    (t.state, Index.Equality(cardinality='low'))),
                Index(t, (t.parcel, Index.Equality()),
                    where=t.parcel != None),  # noqa: E711
                })
        cls._order = [('inventory', 'DESC'), ('kind', 'ASC'), ('id', 'ASC')]
        cls._buttons.update({
                'resolve_wizard': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_state():
        return 'open'

    def get_rec_name(self, name):
        what = self.parcel.rec_name if self.parcel else self.barcode
        return f'{self.kind_string}: {what}'

    @classmethod
    @ModelView.button_action('multipoint_core.wizard_inventory_resolve')
    def resolve_wizard(cls, lines):
        pass

    @classmethod
    def resolve(cls, lines, resolution, reason):
        """Settle differences: found, moved, lost or sent to the supplier.
        Every parcel concerned gets an 'inventory' event with the reason."""
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Event = pool.get('multipoint.parcel.event')
        from .placement import place_parcel
        reason = reason.strip() if isinstance(reason, str) else ''
        if not reason:
            raise InventoryResolveError(gettext(
                    'multipoint_core.msg_inventory_reason_required'))
        resolutions = dict(RESOLUTIONS)
        if not isinstance(resolution, str) or resolution not in resolutions:
            raise InventoryResolveError(gettext(
                    'multipoint_core.msg_inventory_resolution_unknown',
                    resolution=resolution))
        for line in lines:
            if line.inventory.state != 'done':
                raise InventoryResolveError(gettext(
                        'multipoint_core.msg_inventory_resolve_not_done',
                        inventory=line.inventory.rec_name))
            if line.state != 'open':
                raise InventoryResolveError(gettext(
                        'multipoint_core.msg_inventory_line_resolved',
                        line=line.rec_name))
            if not line.parcel and resolution in {'moved', 'lost'}:
                raise InventoryResolveError(gettext(
                        'multipoint_core.msg_inventory_resolve_no_parcel',
                        line=line.rec_name,
                        resolution=resolutions[resolution]))
            if resolution == 'moved' and not line.cell:
                raise InventoryResolveError(gettext(
                        'multipoint_core.msg_inventory_resolve_no_cell',
                        line=line.rec_name))
        parcels = [l.parcel for l in lines if l.parcel]
        if len(set(parcels)) != len(parcels):
            raise InventoryResolveError(gettext(
                    'multipoint_core.msg_inventory_resolve_twice'))
        if resolution == 'lost':
            cls._check_write_off()
            cls._check_parcel_states(lines, resolution,
                {'accepted', 'stored', 'to_return', 'lost'})
        elif resolution == 'sent_to_supplier':
            cls._check_parcel_states(lines, resolution,
                {'accepted', 'stored', 'refused', 'to_return', 'returned'})
        # first, so that the access rights on the lines are checked before
        # any parcel changes
        cls.write(lines, {
                'resolution': resolution,
                'reason': reason,
                'resolved_by': Transaction().user or None,
                'resolved_at': dt.datetime.utcnow(),
                'state': 'resolved',
                })

        if resolution == 'lost':
            Parcel.mark_lost([p for p in parcels if p.state != 'lost'])
        elif resolution == 'sent_to_supplier':
            Parcel.to_return([p for p in parcels
                    if p.state in {'accepted', 'stored', 'refused'}])
            parcels = Parcel.browse(parcels)
            Parcel.return_([p for p in parcels if p.state == 'to_return'])
        elif resolution == 'found':
            lost = [p for p in parcels if p.state == 'lost']
            if lost:
                Parcel.found(lost)
            for line in lines:
                if not line.parcel or not line.cell:
                    continue  # found where it should be: kept as is
                parcel = Parcel(line.parcel.id)
                if (parcel.point == line.inventory.point
                        and parcel.state in {'accepted', 'stored'}
                        and parcel.cell != line.cell):
                    place_parcel(parcel, line.cell)
        elif resolution == 'moved':
            for line in lines:
                parcel = Parcel(line.parcel.id)
                if parcel.cell != line.cell:
                    place_parcel(parcel, line.cell)

        events = {}
        for line in lines:
            if line.parcel:
                events.setdefault((line.inventory, line.kind_string,
                        line.cell), []).append(line.parcel.id)
        for (inventory, kind, cell), parcel_ids in events.items():
            Event.log(Parcel.browse(parcel_ids), 'inventory', cell=cell,
                detail=gettext('multipoint_core.msg_inventory_event',
                    inventory=inventory.rec_name, kind=kind,
                    resolution=resolutions[resolution], reason=reason))

    @classmethod
    def _check_write_off(cls):
        "Losses are written off by those who may press 'Mark Lost'"
        pool = Pool()
        Button = pool.get('ir.model.button')
        User = pool.get('res.user')
        transaction = Transaction()
        if not transaction.user or not transaction.check_access:
            return
        groups = Button.get_groups('multipoint.parcel', 'mark_lost')
        if groups and not (groups & set(User.get_groups())):
            raise AccessError(gettext(
                    'multipoint_core.msg_inventory_lost_owner_only'))

    @classmethod
    def _check_parcel_states(cls, lines, resolution, states):
        for line in lines:
            if line.parcel and line.parcel.state not in states:
                raise InventoryResolveError(gettext(
                        'multipoint_core.msg_inventory_resolve_state',
                        parcel=line.parcel.rec_name,
                        state=line.parcel.state_string,
                        resolution=dict(RESOLUTIONS)[resolution]))


class ScanStart(ModelView):
    "Inventory Scan"
    __name__ = 'multipoint.inventory.scan_places.start'
    inventory = fields.Many2One(
        'multipoint.inventory', "Inventory", readonly=True)
    current_cell = fields.Many2One(
        'stock.location', "Current Cell", readonly=True)
    barcode = fields.Char(
        "Barcode", help="Scan the label of a cell, then of its parcels.")
    last_result = fields.Char("Last Scan", readonly=True)
    progress = fields.Char("Progress", readonly=True)


class ScanPlaces(Wizard):
    "Scan cells and places into an inventory from the web client"
    __name__ = 'multipoint.inventory.scan_places'
    start = StateView('multipoint.inventory.scan_places.start',
        'multipoint_core.inventory_scan_places_start_view_form', [
            Button("Done", 'end', 'tryton-close'),
            Button("Scan", 'scan', 'tryton-ok', default=True),
            ])
    scan = StateTransition()

    def default_start(self, fields):
        inventory = self.model(self.record.id)
        values = {
            'inventory': inventory.id,
            'current_cell': (inventory.current_cell.id
                if inventory.current_cell else None),
            'progress': gettext('multipoint_core.msg_inventory_progress',
                scanned=inventory.scanned_count,
                expected=inventory.expected_count,
                missing=inventory.missing_count),
            }
        if getattr(self.start, 'last_result', None):
            values['last_result'] = self.start.last_result
        return values

    def transition_scan(self):
        inventory = self.record
        scan = inventory.scan(self.start.barcode)
        if scan:
            self.start.last_result = (
                f'{scan.barcode}: {scan.result_string}'
                + (f' ({scan.detail})' if scan.detail else ''))
        else:
            inventory = self.model(inventory.id)
            self.start.last_result = gettext(
                'multipoint_core.msg_inventory_cell_set',
                cell=inventory.current_cell.rec_name)
        self.start.barcode = None
        return 'start'


class ResolveStart(ModelView):
    "Resolve Inventory Differences"
    __name__ = 'multipoint.inventory.line.resolve.start'
    resolution = fields.Selection(RESOLUTIONS, "Resolution", required=True)
    reason = fields.Text(
        "Reason", required=True,
        help="What was found out: it goes into the parcel's history.")


class Resolve(Wizard):
    "Resolve inventory differences"
    __name__ = 'multipoint.inventory.line.resolve'
    start = StateView('multipoint.inventory.line.resolve.start',
        'multipoint_core.inventory_line_resolve_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Resolve", 'resolve', 'tryton-ok', default=True),
            ])
    resolve = StateTransition()

    def transition_resolve(self):
        self.model.resolve(
            self.records, self.start.resolution, self.start.reason)
        return 'end'
