"Refusals, returns to suppliers and customer returns"
import datetime as dt
from decimal import Decimal

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.exceptions import ReturnError
from trytond.modules.multipoint_core.tests.tools import (
    DBTestCase, accept_and_store, create_parcel, create_point,
    create_supplier, create_user)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction, check_access


class ReturnsTestCase(DBTestCase):
    "Test returns"

    def setup_point(self, company):
        point = create_point(company, 'MSK1')
        hermes = create_supplier("Hermes", storage_days=7,
            max_extension_days=7, partial_buyout=True,
            customer_return_days=14)
        dpd = create_supplier("DPD", storage_days=7, max_extension_days=7)
        parcels = [create_parcel(point, hermes, f'H-{i}', prepaid=True,
                lines=[('create', [
                            {'name': "Платье", 'quantity': 2,
                                'unit_price': Decimal('2000')},
                            {'name': "Ремень", 'quantity': 1,
                                'unit_price': Decimal('700')}])])
            for i in range(4)]
        parcels.append(create_parcel(point, dpd, 'D-1'))
        accept_and_store(parcels)
        Parcel = Pool().get('multipoint.parcel')
        return point, hermes, dpd, Parcel.browse(parcels)

    @with_transaction()
    def test_refusal_and_return_batch(self):
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Batch = pool.get('multipoint.return.batch')
        Event = pool.get('multipoint.parcel.event')
        Act = pool.get('multipoint.return.act', type='report')
        company = create_company()
        with set_company(company):
            point, hermes, dpd, parcels = self.setup_point(company)
            refused, partly, kept, stored, other = parcels
            with self.assertRaises(ReturnError):
                Parcel.refuse_at_desk([refused], "  ")
            Parcel.refuse_at_desk([refused], "Не подошёл размер")
            self.assertEqual(Parcel(refused.id).state, 'to_return')
            codes = Parcel.generate_codes([partly])
            dress = [l for l in partly.lines if l.name == "Платье"][0]
            Parcel.issue_to_recipient([partly], point,
                {partly: ('code', codes[partly])}, refused={dress: 1})

            batch, = Batch.create([{'point': point.id,
                        'supplier': hermes.id, 'courier_name': "Курьер"}])
            self.assertTrue(batch.number.startswith('ВЗ-'))
            batch.add('H-0-1')
            batch.add('H-1-1')
            with self.assertRaises(ReturnError):
                batch.add('H-0-1')  # already in this batch
            with self.assertRaises(ReturnError):
                batch.add('H-3-1')  # stored, nothing to return
            with self.assertRaises(ReturnError):
                batch.add('D-1-1')  # another supplier's parcel
            second, = Batch.create([{'point': point.id,
                        'supplier': hermes.id}])
            with self.assertRaises(ReturnError):
                second.add('H-0-1')  # can't leave in two batches

            Batch.hand_over([batch])
            self.assertEqual(Parcel(refused.id).state, 'returned')
            self.assertEqual(Parcel(partly.id).state, 'partially_issued')
            self.assertEqual(len(Event.search([
                            ('kind', '=', 'return'),
                            ('parcel', 'in', [refused.id, partly.id])])), 2)
            with self.assertRaises(ReturnError):
                batch.add('H-2-1')
            ext, content, _, _ = Act.execute([batch.id], {})
            self.assertTrue(content.startswith(b'%PDF'))
            with self.assertRaises(ReturnError):
                Batch.hand_over([second])  # empty

    @with_transaction()
    def test_cancelled_batch_releases_its_parcels(self):
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Batch = pool.get('multipoint.return.batch')
        company = create_company()
        with set_company(company):
            point, hermes, dpd, parcels = self.setup_point(company)
            Parcel.to_return([parcels[0]])
            batch, = Batch.create([{'point': point.id,
                        'supplier': hermes.id}])
            batch.add('H-0-1')
            Batch.cancel([batch])
            self.assertIsNone(Parcel(parcels[0].id).return_batch)
            again, = Batch.create([{'point': point.id,
                        'supplier': hermes.id}])
            again.add('H-0-1')
            self.assertEqual(Parcel(parcels[0].id).return_batch, again)

    def issue_bought(self, company):
        Parcel = Pool().get('multipoint.parcel')
        point, hermes, dpd, parcels = self.setup_point(company)
        bought = parcels[2]
        codes = Parcel.generate_codes([bought])
        Parcel.issue_to_recipient([bought], point,
            {bought: ('code', codes[bought])})
        return point, hermes, Parcel(bought.id)

    def item(self, parcel, name):
        return [l for l in parcel.lines if l.name == name][0]

    @with_transaction()
    def test_customer_return_within_terms(self):
        pool = Pool()
        CustomerReturn = pool.get('multipoint.customer.return')
        Batch = pool.get('multipoint.return.batch')
        Event = pool.get('multipoint.parcel.event')
        company = create_company()
        with set_company(company):
            point, hermes, bought = self.issue_bought(company)
            belt = self.item(bought, "Ремень")
            customer_return, = CustomerReturn.create([{
                        'parcel': bought.id, 'reason': "Брак застёжки",
                        'lines': [('create', [
                                    {'line': belt.id, 'quantity': 1}])]}])
            self.assertEqual(customer_return.point, point)
            self.assertTrue(Event.search([('parcel', '=', bought.id),
                        ('kind', '=', 'customer_return')]))
            batch, = Batch.create([{'point': point.id,
                        'supplier': hermes.id}])
            batch.add('H-2-1')
            self.assertEqual(batch.customer_returns, (customer_return,))
            Batch.hand_over([batch])
            self.assertEqual(CustomerReturn(customer_return.id).state,
                'returned')
            # the only belt is back already
            with self.assertRaises(ReturnError):
                CustomerReturn.create([{'parcel': bought.id,
                            'reason': "ещё один",
                            'lines': [('create', [
                                        {'line': belt.id, 'quantity': 1}])]}])

    @with_transaction()
    def test_customer_return_after_the_supplier_term(self):
        CustomerReturn = Pool().get('multipoint.customer.return')
        company = create_company()
        with set_company(company):
            point, hermes, bought = self.issue_bought(company)
            bought.issued_at = dt.datetime.utcnow() - dt.timedelta(days=15)
            bought.save()
            with self.assertRaises(ReturnError):
                CustomerReturn.create([{'parcel': bought.id,
                            'reason': "передумала",
                            'lines': [('create', [{
                                            'line': self.item(
                                                bought, "Платье").id,
                                            'quantity': 1}])]}])

    @with_transaction()
    def test_operator_of_another_point_sees_no_batch(self):
        pool = Pool()
        Batch = pool.get('multipoint.return.batch')
        company = create_company()
        with set_company(company):
            point, hermes, dpd, parcels = self.setup_point(company)
            other = create_point(company, 'KZN1')
            batch, = Batch.create([{'point': point.id,
                        'supplier': hermes.id}])
            stranger = create_user('op_kzn', ['operator'], [other], company)
            with Transaction().set_user(stranger.id), check_access():
                self.assertEqual(Batch.search([]), [])
                with self.assertRaises(AccessError):
                    Batch.read([batch.id], ['number'])
