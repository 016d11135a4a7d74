import datetime as dt

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.transaction import Transaction

from .exceptions import EventImmutableError
from .guard import privileged
from .parcel import STATES

KINDS = [
    ('created', "Created"),
    ('state', "State Change"),
    ('scan', "Scan"),
    ('placement', "Placement"),
    ('move', "Moved Between Cells"),
    ('damaged', "Damaged"),
    ('missing', "Missing Place"),
    ('search', "Recipient Search"),
    ('service', "Recipient Served"),
    ('code_locked', "Issue Code Locked"),
    ('extension', "Storage Extended"),
    ('return', "Returned to Supplier"),
    ('customer_return', "Customer Return"),
    ('inventory', "Inventory"),
    ('note', "Note"),
    ('photo', "Photo at the Desk"),
    ('change', "Data Changed"),
    ]


class ParcelEvent(ModelSQL, ModelView):
    "Parcel Event"
    __name__ = 'multipoint.parcel.event'
    parcel = fields.Many2One(
        'multipoint.parcel', "Parcel", required=True, readonly=True,
        ondelete='RESTRICT')
    date = fields.Timestamp("Date", required=True, readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True)
    point = fields.Many2One('multipoint.point', "Point", readonly=True)
    kind = fields.Selection(KINDS, "Kind", required=True, readonly=True)
    from_state = fields.Selection(
        [(None, "")] + STATES, "From State", readonly=True)
    to_state = fields.Selection(
        [(None, "")] + STATES, "To State", readonly=True)
    cell = fields.Many2One('stock.location', "Cell", readonly=True)
    reception = fields.Many2One(
        'multipoint.reception', "Reception", readonly=True)
    detail = fields.Char("Detail", readonly=True)
    duration = fields.Integer(
        "Duration (s)", readonly=True,
        help="For a served recipient: seconds from the search to the issue.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.parcel, Index.Equality()),
                    (t.date, Index.Range())),
                Index(t, (t.point, Index.Equality()),
                    (t.date, Index.Range())),
                })
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def log(cls, parcels, kind, to_state=None, cell=None, reception=None,
            detail=None, durations=None):
        """Append one event per parcel in a single create: the journal is
        written by the business actions only, never by a user directly"""
        user = Transaction().user or None
        now = dt.datetime.utcnow()
        vlist = [{
                'parcel': p.id,
                'date': now,
                'user': user,
                'point': p.point.id,
                'kind': kind,
                'from_state': p.state if kind == 'state' else None,
                'to_state': to_state or (
                    p.state if kind == 'created' else None),
                'cell': cell.id if cell else None,
                'reception': reception.id if reception else None,
                'detail': detail,
                'duration': (durations or {}).get(p),
                } for p in parcels]
        with privileged():
            return cls.create(vlist)

    @classmethod
    def check_modification(cls, mode, events, values=None, external=False):
        super().check_modification(
            mode, events, values=values, external=external)
        # the journal is append-only; only the database owner (root) may
        # repair it
        if mode in {'write', 'delete'} and Transaction().user:
            raise EventImmutableError(gettext(
                    'multipoint_core.msg_event_immutable'))
