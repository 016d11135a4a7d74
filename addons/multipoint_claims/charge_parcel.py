"""The parcels of a charge: a supplier charges one amount for one parcel,
for several (a lost bag, a fine per act) or for none (the point was
closed). Each charged parcel keeps who was on shift at its acceptance or
issue, and the supplier's amount for it when its report gives one.
"""
from decimal import Decimal

from sql import Null

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.modules.multipoint_core.guard import GuardMixin
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .exceptions import ChargeValidationError

CENT = Decimal('0.01')
_money = {'digits': (16, 2)}


class ChargeParcel(GuardMixin, ModelSQL, ModelView):
    "Charged Parcel"
    __name__ = 'multipoint.charge.parcel'
    # the parcels change with the charge, while it is new
    _guard_parent = ('charge', 'parcels')

    charge = fields.Many2One(
        'multipoint.charge', "Charge", required=True, ondelete='CASCADE')
    parcel = fields.Many2One(
        'multipoint.parcel', "Parcel", required=True, ondelete='RESTRICT',
        domain=[
            ('supplier', '=', Eval('_parent_charge', {}).get('supplier', -1)),
            ('point', '=', Eval('_parent_charge', {}).get('point', -1)),
            ])
    order_number = fields.Function(
        fields.Char("Order Number"), 'get_order_number')
    amount = fields.Numeric(
        "Amount", **_money, domain=['OR',
            ('amount', '=', None),
            ('amount', '>', 0),
            ],
        help="The supplier's amount for this parcel, when its report "
        "gives one.")
    share = fields.Function(
        fields.Numeric("Share", **_money,
            help="The part of the charge's amount for this parcel: its "
            "own amount, else an equal part of what is left."),
        'get_share')
    operator = fields.Many2One(
        'res.user', "Operator", readonly=True, ondelete='SET NULL',
        help="Who accepted or issued the parcel, from its journal.")
    operator_step = fields.Selection([
            (None, ""),
            ('accepted', "Acceptance"),
            ('issued', "Issue"),
            ], "Operator's Step", readonly=True)
    operator_at = fields.DateTime("Operator's Step At", readonly=True)
    shift = fields.Many2One(
        'sale.point.cash.session', "Shift", readonly=True,
        ondelete='SET NULL',
        help="The shift of the point open at the operator's step.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.charge, Index.Equality())),
                Index(t, (t.parcel, Index.Equality())),
                Index(t, (t.operator, Index.Equality())),
                })
        cls._order = [('charge', 'ASC'), ('id', 'ASC')]

    @classmethod
    def __register__(cls, module):
        pool = Pool()
        Charge = pool.get('multipoint.charge')
        super().__register__(module)
        # a charge had one parcel, in its own column: it becomes the
        # charge's first (and only) parcel
        charge_h = backend.TableHandler(Charge, module)
        if not charge_h.column_exist('parcel'):
            return
        cursor = Transaction().connection.cursor()
        table, charge = cls.__table__(), Charge.__table__()
        cursor.execute(*table.insert(
                [table.charge, table.parcel, table.operator,
                    table.operator_step, table.operator_at, table.shift,
                    table.create_uid, table.create_date],
                charge.select(
                    charge.id, charge.parcel, charge.operator,
                    charge.operator_step, charge.operator_at, charge.shift,
                    charge.create_uid, charge.create_date,
                    where=charge.parcel != Null)))
        charge_h.drop_column('parcel')

    def get_order_number(self, name):
        return self.parcel.order_number

    @classmethod
    def get_share(cls, lines, name):
        result = {}
        for charge in {l.charge for l in lines}:
            result.update(charge.parcel_shares())
        return {l.id: result.get(l.id) for l in lines}

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('amount') is not None:
            values['amount'] = Decimal(str(values['amount'])).quantize(CENT)
        return values

    def get_rec_name(self, name):
        return self.parcel.rec_name

    def check_parcel(self):
        "The parcel is of the charge's supplier and point"
        parcel, charge = self.parcel, self.charge
        if (parcel.supplier != charge.supplier
                or parcel.point != charge.point):
            raise ChargeValidationError(gettext(
                    'multipoint_claims.msg_charge_parcel_mismatch',
                    parcel=parcel.rec_name, charge=charge.rec_name))

    @classmethod
    def validate_fields(cls, lines, field_names):
        super().validate_fields(lines, field_names)
        for line in lines:
            line.check_parcel()

    @classmethod
    def on_modification(cls, mode, lines, field_names=None):
        super().on_modification(mode, lines, field_names=field_names)
        Charge = Pool().get('multipoint.charge')
        if mode == 'create' or (mode == 'write' and field_names
                and 'parcel' in field_names):
            Charge.set_operator(list({l.charge for l in lines}))
