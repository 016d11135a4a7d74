"""The access log of personal data: who opened a full phone, when, of
which record, through which door.

Only owners read full phones (field access, security.xml); each read of
such a field through an access-checked door (sao, proteus, any caller of
the generic JSON-RPC: ``read``, ``search_read``, ``export_data``) writes one
row per record revealed, in one INSERT per call. Business code reading the
phone for its own work (sending a message, grouping a recipient's parcels)
reads without the caller's access checks and is not logged: nobody sees the
value. A read in a read-only transaction (the RPC's ``read``) is logged in
a transaction of its own, committed at once.

Nobody writes or deletes the log; owners read it. The retention job
(``multipoint.parcel|multipoint_purge_personal_data``) deletes the rows older
than ``[multipoint] access_log_days`` (365) and purges the consents' phones
(consent.py) after blanking the closed parcels.
"""
import datetime as dt

from trytond import config
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .exceptions import MultipointError
from .guard import is_privileged
from .security import PLACEHOLDER, SECTION
from .security import logger as security_logger

DOORS = [
    ('rpc', "Client (RPC read)"),
    ('export', "Export"),
    ('route', "Multipoint Route"),
    ]


class PersonalDataAccessError(MultipointError):
    api_code = 'forbidden_change'


def access_log_days():
    return config.getint(SECTION, 'access_log_days', default=365)


def _logged_reader():
    "Whether the current read reveals data to a user (not business code)"
    transaction = Transaction()
    return transaction.check_access and not is_privileged()


class PersonalDataReadMixin:
    """Log the reads of the fields in ``_personal_data_fields`` (full
    values only owners may read) through an access-checked door"""
    __slots__ = ()
    _personal_data_fields = set()

    @classmethod
    def read(cls, ids, fields_names):
        rows = super().read(ids, fields_names)
        names = sorted(cls._personal_data_fields.intersection(fields_names))
        if names and rows and _logged_reader():
            Access = Pool().get('multipoint.personal_data.access')
            Access.record(cls.__name__, [
                    (row['id'], row[names[0]]) for row in rows], names, 'rpc')
        return rows

    @classmethod
    def export_data(cls, records, fields_names, header=False):
        data = super().export_data(records, fields_names, header=header)
        names = sorted(cls._personal_data_fields.intersection(
                f.split('/', 1)[0] for f in fields_names))
        if names and records and _logged_reader():
            Access = Pool().get('multipoint.personal_data.access')
            Access.record(cls.__name__, [
                    (r.id, getattr(r, names[0])) for r in records],
                names, 'export')
        return data


class PersonalDataAccess(ModelSQL, ModelView):
    "Personal Data Access"
    __name__ = 'multipoint.personal_data.access'
    user = fields.Many2One(
        'res.user', "User", readonly=True, ondelete='RESTRICT')
    accessed_at = fields.DateTime("Accessed At", readonly=True)
    resource = fields.Reference(
        "Record", selection='get_resources', readonly=True)
    phone_last4 = fields.Char("Last Digits", readonly=True)
    field_names = fields.Char("Fields", readonly=True)
    door = fields.Selection(DOORS, "Door", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.accessed_at, Index.Range())),
                Index(t, (t.resource, Index.Equality())),
                Index(t, (t.user, Index.Equality()),
                    (t.accessed_at, Index.Range())),
                })
        cls._order = [('accessed_at', 'DESC'), ('id', 'DESC')]

    @classmethod
    def get_resources(cls):
        Model = Pool().get('ir.model')
        names = ['multipoint.parcel', 'multipoint.consent',
            'multipoint.notification']
        return [(None, '')] + [
            (m.name, m.string) for m in Model.search(
                [('name', 'in', names)])]

    @classmethod
    def record(cls, model, values, names, door):
        """Log that the current user read the fields names of model's
        records: values is a list of (id, the value read)"""
        transaction = Transaction()
        now = dt.datetime.utcnow().replace(microsecond=0)
        rows = [[transaction.user, now, f'{model},{id_}',
                _last4(value), ', '.join(names), door,
                transaction.user, now]
            for id_, value in values
            if value and value != PLACEHOLDER]
        if not rows:
            return
        if transaction.readonly:
            # the RPC reads in a read-only transaction: the log is kept
            # by a transaction of its own
            with transaction.new_transaction():
                cls._insert(rows)
        else:
            cls._insert(rows)

    @classmethod
    def _insert(cls, rows):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.insert(
                [table.user, table.accessed_at, table.resource,
                    table.phone_last4, table.field_names, table.door,
                    table.create_uid, table.create_date],
                rows))

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        if Transaction().user:
            raise PersonalDataAccessError(gettext(
                    'multipoint_core.msg_personal_data_access_readonly'))

    @classmethod
    def purge(cls):
        "Delete the rows older than access_log_days; return their number"
        days = access_log_days()
        if days is None or days < 0:
            return 0
        limit = dt.datetime.utcnow() - dt.timedelta(days=days)
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.delete(where=table.accessed_at < limit))
        return max(cursor.rowcount, 0)


def _last4(value):
    return str(value)[-4:]


class Parcel(PersonalDataReadMixin, metaclass=PoolMeta):
    __name__ = 'multipoint.parcel'
    _personal_data_fields = {'recipient_phone'}

    @classmethod
    def multipoint_purge_personal_data(cls):
        """Also purge the phones of the consents over and the access log's
        old rows"""
        pool = Pool()
        Consent = pool.get('multipoint.consent')
        Access = pool.get('multipoint.personal_data.access')
        count = super().multipoint_purge_personal_data()
        consents = Consent.purge_personal_data()
        rows = Access.purge()
        if consents or rows:
            security_logger.info(
                "personal data blanked on %d consent(s); "
                "%d access log row(s) deleted", consents, rows)
        return count


class Notification(PersonalDataReadMixin, metaclass=PoolMeta):
    __name__ = 'multipoint.notification'
    _personal_data_fields = {'recipient'}
