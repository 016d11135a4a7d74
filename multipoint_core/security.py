"""Staff security.

The policy and its helpers; the models that carry it are res.User (res.py:
the point preference, the login with a code, idle blocking), Parcel
(parcel.py: the exact-phone search, the retention purge) and
ir.ModelFieldAccess (ir.py), with LoginCode here.

- The point a person works at now: the preference ``multipoint_point`` of a
  user, one of their points, lands in the context as 'multipoint_point'
  (``current_point()`` reads it back, checked against their points).
- Idle accounts: the daily cron ``res.user|multipoint_block_idle`` blocks
  (deactivates) the accounts of the members of any Multipoint group, except
  the admin user and accounts marked exempt, whose last activity (login,
  session use, unblocking, else creation) is older than ``[multipoint]
  idle_days`` (21). Owners and staff managers unblock them with a button.
  Staff managers cannot change owners' or admins' accounts, nor give or take
  those groups.
- Second factor for owners: the login method ``multipoint_otp`` (``[session]
  authentications = password+multipoint_otp``) asks members of the owner
  group for a 6-digit code sent by SMS through the notification gateway;
  other users pass it without a code.
- Retention: the daily cron
  ``multipoint.parcel|multipoint_purge_personal_data`` blanks the
  recipient of parcels closed for more than ``[multipoint] retention_days``
  (180) days in one UPDATE.
- The full phone of a recipient is readable (ir.model.field.access in
  security.xml) by owners only: operators see ``phone_last4``. Searching
  parcels by an exact phone (``=``/``in``) stays allowed, so that the issue
  search can group the parcels of one recipient.
"""
import datetime as dt
import logging
import secrets

from sql import Literal

from trytond import config
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.transaction import Transaction, without_check_access

logger = logging.getLogger(__name__)

SECTION = 'multipoint'
# Parcels whose life at the point is over
CLOSED_STATES = ['issued', 'partially_issued', 'returned', 'cancelled']
# What remains of a recipient's name and phone after the retention period
PLACEHOLDER = '—'
OTP_PARAMETER = 'multipoint_otp'
# A new code is not sent while the last one is younger than this
OTP_RESEND_DELAY = dt.timedelta(seconds=30)

# Set while multipoint.parcel is searched with an exact phone only


class SecurityValidationError(ValidationError):
    api_code = 'security_invalid'


def idle_days():
    return config.getint(SECTION, 'idle_days', default=21)


def retention_days():
    return config.getint(SECTION, 'retention_days', default=180)


def otp_lifetime():
    return dt.timedelta(
        seconds=config.getint(SECTION, 'otp_lifetime', default=300))


def otp_max_attempts():
    return config.getint(SECTION, 'otp_attempts', default=3)


def mask_phone(phone):
    return f'***{phone[-4:]}' if phone else ''


def send_sms(phone, text):
    """Send text to phone through the SMS gateway of the recipient
    notifications ([multipoint_notification] sms_url...); return the
    gateway's message id. Raise GatewayError when it is not sent."""
    from .gateway import GatewayError, get_gateway
    gateway = get_gateway('sms')
    if gateway is None:
        raise GatewayError('no SMS gateway is configured')
    return gateway.send(phone, text)


def _xml_id(module, fs_id):
    ModelData = Pool().get('ir.model.data')
    try:
        return ModelData.get_id(module, fs_id)
    except KeyError:
        return None


def multipoint_group_ids():
    "Ids of the groups defined by the Multipoint modules"
    ModelData = Pool().get('ir.model.data')
    with without_check_access():
        return {d.db_id for d in ModelData.search([
                    ('module', 'like', 'multipoint%'),
                    ('model', '=', 'res.group'),
                    ])}


def privileged_group_ids():
    """Groups that only owners and admins may give, take or act upon: the
    owner and admin groups and the groups whose members are theirs too"""
    Group = Pool().get('res.group')
    base = [g for g in (_xml_id('multipoint_core', 'group_owner'),
            _xml_id('res', 'group_admin')) if g]
    if not base:
        return set()
    parents = Group.group_parent_all_cte()
    cursor = Transaction().connection.cursor()
    cursor.execute(*parents.select(parents.id,
            where=parents.parent.in_(base), with_=[parents]))
    return {g for g, in cursor} | set(base)


def users_in_groups(user_ids, group_ids):
    "The ids among user_ids that are members (directly or not) of group_ids"
    pool = Pool()
    UserGroup = pool.get('res.user-res.group')
    Group = pool.get('res.group')
    user_ids, group_ids = list(user_ids), list(group_ids)
    if not user_ids or not group_ids:
        return set()
    user_group = UserGroup.user_group_all_table()
    group = Group.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*user_group.join(
            group, condition=user_group.group == group.id).select(
            user_group.user,
            where=user_group.user.in_(user_ids)
            & user_group.group.in_(group_ids)
            & (group.active == Literal(True))))
    return {u for u, in cursor}


def is_owner(user_id):
    owner = _xml_id('multipoint_core', 'group_owner')
    return bool(owner and users_in_groups([user_id], [owner]))


def current_point():
    """The point the current user works at now: the 'multipoint_point' of
    the context when it is one of their points, else their only point;
    None otherwise. The context comes from the client: never trust it
    without this check."""
    pool = Pool()
    Point = pool.get('multipoint.point')
    PointStaff = pool.get('multipoint.point-res.user')
    transaction = Transaction()
    with without_check_access():
        points = {s.point.id for s in PointStaff.search([
                    ('user', '=', transaction.user)])}
    wanted = transaction.context.get('multipoint_point')
    if wanted in points:
        return Point(wanted)
    if len(points) == 1:
        return Point(points.pop())
    return None


class LoginCode(ModelSQL):
    "Multipoint Login Code"
    __name__ = 'multipoint.login.code'
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')
    code_hash = fields.Char("Code Hash", required=True, strip=False)
    expires_at = fields.DateTime("Expires At", required=True)
    attempts = fields.Integer("Wrong Attempts", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__rpc__ = {}
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.user, Index.Equality())))

    @staticmethod
    def default_attempts():
        return 0

    @classmethod
    def issue(cls, user):
        """Store a new code for user (only its hash) and send it by SMS;
        return False when it cannot be sent"""
        User = Pool().get('res.user')
        phone = user.multipoint_mobile
        if not phone:
            logger.error("no mobile for the login code of user %s", user.id)
            return False
        now = dt.datetime.utcnow()
        pending = cls.search([('user', '=', user.id)])
        if any(p.create_date and now - p.create_date < OTP_RESEND_DELAY
                and p.expires_at > now for p in pending):
            # do not flood the phone: the code sent just now still holds
            return True
        cls.delete(pending)
        code = f'{secrets.randbelow(10 ** 6):06d}'
        cls.create([{
                    'user': user.id,
                    'code_hash': User.hash_password(code),
                    'expires_at': now + otp_lifetime(),
                    }])
        try:
            send_sms(phone, gettext(
                    'multipoint_core.msg_security_otp_sms', code=code))
        except Exception as exception:
            # the text (with the code) and the phone are not logged
            logger.error("login code for user %s not sent: %s",
                user.id, exception)
            return False
        return True

    @classmethod
    def verify(cls, user, code):
        """Check code for user: 'valid', 'wrong' (may try again),
        'exhausted' (too many wrong codes: the code is void) or 'expired'
        (no code waiting)"""
        User = Pool().get('res.user')
        now = dt.datetime.utcnow()
        pending = [p for p in cls.search([('user', '=', user.id)])
            if p.expires_at > now and p.attempts < otp_max_attempts()]
        if not pending:
            cls.delete(cls.search([('user', '=', user.id)]))
            return 'expired'
        login_code, = pending[-1:]
        valid, _ = User.check_password(code, login_code.code_hash)
        if valid:
            cls.delete(cls.search([('user', '=', user.id)]))
            return 'valid'
        login_code.attempts += 1
        if login_code.attempts >= otp_max_attempts():
            cls.delete([login_code])
            return 'exhausted'
        login_code.save()
        return 'wrong'
