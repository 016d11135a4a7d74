from collections.abc import Mapping

from trytond.cache import Cache
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction


class User(metaclass=PoolMeta):
    __name__ = 'res.user'
    multipoint_points = fields.Many2Many(
        'multipoint.point-res.user', 'user', 'point', "Pickup Points",
        help="The points where this person works.")
    # get_preferences reads the user, company, employee and party records on
    # every call: too much for each scan of the operator API
    _multipoint_context_cache = Cache(
        'res_user.multipoint_context', context=False)

    @classmethod
    def multipoint_context(cls):
        "The current user's context for API requests, cached per user"
        user = Transaction().user
        context = cls._multipoint_context_cache.get(user)
        if context is None:
            context = cls.get_preferences(context_only=True)
            cls._multipoint_context_cache.set(user, context)
        # the cache gives read-only mappings back
        return {k: dict(v) if isinstance(v, Mapping) else v
            for k, v in context.items()}

    @classmethod
    def on_modification(cls, mode, users, field_names=None):
        super().on_modification(mode, users, field_names=field_names)
        cls._multipoint_context_cache.clear()
        # a deactivated user or a new password ends the trusted sessions
        Pool().get('ir.session')._api_user_cache.clear()
