"Record rules on the supplier models filter on the user's points"
from trytond.modules.multipoint_core.ir import user_point_ids
from trytond.pool import PoolMeta
from trytond.transaction import Transaction

SUPPLIER_RULED_MODELS = {
    'multipoint.supplier.account',
    'multipoint.supplier.account.point',
    'multipoint.supplier.sync.log',
    }


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        if SUPPLIER_RULED_MODELS & set(model_names):
            key = (*key, Transaction().user)
        return key

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if model_name in SUPPLIER_RULED_MODELS:
            context['multipoint_points'] = user_point_ids()
        return context


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('multipoint.supplier.account|sync_due',
                "Sync Supplier Accounts"))
