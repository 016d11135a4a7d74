"""Operator JSON API, tickets and organizer part (see multipoint_core's
routes_desk.py for the authentication and the errors, openapi.yaml for the
paths).

POST /tickets             open a ticket from the operator screen, filled
                          in from a reception's discrepancies, a damaged
                          place or an inventory difference, with photos
GET  /tasks/today         the tasks of the point for its local today
POST /tasks/<id>/done     mark a task done (a recurring one gets its next
                          occurrence)
POST /tasks/<id>/undo     mark it to do again
"""
from http import HTTPStatus

from trytond.i18n import gettext
from trytond.modules.multipoint_core.exceptions import (
    BarcodeError, RequestError)
from trytond.modules.multipoint_core.api import OPERATOR_PREFIX as PREFIX
from trytond.modules.multipoint_core.api import (
    json_response, operator_api, request_json)
from trytond.modules.multipoint_core.api_desk import (
    current_point, decode_photos, visible_record)
from trytond.wsgi import app

from . import clock
from .exceptions import TicketError

SOURCES = {'manual', 'reception', 'damaged_place', 'inventory'}
# the ticket type of an inventory difference
INVENTORY_TYPES = {
    'missing': 'lost',
    'unexpected': 'surplus',
    'misplaced': 'storage',
    }


def ticket_json(ticket):
    return {
        'id': ticket.id,
        'number': ticket.number,
        'title': ticket.title,
        'type': ticket.type,
        'type_name': ticket.type_string,
        'priority': ticket.priority,
        'state': ticket.state,
        'state_name': ticket.state_string,
        'point': ticket.point.id,
        'supplier': {'id': ticket.supplier.id,
            'name': ticket.supplier.rec_name} if ticket.supplier else None,
        'parcels': [{'id': p.id, 'order_number': p.order_number}
            for p in ticket.parcels],
        'description': ticket.description,
        'assignee': ticket.assignee.rec_name if ticket.assignee else None,
        'sla_deadline': ticket.sla_deadline,
        }


def task_json(task, now=None):
    now = now or clock.utcnow()
    return {
        'id': task.id,
        'title': task.title,
        'notes': task.notes,
        'point': task.point.id,
        'due': task.due,
        'due_local': task.local_due.isoformat(timespec='minutes'),
        'overdue': task.state == 'open' and task.due < now,
        'recurrence': task.recurrence,
        'assignee': {'id': task.assignee.id,
            'name': task.assignee.rec_name} if task.assignee else None,
        'state': task.state,
        'done_by': task.done_by.rec_name if task.done_by else None,
        'done_at': task.done_at,
        }


def from_reception(pool, point, data):
    "The discrepancies of a reception: missing, surplus, damaged places"
    Scan = pool.get('multipoint.reception.scan')
    if not isinstance(data.get('reception'), int):
        raise RequestError(gettext('multipoint_core.msg_api_bad_json'))
    reception = visible_record(pool, 'multipoint.reception',
        data.get('reception'), 'multipoint_core.msg_api_reception_unknown',
        reception=data.get('reception'))
    if reception.point != point:
        raise RequestError(gettext(
                'multipoint_tickets.msg_api_other_point',
                document=reception.rec_name, point=point.rec_name))
    scans = Scan.search([
            ('reception', '=', reception.id),
            ['OR',
                ('result', 'in', ['surplus', 'missing', 'other_supplier']),
                ('damaged', '=', True),
                ],
            ], order=[('id', 'ASC')])
    if not scans:
        raise TicketError(gettext(
                'multipoint_tickets.msg_api_no_discrepancy',
                reception=reception.rec_name))
    lines = []
    for scan in scans:
        what = scan.result_string
        if scan.damaged:
            what = gettext('multipoint_tickets.msg_api_damaged_scan',
                result=what)
        lines.append(' '.join(filter(None, [
                        f'{what}: {scan.barcode}', scan.detail, scan.note])))
    if all(s.damaged and s.result != 'missing' for s in scans):
        type_ = 'damaged'
    elif all(s.result == 'surplus' for s in scans):
        type_ = 'surplus'
    else:
        type_ = 'mismatch'
    return {
        'type': type_,
        'title': gettext('multipoint_tickets.msg_api_title_reception',
            reception=reception.rec_name),
        'description': '\n'.join(lines),
        'parcels': [s.place.parcel for s in scans if s.place],
        'photos': scans,
        }


def from_damaged_place(pool, point, data):
    "A damaged place (box) of a parcel, with the photos of its scan"
    Place = pool.get('multipoint.parcel.place')
    Scan = pool.get('multipoint.reception.scan')
    barcode = str(data.get('barcode') or '').strip()
    places = Place.search([
            ('barcode', '=', barcode),
            ('parcel.point', '=', point.id),
            ], limit=1) if barcode else []
    if not places:
        raise BarcodeError(gettext(
                'multipoint_core.msg_barcode_unknown', barcode=barcode))
    place, = places
    parcel = place.parcel
    return {
        'type': 'damaged',
        'title': gettext('multipoint_tickets.msg_api_title_damaged',
            barcode=barcode, order=parcel.order_number),
        'description': place.damage_note,
        'parcels': [parcel],
        'photos': Scan.search([
                ('place', '=', place.id),
                ('damaged', '=', True),
                ]),
        }


def from_inventory(pool, point, data):
    "A difference found by an inventory count"
    Line = pool.get('multipoint.inventory.line')
    lines = Line.search([('id', '=', data.get('inventory_line'))]) \
        if isinstance(data.get('inventory_line'), int) else []
    if not lines:
        raise RequestError(gettext(
                'multipoint_tickets.msg_api_inventory_line_unknown',
                line=data.get('inventory_line')))
    line, = lines
    if line.inventory.point != point:
        raise RequestError(gettext(
                'multipoint_tickets.msg_api_other_point',
                document=line.inventory.rec_name, point=point.rec_name))
    return {
        'type': INVENTORY_TYPES[line.kind],
        'title': gettext('multipoint_tickets.msg_api_title_inventory',
            inventory=line.inventory.rec_name, difference=line.rec_name),
        'description': line.detail,
        'parcels': [line.parcel] if line.parcel else [],
        'photos': [],
        }


PREFILLS = {
    'reception': from_reception,
    'damaged_place': from_damaged_place,
    'inventory': from_inventory,
    }


@app.route(PREFIX + '/tickets', methods={'POST'})
@operator_api
def ticket_create(request, pool):
    """Open a ticket at the operator's point; the source fills in the type,
    subject, description, parcels and photos, the request may override
    them"""
    Ticket = pool.get('multipoint.ticket')
    Parcel = pool.get('multipoint.parcel')
    Attachment = pool.get('ir.attachment')
    data = request_json(request)
    point = current_point(pool, data)
    source = data.get('source') or 'manual'
    texts = [data.get(k) for k in ['type', 'priority', 'title',
            'description']]
    if (source not in SOURCES
            or not all(t is None or isinstance(t, str) for t in texts)
            or not isinstance(data.get('supplier') or 0, int)):
        raise RequestError(gettext('multipoint_core.msg_api_bad_json'))
    prefill = PREFILLS[source](pool, point, data) if source in PREFILLS \
        else {'parcels': [], 'photos': []}
    photos = decode_photos(data.get('photos') or [])
    parcels = list(prefill['parcels'])
    ids = data.get('parcels') or []
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise RequestError(gettext('multipoint_core.msg_api_bad_json'))
    if ids:
        found = Parcel.search([('id', 'in', ids), ('point', '=', point.id)])
        if len(found) != len(set(ids)):
            raise RequestError(gettext(
                    'multipoint_tickets.msg_api_parcel_unknown'))
        parcels += found
    parcels = list(dict.fromkeys(parcels))
    suppliers = {p.supplier for p in parcels}
    supplier = data.get('supplier') or (
        suppliers.pop().id if len(suppliers) == 1 else None)
    values = {
        'point': point.id,
        'type': data.get('type') or prefill.get('type') or 'other',
        'priority': data.get('priority') or 'normal',
        'title': (data.get('title') or prefill.get('title') or '').strip(),
        'description': '\n\n'.join(filter(None, [
                    prefill.get('description'), data.get('description')])),
        'supplier': supplier,
        'parcels': [('add', [p.id for p in parcels])],
        }
    if not values['title']:
        raise TicketError(gettext('multipoint_tickets.msg_api_title_needed'))
    ticket, = Ticket.create([values])
    # the photos taken at the reception, then those sent now
    copies = Attachment.search([
            ('resource', 'in', [str(s) for s in prefill['photos']]),
            ]) if prefill['photos'] else []
    Attachment.save(
        [Attachment(resource=ticket, type='data', name=a.name, data=a.data)
            for a in copies]
        + [Attachment(resource=ticket, type='data', name=name, data=data)
            for name, data in photos])
    result = ticket_json(Ticket(ticket.id))
    result['photos'] = len(copies) + len(photos)
    return json_response(result, HTTPStatus.CREATED)


@app.route(PREFIX + '/tasks/today', methods={'GET'})
@operator_api
def tasks_today(request, pool):
    Task = pool.get('multipoint.task')
    point = current_point(pool, {'point': request.args.get('point', type=int)})
    now = clock.utcnow()
    return json_response({
            'point': point.id,
            'date': point.local_date(now),
            'tasks': [task_json(t, now) for t in Task.today(point, now)],
            })


def get_task(pool, task_id):
    return visible_record(pool, 'multipoint.task', task_id,
        'multipoint_tickets.msg_api_task_unknown', task=task_id)


@app.route(PREFIX + '/tasks/<int:task_id>/done', methods={'POST'})
@operator_api
def task_done(request, pool, task_id):
    "Mark the task done; done again is no error (a tap sent twice)"
    Task = pool.get('multipoint.task')
    task = get_task(pool, task_id)
    if task.state == 'open':
        Task.complete([task])
    task = Task(task.id)
    following = task.next_occurrence
    return json_response({
            'task': task_json(task),
            'next': task_json(following) if following else None,
            })


@app.route(PREFIX + '/tasks/<int:task_id>/undo', methods={'POST'})
@operator_api
def task_undo(request, pool, task_id):
    "Mark the task to do again (its next occurrence, if any, stays)"
    Task = pool.get('multipoint.task')
    task = get_task(pool, task_id)
    if task.state == 'done':
        Task.undo([task])
    return json_response({'task': task_json(Task(task.id))})
