from trytond.pool import PoolMeta

# The reporting models whose record rules keep operators to their points
ANALYTICS_RULED_MODELS = {
    'multipoint.analytics.point_period',
    'multipoint.analytics.network',
    'multipoint.analytics.service.point',
    'multipoint.analytics.service.operator',
    'multipoint.analytics.shelf',
    'multipoint.analytics.peak',
    # registered only with multipoint_tickets; a model name that is not
    # registered is never asked for
    'multipoint.analytics.ticket',
    }


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def multipoint_point_models(cls):
        return super().multipoint_point_models() | ANALYTICS_RULED_MODELS


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('multipoint.analytics.day|refresh',
                "Refresh the Analytics Daily Summary"))
