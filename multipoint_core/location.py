
from sql import Null
from sql.aggregate import Count

from trytond.i18n import gettext
from trytond.model import Index, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.report import Report
from trytond.transaction import Transaction

from .exceptions import CellError
from .pdf import Document

SIZE_CLASSES = [
    (None, ""),
    ('xs', "XS (envelope)"),
    ('s', "S"),
    ('m', "M"),
    ('l', "L"),
    ('xl', "XL"),
    ('xxl', "Oversize"),
    ]
SIZE_ORDER = {k: i for i, (k, _) in enumerate(SIZE_CLASSES) if k}


class Location(metaclass=PoolMeta):
    "Zones, racks and cells of a pickup point are storage locations"
    __name__ = 'stock.location'
    multipoint_point = fields.Many2One(
        'multipoint.point', "Pickup Point", ondelete='RESTRICT',
        states={'readonly': Eval('id', -1) >= 0})
    storage_kind = fields.Selection([
            (None, ""),
            ('zone', "Zone"),
            ('rack', "Rack"),
            ('cell', "Cell"),
            ], "Storage Kind",
        states={'invisible': Eval('type') != 'storage'})
    barcode = fields.Char(
        "Barcode", strip=True,
        states={
            'invisible': Eval('storage_kind') != 'cell',
            'required': Eval('storage_kind') == 'cell',
            })
    size_class = fields.Selection(
        SIZE_CLASSES, "Size Class",
        states={'invisible': Eval('storage_kind') != 'cell'},
        help="The largest parcel size the cell holds.")
    capacity = fields.Integer(
        "Capacity", states={'invisible': Eval('storage_kind') != 'cell'},
        domain=['OR', ('capacity', '=', None), ('capacity', '>', 0)],
        help="How many parcels fit in the cell.")
    parcel_count = fields.Function(
        fields.Integer("Parcels"), 'get_parcel_count')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('multipoint_barcode_unique',
                Unique(t, t.multipoint_point, t.barcode),
                'multipoint_core.msg_cell_barcode_unique'),
            ]
        cls._sql_indexes.add(
            Index(t,
                (t.barcode, Index.Equality()),
                (t.multipoint_point, Index.Equality()),
                where=t.barcode != Null))

    @classmethod
    def default_multipoint_point(cls):
        return Transaction().context.get('multipoint_point')

    @classmethod
    def preprocess_values(cls, mode, values):
        "A zone, rack or cell belongs to the point of its parent"
        values = super().preprocess_values(mode, values)
        if (mode == 'create' and values.get('parent')
                and not values.get('multipoint_point')):
            parent = cls(values['parent'])
            if parent.multipoint_point:
                values['multipoint_point'] = parent.multipoint_point.id
        return values

    @classmethod
    def validate_fields(cls, locations, field_names):
        super().validate_fields(locations, field_names)
        for location in locations:
            if (location.storage_kind == 'cell'
                    and not location.multipoint_point):
                raise CellError(gettext(
                        'multipoint_core.msg_cell_without_point',
                        cell=location.rec_name))

    @classmethod
    def get_parcel_count(cls, cells, name):
        return cls.parcel_counts(cells)

    @classmethod
    def parcel_counts(cls, cells):
        "Parcels stored per cell, in one query"
        Parcel = Pool().get('multipoint.parcel')
        parcel = Parcel.__table__()
        cursor = Transaction().connection.cursor()
        counts = {c.id: 0 for c in cells}
        if not counts:
            return counts
        cursor.execute(*parcel.select(
                parcel.cell, Count(parcel.id),
                where=parcel.cell.in_(list(counts))
                & (parcel.state == 'stored'),
                group_by=[parcel.cell]))
        counts.update(dict(cursor))
        return counts

    def fits(self, size_class):
        "Whether a parcel of size_class goes into this cell"
        if not self.size_class or not size_class:
            return True
        return SIZE_ORDER[size_class] <= SIZE_ORDER[self.size_class]


class CellLabels(Report):
    "Printable sheet of cell labels with Code128 barcodes"
    __name__ = 'multipoint.cell.labels'

    @classmethod
    def _execute(cls, records, header, data, action):
        cells = [r for r in records if r.barcode]
        doc = Document(gettext('multipoint_core.msg_cell_labels_title'))
        doc.label_grid([
                (c.barcode, c.rec_name,
                    c.multipoint_point.rec_name if c.multipoint_point else '')
                for c in cells])
        return 'pdf', doc.render()
