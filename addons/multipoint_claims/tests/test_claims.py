"""The charges ledger, evidence packs, claims and their settlement through
the real desk, ORM, access rules and accounting"""
import datetime as dt
import io
import zipfile
from decimal import Decimal

from trytond.model.exceptions import AccessButtonError, AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_claims.claim import answer_deadline
from trytond.modules.multipoint_claims.exceptions import (
    ChargeError, ChargeImportError, ClaimError)
from trytond.modules.multipoint_core.guard import GuardError
from trytond.modules.multipoint_core.tests.tools import (
    DBTestCase, create_parcel, create_user)
from trytond.modules.multipoint_pos.tests.pos_tools import (
    pos_point, settings, setup_accounting, supplier)
from trytond.modules.multipoint_settlement.tests.settlement_tools import (
    configure, pdf_text, report_csv)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction, check_access

D = Decimal
RU = {'language': 'ru'}
PHOTO = b'\xff\xd8\xff\xe0JFIF-photo-of-the-dent'


class Network:
    """A network of two points (Moscow, Vladivostok) with their points of
    sale and shifts, a supplier, its staff"""

    def __init__(self, company):
        pool = Pool()
        Party = pool.get('party.party')
        Session = pool.get('sale.point.cash.session')
        self.company = company
        self.accounts = setup_accounting(company)
        configure(self.accounts)
        self.msk = pos_point(company, 'MSK1', self.accounts)
        self.vvo = pos_point(company, 'VVO1', self.accounts,
            timezone='Asia/Vladivostok')
        self.supplier = supplier("Гермес",
            fines=[('create', [{'kind': 'lost', 'amount': D('1500')}])])
        Party.write([self.supplier], {
                'account_payable': self.accounts['payable'].id,
                'account_receivable': self.accounts['receivable'].id,
                })
        for point in [self.msk, self.vvo]:
            Session.open_shift(point, D('0'))
        Config = pool.get('multipoint.settlement.configuration')
        config = Config(1)
        config.journal = self.msk.sale_point.journal
        config.save()
        self.owner = create_user('owner1', ['owner'],
            [self.msk, self.vvo], company)
        self.accountant = create_user('buh1', ['accountant'],
            [self.msk, self.vvo], company)
        self.operator = create_user('oper_msk', ['operator'], [self.msk],
            company)
        self.operator_vvo = create_user('oper_vvo', ['operator'],
            [self.vvo], company)
        self.nobody = create_user('nobody', [], [], company)

    def parcel(self, point, number, operator=None, damaged=False,
            **values):
        """A parcel accepted (by operator, its place scanned damaged with
        a photo when asked) and stored"""
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Reception = pool.get('multipoint.reception')
        from trytond.modules.multipoint_core.placement import (
            place_parcel, suggest_cell)
        values.setdefault('prepaid', True)
        values.setdefault('delivery_fee', D(0))
        values.setdefault('declared_value', D('4000'))
        parcel = create_parcel(point, self.supplier, number, **values)
        user = operator.id if operator else 0
        with Transaction().set_user(user):
            reception, = Reception.create([{
                        'point': point.id, 'company': point.company.id,
                        'courier_name': "Курьер Петров"}])
            for place in parcel.places:
                if damaged:
                    reception.scan(place.barcode, damaged=True,
                        note="Вмятина на углу", photo=PHOTO,
                        photo_name='dent.jpg')
                else:
                    reception.scan(place.barcode)
            Reception.close([reception])
            parcel = Parcel(parcel.id)
            place_parcel(parcel, suggest_cell(parcel))
        parcel = Parcel(parcel.id)
        code = Parcel.generate_codes([parcel])[parcel]
        return Parcel(parcel.id), code

    def issue(self, parcel, code, operator):
        Parcel = Pool().get('multipoint.parcel')
        with Transaction().set_user(operator.id):
            Parcel.issue_with_payment(
                [parcel], parcel.point, {parcel: ('code', code)}, [])
        return Parcel(parcel.id)

    def charge(self, parcel, amount, kind='lost', **values):
        Charge = Pool().get('multipoint.charge')
        charge, = Charge.create([dict({
                        'parcel': parcel.id,
                        'kind': kind,
                        'ground': "Отправление утеряно на ПВЗ",
                        'amount': D(amount),
                        }, **values)])
        return charge


class ClaimsTestCase(DBTestCase):
    module = 'multipoint_claims'
    language = 'ru'

    def setUp(self):
        super().setUp()
        self.maxDiff = None
        self.enterContext(settings('multipoint_fiscal', driver='demo'))

    @with_transaction(context=RU)
    def test_typed_charge(self):
        """A charge typed in: the operator of the acceptance and the shift
        from the journal, the dispute date from the template, the guard"""
        pool = Pool()
        Charge = pool.get('multipoint.charge')
        Template = pool.get('multipoint.charge.template')
        Session = pool.get('sale.point.cash.session')
        company = create_company()
        with set_company(company):
            net = Network(company)
            Template.create([{
                        'supplier': net.supplier.id, 'dispute_days': 5,
                        'answer_days': 15}])
            parcel, code = net.parcel(net.msk, 'G-1', net.operator)
            other, code = net.parcel(net.msk, 'G-2', net.operator)
            other = net.issue(other, code, net.owner)
            with Transaction().set_user(net.accountant.id), check_access():
                charge, = Charge.create([{
                            'parcel': parcel.id,
                            'date': dt.date(2026, 10, 5),
                            'kind': 'lost',
                            'ground': "Утеря отправления",
                            'amount': D('1234.5'),
                            }])
                charge = Charge(charge.id)
                self.assertEqual(charge.supplier, net.supplier)
                self.assertEqual(charge.point, net.msk)
                self.assertEqual(charge.order_number, 'G-1')
                self.assertEqual(charge.amount, D('1234.50'))
                self.assertEqual(charge.dispute_due, dt.date(2026, 10, 10))
                self.assertEqual(charge.source, 'manual')
                self.assertEqual(charge.state, 'new')
                self.assertEqual(charge.operator, net.operator)
                self.assertEqual(charge.operator_step, 'accepted')
                shift, = Session.search([
                        ('point', '=', net.msk.sale_point.id)])
                self.assertEqual(charge.shift, shift)
                self.assertIsNone(charge.charged_amount)
                # the state moves only by its transitions
                with self.assertRaises(GuardError):
                    Charge.write([charge], {'state': 'won'})
                with self.assertRaises(GuardError):
                    Charge.create([{
                                'parcel': parcel.id, 'ground': "x",
                                'amount': D(1), 'state': 'accepted'}])
                Charge.accept([charge])
                self.assertEqual(charge.state, 'accepted')
                self.assertEqual(charge.charged_amount, D('1234.50'))
                # read-only once decided
                with self.assertRaises(GuardError):
                    Charge.write([charge], {'amount': D(1)})
                with self.assertRaises(ChargeError):
                    Charge.delete([charge])
                # a charge for the hand-over names the issuing operator
                swap, = Charge.create([{
                            'parcel': other.id, 'kind': 'substituted',
                            'ground': "Подмена товара", 'amount': D(700)}])
                self.assertEqual(swap.operator, net.owner)
                self.assertEqual(swap.operator_step, 'issued')
                # the parcel must be of the charge's supplier and point
                with self.assertRaises(Exception):
                    Charge.create([{
                                'parcel': other.id, 'point': net.vvo.id,
                                'ground': "x", 'amount': D(1)}])

    @with_transaction(context=RU)
    def test_import_from_report(self):
        """Charges read from the supplier's report (CSV), once per row
        whatever the file; unknown orders and bad amounts refused whole"""
        pool = Pool()
        Charge = pool.get('multipoint.charge')
        company = create_company()
        with set_company(company):
            net = Network(company)
            lost, _ = net.parcel(net.msk, 'R-1', net.operator)
            broken, _ = net.parcel(net.vvo, 'R-2', net.operator_vvo)
            headers = ("Номер заказа", "Статус", "Получено", "Штраф",
                "Основание удержания", "Дата удержания")
            rows = [
                ['R-1', "Утерян", '0', '2 500,00',
                    "Утеря отправления на ПВЗ", '03.11.2026'],
                ['R-2', "Выдан", '1000', '350', "Повреждение упаковки",
                    '04.11.2026'],
                ['R-3', "Выдан", '500', '', '', ''],
                ]
            data = report_csv(rows, headers=headers)
            with Transaction().set_user(net.accountant.id), check_access():
                charges = Charge.import_report(
                    company, net.supplier, data, 'otchet.csv')
                self.assertEqual(len(charges), 2)
                by_order = {c.order_number: c for c in charges}
                first, second = by_order['R-1'], by_order['R-2']
                self.assertEqual(
                    (first.parcel, first.point, first.amount, first.kind,
                        first.date, first.source, first.state),
                    (lost, net.msk, D('2500.00'), 'lost',
                        dt.date(2026, 11, 3), 'report', 'new'))
                self.assertEqual(first.ground, "Утеря отправления на ПВЗ")
                self.assertEqual(first.operator, net.operator)
                self.assertEqual(
                    (second.point, second.kind, second.amount),
                    (net.vvo, 'damaged', D('350.00')))
                # again, in another file: nothing new
                again = Charge.import_report(
                    company, net.supplier, data, 'otchet-2.csv')
                self.assertEqual(again, [])
                self.assertEqual(Charge.search([], count=True), 2)
                bad = report_csv([['R-9', "Утерян", '0', '100', "Утеря",
                            '']], headers=headers)
                with self.assertRaises(ChargeImportError):
                    Charge.import_report(company, net.supplier, bad)
                bad = report_csv([['R-1', "Утерян", '0', 'сто', "Утеря",
                            '']], headers=headers)
                with self.assertRaises(ChargeImportError):
                    Charge.import_report(company, net.supplier, bad)
                with self.assertRaises(ChargeImportError):
                    Charge.import_report(
                        company, net.supplier, b'\x00\x01garbage')
                self.assertEqual(Charge.search([], count=True), 2)

    @with_transaction(context=RU)
    def test_evidence_pack(self):
        """One click: the PDF and the ZIP opened back hold the journal with
        who and when, the acceptance act, the damage photo, the issue, the
        ticket's messages and the evidence the operator added"""
        pool = Pool()
        Charge = pool.get('multipoint.charge')
        Evidence = pool.get('multipoint.charge.evidence')
        Ticket = pool.get('multipoint.ticket')
        Message = pool.get('multipoint.ticket.message')
        Attachment = pool.get('ir.attachment')
        company = create_company()
        with set_company(company):
            net = Network(company)
            parcel, code = net.parcel(net.msk, 'E-1', net.operator,
                damaged=True)
            parcel = net.issue(parcel, code, net.operator)
            # the recipient opened it at the desk: the operator's photo
            Parcel = pool.get('multipoint.parcel')
            with Transaction().set_user(net.operator.id):
                Parcel.attach_desk_photos(parcel,
                    [('opened-at-desk.jpg', b'desk-photo')],
                    "Вскрыта при получателе")
            ticket, = Ticket.create([{
                        'title': "Повреждённая упаковка E-1",
                        'type': 'damaged', 'point': net.msk.id,
                        'supplier': net.supplier.id,
                        'parcels': [('add', [parcel.id])]}])
            message, = Message.create([{
                        'ticket': ticket.id,
                        'body': "Курьер подтвердил вмятину при передаче"}])
            Attachment.create([{
                        'resource': str(message), 'name': 'courier.jpg',
                        'type': 'data', 'data': b'courier-photo'}])
            charge = net.charge(parcel, '3000', kind='damaged',
                ground="Повреждение товара")
            with Transaction().set_user(net.operator.id), check_access():
                Evidence.create([{
                            'charge': charge.id,
                            'description': "Объяснение оператора",
                            'file': b'explanation-text',
                            'file_name': 'объяснение.txt'}])
                PDF = pool.get('multipoint.charge.evidence_pdf',
                    type='report')
                ZIP = pool.get('multipoint.charge.evidence_zip',
                    type='report')
                ext, pdf, _, _ = PDF.execute([charge.id], {})
                self.assertEqual(ext, 'pdf')
                ext, data, _, _ = ZIP.execute([charge.id], {})
                self.assertEqual(ext, 'zip')
            text = ' '.join(' '.join(pdf_text(bytes(pdf))).split())
            for expected in ['E-1', 'Гермес', 'oper_msk', 'Курьер Петров',
                    'Вмятина на углу', 'Повреждение товара',
                    'Курьер подтвердил вмятину', 'Объяснение оператора',
                    'code', '***4567']:
                self.assertIn(expected, text)
            self.assertNotIn('123-45-67', text)
            archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
            names = archive.namelist()
            self.assertIn('evidence.pdf', names)
            self.assertIn('journal.csv', names)
            self.assertIn('manifest.json', names)
            self.assertTrue(any(n.startswith('acts/acceptance_')
                    for n in names), names)
            photos = [n for n in names if n.endswith('dent.jpg')]
            self.assertEqual(len(photos), 1, names)
            self.assertEqual(archive.read(photos[0]), PHOTO)
            self.assertTrue(any(n.endswith('courier.jpg') for n in names))
            desk = [n for n in names if n.endswith('opened-at-desk.jpg')]
            self.assertEqual(len(desk), 1, names)
            self.assertEqual(archive.read(desk[0]), b'desk-photo')
            added = [n for n in names if n.startswith('added/')]
            self.assertEqual(len(added), 1)
            self.assertEqual(archive.read(added[0]), b'explanation-text')
            journal = archive.read('journal.csv').decode('utf-8')
            self.assertIn('oper_msk', journal)
            self.assertIn('accepted', journal)
            self.assertIn('issued', journal)
            act = ' '.join(pdf_text(archive.read(
                        [n for n in names if n.startswith('acts/')][0])))
            self.assertIn('E-1', act)

    @with_transaction(context=RU)
    def test_claim_deadline_in_point_time_zone(self):
        """The answer's deadline is the end of the last day at the point:
        Vladivostok's day, not Moscow's nor UTC's; a task reminds of it"""
        pool = Pool()
        Charge = pool.get('multipoint.charge')
        Claim = pool.get('multipoint.charge.claim')
        Task = pool.get('multipoint.task')
        # 15:30 UTC on 10 March is 01:30 on 11 March in Vladivostok
        company = create_company()
        with set_company(company):
            net = Network(company)
            sent, last, end = answer_deadline(
                net.vvo, dt.datetime(2026, 3, 10, 15, 30), 30)
            self.assertEqual(sent, dt.date(2026, 3, 11))
            self.assertEqual(last, dt.date(2026, 4, 10))
            self.assertEqual(end, dt.datetime(2026, 4, 10, 14, 0))
            sent, last, end = answer_deadline(
                net.msk, dt.datetime(2026, 3, 10, 15, 30), 30)
            self.assertEqual((sent, last, end), (dt.date(2026, 3, 10),
                    dt.date(2026, 4, 9), dt.datetime(2026, 4, 9, 21, 0)))

            parcel, _ = net.parcel(net.vvo, 'V-1', net.operator_vvo)
            charge = net.charge(parcel, '1500')
            with Transaction().set_user(net.owner.id), check_access():
                Charge.dispute([charge])
                claim, = Charge(charge.id).claims
                self.assertEqual(Charge(charge.id).state, 'disputed')
                self.assertEqual(claim.state, 'draft')
                self.assertIn('V-1', claim.text)
                self.assertIn('1500.00', claim.text)
                self.assertIn('289-ФЗ', claim.text)
                self.assertIn('oper_vvo', claim.text)
                self.assertIn('evidence.pdf', claim.text)
                Claim.send([claim])
                claim = Claim(claim.id)
            today = net.vvo.local_date(claim.sent_at)
            self.assertEqual(claim.sent_date, today)
            self.assertEqual(claim.deadline_date,
                today + dt.timedelta(days=30))
            self.assertEqual(claim.deadline, answer_deadline(
                    net.vvo, claim.sent_at, 30)[2])
            self.assertTrue(claim.number.startswith('ПРТ-'))
            self.assertIn(claim.number, claim.text)
            self.assertNotIn('[№]', claim.text)
            self.assertIn(claim.deadline_date.strftime('%d.%m.%Y'),
                claim.text)
            self.assertFalse(claim.overdue)
            task = claim.task
            self.assertEqual(task.point, net.vvo)
            self.assertEqual(task.local_due, dt.datetime.combine(
                    claim.deadline_date, dt.time(10)))
            self.assertEqual(task.reminder_minutes, 24 * 60)
            pack = zipfile.ZipFile(io.BytesIO(bytes(claim.evidence_pack)))
            self.assertIn('claim.pdf', pack.namelist())
            letter = ' '.join(pdf_text(pack.read('claim.pdf')))
            self.assertIn(claim.number, letter)
            Letter = pool.get('multipoint.charge.claim.letter',
                type='report')
            ext, _, _, _ = Letter.execute([claim.id], {})
            self.assertEqual(ext, 'pdf')
            # the outcome needs the answer; it moves the charge and closes
            # the task
            with self.assertRaises(ClaimError):
                Claim.partly_win([claim])
            claim.answer = "Удержание снижено до 1000 руб."
            claim.won_amount = D('500')
            claim.save()
            Claim.partly_win([claim])
            claim = Claim(claim.id)
            charge = Charge(charge.id)
            self.assertEqual((claim.state, claim.outcome),
                ('closed', 'partly_won'))
            self.assertEqual((charge.state, charge.won_amount,
                    charge.charged_amount),
                ('partly_won', D('500.00'), D('1000.00')))
            self.assertEqual(Task(task.id).state, 'done')

    @with_transaction(context=RU)
    def test_settlement_with_charges(self):
        """Accepted and lost charges are deducted once; the supplier's
        charge replaces the terms' fine of a lost parcel; a charge won
        after its deduction comes back in the next settlement"""
        pool = Pool()
        Charge = pool.get('multipoint.charge')
        Claim = pool.get('multipoint.charge.claim')
        Parcel = pool.get('multipoint.parcel')
        Settlement = pool.get('multipoint.settlement')
        Date = pool.get('ir.date')
        company = create_company()
        with set_company(company):
            net = Network(company)
            p1, _ = net.parcel(net.msk, 'S-1', net.operator)
            p2, _ = net.parcel(net.msk, 'S-2', net.operator)
            p3, _ = net.parcel(net.msk, 'S-3', net.operator)
            p4, _ = net.parcel(net.msk, 'S-4', net.operator)
            Parcel.mark_lost([p2])
            accepted = net.charge(p1, '300', kind='damaged')
            lost_parcel = net.charge(p2, '2000')
            won = net.charge(p3, '800')
            later_won = net.charge(p4, '500')
            Charge.accept([accepted, lost_parcel, later_won])
            Charge.dispute([won])
            claim, = Charge(won.id).claims
            Claim.send([claim])
            today = Date.today()

            def settlement(day):
                s, = Settlement.create([{
                            'company': company.id,
                            'supplier': net.supplier.id,
                            'period_start': day, 'period_end': day}])
                Settlement.compute([s])
                return Settlement(s.id)

            first = settlement(today)
            fines = {f.parcel.order_number: (f.amount, f.automatic,
                    f.charge) for f in first.fines}
            self.assertEqual(fines, {
                    'S-1': (D('300.00'), False, accepted),
                    'S-2': (D('2000.00'), False, lost_parcel),
                    'S-4': (D('500.00'), False, later_won),
                    })
            line, = first.lines
            self.assertEqual((line.order_number, line.fine), ('S-2', 0))
            self.assertEqual(first.fine_amount, D('2800.00'))
            self.assertEqual(first.net_amount, D('2800.00'))
            # computed again: the same
            Settlement.compute([first])
            self.assertEqual(Settlement(first.id).fine_amount, D('2800.00'))
            Settlement.confirm([first])

            # the charge of S-4 disputed after its deduction and won; the
            # claim on S-3 lost
            Charge.dispute([later_won])
            claim4, = [c for c in Charge(later_won.id).claims]
            Claim.send([claim4])
            for c, method in [(claim4, Claim.win), (claim, Claim.lose)]:
                c = Claim(c.id)
                c.answer = "Ответ поставщика"
                c.save()
                method([c])
            second = settlement(today + dt.timedelta(days=1))
            fines = {f.parcel.order_number: f.amount for f in second.fines}
            self.assertEqual(fines, {'S-3': D('800.00'),
                    'S-4': D('-500.00')})
            self.assertEqual(second.fine_amount, D('300.00'))
            self.assertEqual(second.net_amount, D('300.00'))
            Settlement.confirm([second])
            third = settlement(today + dt.timedelta(days=2))
            self.assertEqual(list(third.fines), [])

    @with_transaction(context=RU)
    def test_access(self):
        """Owners and accountants manage; an operator reads and adds
        evidence to its own charges only; a user of no group
        sees nothing"""
        pool = Pool()
        Charge = pool.get('multipoint.charge')
        Evidence = pool.get('multipoint.charge.evidence')
        Claim = pool.get('multipoint.charge.claim')
        Template = pool.get('multipoint.charge.template')
        company = create_company()
        with set_company(company):
            net = Network(company)
            msk_parcel, _ = net.parcel(net.msk, 'A-1', net.operator)
            vvo_parcel, _ = net.parcel(net.vvo, 'A-2', net.operator_vvo)
            mine = net.charge(msk_parcel, '100')
            theirs = net.charge(vvo_parcel, '200')
            Charge.dispute([theirs])
            claim, = Charge(theirs.id).claims
            PDF = pool.get('multipoint.charge.evidence_pdf', type='report')
            transaction = Transaction()
            with transaction.set_user(net.operator.id), check_access():
                self.assertEqual(Charge.search([]), [mine])
                self.assertEqual(Claim.search([]), [])
                with self.assertRaises(AccessError):
                    Charge.read([theirs.id], ['amount'])
                with self.assertRaises(AccessError):
                    PDF.execute([theirs.id], {})
                with self.assertRaises(AccessError):
                    Evidence.create([{'charge': theirs.id,
                                'description': "чужая"}])
                Evidence.create([{'charge': mine.id,
                            'description': "Фото полки"}])
                evidence, = Evidence.search([])
                with self.assertRaises(AccessError):
                    Evidence.write([evidence], {'description': "другое"})
                with self.assertRaises(AccessError):
                    Evidence.delete([evidence])
                with self.assertRaises(AccessError):
                    Charge.write([mine], {'amount': D(1)})
                with self.assertRaises(AccessError):
                    Charge.create([{'parcel': msk_parcel.id,
                                'ground': "x", 'amount': D(1)}])
                with self.assertRaises(AccessButtonError):
                    Charge.accept([mine])
                with self.assertRaises(AccessButtonError):
                    Charge.dispute([mine])
                with self.assertRaises(AccessError):
                    Template.search([])
            with transaction.set_user(net.operator_vvo.id), check_access():
                self.assertEqual(Charge.search([]), [theirs])
                self.assertEqual(Claim.search([]), [claim])
                with self.assertRaises(AccessButtonError):
                    Claim.send([claim])
            with transaction.set_user(net.nobody.id), check_access():
                for Model in [Charge, Evidence, Claim, Template]:
                    with self.assertRaises(AccessError):
                        Model.search([])
                with self.assertRaises(AccessError):
                    PDF.execute([mine.id], {})
            # who pays: the owner sees every operator, an operator itself
            Summary = pool.get('multipoint.charge.operator_summary')
            with transaction.set_user(net.operator.id), check_access():
                row, = Summary.search([])
                self.assertEqual(
                    (row.operator, row.point, row.charge_count, row.amount),
                    (net.operator, net.msk, 1, D('100.00')))
            with transaction.set_user(net.owner.id), check_access():
                rows = Summary.search([])
                self.assertEqual(
                    sorted((r.operator.login, r.amount) for r in rows),
                    [('oper_msk', D('100.00')), ('oper_vvo', D('200.00'))])
            with transaction.set_user(net.nobody.id), check_access():
                with self.assertRaises(AccessError):
                    Summary.search([])
            with transaction.set_user(net.accountant.id), check_access():
                self.assertEqual(len(Charge.search([])), 2)
                Claim.send([claim])
                Charge.accept([mine])
            with transaction.set_user(net.owner.id), check_access():
                self.assertEqual(Claim(claim.id).state, 'sent')


    @with_transaction(context=RU)
    def test_my_charges(self):
        """Staff see their own: an operator reads the charges it is the
        operator of, their claims and evidence, not those of the other
        operator of its point; owners and accountants read every charge
        and the sums per operator"""
        pool = Pool()
        Charge = pool.get('multipoint.charge')
        Evidence = pool.get('multipoint.charge.evidence')
        Claim = pool.get('multipoint.charge.claim')
        Summary = pool.get('multipoint.charge.operator_summary')
        Menu = pool.get('ir.ui.menu')
        ModelData = pool.get('ir.model.data')
        PDF = pool.get('multipoint.charge.evidence_pdf', type='report')
        company = create_company()
        with set_company(company):
            net = Network(company)
            other = create_user('oper_msk2', ['operator'], [net.msk],
                company)
            parcel_a, _ = net.parcel(net.msk, 'M-1', net.operator)
            parcel_b, _ = net.parcel(net.msk, 'M-2', other)
            parcel_c, _ = net.parcel(net.msk, 'M-3', other)
            mine = net.charge(parcel_a, '100')
            theirs = net.charge(parcel_b, '200')
            also = net.charge(parcel_c, '300', kind='damaged')
            self.assertEqual(
                [c.operator for c in [mine, theirs, also]],
                [net.operator, other, other])
            Charge.dispute([theirs])
            claim, = Charge(theirs.id).claims
            menus = {name: ModelData.get_id('multipoint_claims', name)
                for name in ['menu_charge_mine', 'menu_charge_form',
                    'menu_operator_summary']}
            transaction = Transaction()

            def visible_menus():
                found = {m.id for m in Menu.search(
                        [('id', 'in', list(menus.values()))])}
                return {n for n, i in menus.items() if i in found}

            with transaction.set_user(net.operator.id), check_access():
                self.assertEqual(Charge.search([]), [mine])
                self.assertEqual(
                    Charge.search([('mine', '=', True)]), [mine])
                self.assertTrue(Charge(mine.id).mine)
                self.assertEqual(Claim.search([]), [])
                for record in [theirs, also]:
                    with self.assertRaises(AccessError):
                        Charge.read([record.id], ['amount'])
                    with self.assertRaises(AccessError):
                        PDF.execute([record.id], {})
                with self.assertRaises(AccessError):
                    Claim.read([claim.id], ['text'])
                with self.assertRaises(AccessError):
                    Evidence.create([{'charge': theirs.id,
                                'description': "не моё"}])
                note, = Evidence.create([{'charge': mine.id,
                            'description': "Объяснение"}])
                row, = Summary.search([])
                self.assertEqual((row.operator, row.amount),
                    (net.operator, D('100.00')))
                self.assertEqual(visible_menus(),
                    {'menu_charge_mine', 'menu_operator_summary'})
            with transaction.set_user(other.id), check_access():
                self.assertEqual(
                    Charge.search([], order=[('id', 'ASC')]),
                    [theirs, also])
                self.assertEqual(Claim.search([]), [claim])
                self.assertNotIn(note, Evidence.search([]))
                with self.assertRaises(AccessError):
                    Evidence.read([note.id], ['description'])
                with self.assertRaises(AccessError):
                    Charge.read([mine.id], ['amount'])
                row, = Summary.search([])
                self.assertEqual((row.charge_count, row.amount),
                    (2, D('500.00')))
            for user in [net.owner, net.accountant]:
                with transaction.set_user(user.id), check_access():
                    self.assertEqual(len(Charge.search([])), 3)
                    self.assertEqual(Charge.search([('mine', '=', True)]),
                        [])
                    self.assertEqual(
                        len(Charge.search([('mine', '=', False)])), 3)
                    self.assertEqual(Claim.search([]), [claim])
                    self.assertIn(note, Evidence.search([]))
                    self.assertEqual(
                        sorted((r.operator.login, r.amount)
                            for r in Summary.search([])),
                        [('oper_msk', D('100.00')),
                            ('oper_msk2', D('500.00'))])
                    self.assertEqual(visible_menus(),
                        {'menu_charge_form', 'menu_operator_summary'})
            with transaction.set_user(net.operator_vvo.id), check_access():
                self.assertEqual(Charge.search([]), [])
                self.assertEqual(Summary.search([]), [])
            with transaction.set_user(net.nobody.id), check_access():
                with self.assertRaises(AccessError):
                    Charge.search([('mine', '=', True)])


del DBTestCase
