import datetime as dt
from zoneinfo import ZoneInfo

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import timezone as tz
from trytond.transaction import Transaction

from .guard import Workflow
from .exceptions import PointError

TIMEZONES = [(z, z) for z in sorted(tz.available_timezones())]
PAYMENT_METHODS = [
    ('cash', "Cash"),
    ('card', "Card"),
    ('sbp', "SBP (Faster Payments)"),
    ]


class Point(DeactivableMixin, Workflow, ModelSQL, ModelView):
    "Pickup Point"
    __name__ = 'multipoint.point'
    _states = {'readonly': Eval('state') == 'closed'}

    code = fields.Char("Code", required=True, strip=True, states=_states)
    name = fields.Char("Name", required=True, states=_states)
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    city = fields.Char("City", states=_states)
    address = fields.Text("Address", required=True, states=_states)
    phone = fields.Char("Phone", states=_states)
    email = fields.Char("E-mail", states=_states)
    opening_hours = fields.Char(
        "Opening Hours", states=_states,
        help="For example: Mon-Fri 10:00-21:00, Sat-Sun 10:00-18:00")
    timezone = fields.Selection(
        TIMEZONES, "Time Zone", required=True, translate=False,
        states=_states)
    storage_hours = fields.Integer(
        "Storage Limit (hours)", states=_states,
        domain=['OR', ('storage_hours', '=', None),
            ('storage_hours', '>', 0)],
        help="The legal limit of storage at this point (for example 72 in "
        "a residential building): a parcel's storage ends at the latest "
        "this many hours after its arrival, whatever the supplier's terms "
        "and extensions give. Empty: no limit of the point.")
    payment_methods = fields.MultiSelection(
        PAYMENT_METHODS, "Accepted Payment Methods", states=_states)
    warehouse = fields.Many2One(
        'stock.location', "Warehouse", readonly=True, ondelete='RESTRICT',
        domain=[('type', '=', 'warehouse')],
        help="Created with the point; its storage holds zones, racks and "
        "cells.")
    staff = fields.Many2Many(
        'multipoint.point-res.user', 'point', 'user', "Staff")
    state = fields.Selection([
            ('draft', "Draft"),
            ('active', "Active"),
            ('closed', "Closed"),
            ], "State", readonly=True, required=True, sort=False)
    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'multipoint_core.msg_point_code_unique'),
            ]
        cls._sql_indexes.add(
            Index(t, (t.state, Index.Equality(cardinality='low'))))
        cls._order = [('code', 'ASC'), ('id', 'ASC')]
        cls._transitions |= {
            ('draft', 'active'),
            ('active', 'closed'),
            ('closed', 'active'),
            }
        cls._buttons.update({
                'activate': {
                    'invisible': Eval('state') == 'active',
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') != 'active',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_state():
        return 'draft'

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @staticmethod
    def default_timezone():
        return 'Europe/Moscow'

    @staticmethod
    def default_payment_methods():
        return ['cash', 'card', 'sbp']

    def get_rec_name(self, name):
        return f'{self.code} {self.name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        if operator.startswith('!') or operator.startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op,
            ('code', operator, operand, *extra),
            ('name', operator, operand, *extra),
            ]

    @property
    def tzinfo(self):
        return ZoneInfo(self.timezone or 'UTC')

    def local_date(self, moment=None):
        "The calendar date at the point for a UTC moment (now by default)"
        moment = moment or dt.datetime.utcnow()
        return moment.replace(tzinfo=dt.timezone.utc).astimezone(
            self.tzinfo).date()

    def local_midnight(self, date):
        "The UTC moment the local calendar date begins at the point"
        moment = dt.datetime.combine(date, dt.time(), tzinfo=self.tzinfo)
        return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def local_time(self, moment):
        "The point's local wall-clock time of a naive UTC moment"
        return moment.replace(tzinfo=dt.timezone.utc).astimezone(
            self.tzinfo).replace(tzinfo=None)

    @property
    def storage_location(self):
        return self.warehouse.storage_location if self.warehouse else None

    @classmethod
    def create(cls, vlist):
        points = super().create(vlist)
        cls._create_warehouses([p for p in points if not p.warehouse])
        return points

    @classmethod
    def _create_warehouses(cls, points):
        "Give each point a warehouse whose storage holds its cells"
        if not points:
            return
        Location = Pool().get('stock.location')
        for point in points:
            children = Location.create([{
                        'name': gettext(f'multipoint_core.msg_location_{k}'),
                        'code': f'{point.code}-{k.upper()}',
                        'type': 'storage',
                        'multipoint_point': point.id,
                        } for k in ('input', 'output', 'storage')])
            input_, output, storage = children
            warehouse, = Location.create([{
                        'name': point.name,
                        'code': point.code,
                        'type': 'warehouse',
                        'multipoint_point': point.id,
                        'input_location': input_.id,
                        'output_location': output.id,
                        'storage_location': storage.id,
                        }])
            Location.write(children, {'parent': warehouse.id})
            point.warehouse = warehouse
        cls.save(points)

    @classmethod
    def check_modification(cls, mode, points, values=None, external=False):
        super().check_modification(
            mode, points, values=values, external=external)
        if mode == 'delete':
            for point in points:
                if point.state != 'draft':
                    raise PointError(gettext(
                            'multipoint_core.msg_point_delete_not_draft',
                            point=point.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('active')
    def activate(cls, points):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, points):
        pass


class PointStaff(ModelSQL):
    "Pickup Point - Staff"
    __name__ = 'multipoint.point-res.user'
    point = fields.Many2One(
        'multipoint.point', "Point", required=True, ondelete='CASCADE')
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        # the record rules of the points carry each user's point ids in
        # their cached domains: a point given or taken away changes them
        Pool().get('ir.rule')._domain_get_cache.clear()

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('point_user_unique', Unique(t, t.point, t.user),
                'multipoint_core.msg_point_staff_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.user, Index.Equality())))
