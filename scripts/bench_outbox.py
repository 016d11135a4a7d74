#!/usr/bin/env python3
"""Benchmark of the supplier outbox of multipoint_suppliers on PostgreSQL.

It prints figures and fails only when it cannot run or when an event is
lost or doubled.

    python scripts/bench_outbox.py [--events 10000] [--keep] [--reuse]

The database URL is $MULTIPOINT_BENCH_DB, by default
postgresql://postgres@127.0.0.1:5432/multipoint_bench_outbox (its name must
contain "bench": it is dropped and created again like bench_import.py
does). Then:

1. a company, a point, a supplier and an account whose connector pushes
   JSON to a supplier's server on 127.0.0.1 (it counts every event it
   receives by idempotency key and acknowledges them);
2. N parcels get an "accepted" event each (Event.log in batches of 1,000,
   which writes the outbox rows in the same transaction) while the
   supplier's server is down; one sender run fails and backs off;
3. the server comes back, the failed rows are retried and the sender
   drains the outbox (batches of [multipoint_outbox] batch, 100 by
   default): the time and events/s are printed;
4. every key of the outbox must have reached the server exactly once.
"""
import argparse
import json
import os
import socket
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench_import import Server, activate, log
from demo.fixtures import (
    create_company, create_point, create_supplier, set_company)

DEFAULT_DB = 'postgresql://postgres@127.0.0.1:5432/multipoint_bench_outbox'


class Supplier:
    "The supplier's event API: POST /events, counts per key"

    def __init__(self):
        self.counts = {}
        self.requests = 0
        supplier = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get('Content-Length') or 0)
                events = json.loads(self.rfile.read(length))
                supplier.requests += 1
                for event in events:
                    supplier.counts[event['key']] = (
                        supplier.counts.get(event['key'], 0) + 1)
                data = json.dumps([e['key'] for e in events]).encode()
                self.send_response(200)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        # down: nothing listens on the port (connection refused)
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            self.port = sock.getsockname()[1]
        self.url = 'http://127.0.0.1:%s' % self.port
        self.handler = Handler
        self.httpd = self.thread = None

    def up(self):
        self.httpd = ThreadingHTTPServer(('127.0.0.1', self.port),
            self.handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever,
            daemon=True)
        self.thread.start()

    def close(self):
        if self.thread:
            self.httpd.shutdown()
            self.httpd.server_close()


def register_connector():
    from trytond.modules.multipoint_suppliers.connector import (
        Connector, ConnectorError, connectors, register)
    if 'bench_push' in connectors():
        return

    @register
    class BenchConnector(Connector):
        name = 'bench_push'
        string = "Bench Push"
        capabilities = frozenset({'push_events'})
        push_idempotent = True

        def push_events(self, events):
            request = urllib.request.Request(
                self.credentials['url'] + '/events',
                data=json.dumps(events).encode(),
                headers={'Content-Type': 'application/json'})
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    return json.loads(answer.read())
            except OSError as error:
                raise ConnectorError(str(error)) from error


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--events', type=int, default=10000)
    parser.add_argument('--keep', action='store_true')
    parser.add_argument('--reuse', action='store_true')
    args = parser.parse_args(argv)
    server = Server(os.environ.get('MULTIPOINT_BENCH_DB') or DEFAULT_DB)
    os.environ.pop('TRYTOND_CONFIG', None)
    os.environ['TRYTOND_DATABASE__URI'] = server.uri
    with tempfile.TemporaryDirectory(prefix='bench-outbox-') as folder:
        if not (args.reuse and server.exists()):
            log("Creating %s and activating multipoint_suppliers",
                server.name)
            server.drop()
            server.create()
            activate(server, folder)
        try:
            ok = bench(server, args)
        finally:
            if not args.keep:
                log("Dropping %s (--keep keeps it)", server.name)
                server.drop()
    return 0 if ok else 1


def bench(server, args):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    register_connector()
    Pool.start()
    pool = Pool(server.name)
    pool.init()
    from trytond.modules.multipoint_suppliers import outbox_sender
    supplier = Supplier()
    try:
        with Transaction().start(server.name, 0):
            account_id, company_id = setup(pool, supplier.url, args.events)
        outbox = pool.get('multipoint.supplier.outbox')

        started = time.perf_counter()
        for offset in range(0, args.events, 1000):
            with Transaction().start(server.name, 0,
                    context={'company': company_id}):
                Parcel = pool.get('multipoint.parcel')
                Event = pool.get('multipoint.parcel.event')
                parcels = Parcel.search([('order_number', 'like', 'BO-%')],
                    order=[('id', 'ASC')], offset=offset, limit=1000)
                Event.log(parcels, 'state', to_state='accepted')
        written = time.perf_counter() - started
        log("  %d events written with their outbox rows: %.1f s "
            "(%.0f events/s)", args.events, written, args.events / written)

        # the server is down: one run fails, the rows back off
        with Transaction().start(server.name, 0):
            outbox_sender.Sender(account_id).run()
        with Transaction().start(server.name, 0):
            failed = outbox.search_count([('account', '=', account_id),
                    ('state', '=', 'failed')])
        log("  server down: %d event(s) failed, the others wait", failed)

        supplier.up()
        started = time.perf_counter()
        with Transaction().start(server.name, 0):
            outbox.retry(outbox.search([('account', '=', account_id),
                        ('state', 'in', ['failed', 'dead'])]))
        runs = 0
        while True:
            with Transaction().start(server.name, 0):
                outbox_sender.Sender(account_id).run()
                runs += 1
                left = outbox.search_count([('account', '=', account_id),
                        ('state', '!=', 'sent')])
            if not left or runs > 50:
                break
        drained = time.perf_counter() - started
        with Transaction().start(server.name, 0):
            keys = {r.idempotency_key for r in outbox.search(
                    [('account', '=', account_id)])}
    finally:
        supplier.close()
    lost = len(keys - set(supplier.counts))
    doubled = sum(1 for c in supplier.counts.values() if c > 1)
    unknown = len(set(supplier.counts) - keys)
    log("")
    log("================ supplier outbox (PostgreSQL) ================")
    log("  events in the outbox           %7d", len(keys))
    log("  drained after the server came back: %.1f s, %.0f events/s, "
        "%d requests (batch %d)", drained, len(keys) / drained,
        supplier.requests, outbox_sender.BATCH)
    log("  received by the server         %7d", sum(supplier.counts.values()))
    log("  lost %d, doubled %d, unknown %d, left unsent %d: %s",
        lost, doubled, unknown, left,
        'OK' if not (lost or doubled or unknown or left) else 'FAILED')
    return not (lost or doubled or unknown or left
        or len(keys) != args.events)


def setup(pool, url, n):
    "A company, a point, a supplier, its push account and n parcels"
    from trytond.transaction import Transaction
    Account = pool.get('multipoint.supplier.account')
    Parcel = pool.get('multipoint.parcel')
    cursor = Transaction().connection.cursor()
    existing = Account.search([('name', '=', "Bench Outbox")])
    if existing:
        account, = existing
        Account.write([account], {'url': url, 'outbox_sequence': 0,
                'outbox_failures': 0, 'outbox_open_until': None,
                'outbox_lease': None, 'outbox_lease_until': None})
        cursor.execute('DELETE FROM "multipoint_supplier_outbox"')
        cursor.execute('DELETE FROM "multipoint_parcel_event" '
            "WHERE kind = 'state'")
        Transaction().commit()
        return account.id, account.company.id
    company = create_company()
    with set_company(company):
        point = create_point(company, 'BENCHO')
        supplier = create_supplier("Поставщик (outbox)")
        account, = Account.create([{
                    'name': "Bench Outbox",
                    'company': company.id,
                    'supplier': supplier.id,
                    'connector': 'bench_push',
                    'url': url,
                    'points': [('create', [{
                                    'point': point.id,
                                    'supplier_code': 'BO'}])],
                    }])
        started = time.perf_counter()
        for offset in range(0, n, 1000):
            Parcel.create([{
                        'company': company.id,
                        'point': point.id,
                        'supplier': supplier.id,
                        'order_number': f'BO-{i:07d}',
                        'recipient_name': f"Получатель {i}",
                        'recipient_phone': '+7 916 123-45-67',
                        'places': [('create', [{'barcode': f'BO-{i:07d}'}])],
                        } for i in range(offset, min(n, offset + 1000))])
        log("  %d parcels created in %.1f s", n,
            time.perf_counter() - started)
    Transaction().commit()
    return account.id, company.id


if __name__ == '__main__':
    sys.exit(main())
