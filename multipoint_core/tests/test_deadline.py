"Storage deadlines: reminders, expiry, extension"
import datetime as dt

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.exceptions import StorageError
from trytond.modules.multipoint_core.tests.tools import (
    DBTestCase, accept_and_store, create_parcel, create_point,
    create_supplier)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction


class DeadlineTestCase(DBTestCase):
    "Test storage deadlines"

    def stored(self, company, timezone='Europe/Moscow'):
        point = create_point(company, 'NSK1', timezone=timezone)
        supplier = create_supplier("Яндекс Маркет", storage_days=5,
            max_extension_days=3)
        parcels = [create_parcel(point, supplier, f'Y-{i}', prepaid=True,
                recipient_phone=f'+7913000{i:04d}') for i in range(3)]
        accept_and_store(parcels)
        return point, Pool().get('multipoint.parcel').browse(parcels)

    def set_deadline(self, parcel, days_from_today):
        Parcel = Pool().get('multipoint.parcel')
        today = parcel.point.local_date()
        Parcel.write([parcel], {
                'storage_deadline': today + dt.timedelta(days=days_from_today),
                })

    @with_transaction()
    def test_daily_job_reminds_once_and_queues_expired(self):
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Notification = pool.get('multipoint.notification')
        Event = pool.get('multipoint.parcel.event')
        company = create_company()
        with set_company(company):
            point, (due, later, expired) = self.stored(
                company, 'Asia/Novosibirsk')
            self.set_deadline(due, 1)
            self.set_deadline(later, 4)
            self.set_deadline(expired, -1)
            Parcel.process_storage_deadlines()
            reminders = Notification.search([('kind', '=', 'reminder')])
            self.assertEqual([n.parcel for n in reminders], [due])
            self.assertTrue(Parcel(due.id).reminded)
            self.assertEqual(Parcel(expired.id).state, 'to_return')
            event, = Event.search([('parcel', '=', expired.id),
                    ('to_state', '=', 'to_return')])
            self.assertEqual(event.detail, "Истёк срок хранения")
            self.assertEqual(Parcel(later.id).state, 'stored')
            # the job runs every hour: nothing is sent twice
            Parcel.process_storage_deadlines()
            self.assertEqual(
                Notification.search_count([('kind', '=', 'reminder')]), 1)

    @with_transaction()
    def test_acceptance_sends_the_issue_code(self):
        pool = Pool()
        Notification = pool.get('multipoint.notification')
        company = create_company()
        with set_company(company):
            point, parcels = self.stored(company)
            codes = Notification.search([('kind', '=', 'code')])
            self.assertEqual({n.parcel for n in codes}, set(parcels))
            self.assertEqual({n.channel for n in codes}, {'sms'})

    @with_transaction()
    def test_extension_within_the_supplier_limit(self):
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Notification = pool.get('multipoint.notification')
        Event = pool.get('multipoint.parcel.event')
        company = create_company()
        with set_company(company):
            point, (parcel, other, _) = self.stored(company)
            deadline = parcel.storage_deadline
            self.assertEqual(parcel.can_extend(), 3)
            Parcel.extend_storage([parcel], 2, "руководитель")
            parcel = Parcel(parcel.id)
            self.assertEqual(parcel.storage_deadline,
                deadline + dt.timedelta(days=2))
            self.assertEqual((parcel.extended_days, parcel.can_extend()),
                (2, 1))
            self.assertFalse(parcel.reminded)
            self.assertTrue(Event.search([('parcel', '=', parcel.id),
                        ('kind', '=', 'extension')]))
            self.assertEqual(Notification.search_count([
                        ('parcel', '=', parcel.id),
                        ('kind', '=', 'extended')]), 1)
            with self.assertRaises(StorageError):
                Parcel.extend_storage([parcel], 2, "получатель")
            with self.assertRaises(StorageError):
                Parcel.extend_storage([other], 0, "получатель")
            self.assertEqual(Parcel(parcel.id).extended_days, 2)
