"""The money of the points, from the settlements (agent's reports): what the
desk collected for each supplier by payment type, the refunds, the
commission the point earns and the fines, per point, supplier and period.
Registered when multipoint_settlement is activated; read by the owners and
the analytics and reports groups only."""
from sql import Column, Literal, Null, Union
from sql.aggregate import Min, Sum
from sql.conditionals import Coalesce

from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .analytics import (
    context_dates, context_period, date_period, period_end)

_money = {'digits': (16, 2)}
AMOUNTS = ['cash', 'card', 'sbp', 'refunded', 'commission', 'fines']


class Money(ModelSQL, ModelView):
    "Money per Point and Supplier"
    __name__ = 'multipoint.analytics.money'

    company = fields.Many2One('company.company', "Company")
    point = fields.Many2One('multipoint.point', "Point")
    supplier = fields.Many2One(
        'party.party', "Supplier", context={'company': Eval('company', -1)},
        depends={'company'})
    date = fields.Date("Date", help="The first day of the period.")
    cash = fields.Numeric("Cash", **_money)
    card = fields.Numeric("Card", **_money)
    sbp = fields.Numeric("SBP", **_money)
    collected = fields.Numeric(
        "Collected", **_money, help="Every payment type.")
    refunded = fields.Numeric("Refunded", **_money)
    commission = fields.Numeric(
        "Commission", **_money, help="The point's earnings.")
    fines = fields.Numeric("Fines", **_money)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('date', 'DESC'), ('point', 'ASC'), ('supplier', 'ASC'),
            ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Settlement = pool.get('multipoint.settlement')
        Line = pool.get('multipoint.settlement.line')
        Fine = pool.get('multipoint.settlement.fine')
        context = Transaction().context
        from_date, to_date = context_dates()
        period = context_period()

        settlement = Settlement.__table__()
        line = Line.__table__()
        zero = Literal(0)
        lines = (line
            .join(settlement, condition=line.settlement == settlement.id)
            .select(
                (line.id * 2).as_('id'),
                settlement.company.as_('company'),
                line.point.as_('point'),
                settlement.supplier.as_('supplier'),
                line.date.as_('day'),
                Coalesce(line.cash, zero).as_('cash'),
                Coalesce(line.card, zero).as_('card'),
                Coalesce(line.sbp, zero).as_('sbp'),
                Coalesce(line.refunded, zero).as_('refunded'),
                Coalesce(line.commission, zero).as_('commission'),
                zero.as_('fines')))
        # the fines of a settlement, on the day and point of the parcel's
        # line (a lost parcel), else on the settlement's point and last day
        settlement_f = Settlement.__table__()
        fine = Fine.__table__()
        fine_line = Line.__table__()
        fines = (fine
            .join(settlement_f, condition=fine.settlement == settlement_f.id)
            .join(fine_line, 'LEFT',
                condition=(fine_line.settlement == fine.settlement)
                & (fine_line.parcel == fine.parcel)
                & (fine.parcel != Null))
            .select(
                (fine.id * 2 + 1).as_('id'),
                settlement_f.company.as_('company'),
                Coalesce(fine_line.point, settlement_f.point).as_('point'),
                settlement_f.supplier.as_('supplier'),
                Coalesce(fine_line.date, settlement_f.period_end).as_('day'),
                *[zero.as_(n) for n in AMOUNTS[:-1]],
                fine.amount.as_('fines')))
        union = Union(lines, fines, all_=True)
        where = ((Column(union, 'day') >= from_date)
            & (Column(union, 'day') <= to_date))
        for name in ['point', 'supplier', 'company']:
            if context.get(name):
                where &= Column(union, name) == context[name]
        facts = union.select(
            *[Column(union, c) for c in [
                    'id', 'company', 'point', 'supplier'] + AMOUNTS],
            date_period(Column(union, 'day'), period).as_('date'),
            where=where)

        def total(name):
            return cls.cash.sql_cast(Sum(Column(facts, name)))
        keys = [Column(facts, c) for c in [
                'company', 'point', 'supplier', 'date']]
        return facts.select(
            Min(Column(facts, 'id')).as_('id'),
            *[k.as_(k.name) for k in keys],
            *[total(n).as_(n) for n in AMOUNTS],
            (total('cash') + total('card') + total('sbp')).as_('collected'),
            group_by=keys)

    def get_rec_name(self, name):
        return ' '.join(filter(None, [
                    self.point.rec_name if self.point else '',
                    self.supplier.rec_name if self.supplier else '',
                    str(self.date)]))

    def period_bounds(self):
        from_date, to_date = context_dates()
        return (max(self.date, from_date),
            min(period_end(self.date, context_period()), to_date))
