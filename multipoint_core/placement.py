from sql.aggregate import Count, Sum
from sql.conditionals import Case

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import CellError, CellFullError, PlacementError
from .location import SIZE_ORDER


def find_cell(point, barcode):
    "The cell of point labelled barcode"
    Location = Pool().get('stock.location')
    cells = Location.search([
            ('multipoint_point', '=', point.id),
            ('barcode', '=', (barcode or '').strip()),
            ('storage_kind', '=', 'cell'),
            ], limit=1)
    if not cells:
        raise CellError(gettext(
                'multipoint_core.msg_cell_unknown',
                barcode=barcode, point=point.rec_name))
    return cells[0]


def place_parcel(parcel, cell):
    """Put an accepted parcel into cell, or move a stored one there; both
    are recorded in the parcel's journal"""
    pool = Pool()
    Parcel = pool.get('multipoint.parcel')
    Location = pool.get('stock.location')
    Event = pool.get('multipoint.parcel.event')
    if parcel.state not in {'accepted', 'stored'}:
        raise PlacementError(gettext(
                'multipoint_core.msg_place_wrong_state',
                parcel=parcel.rec_name, state=parcel.state_string))
    if cell.storage_kind != 'cell' or cell.multipoint_point != parcel.point:
        raise CellError(gettext(
                'multipoint_core.msg_cell_other_point',
                cell=cell.rec_name, parcel=parcel.rec_name))
    if parcel.cell == cell:
        raise PlacementError(gettext(
                'multipoint_core.msg_place_already_there',
                parcel=parcel.rec_name, cell=cell.rec_name))
    if not cell.fits(parcel.size_class):
        raise CellError(gettext(
                'multipoint_core.msg_cell_too_small',
                cell=cell.rec_name, parcel=parcel.rec_name))
    # lock the cell row so two operators can't overfill it concurrently
    Location.lock([cell])
    if cell.capacity and Location.parcel_counts([cell])[cell.id] >= (
            cell.capacity):
        raise CellFullError(gettext(
                'multipoint_core.msg_cell_full', cell=cell.rec_name))
    if parcel.state == 'stored':
        Event.log([parcel], 'move', cell=cell,
            detail=parcel.cell.rec_name if parcel.cell else None)
        parcel.cell = cell
        parcel.save()
    else:
        Parcel.store([parcel], cell)
    return parcel


def suggest_cell(parcel):
    """The best cell for parcel: first a cell holding the same recipient's
    parcels with room left, then the smallest fitting cell with the most
    room. Two queries, whatever the number of cells."""
    pool = Pool()
    Location = pool.get('stock.location')
    Parcel = pool.get('multipoint.parcel')
    cells = Location.search([
            ('multipoint_point', '=', parcel.point.id),
            ('storage_kind', '=', 'cell'),
            ])
    cells = [c for c in cells if c.fits(parcel.size_class)]
    if not cells:
        return None
    table = Parcel.__table__()
    cursor = Transaction().connection.cursor()
    same_recipient = Case(
        (table.recipient_phone == parcel.recipient_phone, 1), else_=0)
    cursor.execute(*table.select(
            table.cell, Count(table.id), Sum(same_recipient),
            where=(table.point == parcel.point.id)
            & (table.state == 'stored'),
            group_by=[table.cell]))
    used, together = {}, set()
    for cell_id, count, same in cursor:
        used[cell_id] = count
        if same:
            together.add(cell_id)

    def room(cell):
        if not cell.capacity:
            return float('inf')
        return cell.capacity - used.get(cell.id, 0)

    free = [c for c in cells if room(c) > 0 and c != parcel.cell]
    if not free:
        return None
    for cell in free:
        if cell.id in together:
            return cell
    return min(free, key=lambda c: (
            SIZE_ORDER.get(c.size_class, 99), -room(c), c.barcode or ''))


class PlaceParcelStart(ModelView):
    "Place Parcel"
    __name__ = 'multipoint.parcel.place_cell.start'
    parcel = fields.Many2One('multipoint.parcel', "Parcel", readonly=True)
    suggested = fields.Many2One(
        'stock.location', "Suggested Cell", readonly=True)
    cell_barcode = fields.Char(
        "Cell Barcode", required=True,
        help="Scan the label of the cell the parcel goes into.")


class PlaceParcel(Wizard):
    "Place Parcel"
    __name__ = 'multipoint.parcel.place_cell'
    start = StateView('multipoint.parcel.place_cell.start',
        'multipoint_core.parcel_place_cell_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Place", 'place', 'tryton-ok', default=True),
            ])
    place = StateTransition()

    def default_start(self, fields):
        parcel = self.record
        suggested = suggest_cell(parcel)
        return {
            'parcel': parcel.id,
            'suggested': suggested.id if suggested else None,
            'cell_barcode': suggested.barcode if suggested else None,
            }

    def transition_place(self):
        parcel = self.record
        place_parcel(parcel, find_cell(parcel.point, self.start.cell_barcode))
        return 'end'
