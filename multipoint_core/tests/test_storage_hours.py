"Storage limits in hours: a point's legal cap, terms in hours, the job"
import datetime as dt
from zoneinfo import ZoneInfo

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.exceptions import StorageError
from trytond.modules.multipoint_core.parcel_json import parcels_json
from trytond.modules.multipoint_core.tests.tools import (
    DBTestCase, accept_and_store, create_parcel, create_point,
    create_supplier, create_user)
from trytond.modules.multipoint_core.tracking import tracking_json
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

NSK = 'Asia/Novosibirsk'  # UTC+7


def utc(local, timezone=NSK):
    "The naive UTC moment of a local wall-clock time"
    return local.replace(tzinfo=ZoneInfo(timezone)).astimezone(
        dt.timezone.utc).replace(tzinfo=None)


# 22:30 in Novosibirsk, 15:30 UTC: the local day changes 1.5 hours later
ARRIVAL = dt.datetime(2026, 3, 9, 22, 30)


class StorageHoursTestCase(DBTestCase):
    "Test storage limits in hours"

    def arrived(self, company, point_hours=72, timezone=NSK, **terms):
        "A parcel accepted at ARRIVAL local time at a point capped in hours"
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Point = pool.get('multipoint.point')
        point = create_point(company, 'NSK7', timezone=timezone)
        Point.write([point], {'storage_hours': point_hours})
        terms = dict(dict(storage_days=7, max_extension_days=5), **terms)
        supplier = create_supplier("Лавка", **terms)
        parcel = create_parcel(point, supplier, 'H-1', prepaid=True)
        Parcel.write([parcel], {'arrival_date': utc(ARRIVAL, timezone)})
        accept_and_store([parcel])
        return Parcel(parcel.id)

    @with_transaction()
    def test_72_hour_point_expires_on_time_across_midnight(self):
        "Accepted at 22:30 local, expired at 22:30 three days later, not before"
        Parcel = Pool().get('multipoint.parcel')
        company = create_company()
        with set_company(company):
            parcel = self.arrived(company)
            end = utc(dt.datetime(2026, 3, 12, 22, 30))
            self.assertEqual(parcel.storage_until, end)
            self.assertEqual(parcel.storage_limit_hours, 72)
            self.assertEqual(parcel.storage_deadline, dt.date(2026, 3, 12))
            self.assertEqual(parcel.storage_end_text, '12.03.2026 22:30')

            # the local midnights the parcel lives through end nothing
            for moment in [dt.datetime(2026, 3, 12, 0, 0),
                    dt.datetime(2026, 3, 12, 0, 15),
                    dt.datetime(2026, 3, 12, 22, 29)]:
                Parcel.process_storage_deadlines(now=utc(moment))
                self.assertEqual(Parcel(parcel.id).state, 'stored', moment)
            Parcel.process_storage_deadlines(now=end)
            self.assertEqual(Parcel(parcel.id).state, 'to_return')

    @with_transaction()
    def test_moscow_point_same_local_hour(self):
        "The cap counts from the arrival whatever the zone: 19:30 UTC in Moscow"
        Parcel = Pool().get('multipoint.parcel')
        company = create_company()
        with set_company(company):
            parcel = self.arrived(company, timezone='Europe/Moscow')
            self.assertEqual(parcel.storage_until,
                dt.datetime(2026, 3, 12, 19, 30))
            Parcel.process_storage_deadlines(
                now=dt.datetime(2026, 3, 12, 19, 29))
            self.assertEqual(Parcel(parcel.id).state, 'stored')

    @with_transaction()
    def test_strictest_limit_applies(self):
        "Terms in days within the cap keep the end of day; terms in hours cut"
        company = create_company()
        with set_company(company):
            # two days end at the local midnight before the cap's 22:30
            parcel = self.arrived(company, storage_days=2)
            self.assertEqual(parcel.storage_until,
                utc(dt.datetime(2026, 3, 12, 0, 0)))
            self.assertIsNone(parcel.storage_limit_hours)
            self.assertEqual(parcel.storage_deadline, dt.date(2026, 3, 11))
            self.assertEqual(parcel.storage_end_text, '11.03.2026')

    @with_transaction()
    def test_terms_in_hours_stricter_than_the_point(self):
        company = create_company()
        with set_company(company):
            parcel = self.arrived(company, storage_hours=48)
            self.assertEqual(parcel.storage_until,
                utc(dt.datetime(2026, 3, 11, 22, 30)))
            self.assertEqual(parcel.storage_limit_hours, 48)

    @with_transaction()
    def test_extension_capped_by_the_point(self):
        "An extension may not go past the point's hour limit"
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        company = create_company()
        with set_company(company):
            # ends at 00:00 on the 12th, the cap is 22:30 on the 12th:
            # a whole day more would pass it
            parcel = self.arrived(company, storage_days=2)
            self.assertEqual(parcel.can_extend(), 0)
            with self.assertRaises(StorageError) as raised:
                Parcel.extend_storage([parcel], 1, "получатель")
            self.assertIn('12.03.2026 22:30', raised.exception.message)
            self.assertEqual(Parcel(parcel.id).storage_until,
                utc(dt.datetime(2026, 3, 12, 0, 0)))

    @with_transaction()
    def test_extension_within_a_looser_cap(self):
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        company = create_company()
        with set_company(company):
            # a 120-hour point: the cap is 22:30 on the 14th
            parcel = self.arrived(company, point_hours=120, storage_days=2)
            self.assertEqual(parcel.can_extend(), 2)
            with self.assertRaises(StorageError):
                Parcel.extend_storage([parcel], 3, "получатель")
            Parcel.extend_storage([parcel], 2, "получатель")
            parcel = Parcel(parcel.id)
            self.assertEqual(parcel.storage_until,
                utc(dt.datetime(2026, 3, 14, 0, 0)))
            self.assertEqual(parcel.storage_deadline, dt.date(2026, 3, 13))
            self.assertEqual(parcel.extended_days, 2)

    @with_transaction()
    def test_deadline_written_alone_is_capped(self):
        "A supplier's new deadline day moves the end, within the cap"
        Parcel = Pool().get('multipoint.parcel')
        company = create_company()
        with set_company(company):
            parcel = self.arrived(company, storage_days=2)
            Parcel.write([parcel], {'storage_deadline': dt.date(2026, 3, 20)})
            parcel = Parcel(parcel.id)
            self.assertEqual(parcel.storage_until,
                utc(dt.datetime(2026, 3, 12, 22, 30)))
            self.assertEqual(parcel.storage_limit_hours, 72)
            self.assertEqual(parcel.storage_deadline, dt.date(2026, 3, 12))

    @with_transaction()
    def test_reminder_hours_before_the_end(self):
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Notification = pool.get('multipoint.notification')
        Configuration = pool.get('multipoint.configuration')
        company = create_company()
        with set_company(company):
            Configuration.write([Configuration(1)], {'reminder_hours': 6})
            parcel = self.arrived(company)
            reminders = [('kind', '=', 'reminder'),
                ('parcel', '=', parcel.id)]
            # the day rule would remind from the local midnight before the
            # last day: a limit in hours reminds 6 hours before its end
            Parcel.process_storage_deadlines(
                now=utc(dt.datetime(2026, 3, 12, 16, 29)))
            self.assertEqual(Notification.search_count(reminders), 0)
            Parcel.process_storage_deadlines(
                now=utc(dt.datetime(2026, 3, 12, 16, 30)))
            reminder, = Notification.search(reminders)
            self.assertIn('до 12.03.2026 22:30', reminder.body)
            Parcel.process_storage_deadlines(
                now=utc(dt.datetime(2026, 3, 12, 17, 0)))
            self.assertEqual(Notification.search_count(reminders), 1)

    @with_transaction()
    def test_operator_json_and_tracking_show_the_time(self):
        company = create_company()
        with set_company(company):
            parcel = self.arrived(company)
            shown, = parcels_json([parcel])
            self.assertEqual(shown['storage_end_text'], '12.03.2026 22:30')
            self.assertEqual(shown['storage_limit_hours'], 72)
            self.assertEqual(shown['storage_until'], '2026-03-12T15:30:00')
            tracked = tracking_json(parcel)
            self.assertEqual(
                tracked['storage_deadline_text'], '12.03.2026 22:30')
            self.assertEqual(tracked['storage_deadline'], dt.date(2026, 3, 12))

    @with_transaction()
    def test_storage_until_read_only_for_owner_and_operator(self):
        Parcel = Pool().get('multipoint.parcel')
        company = create_company()
        with set_company(company):
            parcel = self.arrived(company)
            users = [create_user(login, [group], [parcel.point], company)
                for login, group in [('boss', 'owner'), ('op', 'operator')]]
            later = parcel.storage_until + dt.timedelta(days=30)
            for user in users:
                with Transaction().set_user(user.id), \
                        Transaction().set_context(_check_access=True):
                    for values in [{'storage_until': later},
                            {'storage_limit_hours': 1000}]:
                        with self.assertRaises(AccessError):
                            Parcel.write([Parcel(parcel.id)], values)
            self.assertEqual(Parcel(parcel.id).storage_until,
                utc(dt.datetime(2026, 3, 12, 22, 30)))

    @with_transaction()
    def test_migration_gives_the_end_of_the_deadline_day(self):
        "A database without storage_until gets it from storage_deadline"
        Parcel = Pool().get('multipoint.parcel')
        company = create_company()
        with set_company(company):
            parcel = self.arrived(company, point_hours=None)
            self.assertEqual(parcel.storage_deadline, dt.date(2026, 3, 16))
            table = Parcel.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.update([table.storage_until], [None],
                    where=table.id == parcel.id))
            Parcel._migrate_storage_until()
            cursor.execute(*table.select(table.storage_until,
                    where=table.id == parcel.id))
            until, = cursor.fetchone()
            if isinstance(until, str):
                until = dt.datetime.fromisoformat(until)
            # the end of the 16th in Novosibirsk
            self.assertEqual(until, dt.datetime(2026, 3, 16, 17, 0))
