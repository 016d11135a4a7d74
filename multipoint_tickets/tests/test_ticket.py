"""Tickets: the life cycle with its thread and notifications, the SLA and
its escalation by the cron job, what each role may see, the supplier
portal's methods and the statistics; on the real ORM and database"""
import datetime as dt
import re

from trytond.model.exceptions import AccessButtonError, AccessError
from trytond.modules.multipoint_core.tests.tools import DBTestCase, committed
from trytond.modules.multipoint_tickets import clock
from trytond.modules.multipoint_tickets.exceptions import (
    MessageImmutableError, TicketError, TicketNotFoundError)
from trytond.modules.multipoint_tickets.tests.tools import (
    as_user, clock_at, create_network, outbox, with_network)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

HOUR = dt.timedelta(hours=1)


class TicketTestCase(DBTestCase):
    "Test tickets"
    module = 'multipoint_tickets'
    language = 'ru'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.network_ids = committed(create_network, user=1)

    def open_ticket(self, net, user=None, **values):
        Ticket = Pool().get('multipoint.ticket')
        values = dict({
                'title': "Повреждена коробка",
                'type': 'damaged',
                'point': net['msk'].id,
                'supplier': net['dpd'].id,
                'parcels': [('add', [net['parcels']['D-1'].id])],
                }, **values)
        if user:
            with as_user(user):
                ticket, = Ticket.create([values])
        else:
            ticket, = Ticket.create([values])
        return Ticket(ticket.id)

    def thread(self, ticket):
        Message = Pool().get('multipoint.ticket.message')
        return Message.search([('ticket', '=', ticket.id)],
            order=[('id', 'ASC')])

    @with_network
    def test_life_cycle(self, net):
        "From an operator's ticket to its closing and reopening"
        pool = Pool()
        Ticket = pool.get('multipoint.ticket')
        Message = pool.get('multipoint.ticket.message')
        staff = net['staff']
        ticket = self.open_ticket(net, staff['op_msk'])
        self.assertRegex(ticket.number, r'^ОБ-\d{6}$')
        self.assertEqual(ticket.state, 'new')
        self.assertEqual(ticket.priority, 'normal')
        self.assertEqual(ticket.opened_date, net['msk'].local_date(
                ticket.opened_at))
        # normal priority: 72 h
        self.assertEqual(ticket.sla_deadline - ticket.opened_at, 72 * HOUR)
        self.assertEqual(self.thread(ticket), [])

        # the manager assigns it: recorded (internal) and told
        with as_user(staff['manager']):
            Ticket.write([Ticket(ticket.id)], {
                    'assignee': staff['op_msk'].id})
        change, = self.thread(ticket)
        self.assertEqual((change.kind, change.change, change.internal),
            ('change', 'assignee', True))
        self.assertEqual(change.author, staff['manager'])
        self.assertEqual(change.new_value, str(staff['op_msk'].id))
        self.assertIn(staff['op_msk'].rec_name, change.body)
        told, = outbox('ticket')
        self.assertEqual((told.channel, told.recipient, told.ticket),
            ('email', 'op_msk@multipoint.example', ticket))
        self.assertIn(ticket.number, told.body)
        self.assertIsNone(told.parcel)
        self.assertEqual(told.rec_name, f"Обращение: {ticket.rec_name}")
        # and shown in her web client: the notification trytond saves when
        # the transaction commits is a valid record (one line)
        shown = Transaction().user_notifications
        self.assertEqual([n.user for n in shown], [staff['op_msk']])
        Pool().get('res.notification').save(shown)
        self.assertIn(ticket.number, shown[0].description)
        self.assertNotIn('\n', shown[0].description)

        # she starts it: the state change is for the supplier to read, but
        # not worth an e-mail to it
        with as_user(staff['op_msk']):
            Ticket.start([Ticket(ticket.id)])
        ticket = Ticket(ticket.id)
        self.assertEqual(ticket.state, 'in_progress')
        state = self.thread(ticket)[-1]
        self.assertEqual((state.change, state.old_value, state.new_value,
                state.internal), ('state', 'new', 'in_progress', False))
        self.assertEqual(state.body, "Состояние: Новое → В работе")
        self.assertEqual(len(outbox('ticket')), 1)

        # more urgent: a shorter deadline from the opening
        with as_user(staff['manager']):
            Ticket.write([ticket], {'priority': 'high'})
        ticket = Ticket(ticket.id)
        self.assertEqual(ticket.sla_deadline - ticket.opened_at, 24 * HOUR)
        self.assertEqual(self.thread(ticket)[-1].change, 'priority')

        # an internal note tells the assignee, never the supplier
        with as_user(staff['manager']):
            note, = Message.create([{'ticket': ticket.id, 'internal': True,
                        'body': "Проверить камеры"}])
        self.assertEqual([n.recipient for n in outbox('ticket')][1:],
            ['op_msk@multipoint.example'])

        # waiting for the supplier: it is told, at its claims address
        with as_user(staff['op_msk']):
            Ticket.wait_supplier([ticket])
        told = outbox('ticket')[-1]
        self.assertEqual(told.recipient, 'claims@dpd.example')
        self.assertIn("Ожидает поставщика", told.body)
        self.assertNotIn("Проверить камеры", told.body)

        # the supplier answers in the portal: back to work, assignee told
        reply = Ticket.supplier_reply(ticket.id, net['dpd'], " Возместим ",
            [('act.pdf', b'%PDF-1.4 act')])
        self.assertEqual(reply['body'], "Возместим")
        self.assertTrue(reply['from_supplier'])
        self.assertEqual(reply['author'], "DPD")
        self.assertEqual([a['name'] for a in reply['attachments']],
            ['act.pdf'])
        ticket = Ticket(ticket.id)
        self.assertEqual(ticket.state, 'in_progress')
        told = outbox('ticket')[-1]
        self.assertEqual(told.recipient, 'op_msk@multipoint.example')
        self.assertIn("DPD: Возместим", told.body)

        # resolved: the supplier is told, the time to resolve kept
        later = ticket.opened_at + 5 * HOUR
        with clock_at(later), as_user(staff['op_msk']):
            Ticket.resolve([ticket])
        ticket = Ticket(ticket.id)
        self.assertEqual((ticket.state, ticket.resolved_at,
                ticket.resolve_hours), ('resolved', later, 5.0))
        self.assertEqual(outbox('ticket')[-1].recipient,
            'claims@dpd.example')

        # closing is for managers
        with as_user(staff['op_msk']):
            with self.assertRaises(AccessButtonError):
                Ticket.close([ticket])
        with as_user(staff['manager']):
            Ticket.close([ticket])
        ticket = Ticket(ticket.id)
        self.assertEqual(ticket.state, 'closed')
        with as_user(staff['op_msk']):
            with self.assertRaises(TicketError) as raised:
                Message.create([{'ticket': ticket.id, 'body': "Ещё"}])
            self.assertRegex(raised.exception.message, "закрыто")

            # the thread is a record
            with self.assertRaises(MessageImmutableError):
                Message.write([Message(note.id)], {'body': "Другое"})
            with self.assertRaises(AccessError):
                Message.delete([Message(note.id)])
        with self.assertRaises(MessageImmutableError):
            Message.delete([Message(note.id)])

        # reopened: a new SLA period from now
        reopened_at = later + 48 * HOUR
        with clock_at(reopened_at), as_user(staff['op_msk']):
            Ticket.reopen([ticket])
        ticket = Ticket(ticket.id)
        self.assertEqual(ticket.state, 'in_progress')
        self.assertIsNone(ticket.resolved_at)
        self.assertIsNone(ticket.closed_at)
        self.assertEqual(ticket.sla_deadline, reopened_at + 24 * HOUR)
        self.assertEqual(
            [(m.kind, m.change, m.new_value) for m in self.thread(ticket)],
            [('change', 'assignee', str(staff['op_msk'].id)),
                ('change', 'state', 'in_progress'),
                ('change', 'priority', 'high'),
                ('comment', None, None),
                ('change', 'state', 'waiting_supplier'),
                ('comment', None, None),
                ('change', 'state', 'in_progress'),
                ('change', 'state', 'resolved'),
                ('change', 'state', 'closed'),
                ('change', 'state', 'in_progress')])
        # the supplier's answer
        self.assertEqual(self.thread(ticket)[5].supplier, net['dpd'])

    @with_network
    def test_sla_escalation_by_cron(self, net):
        "The cron job escalates the tickets past their SLA, once"
        pool = Pool()
        Ticket = pool.get('multipoint.ticket')
        Cron = pool.get('ir.cron')
        Configuration = pool.get('multipoint.configuration')
        staff = net['staff']
        opened = clock.utcnow()
        with clock_at(opened):
            urgent = self.open_ticket(net, priority='urgent',
                assignee=staff['op_msk'].id)
            lost = self.open_ticket(net, type='lost', priority='high')
            damaged = self.open_ticket(net, priority='high')
            normal = self.open_ticket(net, title="Нет сдачи",
                type='payment_dispute')
        # the most specific row of the SLA table
        self.assertEqual(
            [t.sla_deadline - opened for t in [urgent, lost, damaged,
                    normal]],
            [4 * HOUR, 12 * HOUR, 24 * HOUR, 72 * HOUR])
        cron, = Cron.search(
            [('method', '=', 'multipoint.ticket|escalate_overdue')])

        with clock_at(opened + 3 * HOUR):
            Cron.run_once([cron])
            self.assertEqual(Ticket.search([('overdue', '=', True)]), [])
        self.assertEqual(outbox('ticket_escalated'), [])

        with clock_at(opened + 5 * HOUR):
            Cron.run_once([cron])
            self.assertEqual(Ticket.search([('overdue', '=', True)]),
                [urgent])
            self.assertEqual(
                Ticket.search([('overdue', '=', False)], order=[
                        ('id', 'ASC')]), [lost, damaged, normal])
        urgent = Ticket(urgent.id)
        self.assertTrue(urgent.escalated)
        self.assertEqual(urgent.escalated_at, opened + 5 * HOUR)
        # no escalation owner configured: every owner is told, the assignee
        # stays
        self.assertEqual(urgent.assignee, staff['op_msk'])
        note = self.thread(urgent)[-1]
        self.assertEqual((note.kind, note.internal), ('escalation', True))
        self.assertIn(staff['owner'].rec_name, note.body)
        told, = outbox('ticket_escalated')
        self.assertEqual((told.recipient, told.ticket),
            ('owner@multipoint.example', urgent))
        self.assertIn(urgent.number, told.body)

        # the next run: nothing twice
        with clock_at(opened + 6 * HOUR):
            Cron.run_once([cron])
        self.assertEqual(len(outbox('ticket_escalated')), 1)

        # with an escalation owner, the overdue tickets become theirs
        config = Configuration(1)
        config.ticket_escalation_owner = staff['manager']
        config.save()
        with clock_at(opened + 30 * HOUR):
            Cron.run_once([cron])
        lost, damaged = Ticket.browse([lost.id, damaged.id])
        self.assertEqual([lost.assignee, damaged.assignee],
            [staff['manager']] * 2)
        self.assertEqual([n.recipient for n in outbox('ticket_escalated')],
            ['owner@multipoint.example'] + ['manager@multipoint.example'] * 2)
        # told once, by the escalation, not again as an assignment
        self.assertEqual(outbox('ticket', recipient='manager@multipoint.'
                'example'), [])
        self.assertFalse(Ticket(normal.id).escalated)

        # a lower priority gives the time back: no longer escalated
        Ticket.write([damaged], {'priority': 'low'})
        damaged = Ticket(damaged.id)
        self.assertEqual(damaged.sla_deadline, opened + 168 * HOUR)
        self.assertFalse(damaged.escalated)

    @with_network
    def test_access(self, net):
        "Operators see their points' tickets; internal notes are for staff"
        pool = Pool()
        Ticket = pool.get('multipoint.ticket')
        Message = pool.get('multipoint.ticket.message')
        Attachment = pool.get('ir.attachment')
        SLA = pool.get('multipoint.ticket.sla')
        staff = net['staff']
        msk = self.open_ticket(net, staff['op_msk'])
        kzn = self.open_ticket(net, staff['op_kzn'], point=net['kzn'].id,
            parcels=[('add', [net['parcels']['D-3'].id])])
        with as_user(staff['manager']):
            public, internal = Message.create([
                    {'ticket': msk.id, 'body': "Ждём акт"},
                    {'ticket': msk.id, 'body': "Камера 3", 'internal': True},
                    ])
            Attachment.create([{'resource': str(internal), 'type': 'data',
                        'name': 'cctv.jpg', 'data': b'jpeg'}])

        with as_user(staff['op_kzn']):
            self.assertEqual(Ticket.search([]), [kzn])
            with self.assertRaises(AccessError):
                Ticket.read([msk.id], ['title'])
            self.assertEqual(Message.search([('ticket', '=', msk.id)]), [])
            # nor at another point
            with self.assertRaises(AccessError):
                Ticket.create([{'title': "Чужой", 'point': net['msk'].id}])
            with self.assertRaises(AccessError):
                Ticket.delete([Ticket(kzn.id)])
            with self.assertRaises(AccessError):
                SLA.create([{'priority': 'low', 'hours': 1}])

        # operators are staff: they read the internal notes of their point
        with as_user(staff['op_msk']):
            self.assertEqual(Message.search([('ticket', '=', msk.id)]),
                [public, internal])
            self.assertEqual(len(Attachment.search(
                        [('resource', '=', str(internal))])), 1)

        # the analysts read the tickets of every point, not the internal
        # notes nor their files
        every = Ticket.search([])
        self.assertGreater(len(every), 2)
        with as_user(staff['analyst']):
            self.assertEqual(Ticket.search([]), every)
            self.assertEqual(Message.search([('ticket', '=', msk.id)]),
                [public])
            # as the web client reads the thread
            thread, = Ticket.read([msk.id], ['messages'])
            self.assertEqual(thread['messages'], (public.id,))
            with self.assertRaises(AccessError):
                Message.read([internal.id], ['body'])
            self.assertEqual(Attachment.search(
                    [('resource', '=', str(internal))]), [])
            with self.assertRaises(AccessError):
                Ticket.write([Ticket(msk.id)], {'title': "Другое"})

        # and a user of no Multipoint group nothing
        with as_user(staff['nobody']):
            with self.assertRaises(AccessError):
                Ticket.search([])
            with self.assertRaises(AccessError):
                Message.search([])

    @with_network
    def test_supplier_portal(self, net):
        "The portal's methods show a supplier its tickets, no internal note"
        pool = Pool()
        Ticket = pool.get('multipoint.ticket')
        Message = pool.get('multipoint.ticket.message')
        Attachment = pool.get('ir.attachment')
        staff = net['staff']
        ticket = self.open_ticket(net, staff['op_msk'],
            description="Вмятина на углу")
        hermes = self.open_ticket(net, staff['op_msk'],
            supplier=net['hermes'].id,
            parcels=[('add', [net['parcels']['H-1'].id])])
        Attachment.create([{'resource': str(ticket), 'type': 'data',
                    'name': 'box.jpg', 'data': b'box'}])
        with as_user(staff['op_msk']):
            public, internal = Message.create([
                    {'ticket': ticket.id, 'body': "Пришлите акт"},
                    {'ticket': ticket.id, 'body': "Курьер грубил",
                        'internal': True},
                    ])
        secret, = Attachment.create([{'resource': str(internal),
                    'type': 'data', 'name': 'cctv.jpg', 'data': b'cctv'}])
        Ticket.wait_supplier([ticket])

        seen, = Ticket.supplier_tickets(net['dpd'])
        self.assertEqual((seen['number'], seen['state']),
            (ticket.number, 'waiting_supplier'))
        self.assertEqual(seen['state_name'], "Ожидает поставщика")
        self.assertEqual(seen['parcels'], ['D-1'])
        self.assertEqual(seen['description'], "Вмятина на углу")
        self.assertEqual([a['name'] for a in seen['attachments']],
            ['box.jpg'])
        bodies = [m['body'] for m in seen['messages']]
        self.assertIn("Пришлите акт", bodies)
        self.assertNotIn("Курьер грубил", bodies)
        # not who handles it nor how urgent it is for us
        self.assertFalse(
            {m['body'] for m in seen['messages']} & {
                m.body for m in Message.search([('internal', '=', True)])})
        self.assertNotIn('assignee', seen)
        self.assertNotIn('priority', seen)
        self.assertFalse(re.search('cctv', repr(seen)))

        box = seen['attachments'][0]['id']
        self.assertEqual(Ticket.supplier_attachment(net['dpd'], box),
            ('box.jpg', b'box'))
        with self.assertRaises(TicketNotFoundError):
            Ticket.supplier_attachment(net['dpd'], secret.id)
        with self.assertRaises(TicketNotFoundError):
            Ticket.supplier_attachment(net['hermes'], box)

        # the other supplier's ticket is unknown to it, both ways
        self.assertEqual([t['id'] for t in Ticket.supplier_tickets(
                    net['hermes'])], [hermes.id])
        with self.assertRaises(TicketNotFoundError):
            Ticket.supplier_reply(hermes.id, net['dpd'], "Это не наше")
        with self.assertRaises(TicketNotFoundError):
            Ticket.supplier_reply(10 ** 6, net['dpd'], "Нет такого")
        with self.assertRaises(TicketError):
            Ticket.supplier_reply(ticket.id, net['dpd'], "  ")
        with self.assertRaises(TicketError):
            Ticket.supplier_reply(ticket.id, net['dpd'], "Фото",
                [('big.jpg', b'x' * (10 * 1024 * 1024 + 1))])
        self.assertEqual(Message.search([('supplier', '!=', None)]), [])

        Ticket.supplier_reply(ticket.id, net['dpd'], "Акт во вложении",
            [('act.pdf', b'%PDF')])
        seen, = Ticket.supplier_tickets(net['dpd'])
        self.assertEqual(seen['state'], 'in_progress')
        self.assertEqual(seen['messages'][-2]['body'], "Акт во вложении")
        # its own answer is not e-mailed back to it
        self.assertNotIn("Акт во вложении", ' '.join(n.body for n in outbox(
                    'ticket', recipient='claims@dpd.example')))

        Ticket.resolve([ticket])
        Ticket.close([ticket])
        with self.assertRaises(TicketError):
            Ticket.supplier_reply(ticket.id, net['dpd'], "Ещё вопрос")

    @with_network
    def test_statistics(self, net):
        "Tickets opened and resolved per local day, time to resolve"
        pool = Pool()
        Ticket = pool.get('multipoint.ticket')
        Statistics = pool.get('multipoint.ticket.statistics')
        day = dt.datetime(2026, 3, 2, 7, 0)
        with clock_at(day):
            first = self.open_ticket(net)
            second = self.open_ticket(net, type='lost')
        with clock_at(day + 26 * HOUR):
            third = self.open_ticket(net, type='lost', point=net['kzn'].id,
                parcels=[])
            Ticket.resolve([first])
        with clock_at(day + 30 * HOUR):
            Ticket.resolve([second])
        with clock_at(day + 50 * HOUR):
            Ticket.resolve([third])

        def rows(**context):
            with Transaction().set_context(company=net['company'].id,
                    **context):
                return [(r.date, r.opened, r.resolved, r.resolve_hours)
                    for r in Statistics.search([])]
        mar = lambda d: dt.date(2026, 3, d)  # noqa: E731
        self.assertEqual(rows(), [
                (mar(2), 2, 0, None),
                (mar(3), 1, 2, 28.0),
                (mar(4), 0, 1, 24.0),
                ])
        self.assertEqual(rows(type='lost', from_date=mar(3)), [
                (mar(3), 1, 1, 30.0),
                (mar(4), 0, 1, 24.0),
                ])
        self.assertEqual(rows(point=net['kzn'].id), [
                (mar(3), 1, 0, None),
                (mar(4), 0, 1, 24.0),
                ])
        # ids are unique and positive (a negative id is a new record)
        with Transaction().set_context(company=net['company'].id):
            ids = [r.id for r in Statistics.search([])]
        self.assertEqual(len(set(ids)), len(ids))
        self.assertTrue(all(i > 0 for i in ids))
        with as_user(net['staff']['op_msk']):
            with self.assertRaises(AccessError):
                Statistics.search([])

    @with_transaction()
    def test_every_string_translated_in_russian(self):
        Translation = Pool().get('ir.translation')
        sources = {(t.type, t.name, t.res_id, t.src)
            for t in Translation.search([
                    ('module', '=', 'multipoint_tickets'),
                    ('lang', '=', 'en')])}
        translated = {(t.type, t.name, t.res_id, t.src)
            for t in Translation.search([
                    ('module', '=', 'multipoint_tickets'),
                    ('lang', '=', 'ru'), ('value', '!=', '')])}
        self.assertTrue(sources)
        self.assertEqual(sources - translated, set())


del DBTestCase
