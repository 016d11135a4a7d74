from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.model.exceptions import ValidationError
from trytond.pyson import Eval

_money = {'digits': (16, 2)}


class SupplierTerms(ModelSQL, ModelView):
    "Supplier Terms"
    __name__ = 'multipoint.supplier.terms'
    supplier = fields.Many2One(
        'party.party', "Supplier", required=True, ondelete='CASCADE')
    point = fields.Many2One(
        'multipoint.point', "Point", ondelete='CASCADE',
        help="Leave empty for the terms that apply at every point.")
    storage_days = fields.Integer(
        "Storage Days", required=True, domain=[('storage_days', '>', 0)])
    storage_hours = fields.Integer(
        "Storage Hours",
        domain=['OR', ('storage_hours', '=', None),
            ('storage_hours', '>', 0)],
        help="When set, the storage also ends this many hours after the "
        "arrival; the stricter of the days and the hours applies.")
    max_extension_days = fields.Integer(
        "Max Extension Days", required=True,
        domain=[('max_extension_days', '>=', 0)])
    partial_buyout = fields.Boolean(
        "Partial Buyout Allowed",
        help="The recipient may refuse some items and take the rest.")
    delivery_fee_rule = fields.Selection([
            ('always', "Always due"),
            ('below_threshold', "Due below the free-delivery threshold"),
            ('never', "Never due on refusal"),
            ], "Delivery Fee on Refusal", required=True,
        help="Whether the recipient pays the delivery fee when refusing "
        "items.")
    delivery_fee_on_full_refusal = fields.Boolean(
        "Delivery Fee on Full Refusal")
    free_delivery_threshold = fields.Numeric(
        "Free-Delivery Threshold", **_money,
        help="Bought amount from which delivery is free.")
    id_check_required = fields.Boolean(
        "ID Check Required",
        help="The recipient shows an identity document at every issue.")
    id_check_replaces_code = fields.Boolean(
        "ID Check Replaces Code",
        help="Without the code, the parcel may be issued on an identity "
        "document or a power of attorney recorded by the operator.")
    customer_return_days = fields.Integer(
        "Customer Return Days",
        domain=['OR', ('customer_return_days', '=', None),
            ('customer_return_days', '>=', 0)],
        help="Days after issue during which the recipient may bring items "
        "back; empty: no returns at the point.")
    signature_required = fields.Boolean("Signature Required")
    commission_rule = fields.Selection([
            ('flat', "Flat per issued parcel"),
            ('percent', "Percent of COD"),
            ('tiers', "Tiers by COD amount"),
            ('volume_tiers', "Tiers by monthly volume"),
            ], "Commission Rule", required=True)
    commission_flat = fields.Numeric(
        "Commission per Parcel", **_money,
        states={'invisible': Eval('commission_rule') != 'flat'})
    commission_percent = fields.Numeric(
        "Commission %", digits=(5, 2),
        states={'invisible': Eval('commission_rule') != 'percent'})
    commission_tiers = fields.One2Many(
        'multipoint.supplier.terms.tier', 'terms', "Commission Tiers",
        states={'invisible': ~Eval('commission_rule').in_(
                ['tiers', 'volume_tiers'])})
    fines = fields.One2Many(
        'multipoint.supplier.terms.fine', 'terms', "Fines")
    payout_schedule = fields.Selection([
            ('weekly', "Weekly"),
            ('biweekly', "Every two weeks"),
            ('monthly', "Monthly"),
            ], "Payout Schedule", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('supplier_point_unique', Unique(t, t.supplier, t.point),
                'multipoint_core.msg_terms_supplier_point_unique'),
            ]
        cls._sql_indexes.add(
            Index(t, (t.supplier, Index.Equality()),
                (t.point, Index.Equality())))

    @staticmethod
    def default_storage_days():
        return 7

    @staticmethod
    def default_max_extension_days():
        return 7

    @staticmethod
    def default_delivery_fee_rule():
        return 'below_threshold'

    @staticmethod
    def default_commission_rule():
        return 'flat'

    @staticmethod
    def default_payout_schedule():
        return 'weekly'

    def get_rec_name(self, name):
        if self.point:
            return f'{self.supplier.rec_name} @ {self.point.code}'
        return self.supplier.rec_name

    @classmethod
    def validate_fields(cls, terms, field_names):
        super().validate_fields(terms, field_names)
        for term in terms:
            if term.commission_percent is not None and not (
                    0 <= term.commission_percent <= 100):
                raise ValidationError(gettext(
                        'multipoint_core.msg_terms_percent_range',
                        terms=term.rec_name))

    @classmethod
    def for_parcels(cls, pairs):
        """The terms for each (supplier id, point id) pair, the point's own
        terms before the general ones, fetched in one search"""
        pairs = set(pairs)
        suppliers = {s for s, _ in pairs}
        found = cls.search([('supplier', 'in', list(suppliers))])
        by_key = {(t.supplier.id, t.point.id if t.point else None): t
            for t in found}
        return {(s, p): by_key.get((s, p)) or by_key.get((s, None))
            for s, p in pairs}

    def commission(self, cod_amount, monthly_volume=0):
        """Commission earned for one issued parcel with cod_amount
        collected, monthly_volume being the number of parcels of the
        supplier issued at the point in the parcel's month"""
        cod_amount = cod_amount or Decimal(0)
        if self.commission_rule == 'volume_tiers':
            tier = None
            for candidate in sorted(
                    self.commission_tiers, key=lambda t: t.from_parcels or 0):
                if (monthly_volume or 0) >= (candidate.from_parcels or 0):
                    tier = candidate
            return tier.amount if tier else Decimal(0)
        if self.commission_rule == 'flat':
            return self.commission_flat or Decimal(0)
        if self.commission_rule == 'percent':
            percent = self.commission_percent or Decimal(0)
            return (cod_amount * percent / 100).quantize(Decimal('0.01'))
        tier = None
        for candidate in sorted(
                self.commission_tiers, key=lambda t: t.from_amount):
            if cod_amount >= candidate.from_amount:
                tier = candidate
        return tier.amount if tier else Decimal(0)


class SupplierTermsTier(ModelSQL, ModelView):
    "Supplier Terms Commission Tier"
    __name__ = 'multipoint.supplier.terms.tier'
    terms = fields.Many2One(
        'multipoint.supplier.terms', "Terms", required=True,
        ondelete='CASCADE')
    from_amount = fields.Numeric(
        "From COD Amount", **_money, required=True,
        domain=[('from_amount', '>=', 0)],
        help="For tiers by COD amount: the parcel's COD from which the "
        "tier applies.")
    from_parcels = fields.Integer(
        "From Parcels a Month",
        domain=['OR', ('from_parcels', '=', None),
            ('from_parcels', '>=', 0)],
        help="For tiers by monthly volume: the parcels issued in the month "
        "from which the tier applies to every parcel of that month.")
    amount = fields.Numeric(
        "Commission", **_money, required=True, domain=[('amount', '>=', 0)])

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('terms')
        cls._order.insert(0, ('from_amount', 'ASC'))
        cls._order.insert(1, ('from_parcels', 'ASC'))

    @staticmethod
    def default_from_amount():
        return Decimal(0)


class SupplierTermsFine(ModelSQL, ModelView):
    "Supplier Terms Fine"
    __name__ = 'multipoint.supplier.terms.fine'
    terms = fields.Many2One(
        'multipoint.supplier.terms', "Terms", required=True,
        ondelete='CASCADE')
    kind = fields.Selection([
            ('lost', "Lost parcel"),
            ('damaged', "Damaged parcel"),
            ('late_return', "Late return, per day"),
            ('wrong_issue', "Issued to a wrong person"),
            ('late_acceptance', "Late acceptance"),
            ], "Kind", required=True)
    amount = fields.Numeric("Amount", **_money)
    percent_of_value = fields.Numeric(
        "% of Declared Value", digits=(5, 2),
        help="Used when no fixed amount is set.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('terms')
