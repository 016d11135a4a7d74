"""The supplier portal's part of the tickets (multipoint_tickets).

Registered only when multipoint_tickets is activated (tryton.cfg,
[register multipoint_tickets]): without it, the portal has no tickets page
and its ticket routes (routes_portal_tickets.py) answer 404. What a
supplier may know of the tickets is multipoint_tickets' own
(supplier_tickets, supplier_reply, supplier_attachment); this gives it the
portal's shape."""
from trytond.i18n import gettext
from trytond.modules.multipoint_core.exceptions import NotFoundError
from trytond.pool import PoolMeta


def public_message(message):
    # who of the network wrote is not the supplier's business; the page
    # names the point
    if not message['from_supplier']:
        message = dict(message, author=None)
    return message


def ticket_json(ticket, thread=True):
    result = {k: v for k, v in ticket.items() if k != 'messages'}
    result['message_count'] = len(ticket['messages'])
    if thread:
        result['messages'] = [public_message(m) for m in ticket['messages']]
    return result


class Ticket(metaclass=PoolMeta):
    __name__ = 'multipoint.ticket'

    @classmethod
    def portal_tickets(cls, supplier):
        "The supplier's tickets, without their threads"
        return [ticket_json(t, thread=False)
            for t in cls.supplier_tickets(supplier)]

    @classmethod
    def portal_ticket(cls, supplier, ticket_id):
        "A ticket of the supplier with its public thread"
        found = cls.supplier_tickets(supplier, ticket_id)
        if not found:
            raise NotFoundError(gettext(
                    'multipoint_portal.msg_portal_ticket_unknown',
                    ticket=ticket_id))
        return ticket_json(found[0])

    @classmethod
    def portal_reply(cls, ticket_id, supplier, body, files):
        "The supplier's answer, with files, in the ticket's thread"
        return public_message(
            cls.supplier_reply(ticket_id, supplier, body, files))
