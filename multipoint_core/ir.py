from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

# Models whose record rules filter on the points of the current user
POINT_RULED_MODELS = {
    'multipoint.point',
    'multipoint.parcel',
    'multipoint.parcel.place',
    'multipoint.parcel.line',
    'multipoint.parcel.event',
    'multipoint.reception',
    'multipoint.reception.scan',
    'multipoint.inventory',
    'multipoint.return.batch',
    'multipoint.customer.return',
    'multipoint.notification',
    'multipoint.receipt',
    'stock.location',
    }


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        if POINT_RULED_MODELS & set(model_names):
            key = (*key, Transaction().user)
        return key

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if model_name in POINT_RULED_MODELS:
            context['multipoint_points'] = user_point_ids()
        return context


def user_point_ids():
    "Ids of the points the current user is assigned to"
    PointStaff = Pool().get('multipoint.point-res.user')
    user = Transaction().user
    with without_check_access():
        return [s.point.id for s in PointStaff.search([('user', '=', user)])]
