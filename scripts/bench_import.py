#!/usr/bin/env python3
"""Benchmark of the manifest import and a connector sync of
multipoint_suppliers on PostgreSQL.

It prints figures; it is not a test and fails only when it cannot run or
when the import does not do what it should (counts).

    python scripts/bench_import.py [--parcels 50000] [--keep] [--reuse]

The database URL is $MULTIPOINT_BENCH_DB, by default
postgresql://postgres@127.0.0.1:5432/multipoint_bench_import. Its name
must contain "bench": it is dropped and created again (unless --reuse finds
it ready), activated with ``trytond-admin --all -u multipoint_suppliers
--activate-dependencies``, given a company, a point, a supplier and a file
account, then:

1. a CSV manifest of N one-place parcels is generated (UTF-8, `;`, the
   Russian headers of the template);
2. import: the file is parsed, planned (one read per 1,000 orders) and
   written (list-based create) in one transaction, as the Import Manifest
   wizard's worker does; the time includes the commit;
3. the same file again: nothing is created or updated;
4. the same file with every tenth COD amount changed: 10 % updated;
5. a connector sync of --sync-parcels (10,000) parcels for a second point
   from a local server speaking Hermes' ParcelShop API on 127.0.0.1
   (GetParcels pages of 500, JSON with a BOM, Basic auth), through the sync
   engine as the queued task runs it; then the same sync again (nothing
   new).

Targets: import <= 30 s, unchanged re-import <= 15 s. The database is
dropped at the end unless --keep.
"""
import argparse
import csv
import datetime as dt
import io
import os
import random
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg

from demo.fixtures import (
    create_company, create_point, create_supplier, set_company)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DB = 'postgresql://postgres@127.0.0.1:5432/multipoint_bench_import'
HEADERS = [
    "Номер заказа", "ШК места", "ФИО получателя", "Телефон",
    "Наложенный платёж", "Стоимость доставки", "Объявленная ценность",
    "Вес, кг", "Номер накладной"]
TARGETS = {'import': 30, 'reimport': 15}


def log(message, *args):
    print(message % args if args else message, flush=True)


class Server:
    "The PostgreSQL server of the benchmark database"

    def __init__(self, url):
        parts = urlsplit(url)
        self.name = parts.path.strip('/')
        if parts.scheme not in {'postgresql', 'postgres'} or not self.name:
            raise SystemExit(f"need postgresql://…/<database>: {url}")
        self.uri = urlunsplit(('postgresql', parts.netloc, '/', '', ''))
        self.parts = parts

    def connect(self, dbname='postgres'):
        p = self.parts
        return psycopg.connect(host=p.hostname or '127.0.0.1',
            port=p.port or 5432, user=p.username or 'postgres',
            password=p.password, dbname=dbname, autocommit=True)

    def exists(self):
        with self.connect() as conn:
            return bool(conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s",
                    (self.name,)).fetchone())

    def drop(self):
        if 'bench' not in self.name:
            raise SystemExit(f"refusing to drop {self.name}: "
                "the name of a benchmark database contains 'bench'")
        with self.connect() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.name,))
            conn.execute(psycopg.sql.SQL("DROP DATABASE IF EXISTS {}")
                .format(psycopg.sql.Identifier(self.name)))

    def create(self):
        with self.connect() as conn:
            conn.execute(psycopg.sql.SQL(
                    "CREATE DATABASE {} ENCODING 'UTF8'").format(
                    psycopg.sql.Identifier(self.name)))


def activate(server, folder):
    "trytond-admin on the new database; returns the seconds taken"
    env = {k: v for k, v in os.environ.items()
        if not k.startswith('TRYTOND_')}
    passfile = os.path.join(folder, 'admin-password')
    with open(passfile, 'w') as fp:
        fp.write('bench-admin-%d\n' % random.randrange(10 ** 8))
    env['TRYTONPASSFILE'] = passfile
    env['TRYTOND_DATABASE__URI'] = server.uri
    started = time.time()
    result = subprocess.run([
            os.path.join(os.path.dirname(sys.executable), 'trytond-admin'),
            '-d', server.name, '--all', '-u', 'multipoint_suppliers',
            '--activate-dependencies', '--email', 'admin@example.com'],
        env=env)
    if result.returncode:
        raise SystemExit(f"trytond-admin failed ({result.returncode})")
    return time.time() - started


def manifest(n, changed_every=None):
    "CSV bytes of n one-place parcels (some COD amounts changed)"
    out = io.StringIO()
    writer = csv.writer(out, delimiter=';', lineterminator='\r\n')
    writer.writerow(HEADERS)
    for i in range(1, n + 1):
        cod = 500 + i % 4000
        if changed_every and i % changed_every == 0:
            cod += 1
        writer.writerow([
                f'BI-{i:07d}', f'29{i:011d}', f"Получатель Номер {i}",
                f'+7 9{i % 100:02d} {i % 1000:03d}-{i % 100:02d}-'
                f'{i % 97:02d}', f'{cod}.00', '199,00', f'{cod}.00',
                f'{1 + i % 7}.5', f'BENCH-{i // 1000:03d}'])
    return out.getvalue().encode('utf-8')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--parcels', type=int, default=50000)
    parser.add_argument('--sync-parcels', type=int, default=10000)
    parser.add_argument('--keep', action='store_true',
        help="keep the database at the end")
    parser.add_argument('--reuse', action='store_true',
        help="use the database as it is when it exists (its bench parcels "
        "are removed first)")
    args = parser.parse_args(argv)
    server = Server(os.environ.get('MULTIPOINT_BENCH_DB') or DEFAULT_DB)
    os.environ.pop('TRYTOND_CONFIG', None)
    os.environ['TRYTOND_DATABASE__URI'] = server.uri
    figures = {}
    with tempfile.TemporaryDirectory(prefix='bench-import-') as folder:
        if not (args.reuse and server.exists()):
            log("Creating %s and activating multipoint_suppliers", server.name)
            server.drop()
            server.create()
            figures['activate_s'] = activate(server, folder)
        try:
            figures.update(bench(server, args))
        finally:
            if not args.keep:
                log("Dropping %s (--keep keeps it)", server.name)
                server.drop()
    report(figures, args)
    return 0


def bench(server, args):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Pool.start()
    pool = Pool(server.name)
    pool.init()
    figures = {}
    with Transaction().start(server.name, 0, context={'language': 'ru'}):
        account_id, point_id = setup(pool)
        Transaction().commit()

    def run(data, name):
        "Import data in one transaction; (seconds, log counts)"
        started = time.perf_counter()
        with Transaction().start(server.name, 0) as transaction:
            Account = pool.get('multipoint.supplier.account')
            SyncLog = pool.get('multipoint.supplier.sync.log')
            account = Account(account_id)
            with transaction.set_context(company=account.company.id):
                log_, = SyncLog.create([{
                            'account': account_id,
                            'company': account.company.id,
                            'point': point_id, 'kind': 'import',
                            'file': data, 'file_name': name}])
                SyncLog.run_import([log_])
                log_ = SyncLog(log_.id)
                counts = (log_.state, log_.fetched, log_.created,
                    log_.updated, log_.skipped, log_.failed)
                messages = [l.message for l in log_.lines[:3]]
            transaction.commit()
        seconds = time.perf_counter() - started
        log("  %s: %.1f s  state=%s fetched=%s created=%s updated=%s "
            "skipped=%s failed=%s", name, seconds, *counts)
        for message in messages:
            log("    %s", message)
        return seconds, counts

    n = args.parcels
    started = time.perf_counter()
    data = manifest(n)
    changed = manifest(n, changed_every=10)
    log("Generated a %d-parcel CSV (%.1f MB) in %.1f s", n,
        len(data) / 1e6, time.perf_counter() - started)
    expect = {
        'import': ('done', n, n, 0, 0, 0),
        'reimport': ('done', n, 0, 0, n, 0),
        'changed': ('done', n, 0, n // 10, n - n // 10, 0),
        }
    for key, payload in [('import', data), ('reimport', data),
            ('changed', changed)]:
        seconds, counts = run(payload, f'{key}.csv')
        figures[key] = seconds
        if counts != expect[key]:
            raise SystemExit(
                f"{key}: counts {counts}, expected {expect[key]}")
    figures.update(bench_sync(server, pool, args.sync_parcels))
    with Transaction().start(server.name, 0):
        Parcel = pool.get('multipoint.parcel')
        figures['parcels'] = Parcel.search_count([])
    if figures['parcels'] != n + args.sync_parcels:
        raise SystemExit(f"{figures['parcels']} parcels, expected "
            f"{n + args.sync_parcels}")
    return figures


def bench_sync(server, pool, n):
    """Sync n parcels from a local Hermes server, then again; the seconds
    of each run (the commit included)"""
    from trytond.modules.multipoint_suppliers.stand_in_hermes import (
        HermesServer, parcel)
    from trytond.transaction import Transaction
    # within the first sync's window (the point's cursor starts 30 days
    # back from now)
    start = (dt.datetime.utcnow() - dt.timedelta(days=1)).replace(
        microsecond=0)
    figures = {}
    with HermesServer() as hermes:
        hermes.page_size = 500
        hermes.parcels['PS-BENCH'] = [parcel(f'HS-{i:06d}', f'21{i:011d}',
                (start + dt.timedelta(seconds=i)).isoformat(),
                point='PS-BENCH', cod=f'{500 + i % 4000}.00')
            for i in range(1, n + 1)]
        with Transaction().start(server.name, 0, context={'language': 'ru'}):
            account_id = setup_hermes(pool, hermes)
            Transaction().commit()
        expect = {'sync': ('done', n, n, 0), 'resync': ('done', 0, 0, 0)}
        for key in ['sync', 'resync']:
            started = time.perf_counter()
            with Transaction().start(server.name, 0) as transaction:
                SyncLog = pool.get('multipoint.supplier.sync.log')
                Account = pool.get('multipoint.supplier.account')
                account = Account(account_id)
                with transaction.set_context(company=account.company.id):
                    log_, = SyncLog.queue_syncs([account])
                    SyncLog.run_sync([log_])
                    log_ = SyncLog(log_.id)
                    counts = (log_.state, log_.fetched, log_.created,
                        log_.updated)
                    messages = [l.message for l in log_.lines[:3]]
                transaction.commit()
            figures[key] = time.perf_counter() - started
            log("  %s: %.1f s  state=%s fetched=%s created=%s updated=%s",
                key, figures[key], *counts)
            for message in messages:
                log("    %s", message)
            if counts != expect[key]:
                raise SystemExit(
                    f"{key}: counts {counts}, expected {expect[key]}")
        figures['sync_requests'] = len(hermes.requests)
    figures['sync_parcels'] = n
    return figures


def setup_hermes(pool, hermes):
    "A second point served by a Hermes account on the local server"
    Account = pool.get('multipoint.supplier.account')
    Company = pool.get('company.company')
    company, = Company.search([], limit=1)
    with set_company(company):
        point = create_point(company, 'BENCH2')
        supplier = create_supplier("Hermes (бенчмарк)")
        account, = Account.create([{
                    'name': "Bench Sync",
                    'company': company.id,
                    'supplier': supplier.id,
                    'connector': 'hermes',
                    'url': hermes.url,
                    'login': hermes.login,
                    'password': hermes.password,
                    'points': [('create', [{
                                    'point': point.id,
                                    'supplier_code': 'PS-BENCH'}])],
                    }])
    return account.id


def setup(pool):
    "A company, a point, a supplier and its file account; their ids"
    from trytond.transaction import Transaction
    Account = pool.get('multipoint.supplier.account')
    existing = Account.search([('name', '=', "Bench Import")])
    for other in Account.search([('name', '=', "Bench Sync")]):
        # --reuse: the sync's point and account are made again
        other.points[0].point.code = f'OLD{other.id}'
        other.points[0].point.save()
        Account.delete([other])
    if existing:
        # --reuse: start again from no parcel
        account, = existing
        cursor = Transaction().connection.cursor()
        for table in ['multipoint_parcel_event', 'multipoint_parcel_place',
                'multipoint_parcel_line', 'multipoint_parcel',
                'multipoint_supplier_sync_log_line',
                'multipoint_supplier_sync_log']:
            cursor.execute(f'DELETE FROM "{table}"')
        return account.id, account.points[0].point.id
    company = create_company()
    with set_company(company):
        point = create_point(company, 'BENCH1')
        supplier = create_supplier("Поставщик (бенчмарк)")
        account, = Account.create([{
                    'name': "Bench Import",
                    'company': company.id,
                    'supplier': supplier.id,
                    'connector': 'file',
                    'points': [('create', [{
                                    'point': point.id,
                                    'supplier_code': 'B1'}])],
                    }])
    return account.id, point.id


def report(figures, args):
    log("")
    log("================ manifest import (PostgreSQL) ================")
    n = args.parcels
    if 'activate_s' in figures:
        log("  database activation            %7.1f s", figures['activate_s'])
    for key, label in [('import', f"import of {n:,} parcels"),
            ('reimport', "re-import unchanged"),
            ('changed', "re-import, 10 % changed")]:
        seconds = figures[key]
        target = TARGETS.get(key)
        verdict = ''
        if target:
            verdict = (f"(target <= {target} s: "
                f"{'ok' if seconds <= target else 'MISSED'})")
        log("  %-30s %7.1f s  %7.0f parcels/s %s", label, seconds,
            n / seconds, verdict)
    n = figures['sync_parcels']
    log("  %-30s %7.1f s  %7.0f parcels/s (%d requests to the server)",
        f"connector sync of {n:,} parcels", figures['sync'],
        n / figures['sync'], figures['sync_requests'])
    log("  %-30s %7.1f s", "the same sync again", figures['resync'])
    log("  parcels in the database        %7d", figures['parcels'])


if __name__ == '__main__':
    sys.exit(main())
