from trytond.pool import PoolMeta
from trytond.transaction import Transaction

# the models whose record rules filter on the points of the current user
CLAIMS_RULED_MODELS = {
    'multipoint.charge',
    'multipoint.charge.parcel',
    'multipoint.charge.evidence',
    'multipoint.charge.claim',
    'multipoint.charge.operator_summary',
    }


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def multipoint_point_models(cls):
        return super().multipoint_point_models() | CLAIMS_RULED_MODELS

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if model_name in CLAIMS_RULED_MODELS:
            # an operator reads the charges it is the operator of (the
            # user is in the cache key of the point-ruled models)
            context['multipoint_user'] = Transaction().user
        return context
