#!/usr/bin/env python3
"""Benchmark of the settlements with suppliers (multipoint_settlement).

It prints figures and fails only when it cannot run or when a result is
wrong (line counts, totals, the differences found).

    python scripts/bench_settlement.py [--parcels 100000] [--keep] [--reuse]

The database URL is $MULTIPOINT_BENCH_DB, by default
postgresql://postgres@127.0.0.1:5432/multipoint_bench_settlement (its name
must contain "bench": it is dropped and created again like bench_import.py
does); sqlite:////<folder>/<name>.sqlite runs it on SQLite. Then:

1. a company with the minimal chart and a fiscal year, two points with
   their points of sale, a supplier (1.5 % of COD) and N parcels issued in
   the current month: each with its agent sale, its goods and delivery
   lines and its payment (cash, card or SBP), written in bulk;
2. each measured step runs in a fresh process (its peak memory is its
   own): the settlement of the month at both points is computed; its
   agent's report written to XLSX (xlsxwriter, constant_memory; targets
   <= 10 s and <= 500 MB) and to PDF; the supplier's report of the
   settlement (CSV) with 1 % planted differences (amounts, statuses,
   orders missing on either side) is reconciled, and the differences
   found must be exactly the planted ones.
"""
import argparse
import csv
import datetime as dt
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from urllib.parse import urlsplit

from bench_import import Server, log
from demo.fixtures import (
    create_account, create_company, pos_point, set_company, setup_accounting,
    supplier_with_inn)

DEFAULT_DB = ('postgresql://postgres@127.0.0.1:5432/'
    'multipoint_bench_settlement')
TARGETS = {'xlsx_s': 10, 'xlsx_mb': 500}
STATUS_WORDS = {
    'issued': "Выдан", 'partially_issued': "Частичный выкуп",
    'refused': "Отказ", 'returned': "Возврат", 'lost': "Утерян"}


class SqliteServer:
    "A SQLite file standing for the benchmark database"

    def __init__(self, url):
        path = '/' + urlsplit(url).path.lstrip('/')
        self.folder, filename = os.path.split(path)
        self.name = os.path.splitext(filename)[0]
        if not self.folder or not self.name:
            raise SystemExit(f"need sqlite:////<folder>/<name>.sqlite: {url}")
        self.uri = 'sqlite://'
        self.path = os.path.join(self.folder, self.name + '.sqlite')

    def env(self):
        return {'TRYTOND_DATABASE__URI': self.uri,
            'TRYTOND_DATABASE__PATH': self.folder}

    def exists(self):
        return os.path.exists(self.path) and os.path.getsize(self.path)

    def drop(self):
        if 'bench' not in self.name:
            raise SystemExit(f"refusing to drop {self.name}: "
                "the name of a benchmark database contains 'bench'")
        if os.path.exists(self.path):
            os.remove(self.path)

    def create(self):
        os.makedirs(self.folder, exist_ok=True)
        open(self.path, 'w').close()


class PgServer(Server):
    def env(self):
        return {'TRYTOND_DATABASE__URI': self.uri}


def server_of(url):
    if url.startswith('sqlite:'):
        return SqliteServer(url)
    return PgServer(url)


def activate(server, folder):
    "trytond-admin on the new database; returns the seconds taken"
    env = {k: v for k, v in os.environ.items()
        if not k.startswith('TRYTOND_')}
    passfile = os.path.join(folder, 'admin-password')
    with open(passfile, 'w') as fp:
        fp.write('bench-admin-%d\n' % random.randrange(10 ** 8))
    env['TRYTONPASSFILE'] = passfile
    env.update(server.env())
    started = time.time()
    result = subprocess.run([sys.executable, '-c',
            'from trytond.cli.admin import main; main()',
            '-d', server.name, '--all', '-u', 'multipoint_settlement',
            '--activate-dependencies', '--email', 'admin@example.com'],
        env=env)
    if result.returncode:
        raise SystemExit(f"trytond-admin failed ({result.returncode})")
    return time.time() - started


def rss_mb():
    "The current resident memory of this process (Linux), MB"
    with open('/proc/self/statm') as fp:
        pages = int(fp.read().split()[1])
    return pages * os.sysconf('SC_PAGE_SIZE') / 2 ** 20


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the data ------------------------------------------------------------


def setup(pool, n):
    """The company, points, supplier and n issued parcels with their
    money; returns the ids the steps need"""
    pool_get = pool.get
    Config = pool_get('multipoint.settlement.configuration')
    Session = pool_get('sale.point.cash.session')
    Party = pool_get('party.party')
    company = create_company()
    with set_company(company):
        accounts = setup_accounting(pool, company)
        config = Config(1)
        config.commission_account = accounts['revenue']
        config.fine_account = accounts['expense']
        config.save()
        points = [pos_point(company, 'BENCH1', accounts),
            pos_point(company, 'BENCH2', accounts,
                timezone='Asia/Yekaterinburg')]
        shop = supplier_with_inn("Поставщик (бенчмарк)",
            commission_rule='percent',
            commission_percent=Decimal('1.50'))
        Party.write([shop], {
                'account_payable': accounts['payable'].id,
                'account_receivable': accounts['receivable'].id})
        account = create_account(company, shop,
            {p: f'S-{p.code}' for p in points})
        sessions = {p.id: Session.open_shift(p, Decimal(0)).id
            for p in points}
        started = time.perf_counter()
        write_parcels(pool, company, points, shop, sessions, n)
        log("  %d issued parcels with their sales written in %.1f s", n,
            time.perf_counter() - started)
    return {'company': company.id, 'supplier': shop.id,
        'account': account.id}


def month():
    "(first day, today) of the current month; the first 3 days at least"
    today = dt.date.today()
    first = today.replace(day=1)
    if (today - first).days < 2:
        first = today - dt.timedelta(days=27)
    return first, today


def write_parcels(pool, company, points, shop, sessions, n):
    "n issued parcels, their events, agent sales, lines and payments"
    from trytond.modules.multipoint_suppliers.bulk import insert
    Parcel = pool.get('multipoint.parcel')
    Event = pool.get('multipoint.parcel.event')
    Sale = pool.get('sale.point.sale')
    Line = pool.get('sale.point.sale.line')
    Payment = pool.get('sale.point.payment')
    Method = pool.get('sale.point.payment.method')
    methods = [Method.payment_method(company, k) for k in
        ['cash', 'card', 'sbp']]
    first, today = month()
    span = (today - first).days * 86400
    start = dt.datetime.combine(first, dt.time(6))
    batch = 10000
    for offset in range(0, n, batch):
        count = min(batch, n - offset)
        parcels, moments = [], []
        for i in range(offset, offset + count):
            point = points[i % 2]
            goods = Decimal(500 + i % 4000)
            parcels.append(Parcel.preprocess_values('create', {
                        'company': company.id, 'point': point.id,
                        'supplier': shop.id, 'order_number': f'BS-{i:07d}',
                        'recipient_name': f"Получатель {i}",
                        'recipient_phone': f'+7916{i:07d}',
                        'cod_amount': goods,
                        'delivery_fee': Decimal('199.00'),
                        'prepaid': False, 'state': 'issued',
                        'places': [],
                        }))
            moments.append(start + dt.timedelta(
                    seconds=(i * 7919) % max(span, 1)))
        for values in parcels:
            values.pop('places', None)
        ids = insert(Parcel, parcels)
        insert(Event, [{
                    'parcel': parcel_id, 'date': moment,
                    'point': values['point'], 'kind': 'state',
                    'from_state': 'stored', 'to_state': 'issued',
                    } for parcel_id, moment, values in zip(
                    ids, moments, parcels)])
        by_point = {p.id: p for p in points}
        sale_ids = insert(Sale, [{
                    'company': company.id,
                    'point': by_point[values['point']].sale_point.id,
                    'supplier': shop.id,
                    'pickup_point': values['point'],
                    'multipoint_kind': 'payment',
                    'number': f'BS-{offset + i:07d}',
                    'date': moment.date(), 'state': 'done',
                    } for i, (values, moment) in enumerate(
                    zip(parcels, moments))])
        lines, payments = [], []
        for i, (sale_id, parcel_id, values) in enumerate(
                zip(sale_ids, ids, parcels)):
            product = by_point[values['point']].sale_point.agent_product
            for kind, amount in [('goods', values['cod_amount']),
                    ('delivery', values['delivery_fee'])]:
                lines.append({
                        'sale': sale_id, 'product': product.id,
                        'parcel': parcel_id, 'agent_kind': kind,
                        'quantity': 1.0, 'unit_list_price': amount,
                        'unit_gross_price': amount,
                        'description': values['order_number']})
            method = methods[(offset + i) % 3]
            payments.append({
                    'sale': sale_id, 'method': method.id,
                    'amount': values['cod_amount'] + values['delivery_fee'],
                    'session': sessions[values['point']],
                    'shift': sessions[values['point']]})
        insert(Line, lines)
        insert(Payment, payments)


# -- the steps, each in its own process ----------------------------------


def step(server, name, ids):
    """Run one measured step in a fresh process; its JSON figures"""
    env = dict(os.environ, **server.env())
    result = subprocess.run([sys.executable, os.path.abspath(__file__),
            '--step', name, '--ids', json.dumps(ids)],
        env=env, capture_output=True, text=True)
    if result.returncode:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"step {name} failed ({result.returncode})")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_step(name, ids, dbname):
    from trytond.pool import Pool
    from trytond.transaction import Transaction, TransactionError
    Pool.start()
    pool = Pool(dbname)
    pool.init()
    context = {'language': 'ru', 'company': ids['company']}
    extras = {}
    while True:
        # as the RPC dispatcher does: start again when trytond asks to
        # take the table locks first (posting a move does)
        with Transaction().start(dbname, 0, context=context,
                **extras) as transaction:
            try:
                figures = measure(pool, name, ids)
            except TransactionError as error:
                transaction.rollback()
                error.fix(extras)
                continue
            transaction.commit()
            break
    print(json.dumps(figures))


def measure(pool, name, ids):
    "The figures of one step, run in the current transaction"
    Settlement = pool.get('multipoint.settlement')
    # warm the caches the step uses, outside the measure
    from trytond.modules.multipoint_settlement import settlement_export
    settlement_export.labels()
    figures = {'rss_before_mb': rss_mb()}
    started = time.perf_counter()
    if name == 'compute':
        first, today = month()
        settlement, = Settlement.create([{
                    'company': ids['company'], 'supplier': ids['supplier'],
                    'period_start': first, 'period_end': today}])
        Settlement.compute([settlement])
        figures['seconds'] = time.perf_counter() - started
        # confirmed (and its move posted) to be reconciled
        started = time.perf_counter()
        Settlement.confirm([settlement])
        figures['confirm_s'] = time.perf_counter() - started
        settlement = Settlement(settlement.id)
        figures.update(settlement=settlement.id,
            lines=settlement.parcel_count,
            collected=str(settlement.collected),
            commission=str(settlement.commission),
            net=str(settlement.net_amount))
    elif name in {'xlsx', 'pdf'}:
        settlement = Settlement(ids['settlement'])
        with tempfile.TemporaryFile() as out:
            if name == 'xlsx':
                settlement_export.write_xlsx(settlement, out)
            else:
                settlement_export.write_pdf(settlement, out)
            figures['size_mb'] = out.tell() / 2 ** 20
    elif name == 'reconcile':
        Reconciliation = pool.get('multipoint.settlement.reconciliation')
        data, planted = supplier_report(pool, ids['settlement'])
        figures['file_mb'] = len(data) / 2 ** 20
        started = time.perf_counter()
        reconciliation, = Reconciliation.create([{
                    'settlement': ids['settlement'],
                    'account': ids['account'],
                    'file': data, 'file_name': 'report.csv'}])
        Reconciliation.match([reconciliation])
        reconciliation = Reconciliation(reconciliation.id)
        seconds = time.perf_counter() - started
        found = {(l.kind, l.order_number) for l in reconciliation.lines}
        figures.update(rows=reconciliation.rows, planted=len(planted),
            found=len(found), exact=found == planted,
            matched=reconciliation.matched, seconds=seconds)
    figures.setdefault('seconds', time.perf_counter() - started)
    figures['peak_mb'] = peak_mb()
    return figures


def supplier_report(pool, settlement_id):
    """The supplier's CSV report of the settlement with 1 % differences
    planted; (bytes, {(kind, order number)})"""
    from trytond.transaction import Transaction
    Line = pool.get('multipoint.settlement.line')
    line = Line.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*line.select(line.order_number, line.status, line.amount,
            where=line.settlement == settlement_id, order_by=[line.id]))
    rows = [[n, STATUS_WORDS[s], Decimal(str(a))] for n, s, a in cursor]
    rng = random.Random(2026)
    picked = rng.sample(range(len(rows)), len(rows) // 100)
    planted, dropped = set(), set()
    for k, index in enumerate(picked):
        row = rows[index]
        kind = ['amount', 'status', 'missing_theirs', 'missing_ours'][k % 4]
        if kind == 'amount':
            row[2] += Decimal('0.01') * (1 + k % 500)
        elif kind == 'status':
            row[1] = "Отказ" if row[1] != "Отказ" else "Выдан"
        elif kind == 'missing_theirs':
            dropped.add(index)
        else:
            row = [f'ZZ-{k:06d}', "Выдан", Decimal('100.00')]
            rows.append(row)
        planted.add((kind, row[0]))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=';', lineterminator='\r\n')
    writer.writerow(["Номер заказа", "Статус", "Получено"])
    for index, row in enumerate(rows):
        if index not in dropped:
            writer.writerow([row[0], row[1], str(row[2]).replace('.', ',')])
    return out.getvalue().encode('cp1251'), planted


# -- main ----------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--parcels', type=int, default=100000)
    parser.add_argument('--keep', action='store_true',
        help="keep the database at the end")
    parser.add_argument('--reuse', action='store_true',
        help="use the database as it is when it exists (with its data)")
    parser.add_argument('--step', help=argparse.SUPPRESS)
    parser.add_argument('--ids', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    server = server_of(os.environ.get('MULTIPOINT_BENCH_DB') or DEFAULT_DB)
    os.environ.pop('TRYTOND_CONFIG', None)
    os.environ.update(server.env())
    if args.step:
        run_step(args.step, json.loads(args.ids), server.name)
        return 0
    figures = {}
    with tempfile.TemporaryDirectory(prefix='bench-settlement-') as folder:
        if not (args.reuse and server.exists()):
            log("Creating %s and activating multipoint_settlement",
                server.name)
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
    failed = [k for k in ['xlsx', 'pdf', 'reconcile'] if k not in figures]
    return 1 if failed or not figures['reconcile']['exact'] else 0


def bench(server, args):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Pool.start()
    pool = Pool(server.name)
    pool.init()
    from trytond.transaction import TransactionError
    extras = {}
    while True:
        # trytond may ask to start again with the table locks taken first
        with Transaction().start(server.name, 0, context={'language': 'ru'},
                **extras) as transaction:
            Account = pool.get('multipoint.supplier.account')
            found = Account.search(
                [('name', 'like', 'Поставщик (бенчмарк)%')])
            if found:
                account, = found
                ids = {'company': account.company.id,
                    'supplier': account.supplier.id, 'account': account.id}
                log("  reusing the parcels of %s", server.name)
                # the settlements of an earlier run would overlap
                cursor = transaction.connection.cursor()
                for table in ['multipoint_settlement_reconciliation_line',
                        'multipoint_settlement_reconciliation',
                        'multipoint_settlement_line',
                        'multipoint_settlement_fine',
                        'multipoint_settlement']:
                    cursor.execute(f'DELETE FROM "{table}"')
                transaction.commit()
                break
            try:
                ids = setup(pool, args.parcels)
            except TransactionError as error:
                transaction.rollback()
                error.fix(extras)
                continue
            transaction.commit()
            break
    figures = {}
    log("Computing the settlement of the month")
    figures['compute'] = step(server, 'compute', ids)
    ids['settlement'] = figures['compute']['settlement']
    # what the generated desk took, computed here from the same formula
    if not found:
        goods = [Decimal(500 + i % 4000) for i in range(args.parcels)]
        expected = {
            'lines': args.parcels,
            'collected': str(sum(goods) + Decimal('199.00') * args.parcels),
            'commission': str(sum((g * Decimal('1.5') / 100).quantize(
                            Decimal('0.01')) for g in goods)),
            }
        got = {k: figures['compute'][k] for k in expected}
        if got != expected:
            raise SystemExit(f"settlement {got}, expected {expected}")
    for name in ['xlsx', 'pdf', 'reconcile']:
        log("Step: %s", name)
        figures[name] = step(server, name, ids)
    return figures


def report(figures, args):
    log("")
    log("================ settlements (%s) ================",
        'SQLite' if 'sqlite' in (os.environ.get('MULTIPOINT_BENCH_DB')
            or '') else 'PostgreSQL')
    if 'activate_s' in figures:
        log("  database activation               %7.1f s",
            figures['activate_s'])
    c = figures['compute']
    log("  settlement of %s parcels (compute) %6.1f s  peak %4.0f MB"
        "  net %s", f"{c['lines']:,}", c['seconds'], c['peak_mb'],
        c['net'])
    log("  its confirmation (posted move)    %7.1f s", c['confirm_s'])
    x = figures['xlsx']
    ok = (x['seconds'] <= TARGETS['xlsx_s']
        and x['peak_mb'] <= TARGETS['xlsx_mb'])
    log("  agent's report to XLSX            %7.1f s  peak %4.0f MB "
        "(+%.0f MB over the started process), %.1f MB file "
        "(targets <= %d s, <= %d MB: %s)", x['seconds'], x['peak_mb'],
        x['peak_mb'] - x['rss_before_mb'], x['size_mb'], TARGETS['xlsx_s'],
        TARGETS['xlsx_mb'], 'ok' if ok else 'MISSED')
    p = figures['pdf']
    log("  agent's report to PDF             %7.1f s  peak %4.0f MB, "
        "%.1f MB file", p['seconds'], p['peak_mb'], p['size_mb'])
    r = figures['reconcile']
    log("  reconciliation of %s rows        %7.1f s  peak %4.0f MB; "
        "planted %d, found %d: found == planted is %s",
        f"{r['rows']:,}", r['seconds'], r['peak_mb'], r['planted'],
        r['found'], r['exact'])


if __name__ == '__main__':
    sys.exit(main())
