"""A charge on several parcels (read from the supplier's report, its
evidence pack, claim, settlement and access), and the desk photos nobody
changes or deletes"""
import io
import json
import zipfile
from decimal import Decimal

from trytond.model.exceptions import AccessError
from trytond.model.modelstorage import DomainValidationError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.exceptions import DeskPhotoError
from trytond.modules.multipoint_core.tests.tools import (
    DBTestCase, create_user)
from trytond.modules.multipoint_pos.tests.pos_tools import settings
from trytond.modules.multipoint_settlement.tests.settlement_tools import (
    pdf_text, report_csv)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction, check_access

from .test_claims import RU, Network

D = Decimal
HEADERS = ("Номер удержания", "Номер заказа", "Штраф",
    "Основание удержания", "Дата удержания")


class MultiParcelTestCase(DBTestCase):
    module = 'multipoint_claims'
    language = 'ru'

    def setUp(self):
        super().setUp()
        self.maxDiff = None
        self.enterContext(settings('multipoint_fiscal', driver='demo'))

    def import_bag(self, net):
        """The report of a lost bag: two rows sharing the charge number
        (one operator accepted each parcel) and a row of one fine for two
        orders; M-1, M-2 at Moscow"""
        Charge = Pool().get('multipoint.charge')
        rows = [
            # no date: the charges are of today, still disputable
            ['АКТ-77', 'M-1', '1 000,00', "Утеря мешка", ''],
            ['АКТ-77', 'M-2', '500', "Утеря мешка", ''],
            ['', 'M-3, M-4', '900,01', "Просрочка возврата", ''],
            ]
        data = report_csv(rows, headers=HEADERS)
        with Transaction().set_user(net.accountant.id), check_access():
            charges = Charge.import_report(
                net.company, net.supplier, data, 'otchet.csv')
            again = Charge.import_report(
                net.company, net.supplier, data, 'otchet-2.csv')
        self.assertEqual(again, [])
        return sorted(charges, key=lambda c: c.id)

    @with_transaction(context=RU)
    def test_charge_of_several_parcels(self):
        """The rows of one charge number are one charge of their sum, each
        row's amount its parcel's; a row listing two orders is one charge
        shared equally; each parcel names its operator"""
        pool = Pool()
        Charge = pool.get('multipoint.charge')
        Line = pool.get('multipoint.charge.parcel')
        company = create_company()
        with set_company(company):
            net = Network(company)
            other = create_user('oper_msk2', ['operator'], [net.msk],
                company)
            p1, _ = net.parcel(net.msk, 'M-1', net.operator)
            p2, _ = net.parcel(net.msk, 'M-2', other)
            p3, _ = net.parcel(net.msk, 'M-3', net.operator)
            p4, _ = net.parcel(net.msk, 'M-4', net.operator)
            bag, late = self.import_bag(net)
            self.assertEqual(Charge.search([], count=True), 2)
            self.assertEqual(
                (bag.amount, bag.kind, bag.order_number, bag.point,
                    bag.source_reference, bag.parcel),
                (D('1500.00'), 'lost', 'M-1, M-2', net.msk,
                    'report:charge:АКТ-77', p1))
            self.assertEqual(
                [(l.parcel, l.amount, l.share, l.operator)
                    for l in bag.parcels],
                [(p1, D('1000.00'), D('1000.00'), net.operator),
                    (p2, D('500.00'), D('500.00'), other)])
            self.assertEqual(bag.operator, net.operator)
            self.assertEqual(
                [(l.parcel, l.amount, l.share) for l in late.parcels],
                [(p3, None, D('450.00')), (p4, None, D('450.01'))])
            self.assertEqual(Charge.search([('parcel', '=', p2.id)]), [bag])
            # who pays: each operator its parcel's part, a charge once
            Summary = pool.get('multipoint.charge.operator_summary')
            Charge.accept([bag, late])
            with Transaction().set_user(net.owner.id), check_access():
                rows = {r.operator.login: (r.charge_count, r.amount,
                        r.charged_amount) for r in Summary.search([])}
            self.assertEqual(rows, {
                    'oper_msk': (2, D('1900.01'), D('1900.01')),
                    'oper_msk2': (1, D('500.00'), D('500.00')),
                    })
            # a parcel of another point is refused (last: a refused create
            # is rolled back with the request, not within this test)
            p5, _ = net.parcel(net.vvo, 'V-1', net.operator_vvo)
            with self.assertRaises(DomainValidationError):
                Line.create([{'charge': late.id, 'parcel': p5.id}])

    @with_transaction(context=RU)
    def test_pack_claim_settlement(self):
        """The evidence pack has a section per parcel, the claim lists
        every parcel, a settlement deducts the charge once"""
        pool = Pool()
        Charge = pool.get('multipoint.charge')
        Settlement = pool.get('multipoint.settlement')
        Date = pool.get('ir.date')
        company = create_company()
        with set_company(company):
            net = Network(company)
            other = create_user('oper_msk2', ['operator'], [net.msk],
                company)
            net.parcel(net.msk, 'M-1', net.operator, damaged=True)
            net.parcel(net.msk, 'M-2', other)
            net.parcel(net.msk, 'M-3', net.operator)
            net.parcel(net.msk, 'M-4', net.operator)
            bag, late = self.import_bag(net)
            PDF = pool.get('multipoint.charge.evidence_pdf', type='report')
            ZIP = pool.get('multipoint.charge.evidence_zip', type='report')
            with Transaction().set_user(net.accountant.id), check_access():
                _, pdf, _, _ = PDF.execute([bag.id], {})
                _, data, _, _ = ZIP.execute([bag.id], {})
            text = ' '.join(' '.join(pdf_text(bytes(pdf))).split())
            for expected in ['Посылка M-1', 'Посылка M-2', 'oper_msk2',
                    'Вмятина на углу']:
                self.assertIn(expected, text)
            archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
            manifest = json.loads(archive.read('manifest.json'))
            self.assertEqual(
                [p['order_number'] for p in manifest['parcels']],
                ['M-1', 'M-2'])
            self.assertEqual(len(manifest['parcels'][0]['photos']), 1)
            # each parcel was accepted by its own reception
            self.assertEqual(len([n for n in archive.namelist()
                        if n.startswith('acts/acceptance_')]), 2)
            journal = archive.read('journal.csv').decode('utf-8')
            orders = {line.split(';')[0] for line in journal.splitlines()}
            self.assertEqual(orders, {'order', 'M-1', 'M-2'})

            Charge.dispute([bag])
            claim, = Charge(bag.id).claims
            self.assertIn('по заказу (заказам) M-1, M-2', claim.text)
            self.assertIn('1. заказ M-1, места M-1-1, 1000.00 ₽', claim.text)
            self.assertIn('2. заказ M-2, места M-2-1, 500.00 ₽', claim.text)
            self.assertIn('заказ M-2: принята', claim.text)

            Charge.accept([late])
            settlement, = Settlement.create([{
                        'company': company.id,
                        'supplier': net.supplier.id,
                        'period_start': Date.today(),
                        'period_end': Date.today()}])
            Settlement.compute([settlement])
            settlement = Settlement(settlement.id)
            self.assertEqual(
                [(f.charge, f.amount) for f in settlement.fines],
                [(late, D('900.01'))])
            self.assertEqual(settlement.fine_amount, D('900.01'))

    @with_transaction(context=RU)
    def test_operators_of_the_parcels(self):
        """Each operator of one of the parcels reads the charge, its
        parcels and claims; an operator of another point reads nothing"""
        pool = Pool()
        Charge = pool.get('multipoint.charge')
        Line = pool.get('multipoint.charge.parcel')
        Claim = pool.get('multipoint.charge.claim')
        Evidence = pool.get('multipoint.charge.evidence')
        PDF = pool.get('multipoint.charge.evidence_pdf', type='report')
        company = create_company()
        with set_company(company):
            net = Network(company)
            other = create_user('oper_msk2', ['operator'], [net.msk],
                company)
            net.parcel(net.msk, 'M-1', net.operator)
            net.parcel(net.msk, 'M-2', other)
            net.parcel(net.msk, 'M-3', net.operator)
            net.parcel(net.msk, 'M-4', net.operator)
            bag, late = self.import_bag(net)
            Charge.dispute([bag])
            claim, = Charge(bag.id).claims
            transaction = Transaction()
            with transaction.set_user(other.id), check_access():
                self.assertEqual(Charge.search([]), [bag])
                self.assertEqual(Charge.search([('mine', '=', True)]),
                    [bag])
                self.assertEqual(len(Line.search([])), 2)
                self.assertEqual(Claim.search([]), [claim])
                Evidence.create([{'charge': bag.id,
                            'description': "Мешок сдан курьеру"}])
                with self.assertRaises(AccessError):
                    Charge.read([late.id], ['amount'])
                with self.assertRaises(AccessError):
                    Line.write(list(Charge(bag.id).parcels), {'amount': 1})
            with transaction.set_user(net.operator_vvo.id), check_access():
                self.assertEqual(Charge.search([]), [])
                self.assertEqual(Line.search([]), [])
                self.assertEqual(Claim.search([]), [])
                self.assertEqual(Evidence.search([]), [])
                for record in [bag, late]:
                    with self.assertRaises(AccessError):
                        Charge.read([record.id], ['amount'])
                    with self.assertRaises(AccessError):
                        PDF.execute([record.id], {})
                with self.assertRaises(AccessError):
                    Line.read([bag.parcels[0].id], ['parcel'])

    @with_transaction(context=RU)
    def test_desk_photos_kept(self):
        """A desk photo is neither changed nor deleted by an owner, an
        accountant, an operator or the administrator; the parcel's other
        attachments follow the parcel's access"""
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Attachment = pool.get('ir.attachment')
        company = create_company()
        with set_company(company):
            net = Network(company)
            parcel, code = net.parcel(net.msk, 'F-1', net.operator)
            parcel = net.issue(parcel, code, net.operator)
            with Transaction().set_user(net.operator.id):
                photo, = Parcel.attach_desk_photos(
                    parcel, [('opened.jpg', b'desk-photo')], "Вскрыта")
            self.assertTrue(photo.desk_photo)
            note, = Attachment.create([{
                        'resource': str(parcel), 'name': 'note.txt',
                        'type': 'data', 'data': b'note'}])
            self.assertFalse(note.desk_photo)
            transaction = Transaction()
            for user in [net.owner, net.accountant, net.operator]:
                with transaction.set_user(user.id), check_access():
                    with self.assertRaises(AccessError):
                        Attachment.write([photo], {'data': b'other'})
                    with self.assertRaises(AccessError):
                        Attachment.write([photo], {'description': "x"})
                    with self.assertRaises(AccessError):
                        Attachment.delete([photo])
                    with self.assertRaises(AccessError):
                        Attachment.create([{
                                    'resource': str(parcel),
                                    'name': 'fake.jpg', 'type': 'data',
                                    'data': b'x', 'desk_photo': True}])
            # the administrator and business code are refused as well
            with transaction.set_user(0):
                with self.assertRaises(DeskPhotoError):
                    Attachment.write([photo], {'name': 'renamed.jpg'})
                with self.assertRaises(DeskPhotoError):
                    Attachment.delete([photo])
                with self.assertRaises(DeskPhotoError):
                    Attachment.write([note], {'desk_photo': True})
            # the owner changes and deletes the parcel's other attachment
            with transaction.set_user(net.owner.id), check_access():
                Attachment.write([note], {'description': "Пояснение"})
                Attachment.delete([note])
                with self.assertRaises(AccessError):
                    Attachment.write([photo], {'desk_photo': False})
            self.assertEqual(Attachment.search([('id', '=', note.id)]), [])
            photo = Attachment(photo.id)
            self.assertEqual(
                (bytes(photo.data), photo.name, photo.desk_photo),
                (b'desk-photo', 'opened.jpg', True))
            # the retention purge blanks the recipient, keeps the photo
            with settings('multipoint', retention_days='0'):
                Parcel.multipoint_purge_personal_data()
            self.assertEqual(Attachment.search([
                        ('resource', '=', str(parcel)),
                        ('desk_photo', '=', True),
                        ('name', '!=', 'fake.jpg'),
                        ]), [photo])


del DBTestCase
