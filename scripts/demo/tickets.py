"""multipoint_tickets: the points' tasks and tickets of the organizer, and
the ticket waiting for the portal's supplier"""
import datetime as dt

from .common import log
from .portal import PORTAL_USERS
from .shifts import SHIFT_POINT
from .suppliers import SUPPLIERS


def organizer(gen, points, suppliers):
    """multipoint_tickets (when activated and not filled yet): the typical
    tasks of each point (cash collection on Fridays 18:00, inventory of
    zone A on Mondays 10:00, both weekly with a reminder) and a call to a
    supplier about a claim tomorrow; three tickets at SHIFT_POINT in
    different states: a damaged box waiting for DPD (with an internal
    note), a lost parcel of СДЭК resolved, a label printer out of order
    (new, high priority). Written as the point's operator, so the threads
    have an author; the outbox gets the notifications (pending until a
    gateway is configured)."""
    pool = gen.pool
    if 'multipoint.task' not in dict(pool.iterobject()):
        return 0
    Task = pool.get('multipoint.task')
    Ticket = pool.get('multipoint.ticket')
    Message = pool.get('multipoint.ticket.message')
    Parcel = pool.get('multipoint.parcel')
    if Task.search([], limit=1):
        return 0
    from trytond.modules.multipoint_tickets.recurrence import to_utc

    def at(point, days, hour):
        "UTC moment of hour o'clock at point, days from its today"
        day = point.local_date(gen.now) + dt.timedelta(days=days)
        return to_utc(dt.datetime.combine(day, dt.time(hour)), point.tzinfo)

    def next_weekday(point, weekday, hour):
        today = point.local_date(gen.now)
        return at(point, (weekday - today.weekday()) % 7 or 7, hour)

    vlist = []
    for code, point in points.items():
        operator = (gen.operators.get(code) or [None])[0]
        vlist += [{
                'title': "Инкассация",
                'notes': "Сдать выручку инкассатору, сверить с Z-отчётом.",
                'point': point.id, 'assignee': operator,
                'due': next_weekday(point, 4, 18), 'recurrence': 'weekly',
                'weekdays': ['4'], 'reminder_minutes': 30,
                }, {
                'title': "Инвентаризация зоны A",
                'point': point.id, 'assignee': operator,
                'due': next_weekday(point, 0, 10), 'recurrence': 'weekly',
                'weekdays': ['0'], 'reminder_minutes': 60,
                }, {
                # every day, so the operator screen's «Сегодня» has one
                'title': "Проверить сроки хранения",
                'notes': "Просроченные посылки отложить в зону возврата.",
                'point': point.id, 'assignee': operator,
                'due': at(point, 0, 20), 'recurrence': 'daily',
                'reminder_minutes': 60,
                }]
    point = points[SHIFT_POINT]
    vlist.append({
            'title': f"Позвонить в {suppliers['cdek'].name} по претензии",
            'notes': "Утерянная посылка: согласовать возмещение.",
            'point': point.id,
            'assignee': (gen.operators.get(SHIFT_POINT) or [None])[0],
            'due': at(point, 1, 11), 'reminder_minutes': 15,
            })
    Task.create(vlist)

    def parcel_of(key):
        found = Parcel.search([
                ('point', '=', point.id),
                ('supplier', '=', suppliers[key].id),
                ('state', 'in', ['stored', 'accepted', 'to_return', 'lost',
                        'issued']),
                ], order=[('state', 'DESC'), ('id', 'ASC')], limit=1)
        return [('add', [found[0].id])] if found else []
    operator = (gen.operators.get(SHIFT_POINT) or [0])[0]
    with gen.transaction.set_user(operator):
        damaged, lost, printer = Ticket.create([{
                    'title': "Вмятина на коробке при приёмке",
                    'type': 'damaged', 'point': point.id,
                    'supplier': suppliers['dpd'].id,
                    'parcels': parcel_of('dpd'),
                    'description': "Угол коробки смят, содержимое цело.",
                    'assignee': operator or None,
                    }, {
                    'title': "Посылка не найдена при инвентаризации",
                    'type': 'lost', 'priority': 'high', 'point': point.id,
                    'supplier': suppliers['cdek'].id,
                    'parcels': parcel_of('cdek'),
                    'assignee': operator or None,
                    }, {
                    'title': "Не печатает принтер этикеток",
                    'type': 'technical', 'priority': 'high',
                    'point': point.id,
                    }])
        Ticket.start([damaged, lost])
        Message.create([{
                    'ticket': damaged.id,
                    'body': "Просим подтвердить возмещение; фото во "
                    "вложении к приёмке.",
                    }, {
                    'ticket': damaged.id, 'internal': True,
                    'body': "Курьер отказался подписать акт.",
                    }, {
                    'ticket': lost.id,
                    'body': "Посылка утеряна, просим выставить претензию.",
                    }])
        Ticket.wait_supplier([damaged])
        Ticket.resolve([lost])
    log("Organizer: %d tasks, 3 tickets at %s", len(vlist), SHIFT_POINT)
    return len(vlist)


def portal_ticket(gen, points, suppliers):
    """multipoint_tickets: a ticket about the portal's supplier (Лавка
    Марии) waiting for its answer, so the portal's «Обращения» has one to
    answer: a recipient asks to swap an item of a stored parcel. Only when
    the supplier has no ticket yet; written as the point's operator."""
    pool = gen.pool
    if 'multipoint.ticket' not in dict(pool.iterobject()):
        return None
    Ticket = pool.get('multipoint.ticket')
    Message = pool.get('multipoint.ticket.message')
    Parcel = pool.get('multipoint.parcel')
    key = PORTAL_USERS[0][2]
    supplier = suppliers.get(key)
    if supplier is None or Ticket.search(
            [('supplier', '=', supplier.id)], limit=1):
        return None
    info = next(s for s in SUPPLIERS if s['key'] == key)
    code = next(c for c in info.get('points', points) if c in points)
    point = points[code]
    parcels = Parcel.search([
            ('point', '=', point.id), ('supplier', '=', supplier.id),
            ('state', 'in', ['stored', 'accepted']),
            ], order=[('id', 'ASC')], limit=1)
    operator = (gen.operators.get(code) or [0])[0]
    order = parcels[0].order_number if parcels else None
    with gen.transaction.set_user(operator):
        ticket, = Ticket.create([{
                    'title': "Покупатель просит заменить размер",
                    'type': 'mismatch', 'point': point.id,
                    'supplier': supplier.id,
                    'parcels': [('add', [p.id for p in parcels])],
                    'description': "Получатель пришёл за заказом"
                    + (f" {order}" if order else "")
                    + " и просит заменить платье 44 размера на 46-й.",
                    'assignee': operator or None,
                    }])
        Ticket.start([ticket])
        Message.create([{
                    'ticket': ticket.id,
                    'body': "Здравствуйте! Получатель просит заменить "
                    "размер. Можно ли оставить заказ на хранении, пока вы "
                    "привезёте замену, или оформить возврат?",
                    }, {
                    'ticket': ticket.id, 'internal': True,
                    'body': "Получатель оставил телефон, перезвонить после "
                    "ответа магазина.",
                    }])
        Ticket.wait_supplier([ticket])
    log("Ticket %s waits for %s (supplier portal)", ticket.rec_name,
        supplier.name)
    return ticket
