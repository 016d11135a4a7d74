import datetime as dt

from sql import Literal, Null

from trytond import backend, config
from trytond.cache import Cache
from trytond.pool import Pool, PoolMeta
from trytond.tools import sqlite_apply_types
from trytond.transaction import Transaction, without_check_access

from .parcel import _exact_phone_search

# How long the operator API takes a checked session on trust: a scan then
# costs no query for it. A logout, an expired session or a change of the
# user (deactivated, new password) drops every trusted session at once in
# this process, and in the others at their next request when the cache is
# synchronised by channel ([cache] clean_timeout = 0, as `make serve`
# configures it); otherwise within these seconds at the latest.
SESSION_TRUST = dt.timedelta(seconds=30)

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
    'multipoint.consent',
    'stock.location',
    }


class Session(metaclass=PoolMeta):
    __name__ = 'ir.session'
    _api_user_cache = Cache('ir_session.multipoint_api_user', context=False)

    @classmethod
    def api_user(cls, user_id, key):
        """The user of the session key, or None when it is unknown, of
        another address, older than [session] max_age or of an inactive
        user. One query inside the request's own transaction, where
        trytond's check opens a transaction of its own for it."""
        pool = Pool()
        User = pool.get('res.user')
        ip_address, _ = Transaction().remote_address()
        ip_address = str(ip_address) if ip_address else None
        now = dt.datetime.now()
        cache_key = (user_id, key, ip_address)
        trusted_until = cls._api_user_cache.get(cache_key)
        if trusted_until and trusted_until > now:
            return user_id

        session = cls.__table__()
        user = User.__table__()
        where = ((session.create_uid == user_id) & (session.key == key)
            & (user.active == Literal(True)))
        if ip_address:
            where &= session.ip_address == ip_address
        else:
            where &= session.ip_address == Null
        query = session.join(user, condition=session.create_uid == user.id
            ).select(session.create_date.as_('create_date'), where=where,
                limit=1)
        if backend.name == 'sqlite':
            sqlite_apply_types(query, ['DATETIME'])
        cursor = Transaction().connection.cursor()
        cursor.execute(*query)
        row = cursor.fetchone()
        if not row:
            return None
        expires = row[0] + dt.timedelta(
            seconds=config.getint('session', 'max_age'))
        if expires <= now:
            return None
        cls._api_user_cache.set(cache_key, min(now + SESSION_TRUST, expires))
        return user_id

    @classmethod
    def on_modification(cls, mode, sessions, field_names=None):
        super().on_modification(mode, sessions, field_names=field_names)
        if mode == 'delete':
            cls._api_user_cache.clear()


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def multipoint_point_models(cls):
        """The models whose record rules filter on the points of the
        current user (Eval('multipoint_points')): other modules add theirs
        by extending this method"""
        return set(POINT_RULED_MODELS)

    @classmethod
    def __post_setup__(cls):
        super().__post_setup__()
        # asked on every rule look-up: gathered once the pool is set up
        cls._multipoint_point_models = frozenset(
            cls.multipoint_point_models())

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        if not cls._multipoint_point_models.isdisjoint(model_names):
            key = (*key, Transaction().user)
        return key

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if model_name in cls._multipoint_point_models:
            context['multipoint_points'] = user_point_ids()
        return context


def user_point_ids():
    "Ids of the points the current user is assigned to"
    PointStaff = Pool().get('multipoint.point-res.user')
    user = Transaction().user
    with without_check_access():
        return [s.point.id for s in PointStaff.search([('user', '=', user)])]


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('multipoint.parcel|process_storage_deadlines',
                    "Process Storage Deadlines"),
                ('multipoint.notification|send_pending',
                    "Send Recipient Notifications"),
                ('res.user|multipoint_block_idle',
                    "Block Idle Staff Accounts"),
                ('multipoint.parcel|multipoint_purge_personal_data',
                    "Blank Personal Data of Closed Parcels"),
                ])


class ModelFieldAccess(metaclass=PoolMeta):
    __name__ = 'ir.model.field.access'

    @classmethod
    def check(cls, model_name, fields, mode='read', raise_exception=True):
        if (mode == 'read' and model_name == 'multipoint.parcel'
                and _exact_phone_search.get()):
            # searching by the exact phone the recipient gives is allowed;
            # reading the phone is not
            fields = [f for f in fields if f != 'recipient_phone']
        return super().check(
            model_name, fields, mode=mode, raise_exception=raise_exception)
