"""The tickets in the supplier portal: its JSON routes under
/<database>/multipoint/portal/api/tickets.

trytond's routes are the same for every database: these answer 404 in a
database without multipoint_tickets (the portal's Ticket of ticket.py is
registered only with it)."""
import os
from http import HTTPStatus

from trytond.i18n import gettext
from trytond.modules.multipoint_core.api import (
    download_response, json_response)
from trytond.modules.multipoint_core.exceptions import NotFoundError

from .api_portal import UPLOAD_SIZE, has_tickets, portal_route


def ticket_model(pool):
    if not has_tickets(pool):
        raise NotFoundError(gettext(
                'multipoint_portal.msg_portal_unavailable'))
    return pool.get('multipoint.ticket')


@portal_route('/tickets', {'GET'})
def tickets(request, pool, portal):
    Ticket = ticket_model(pool)
    return json_response({'tickets': Ticket.portal_tickets(portal.supplier)})


@portal_route('/tickets/<int:ticket_id>', {'GET'})
def ticket(request, pool, portal, ticket_id):
    Ticket = ticket_model(pool)
    return json_response(Ticket.portal_ticket(portal.supplier, ticket_id))


@portal_route('/tickets/<int:ticket_id>/reply', {'POST'},
    max_size=UPLOAD_SIZE)
def ticket_reply(request, pool, portal, ticket_id):
    "The supplier's answer, with files, in the ticket's thread"
    Ticket = ticket_model(pool)
    files = [(os.path.basename(f.filename or '') or 'file', f.read())
        for f in request.files.getlist('attachments')]
    message = Ticket.portal_reply(ticket_id, portal.supplier,
        request.form.get('body'), files)
    return json_response(message, status=HTTPStatus.CREATED)


@portal_route('/tickets/attachments/<int:attachment_id>', {'GET'})
def ticket_attachment(request, pool, portal, attachment_id):
    Ticket = ticket_model(pool)
    name, data = Ticket.supplier_attachment(portal.supplier, attachment_id)
    return download_response(name, data, 'application/octet-stream')
