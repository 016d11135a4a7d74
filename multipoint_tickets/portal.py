"""What the supplier portal may know of the tickets.

The portal (built on web_user) runs as root, so no access rule protects
it: these methods are its only way in. They take the supplier (a
party.party) the portal user belongs to, look only at the tickets about
it and never at the internal notes nor their attachments, and give plain
data back (no record a template could walk into the internal notes
from)."""
from collections import defaultdict

from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.transaction import without_check_access

from .exceptions import TicketError, TicketNotFoundError

# a photo of a damage or a scanned act, not a video
MAX_ATTACHMENT_SIZE = 10 * 1024 * 1024


class TicketSupplierMixin:
    __slots__ = ()

    @classmethod
    def supplier_tickets(cls, supplier, ticket=None):
        """The tickets about supplier, newest first (or only ticket, an
        id), each with its thread without the internal notes"""
        pool = Pool()
        Message = pool.get('multipoint.ticket.message')
        Attachment = pool.get('ir.attachment')
        domain = [('supplier', '=', int(supplier))]
        if ticket is not None:
            domain.append(('id', '=', int(ticket)))
        with without_check_access():
            tickets = cls.search(domain, order=[('id', 'DESC')])
            messages = Message.search([
                    ('ticket', 'in', [t.id for t in tickets]),
                    ('internal', '=', False),
                    ], order=[('date', 'ASC'), ('id', 'ASC')])
            attachments = Attachment.search([
                    ('resource', 'in',
                        [str(r) for r in tickets + messages]),
                    ], order=[('id', 'ASC')])
            by_resource = defaultdict(list)
            for attachment in attachments:
                by_resource[str(attachment.resource)].append({
                        'id': attachment.id,
                        'name': attachment.name,
                        })
            threads = defaultdict(list)
            for message in messages:
                threads[message.ticket.id].append({
                        'id': message.id,
                        'date': message.date,
                        'author': message.author_name,
                        'from_supplier': bool(message.supplier),
                        'kind': message.kind,
                        'body': message.body,
                        'attachments': by_resource[str(message)],
                        })
            return [{
                    'id': t.id,
                    'number': t.number,
                    'title': t.title,
                    'type': t.type,
                    'type_name': t.type_string,
                    'state': t.state,
                    'state_name': t.state_string,
                    'point': {'code': t.point.code, 'name': t.point.name},
                    'parcels': [p.order_number for p in t.parcels],
                    'description': t.description,
                    'opened_at': t.opened_at,
                    'resolved_at': t.resolved_at,
                    'attachments': by_resource[str(t)],
                    'messages': threads[t.id],
                    } for t in tickets]

    @classmethod
    def supplier_reply(cls, ticket, supplier, body, attachments=None):
        """Add the supplier's answer to the thread of ticket (an id or a
        ticket), with attachments as [(file name, bytes)]; a ticket waiting
        for the supplier goes back to work. Return the message as
        supplier_tickets shows it."""
        pool = Pool()
        Message = pool.get('multipoint.ticket.message')
        Attachment = pool.get('ir.attachment')
        attachments = list(attachments or [])
        for item in attachments:
            if not (isinstance(item, (tuple, list)) and len(item) == 2
                    and isinstance(item[0], str) and item[0].strip()
                    and isinstance(item[1], bytes)
                    and 0 < len(item[1]) <= MAX_ATTACHMENT_SIZE):
                raise TicketError(gettext(
                        'multipoint_tickets.msg_attachment_invalid',
                        size=MAX_ATTACHMENT_SIZE // (1024 * 1024)))
        body = (body or '').strip()
        if not body:
            raise TicketError(gettext('multipoint_tickets.msg_reply_empty'))
        with without_check_access():
            tickets = cls.search([
                    ('id', '=', int(ticket)),
                    ('supplier', '=', int(supplier)),
                    ])
            if not tickets:
                raise TicketNotFoundError(gettext(
                        'multipoint_tickets.msg_ticket_unknown',
                        ticket=int(ticket)))
            ticket, = tickets
            message, = Message.create([{
                        'ticket': ticket.id,
                        'kind': 'comment',
                        'supplier': int(supplier),
                        'author': None,
                        'body': body,
                        'internal': False,
                        }])
            Attachment.save([Attachment(resource=message, type='data',
                        name=name.strip(), data=data)
                    for name, data in attachments])
            if ticket.state == 'waiting_supplier':
                cls.start([ticket])
            thread = cls.supplier_tickets(supplier, ticket.id)[0]
        return next(m for m in thread['messages'] if m['id'] == message.id)

    @classmethod
    def supplier_attachment(cls, supplier, attachment):
        """(file name, bytes) of an attachment the supplier may see: on
        one of its tickets, or on a message of their threads that is not
        internal"""
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        Message = pool.get('multipoint.ticket.message')
        with without_check_access():
            records = Attachment.search([('id', '=', int(attachment))])
            resource = records[0].resource if records else None
            ticket = None
            if isinstance(resource, cls):
                ticket = resource
            elif isinstance(resource, Message) and not resource.internal:
                ticket = resource.ticket
            if ticket and ticket.supplier and (
                    ticket.supplier.id == int(supplier)):
                return records[0].name, records[0].data
        raise TicketNotFoundError(gettext(
                'multipoint_tickets.msg_attachment_unknown'))
