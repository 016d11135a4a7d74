"""The floor of the side-by-side benchmark: the barcode lookup's answer
from a bare WSGI application on psycopg, no framework.

It does what the operator API's lookup must do at the least, so that
`scripts/bench_compare.py` can say how far above this floor Tryton's
path and ours are, measured the same way (gunicorn, same processes and
threads, same load):

- the Tryton session of the ``Authorization: Session base64(login:id:key)``
  header checked against ir_session (same user, key, address, age, active
  user) — one query;
- ``GET /<db>/floor/lookup?code=`` — one joined query: the parcels having
  a place with that barcode at the points of the session's user (what the
  record rule of the points gives), their supplier's name, their cell and
  their places, as the same JSON as ``/multipoint/api/v1/lookup``;
- ``GET /<db>/floor/session`` — only the session check, the user id back.

Served by gunicorn as ``bench_floor:app`` with the database server in
$MULTIPOINT_FLOOR_DB (postgresql://user@host:port/, no database name).
Not a part of the product: a measuring stick.
"""
import base64
import binascii
import datetime as dt
import json
import os
import threading
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from psycopg.rows import tuple_row
from psycopg_pool import ConnectionPool

MAX_AGE = dt.timedelta(days=30)  # trytond's [session] max_age default
STATES = {
    'expected': "Ожидается", 'accepted': "Принята", 'stored': "На хранении",
    'issued': "Выдана", 'partially_issued': "Выдана частично",
    'refused': "Отказ", 'to_return': "К возврату", 'returned': "Возвращена",
    'lost': "Утеряна", 'cancelled': "Отменена", 'found': "Найдена",
    }

SESSION = """
    SELECT s.create_date FROM ir_session s JOIN res_user u ON u.id = s.create_uid
    WHERE s.create_uid = %s AND s.key = %s AND s.ip_address = %s AND u.active
    LIMIT 1"""

LOOKUP = """
    SELECT p.id, p.supplier, party.name, p.order_number, p.point, p.state,
        p.recipient_name, p.recipient_phone, p.prepaid, p.cod_amount,
        p.delivery_fee, p.size_class, p.storage_deadline,
        c.id, c.barcode, c.code, c.name, c.multipoint_point, c.size_class,
        c.capacity, p.storage_until, p.storage_limit_hours, pt.timezone,
        (SELECT json_agg(json_build_object('barcode', a.barcode,
                    'state', a.state, 'damaged', a.damaged) ORDER BY a.id)
            FROM multipoint_parcel_place a WHERE a.parcel = p.id)
    FROM multipoint_parcel p
    JOIN party_party party ON party.id = p.supplier
    JOIN multipoint_point pt ON pt.id = p.point
    LEFT JOIN stock_location c ON c.id = p.cell
    WHERE p.id IN (
            SELECT pl.parcel FROM multipoint_parcel_place pl
            WHERE pl.barcode = %s)
        AND p.point IN (
            SELECT point FROM "multipoint_point-res_user" WHERE "user" = %s)
    ORDER BY p.id LIMIT 10"""

_pools = {}
_pools_lock = threading.Lock()


def pool(database):
    with _pools_lock:
        if database not in _pools:
            server = os.environ['MULTIPOINT_FLOOR_DB'].rstrip('/')
            _pools[database] = ConnectionPool(f'{server}/{database}',
                min_size=1, max_size=8, open=True,
                kwargs={'autocommit': True, 'row_factory': tuple_row})
        return _pools[database]


def session_of(environ):
    "(user id, key) of the Authorization: Session header, or None"
    header = environ.get('HTTP_AUTHORIZATION', '')
    kind, _, token = header.partition(' ')
    if kind.lower() != 'session':
        return None
    try:
        _, user, key = base64.b64decode(token).decode().split(':', 2)
        return int(user), key
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def money(value):
    return str(value.quantize(value.__class__('0.01')))


def parcel_json(row):
    (id_, supplier, supplier_name, order_number, point, state, name, phone,
        prepaid, cod, fee, size, deadline, cell, cell_barcode, cell_code,
        cell_name, cell_point, cell_size, capacity, until, limit_hours,
        timezone, places) = row
    due = 0 if prepaid else (cod or 0) + (fee or 0)
    if limit_hours and until:
        # a limit in hours ends at a time of the point's day
        end = until.replace(tzinfo=dt.timezone.utc).astimezone(
            ZoneInfo(timezone or 'UTC')).strftime('%d.%m.%Y %H:%M')
    else:
        end = deadline.strftime('%d.%m.%Y') if deadline else None
    return {
        'id': id_,
        'supplier': {'id': supplier, 'name': supplier_name},
        'order_number': order_number,
        'point': point,
        'state': state,
        'state_name': STATES.get(state, state),
        'recipient_name': name,
        'recipient_phone': f'***{phone[-4:]}' if phone else None,
        'amount_due': money(due) if due else '0.00',
        'prepaid': prepaid,
        'size_class': size,
        'cell': {
            'id': cell, 'barcode': cell_barcode,
            'name': f'[{cell_code}] {cell_name}' if cell_code else cell_name,
            'point': cell_point, 'size_class': cell_size,
            'capacity': capacity,
            } if cell else None,
        'storage_deadline': deadline.isoformat() if deadline else None,
        'storage_until': until.isoformat() if until else None,
        'storage_limit_hours': limit_hours,
        'storage_end_text': end,
        'places': places or [],
        }


def answer(start_response, status, data):
    body = json.dumps(data, ensure_ascii=False).encode()
    start_response(status, [('Content-Type', 'application/json'),
            ('Content-Length', str(len(body)))])
    return [body]


def app(environ, start_response):
    parts = environ.get('PATH_INFO', '').strip('/').split('/')
    if len(parts) != 3 or parts[1] != 'floor':
        return answer(start_response, '404 Not Found', {'error': 'path'})
    database, _, action = parts
    session = session_of(environ)
    if not session:
        return answer(start_response, '401 Unauthorized', {'error': 'auth'})
    user, key = session
    with pool(database).connection() as conn:
        row = conn.execute(SESSION,
            (user, key, environ.get('REMOTE_ADDR'))).fetchone()
        if not row or row[0] + MAX_AGE <= dt.datetime.now():
            return answer(start_response, '401 Unauthorized',
                {'error': 'session'})
        if action == 'session':
            return answer(start_response, '200 OK', {'user': user})
        code = parse_qs(environ.get('QUERY_STRING', '')).get(
            'code', [''])[0].strip()
        rows = conn.execute(LOOKUP, (code, user)).fetchall()
    if not rows:
        return answer(start_response, '422 Unprocessable Entity',
            {'error': 'unknown'})
    return answer(start_response, '200 OK', {
            'type': 'parcel', 'parcels': [parcel_json(r) for r in rows]})
