"""trytond's WSGI application as the benchmark serves it (``make bench``).

The same application `make serve` runs (trytond.application:app), with two
measuring additions that are not part of the product:

- ``GET /<db>/bench/empty``: an empty authenticated route written the way
  trytond's own routes are (``with_pool`` + ``with_transaction(user=
  'request')``, the session checked by trytond), answering the user id: the
  framework's cost of a request that does nothing;
- every answer carries ``X-SQL-Statements``: the SQL statements the
  request executed (counted in the thread that served it), so each step of
  the benchmark reports its statements per request from the real server.
"""
import threading

import psycopg

from trytond.application import app as trytond_app
from trytond.protocols.wrappers import (
    Response, with_pool, with_transaction)
from trytond.wsgi import app as routes

_counter = threading.local()


def _counting(execute):
    def counted(self, *args, **kwargs):
        _counter.n = getattr(_counter, 'n', 0) + 1
        return execute(self, *args, **kwargs)
    return counted


psycopg.Cursor.execute = _counting(psycopg.Cursor.execute)
psycopg.Cursor.executemany = _counting(psycopg.Cursor.executemany)


@routes.route('/<database_name>/bench/empty', methods={'GET'})
@with_pool
@with_transaction(user='request')
def empty(request, pool):
    if not request.user_id:
        return Response('{"error": "unauthorized"}', 401,
            content_type='application/json')
    return Response('{"user": %d}' % request.user_id,
        content_type='application/json')


def app(environ, start_response):
    _counter.n = 0

    def counted_start_response(status, headers, exc_info=None):
        headers.append(('X-SQL-Statements', str(_counter.n)))
        return start_response(status, headers, exc_info)
    return trytond_app(environ, counted_start_response)
