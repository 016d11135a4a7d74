"""The staff's accounts: their points, the API context, the login with a
one-time code for owners, the blocking of idle accounts"""
import datetime as dt
from collections.abc import Mapping

from sql.aggregate import Max
from sql.conditionals import Coalesce

from trytond import backend
from trytond.cache import Cache
from trytond.exceptions import LoginException
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.tools import sqlite_apply_types
from trytond.transaction import Transaction, without_check_access

from .parcel import normalize_phone
# (security events are logged on the security module's channel)
from .security import (
    OTP_PARAMETER, SecurityValidationError, _xml_id, idle_days, is_owner,
    logger, mask_phone, multipoint_group_ids, privileged_group_ids,
    users_in_groups)


class User(metaclass=PoolMeta):
    __name__ = 'res.user'
    multipoint_points = fields.Many2Many(
        'multipoint.point-res.user', 'user', 'point', "Pickup Points",
        help="The points where this person works.")
    multipoint_point = fields.Many2One(
        'multipoint.point', "Current Point", ondelete='SET NULL',
        domain=[('staff', '=', Eval('id', -1))],
        help="The point this person works at now, one of their points.")
    multipoint_mobile = fields.Char(
        "Mobile for Login Codes",
        help="Owners receive their one-time login code by SMS at this "
        "number.")
    multipoint_last_login = fields.DateTime("Last Login", readonly=True)
    multipoint_idle_exempt = fields.Boolean(
        "Exempt from Idle Blocking",
        help="A service account that never logs in (API key) is not "
        "blocked when idle.")
    multipoint_blocked_at = fields.DateTime("Blocked At", readonly=True)
    multipoint_block_reason = fields.Selection([
            (None, ""),
            ('idle', "Idle for too long"),
            ], "Block Reason", readonly=True)
    multipoint_unblocked_at = fields.DateTime("Unblocked At", readonly=True)
    multipoint_unblocked_by = fields.Many2One(
        'res.user', "Unblocked By", readonly=True)

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
    def __setup__(cls):
        super().__setup__()
        if 'multipoint_point' not in cls._context_fields:
            cls._context_fields.append('multipoint_point')
        cls._buttons.update({
                'multipoint_unblock': {
                    'invisible': ~Bool(Eval('multipoint_blocked_at')),
                    'depends': ['multipoint_blocked_at'],
                    },
                })

    @classmethod
    def __post_setup__(cls):
        super().__post_setup__()
        # DeactivableMixin makes the buttons of inactive records readonly:
        # this one is for them
        cls._buttons['multipoint_unblock'].pop('readonly', None)

    @staticmethod
    def default_multipoint_idle_exempt():
        return False

    @classmethod
    def _get_preferences(cls, user, context_only=False):
        preferences = super()._get_preferences(
            user, context_only=context_only)
        # the point may have been taken from the person since it was chosen
        points = {p.id: p for p in user.multipoint_points}
        point = user.multipoint_point
        if not point or point.id not in points:
            point = (list(points.values())[0] if len(points) == 1
                else None)
        preferences.pop('multipoint_point.rec_name', None)
        preferences['multipoint_point'] = point.id if point else None
        if point:
            preferences['multipoint_point.rec_name'] = point.rec_name
        return preferences

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('multipoint_mobile'):
            phone = normalize_phone(values['multipoint_mobile'])
            if not phone:
                raise SecurityValidationError(gettext(
                        'multipoint_core.msg_security_mobile_invalid',
                        phone=values['multipoint_mobile']))
            values['multipoint_mobile'] = phone
        return values

    @classmethod
    def check_modification(cls, mode, users, values=None, external=False):
        super().check_modification(
            mode, users, values=values, external=external)
        transaction = Transaction()
        if not external or not transaction.user or mode not in {
                'create', 'write', 'delete'}:
            return
        privileged = privileged_group_ids()
        if users_in_groups([transaction.user], privileged):
            return
        # a staff manager manages the staff, not the owners
        targets = users_in_groups([u.id for u in users], privileged)
        if targets:
            target = cls(targets.pop())
            raise AccessError(gettext(
                    'multipoint_core.msg_security_privileged_account',
                    user=target.rec_name))
        if mode == 'write' and 'groups' in (values or {}):
            for action, *args in values['groups']:
                if action == 'create':
                    raise AccessError(gettext(
                            'multipoint_core.msg_security_privileged_group'))
                ids = set(args[0]) if args and isinstance(
                    args[0], (list, tuple)) else set()
                if ids & privileged:
                    raise AccessError(gettext(
                            'multipoint_core.msg_security_privileged_group'))

    @classmethod
    def on_modification(cls, mode, users, field_names=None):
        super().on_modification(mode, users, field_names=field_names)
        cls._multipoint_context_cache.clear()
        # a deactivated user or a new password ends the trusted sessions
        Pool().get('ir.session')._api_user_cache.clear()
        if mode != 'write' or not field_names:
            return
        to_write = []
        if 'active' in field_names:
            # reactivated by hand: the block is over
            unblocked = [u for u in users
                if u.active and u.multipoint_blocked_at]
            if unblocked:
                to_write.extend([unblocked, {
                            'multipoint_blocked_at': None,
                            'multipoint_block_reason': None,
                            'multipoint_unblocked_at': dt.datetime.utcnow(),
                            'multipoint_unblocked_by': (
                                Transaction().user or None),
                            }])
        if 'multipoint_points' in field_names:
            stale = [u for u in users if u.multipoint_point
                and u.multipoint_point not in u.multipoint_points]
            if stale:
                to_write.extend([stale, {'multipoint_point': None}])
        if to_write:
            with without_check_access():
                cls.write(*to_write)

    @classmethod
    @ModelView.button
    def multipoint_unblock(cls, users):
        "Reactivate accounts blocked by the idle check"
        users = [u for u in users if u.multipoint_blocked_at]
        if users:
            # the button's groups (owners, staff managers) are the check
            with without_check_access():
                cls.write(users, {'active': True})

    @classmethod
    def multipoint_block_idle(cls):
        """Daily: deactivate the Multipoint staff idle for more than
        [multipoint] idle_days days"""
        pool = Pool()
        Session = pool.get('ir.session')
        days = idle_days()
        if not days or days <= 0:
            return []
        now = dt.datetime.utcnow()
        limit = now - dt.timedelta(days=days)
        admin = _xml_id('res', 'user_admin')
        with without_check_access():
            members = users_in_groups(
                [u.id for u in cls.search([
                            ('active', '=', True),
                            ('id', 'not in', [0, admin or -1]),
                            ('multipoint_idle_exempt', '=', False),
                            ])],
                multipoint_group_ids())
            if not members:
                return []
            users = cls.browse(sorted(members))
            session = Session.__table__()
            cursor = Transaction().connection.cursor()
            query = session.select(
                session.create_uid.as_('user'),
                Max(Coalesce(session.write_date, session.create_date)
                    ).as_('used'),
                where=session.create_uid.in_([u.id for u in users]),
                group_by=[session.create_uid])
            if backend.name == 'sqlite':
                sqlite_apply_types(query, [None, 'DATETIME'])
            cursor.execute(*query)
            used = dict(cursor)
            idle = []
            for user in users:
                moments = [m for m in (user.multipoint_last_login,
                        user.multipoint_unblocked_at, user.create_date,
                        used.get(user.id)) if m]
                if moments and max(moments) < limit:
                    idle.append(user)
            if idle:
                cls.write(idle, {
                        'active': False,
                        'multipoint_blocked_at': now,
                        'multipoint_block_reason': 'idle',
                        })
        logger.info("blocked %d account(s) idle for %d days",
            len(idle), days)
        return idle

    @classmethod
    def get_login(cls, login, parameters):
        user_id = super().get_login(login, parameters)
        if user_id:
            table = cls.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.update(
                    [table.multipoint_last_login], [dt.datetime.utcnow()],
                    where=table.id == user_id))
        return user_id

    @classmethod
    def _login_multipoint_otp(cls, login, parameters):
        """Second step: owners give the code sent to them by SMS, the others
        pass without one"""
        LoginCode = Pool().get('multipoint.login.code')
        user_id, _, _ = cls._get_login(login)
        if not user_id:
            return None
        if not is_owner(user_id):
            return user_id
        user = cls(user_id)
        code = str(parameters.get(OTP_PARAMETER) or '').strip()
        if code:
            result = LoginCode.verify(user, code)
            if result == 'valid':
                return user_id
            elif result == 'wrong':
                raise LoginException(OTP_PARAMETER, gettext(
                        'multipoint_core.msg_security_otp_wrong',
                        phone=mask_phone(user.multipoint_mobile)),
                    type='char')
            elif result == 'exhausted':
                return None
            message = 'multipoint_core.msg_security_otp_expired'
        else:
            message = 'multipoint_core.msg_security_otp_sent'
        if not LoginCode.issue(user):
            return None
        raise LoginException(OTP_PARAMETER, gettext(
                message, phone=mask_phone(user.multipoint_mobile)),
            type='char')
