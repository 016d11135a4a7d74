"""Storage deadlines: reminders before the deadline, expired parcels queued
for return, extensions within the supplier's limit."""
import datetime as dt

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import StorageError

WAITING = ['accepted', 'stored']


class ParcelDeadlineMixin:
    "Storage deadline bookkeeping of a parcel"
    __slots__ = ()
    extended_days = fields.Integer(
        "Extended Days", readonly=True,
        help="Days the storage was extended by, in total.")
    reminded = fields.Boolean(
        "Reminder Sent", readonly=True,
        help="The recipient was reminded of the current deadline.")

    @staticmethod
    def default_extended_days():
        return 0

    @staticmethod
    def default_reminded():
        return False

    @classmethod
    def process_storage_deadlines(cls):
        """Daily: remind recipients whose deadline is near and queue the
        expired parcels for return; the day is the point's own"""
        pool = Pool()
        Point = pool.get('multipoint.point')
        Configuration = pool.get('multipoint.configuration')
        Notification = pool.get('multipoint.notification')
        days = Configuration.get_config().reminder_days
        to_remind, expired = [], []
        for point in Point.search([('state', '=', 'active')]):
            today = point.local_date()
            expired += cls.search([
                    ('point', '=', point.id),
                    ('state', 'in', WAITING),
                    ('storage_deadline', '<', today),
                    ])
            to_remind += cls.search([
                    ('point', '=', point.id),
                    ('state', 'in', WAITING),
                    ('reminded', '=', False),
                    ('storage_deadline', '>=', today),
                    ('storage_deadline', '<=',
                        today + dt.timedelta(days=days)),
                    ])
        if expired:
            cls.to_return(expired, reason=gettext(
                    'multipoint_core.msg_storage_expired'))
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
            if parcel.state not in WAITING or not parcel.storage_deadline:
                raise StorageError(gettext(
                        'multipoint_core.msg_storage_extension_state',
                        parcel=parcel.rec_name, state=parcel.state_string))
            if days > left:
                raise StorageError(gettext(
                        'multipoint_core.msg_storage_extension_limit',
                        parcel=parcel.rec_name, days=max(left, 0)))
            parcel.storage_deadline += dt.timedelta(days=days)
            parcel.extended_days = (parcel.extended_days or 0) + days
            parcel.reminded = False
        cls.save(parcels)
        Event.log(parcels, 'extension', detail=gettext(
                'multipoint_core.msg_storage_extension_event',
                days=days, source=source))
        Notification.enqueue(parcels, 'extended')

    def can_extend(self):
        "Days the storage of this parcel may still be extended by"
        Terms = Pool().get('multipoint.supplier.terms')
        term = Terms.for_parcels(
            [(self.supplier.id, self.point.id)])[
            (self.supplier.id, self.point.id)]
        if self.state not in WAITING or not term:
            return 0
        return max(term.max_extension_days - (self.extended_days or 0), 0)


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
