"""The suppliers' charges of the points (fines and deductions, with
multipoint_claims): charged, disputed, won back and borne by the point, per
point, supplier, ground and period of the charge's date. Registered when
multipoint_claims is activated; read by the owners and the analytics and
reports groups only, like the money."""
from sql import Column
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Case, Coalesce

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.multipoint_claims.charge import KINDS
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .analytics import context_dates, context_period, date_period

_money = {'digits': (16, 2)}
# a charge went to dispute when it is disputed or has an outcome
DISPUTED = ['disputed', 'won', 'lost', 'partly_won']
AMOUNTS = ['charged', 'disputed_amount', 'won_back', 'lost_amount',
    'borne']


class Charge(ModelSQL, ModelView):
    "Charges per Supplier and Ground"
    __name__ = 'multipoint.analytics.charge'

    company = fields.Many2One('company.company', "Company")
    point = fields.Many2One('multipoint.point', "Point")
    supplier = fields.Many2One(
        'party.party', "Supplier", context={'company': Eval('company', -1)},
        depends={'company'})
    kind = fields.Selection(KINDS, "Ground")
    date = fields.Date("Date", help="The first day of the period.")
    charges = fields.Integer("Charges")
    charged = fields.Numeric(
        "Charged", **_money, help="What the supplier claimed in all.")
    disputed = fields.Integer(
        "Disputed", help="Charges answered with a claim.")
    disputed_amount = fields.Numeric("Amount Disputed", **_money)
    won_back = fields.Numeric(
        "Won Back", **_money,
        help="What the supplier gave up after the claims.")
    lost_amount = fields.Numeric(
        "Claims Lost", **_money,
        help="The amount of the charges whose claim was lost.")
    borne = fields.Numeric(
        "Borne by the Point", **_money,
        help="Accepted, lost and the rest of the partly won charges.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('date', 'DESC'), ('point', 'ASC'), ('supplier', 'ASC'),
            ('kind', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        ChargeModel = Pool().get('multipoint.charge')
        charge = ChargeModel.__table__()
        context = Transaction().context
        from_date, to_date = context_dates()
        where = (charge.date >= from_date) & (charge.date <= to_date)
        for name in ['point', 'supplier', 'company']:
            if context.get(name):
                where &= Column(charge, name) == context[name]
        state = charge.state
        amount = Coalesce(charge.amount, 0)
        won = Coalesce(charge.won_amount, 0)
        won_back = Case((state == 'won', amount),
            (state == 'partly_won', won), else_=0)
        borne = Case((state.in_(['accepted', 'lost']), amount),
            (state == 'partly_won', amount - won), else_=0)
        facts = charge.select(
            charge.id.as_('id'),
            charge.company.as_('company'),
            charge.point.as_('point'),
            charge.supplier.as_('supplier'),
            charge.kind.as_('kind'),
            date_period(charge.date, context_period()).as_('date'),
            amount.as_('charged'),
            Case((state.in_(DISPUTED), 1), else_=0).as_('disputed'),
            Case((state.in_(DISPUTED), amount),
                else_=0).as_('disputed_amount'),
            won_back.as_('won_back'),
            Case((state == 'lost', amount), else_=0).as_('lost_amount'),
            borne.as_('borne'),
            where=where)

        def total(name):
            return cls.charged.sql_cast(Sum(Column(facts, name)))
        keys = [Column(facts, c) for c in [
                'company', 'point', 'supplier', 'kind', 'date']]
        return facts.select(
            Min(Column(facts, 'id')).as_('id'),
            *[k.as_(k.name) for k in keys],
            Count(Column(facts, 'id')).as_('charges'),
            Sum(Column(facts, 'disputed')).as_('disputed'),
            *[total(n).as_(n) for n in AMOUNTS],
            group_by=keys)

    def get_rec_name(self, name):
        return ' '.join(filter(None, [
                    self.point.rec_name if self.point else '',
                    self.supplier.rec_name if self.supplier else '',
                    str(self.date)]))
