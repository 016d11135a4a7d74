"""Record rules: the supplier models filter on the user's points, and the
supplier API's models on the supplier of the request's key"""
from trytond.pool import PoolMeta
from trytond.transaction import Transaction

from .api_key import API_RULED_MODELS, SUPPLIER_CONTEXT, api_user_id

SUPPLIER_RULED_MODELS = {
    'multipoint.supplier.account',
    'multipoint.supplier.account.point',
    'multipoint.supplier.sync.log',
    }


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def multipoint_point_models(cls):
        return super().multipoint_point_models() | SUPPLIER_RULED_MODELS

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        if API_RULED_MODELS & set(model_names):
            key = (*key, Transaction().context.get(SUPPLIER_CONTEXT))
        return key

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if model_name in API_RULED_MODELS:
            # the supplier of the API key, for the API's user only
            transaction = Transaction()
            supplier = -1
            if transaction.user and transaction.user == _api_user_id():
                supplier = transaction.context.get(SUPPLIER_CONTEXT) or -1
            context[SUPPLIER_CONTEXT] = supplier
        return context


def _api_user_id():
    "api_user_id(), None while the module is being installed"
    try:
        return api_user_id()
    except KeyError:
        return None


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('multipoint.supplier.account|sync_due',
                    "Sync Supplier Accounts"),
                ('multipoint.supplier.account|deliver_outbox_due',
                    "Send Supplier Events"),
                ('multipoint.supplier.account|export_status_reports_due',
                    "Export Supplier Status Reports"),
                ])
