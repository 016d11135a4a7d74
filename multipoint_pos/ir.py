"Record rules of the points of sale filter on the current user's points"
from trytond.pool import PoolMeta

# the receipts and the sale_point models whose operator rules use
# Eval('multipoint_points'); payments, lines and cash counts follow their
# sale or session (__access__)
POS_RULED_MODELS = {
    'multipoint.receipt',
    'sale.point',
    'sale.point.sale',
    'sale.point.cash.session',
    'sale.point.cash.transfer',
    }


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def multipoint_point_models(cls):
        return super().multipoint_point_models() | POS_RULED_MODELS
