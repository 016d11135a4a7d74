"""Storage deadlines: the moment a parcel's storage ends, reminders before
it, expired parcels queued for return, extensions within the supplier's
limit and the point's legal hour limit."""
import datetime as dt
from zoneinfo import ZoneInfo

from sql import Null

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import StorageError
from .guard import privileged

WAITING = ['accepted', 'stored']


def last_day(point, until):
    """The point's local calendar date of the last moment of a storage
    ending at until (a storage ending at local midnight ends the day
    before)"""
    return point.local_date(until - dt.timedelta(microseconds=1))


class ParcelDeadlineMixin:
    "Storage deadline bookkeeping of a parcel"
    __slots__ = ()
    storage_until = fields.DateTime(
        "Storage Until", readonly=True,
        help="The moment the storage ends (the end of the deadline day, "
        "or the hour set by a limit in hours).")
    storage_limit_hours = fields.Integer(
        "Storage Limit (hours)", readonly=True,
        help="The limit in hours that ends the storage; empty when the "
        "storage ends with a day.")
    extended_days = fields.Integer(
        "Extended Days", readonly=True,
        help="Days the storage was extended by, in total.")
    reminded = fields.Boolean(
        "Reminder Sent", readonly=True,
        help="The recipient was reminded of the current deadline.")

    @classmethod
    def __register__(cls, module):
        table_h = cls.__table_handler__(module)
        migrate = (backend.TableHandler.table_exist(cls._table)
            and not table_h.column_exist('storage_until'))
        super().__register__(module)
        if migrate:
            cls._migrate_storage_until()

    @classmethod
    def _migrate_storage_until(cls):
        """Give the parcels of a database without storage_until the end of
        their deadline day in their point's time zone: one update per
        deadline day and time zone"""
        Point = Pool().get('multipoint.point')
        parcel, point = cls.__table__(), Point.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*parcel.join(point,
                condition=parcel.point == point.id).select(
                point.timezone, parcel.storage_deadline,
                where=(parcel.storage_deadline != Null)
                & (parcel.storage_until == Null),
                group_by=[point.timezone, parcel.storage_deadline]))
        for timezone, deadline in cursor.fetchall():
            if isinstance(deadline, str):
                deadline = dt.date.fromisoformat(deadline)
            until = dt.datetime.combine(
                deadline + dt.timedelta(days=1), dt.time(),
                tzinfo=ZoneInfo(timezone or 'UTC')).astimezone(
                dt.timezone.utc).replace(tzinfo=None)
            zone_points = point.select(point.id,
                where=point.timezone == timezone)
            cursor.execute(*parcel.update([parcel.storage_until], [until],
                    where=(parcel.storage_deadline == deadline)
                    & (parcel.storage_until == Null)
                    & parcel.point.in_(zone_points)))

    @staticmethod
    def default_extended_days():
        return 0

    @staticmethod
    def default_reminded():
        return False

    @property
    def storage_cap(self):
        "The latest end of storage the point's legal hour limit allows"
        hours = self.point.storage_hours if self.point else None
        if hours and self.arrival_date:
            return self.arrival_date + dt.timedelta(hours=hours)

    def set_storage_end(self, term):
        """Set when the storage of the parcel, arrived, ends: the
        strictest of the terms' days (the end of the local day), the
        terms' hours and the point's hour limit"""
        Terms = Pool().get('multipoint.supplier.terms')
        point, arrival = self.point, self.arrival_date
        days = term.storage_days if term else Terms.default_storage_days()
        ends = [(point.local_midnight(
                    point.local_date(arrival) + dt.timedelta(days=days + 1)),
                None)]
        for hours in [term.storage_hours if term else None,
                point.storage_hours]:
            if hours:
                ends.append((arrival + dt.timedelta(hours=hours), hours))
        self._set_storage_until(*min(ends, key=lambda e: e[0]))

    def _set_storage_until(self, until, hours=None):
        self.storage_until = until
        self.storage_limit_hours = hours
        self.storage_deadline = last_day(self.point, until) if until else None

    @property
    def storage_end_text(self):
        """The end of storage as the recipient reads it: the last day, and
        the time when a limit in hours ends it"""
        if not self.storage_until:
            return None
        if self.storage_limit_hours:
            return self.point.local_time(self.storage_until).strftime(
                '%d.%m.%Y %H:%M')
        return self.storage_deadline.strftime('%d.%m.%Y')

    @classmethod
    def write(cls, *args):
        super().write(*args)
        # a deadline day written alone (a supplier's new date) moves the
        # end of storage to the end of that day, within the point's limit
        actions = iter(args)
        follow = {p for parcels, values in zip(actions, actions)
            if 'storage_deadline' in values and 'storage_until' not in values
            for p in parcels}
        if follow:
            cls._follow_deadline(cls.browse(list(follow)))

    @classmethod
    def _follow_deadline(cls, parcels):
        for parcel in parcels:
            if not parcel.storage_deadline:
                parcel._set_storage_until(None)
                continue
            until = parcel.point.local_midnight(
                parcel.storage_deadline + dt.timedelta(days=1))
            cap = parcel.storage_cap
            if cap and cap < until:
                parcel._set_storage_until(cap, parcel.point.storage_hours)
            else:
                parcel._set_storage_until(until)
        with privileged():
            cls.save(parcels)

    @classmethod
    def process_storage_deadlines(cls, now=None):
        """Every quarter of an hour: queue for return the parcels whose
        storage has ended and remind the recipients whose end is near.
        now: the moment the job runs for (the current one by default)"""
        pool = Pool()
        Point = pool.get('multipoint.point')
        Configuration = pool.get('multipoint.configuration')
        Notification = pool.get('multipoint.notification')
        now = now or dt.datetime.utcnow()
        config = Configuration.get_config()
        expired = cls.search([
                ('state', 'in', WAITING),
                ('storage_until', '<=', now),
                ('point.state', '=', 'active'),
                ])
        if expired:
            cls.to_return(expired, reason=gettext(
                    'multipoint_core.msg_storage_expired'))
        hours_before = now + dt.timedelta(hours=config.reminder_hours)
        to_remind = []
        for point in Point.search([('state', '=', 'active')]):
            # a day limit: from the local day reminder_days before its
            # last day; a limit in hours: reminder_hours before its end
            last_day_near = point.local_date(now) + dt.timedelta(
                days=config.reminder_days)
            to_remind += cls.search([
                    ('point', '=', point.id),
                    ('state', 'in', WAITING),
                    ('reminded', '=', False),
                    ('storage_until', '>', now),
                    ['OR', [
                            ('storage_limit_hours', '=', None),
                            ('storage_deadline', '<=', last_day_near),
                            ], [
                            ('storage_limit_hours', '!=', None),
                            ('storage_until', '<=', hours_before),
                            ]],
                    ])
        if to_remind:
            Notification.enqueue(to_remind, 'reminder')
            cls.write(to_remind, {'reminded': True})

    @classmethod
    def extend_storage(cls, parcels, days, source):
        """Extend the storage of parcels by days, within the supplier's
        maximum; source says who asked (manager, recipient)"""
        pool = Pool()
        Terms = pool.get('multipoint.supplier.terms')
        Event = pool.get('multipoint.parcel.event')
        Notification = pool.get('multipoint.notification')
        if not days or days <= 0:
            raise StorageError(gettext(
                    'multipoint_core.msg_storage_extension_days'))
        terms = Terms.for_parcels((p.supplier.id, p.point.id) for p in parcels)
        for parcel in parcels:
            term = terms[(parcel.supplier.id, parcel.point.id)]
            allowed = term.max_extension_days if term else 0
            left = allowed - (parcel.extended_days or 0)
            if parcel.state not in WAITING or not parcel.storage_until:
                raise StorageError(gettext(
                        'multipoint_core.msg_storage_extension_state',
                        parcel=parcel.rec_name, state=parcel.state_string))
            if days > left:
                raise StorageError(gettext(
                        'multipoint_core.msg_storage_extension_limit',
                        parcel=parcel.rec_name, days=max(left, 0)))
            until = parcel._extended_until(days)
            cap = parcel.storage_cap
            if cap and until > cap:
                raise StorageError(gettext(
                        'multipoint_core.msg_storage_extension_point_limit',
                        parcel=parcel.rec_name,
                        hours=parcel.point.storage_hours,
                        end=parcel.point.local_time(cap).strftime(
                            '%d.%m.%Y %H:%M')))
            parcel._set_storage_until(until, parcel.storage_limit_hours)
            parcel.extended_days = (parcel.extended_days or 0) + days
            parcel.reminded = False
        cls.save(parcels)
        Event.log(parcels, 'extension', detail=gettext(
                'multipoint_core.msg_storage_extension_event',
                days=days, source=source))
        Notification.enqueue(parcels, 'extended')

    def _extended_until(self, days):
        "The end of storage days later, the same local time of day"
        local = self.point.local_time(self.storage_until) + dt.timedelta(
            days=days)
        return local.replace(tzinfo=self.point.tzinfo).astimezone(
            dt.timezone.utc).replace(tzinfo=None)

    def can_extend(self):
        """Days the storage of this parcel may still be extended by: what
        the supplier's maximum leaves, within the point's hour limit"""
        Terms = Pool().get('multipoint.supplier.terms')
        term = Terms.for_parcels(
            [(self.supplier.id, self.point.id)])[
            (self.supplier.id, self.point.id)]
        if self.state not in WAITING or not term or not self.storage_until:
            return 0
        days = max(term.max_extension_days - (self.extended_days or 0), 0)
        cap = self.storage_cap
        while days and cap and self._extended_until(days) > cap:
            days -= 1
        return days


class ExtendStorageStart(ModelView):
    "Extend Storage"
    __name__ = 'multipoint.parcel.extend_storage.start'
    days = fields.Integer("Days", required=True, domain=[('days', '>', 0)])
    allowed = fields.Integer("Days Left", readonly=True)


class ExtendStorage(Wizard):
    "Extend the storage of a parcel on a manager's decision"
    __name__ = 'multipoint.parcel.extend_storage'
    start = StateView('multipoint.parcel.extend_storage.start',
        'multipoint_core.parcel_extend_storage_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Extend", 'extend', 'tryton-ok', default=True),
            ])
    extend = StateTransition()

    def default_start(self, fields):
        allowed = min((p.can_extend() for p in self.records), default=0)
        return {'allowed': allowed, 'days': min(allowed, 1) or None}

    def transition_extend(self):
        self.model.extend_storage(
            self.records, self.start.days, gettext(
                'multipoint_core.msg_storage_source_manager'))
        return 'end'
