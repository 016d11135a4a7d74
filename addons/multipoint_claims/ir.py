from trytond.pool import PoolMeta

# the models whose record rules filter on the points of the current user
CLAIMS_RULED_MODELS = {
    'multipoint.charge',
    'multipoint.charge.evidence',
    'multipoint.charge.claim',
    }


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def multipoint_point_models(cls):
        return super().multipoint_point_models() | CLAIMS_RULED_MODELS
