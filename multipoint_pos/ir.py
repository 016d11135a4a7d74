"Record rules of the points of sale filter on the current user's points"
from trytond.modules.multipoint_core.ir import user_point_ids
from trytond.pool import PoolMeta
from trytond.transaction import Transaction

# sale_point models whose operator rules use Eval('multipoint_points');
# payments, lines and cash counts follow their sale or session (__access__)
POS_RULED_MODELS = {
    'sale.point',
    'sale.point.sale',
    'sale.point.cash.session',
    'sale.point.cash.transfer',
    }


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        if POS_RULED_MODELS & set(model_names):
            key = (*key, Transaction().user)
        return key

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if model_name in POS_RULED_MODELS:
            context['multipoint_points'] = user_point_ids()
        return context
