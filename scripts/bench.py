#!/usr/bin/env python3
"""Multipoint benchmark of the operator API on PostgreSQL (``make bench``).

It prints figures; it is not a test and fails only when it cannot run
or when a payment through the API fails.

    python scripts/bench.py
        [--db-url postgresql://postgres@127.0.0.1:5432/multipoint_bench]
        [--parcels 100000] [--clients 4] [--lookups 2000] [--reuse]
        [--pays 100] [--pay-clients 1] [--operator kuznetsova] [--profile]

The database URL defaults to $MULTIPOINT_BENCH_DB, then to the one above.

Steps:

1. Database. Without ``--reuse`` the database is (re)created: dropped when
   it exists (only when its name contains "bench", or with ``--force``),
   created with psycopg, activated with ``trytond-admin --all -u
   <the suite's modules, MODULES> --activate-dependencies -l ru`` (admin
   password through
   TRYTONPASSFILE), then filled by ``python -m scripts.demo --parcels N
   --bench-manifest`` (the bulk mode above 5,000 parcels). A copy is kept as
   the template database ``<name>_template``. With ``--reuse`` the
   database is cloned from that template (a few seconds), or used as it is
   when its ``BENCH-1000`` manifest is still unreceived, and then updated
   with ``trytond-admin -u`` to the module code of the checkout (unless
   ``--no-update``); otherwise it is generated as above.
2. The server as production runs it: ``scripts/serve.py`` (``make
   serve``): gunicorn with ``--workers`` web processes × ``--threads``
   threads (default 2 × 4) and trytond-worker, the scheduled jobs off,
   with the measuring additions of scripts/bench_app.py (an empty
   authenticated route written Tryton's way, and the SQL statements of
   each request in an ``X-SQL-Statements`` header). Beside it the floor,
   scripts/bench_floor.py, served the same way.
   Step 0 (scripts/bench_compare.py, unless ``--no-compare``): wrk loads
   our lookup, Tryton's generic search_read of the same data, the empty
   routes and the floor side by side: req/s, p50/p95/p99 and the ratios.
3. Login as an operator of the first point with ``POST
   /<db>/session/login`` ``{"params": [login, {"password": pw}, "ru"]}``.
   The session cookie is set ``Secure``, so it is sent back by hand in a
   ``Cookie`` header (the API reads the Tryton session cookie).
4. Barcode lookups: ``GET /<db>/multipoint/api/v1/lookup?code=<barcode>``
   of random place barcodes of parcels at the operator's points, from
   ``--clients`` threads (one requests.Session and one login each), after
   50 warm-up requests: count, p50/p95/p99 in ms and lookups/s.
5. Acceptance: ``POST /receptions`` ``{"point": id, "manifest":
   "BENCH-1000"}``, then ``POST /receptions/<id>/scans`` ``{"barcode",
   "client_id"}`` for each of the 1,000 places in a random order, one after
   the other as a scanner does: per-scan p50/p95/p99 and total; then ``POST
   /receptions/<id>/close``, timed.
6. Serving recipients (scripts/bench_service.py): searches by the last 4
   phone digits, issue of prepaid parcels (search by order number, then the
   issue with a code), an inventory scanning up to 2,000 places cell by cell.
7. Issue + payment + receipt through the API: ``--pays`` stored parcels
   with cash on delivery at the first point, each ``POST /issue/pay`` with
   its issue code and the payment (cash with change mostly, some card, SBP,
   card and cash together) in the open shift of the point (the demo data
   opens one; else the benchmark opens one with ``POST /shifts/open``); the
   receipts go to the ``demo`` fiscal driver before the answer. Each answer
   must be 200 with ``"fiscalized": true``; the failures are printed and
   make the script exit with 1. ``--pay-clients`` desks at once.
8. Peak RSS of the server (VmHWM of /proc/<pid>/status) and a summary with
   the targets: lookup p95 <= 30 ms, scan p95 <= 50 ms, issue + payment +
   receipt p95 <= 150 ms.

Databases generated before the point-of-sale setup of the demo data get it
(``scripts/demo`` on the database adds only what is missing; the
template is refreshed).

``--profile`` then runs a few lookups and scans inside this process through
trytond's WSGI application with cProfile and a count of the SQL statements
per request, to show where the time goes.

The server is stopped at the end (also on errors and Ctrl-C).
"""
import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg
import requests

import bench_compare  # side by side: ours, Tryton's, the floor
import bench_service  # serving recipients, inventory
from bench_tools import ROOT, demo_command, fmt_stats, log, stats, venv_bin
# logins, points and manifest of the demo data (scripts/demo)
from demo.bench_manifest import BENCH_MANIFEST, BENCH_PLACES
from demo.points import POINTS
from demo.staff import STAFF

MODULES = ['multipoint_core', 'multipoint_pos', 'multipoint_suppliers',
    'multipoint_tickets', 'multipoint_settlement', 'multipoint_portal',
    'multipoint_claims', 'multipoint_analytics']
TARGETS = {'lookup': 30.0, 'scan': 50.0, 'search': 30.0, 'pay': 150.0,
    'pay_statements': 60, 'scale': 1.2}
DEFAULT_URL = 'postgresql://postgres@127.0.0.1:5432/multipoint_bench'


# ---------------------------------------------------------------- database

class Database:

    def __init__(self, url):
        parts = urlsplit(url)
        if parts.scheme not in {'postgresql', 'postgres'}:
            raise SystemExit(f"--db-url must be postgresql://…/<db>: {url}")
        self.name = parts.path.strip('/')
        if not self.name:
            raise SystemExit(f"--db-url needs a database name: {url}")
        self.template = f'{self.name}_template'
        # trytond's uri is the server without the database
        self.uri = urlunsplit(('postgresql', parts.netloc, '/', '', ''))
        self.parts = parts

    def connect(self, dbname='postgres'):
        p = self.parts
        return psycopg.connect(host=p.hostname or '127.0.0.1',
            port=p.port or 5432, user=p.username or 'postgres',
            password=p.password, dbname=dbname, autocommit=True)

    def exists(self, name):
        with self.connect() as conn:
            return bool(conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s",
                    (name,)).fetchone())

    def drop(self, name):
        with self.connect() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
            conn.execute(psycopg.sql.SQL(
                    "DROP DATABASE IF EXISTS {}").format(
                    psycopg.sql.Identifier(name)))

    def create(self, name, template=None):
        query = "CREATE DATABASE {} ENCODING 'UTF8'"
        args = [psycopg.sql.Identifier(name)]
        if template:
            query += " TEMPLATE {}"
            args.append(psycopg.sql.Identifier(template))
        with self.connect() as conn:
            conn.execute(psycopg.sql.SQL(query).format(*args))

    def query(self, sql, params=()):
        with self.connect(self.name) as conn:
            return conn.execute(sql, params).fetchall()

    def bench_manifest_ready(self):
        "Whether the database holds the unreceived BENCH manifest"
        try:
            rows = self.query(
                "SELECT COUNT(*) FROM multipoint_parcel_place pl "
                "JOIN multipoint_parcel p ON p.id = pl.parcel "
                "WHERE p.manifest = %s AND p.state = 'expected' "
                "AND pl.state = 'expected'", (BENCH_MANIFEST,))
        except psycopg.Error:
            return False
        return rows[0][0] == BENCH_PLACES

    def parcel_count(self):
        return self.query("SELECT COUNT(*) FROM multipoint_parcel")[0][0]


def write_config(folder, db, port, index=0):
    path = os.path.join(folder, f'trytond-{index}.conf')
    with open(path, 'w') as fp:
        fp.write(f"""[database]
uri = {db.uri}
language = ru

[web]
listen = 127.0.0.1:{port}

[session]
authentications = password

[multipoint_fiscal]
# receipts of issue/pay: the demo register (made-up fiscal data)
driver = demo
""")
    return path


def bench_env(folder):
    "The environment of trytond commands: no TRYTOND_* of the caller"
    env = {k: v for k, v in os.environ.items()
        if not k.startswith('TRYTOND_')}
    passfile = os.path.join(folder, 'admin-password')
    with open(passfile, 'w') as fp:
        fp.write('bench-admin-%d\n' % random.randrange(10 ** 8))
    env['TRYTONPASSFILE'] = passfile
    return env


def run(cmd, env, what, cwd=None):
    log("$ %s", ' '.join(cmd))
    started = time.time()
    result = subprocess.run(cmd, env=env, cwd=cwd)
    if result.returncode:
        raise SystemExit(f"{what} failed with exit code {result.returncode}")
    return time.time() - started


def update_modules(args, db, config, env):
    "Bring a reused database to the module code of the checkout"
    if args.no_update:
        return
    seconds = run([venv_bin('trytond-admin'), '-c', config, '-d', db.name,
            '-u', *MODULES, '--activate-dependencies'], env,
        "trytond-admin -u (the data may predate the code: regenerate "
        "without --reuse)")
    log("  modules updated in %.0f s (--no-update skips it)", seconds)


def prepare(args, db, config, env):
    "Create, reuse or clone the benchmark database; returns figures"
    figures = {}
    if args.reuse and db.exists(db.template):
        log("Cloning %s from the template %s (--reuse)", db.name,
            db.template)
        started = time.time()
        db.drop(db.name)
        db.create(db.name, template=db.template)
        figures['clone_s'] = time.time() - started
        figures['parcels'] = db.parcel_count()
        log("  %d parcels, cloned in %.1f s", figures['parcels'],
            figures['clone_s'])
        update_modules(args, db, config, env)
        return figures
    if args.reuse and db.exists(db.name) and db.bench_manifest_ready():
        figures['parcels'] = db.parcel_count()
        log("Reusing %s as it is (%d parcels, %s unreceived)", db.name,
            figures['parcels'], BENCH_MANIFEST)
        update_modules(args, db, config, env)
        return figures
    if db.exists(db.name):
        if 'bench' not in db.name and not args.force:
            raise SystemExit(
                f"The database {db.name} exists; its name has no 'bench': "
                "use --reuse, another --db-url, or --force to drop it")
        log("Dropping the existing database %s", db.name)
        db.drop(db.name)
    db.create(db.name)
    figures['admin_s'] = run([venv_bin('trytond-admin'), '-c', config,
            '-d', db.name, '--all', '-u', *MODULES,
            '--activate-dependencies', '-l', 'ru',
            '--email', 'admin@example.com'], env, "trytond-admin")
    log("  modules activated in %.0f s", figures['admin_s'])
    started = time.time()
    command = demo_command('-c', config, '-d', db.name,
        '--parcels', str(args.parcels), '--seed', str(args.seed),
        '--bench-manifest')
    run(command, env, "scripts/demo", cwd=ROOT)
    figures['generate_s'] = time.time() - started
    figures['parcels'] = db.parcel_count()
    log("  demo data (%d parcels in the database) in %.0f s",
        figures['parcels'], figures['generate_s'])
    if not args.no_template:
        started = time.time()
        db.drop(db.template)
        db.create(db.template, template=db.name)
        log("  template %s kept for --reuse (%.0f s)", db.template,
            time.time() - started)
    return figures


def ensure_pos(args, db, config, env):
    """Data generated before the point-of-sale setup of the demo data: add
    the accounting, the points of sale and the shifts (scripts/demo on an
    existing database creates only what is missing), then refresh the
    template"""
    rows = db.query("SELECT sale_point FROM multipoint_point WHERE code = %s",
        (POINTS[0]['code'],))
    if rows and rows[0][0]:
        return
    log("The data has no point of sale: scripts/demo adds them")
    run(demo_command('-c', config, '-d', db.name), env,
        "scripts/demo (points of sale)", cwd=ROOT)
    if args.reuse and not args.no_template and db.exists(db.template):
        started = time.time()
        db.drop(db.template)
        db.create(db.template, template=db.name)
        log("  template %s refreshed (%.0f s)", db.template,
            time.time() - started)


# ------------------------------------------------------------------ server

def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Server:
    "One plain trytond process (scripts/faults*.py start their own)"

    def __init__(self, config, db, port, env, folder, index=0):
        self.db = db
        self.served = bench_compare.Served('trytond',
            [venv_bin('trytond'), '-c', config, '-d', db.name], env,
            f'http://127.0.0.1:{port}',
            os.path.join(folder, f'trytond-{index}.log'))

    @property
    def base(self):
        return self.served.base

    @property
    def logfile(self):
        return self.served.logfile

    @property
    def process(self):
        return self.served.process

    def start(self):
        log("Starting %s (log %s)", ' '.join(self.served.command[1:]),
            self.logfile)
        self.served.start(f'/{self.db.name}/multipoint/api/v1/session')

    def stop(self):
        self.served.stop()

    def memory(self):
        "VmHWM (peak) and VmRSS in MiB of the web process"
        return self.served.memory()

    def api(self, path):
        return f'{self.base}/{self.db.name}/multipoint/api/v1/{path}'

    def login(self, login, password):
        "A requests.Session carrying the Tryton session of login"
        session = requests.Session()
        response = session.post(
            f'{self.base}/{self.db.name}/session/login',
            json={'params': [login, {'password': password}, 'ru']},
            timeout=30)
        if response.status_code != 200:
            raise SystemExit(f"login of {login} failed: "
                f"{response.status_code} {response.text[:300]}")
        cookie = response.cookies.get('tryton_session')
        if not cookie:
            raise SystemExit(f"no session cookie in the login answer: "
                f"{response.headers}")
        # Set-Cookie has Secure: requests would not send it over http
        session.headers['Cookie'] = f'tryton_session={cookie}'
        session.hooks['response'].append(count_statements)
        session.get(self.api('session'), timeout=30)  # its statements
        return session


class ServedTrytond(Server):
    "trytond served by scripts/serve.py (gunicorn), the bench's app"

    def __init__(self, db, port, env, folder, workers, threads):
        self.db = db
        self.served = bench_compare.serve_tryton(
            f'{db.uri}{db.name}', port, workers, threads, env,
            os.path.join(folder, 'serve.log'))


# SQL statements per request, per operation, from the server's
# X-SQL-Statements header (scripts/bench_app.py)
STATEMENTS = {}


def count_statements(response, *args, **kwargs):
    count = response.headers.get('X-SQL-Statements')
    if count is None or response.status_code >= 400:
        return
    path = urlsplit(response.request.url).path.split('/api/v1/', 1)[-1]
    operation = '/'.join('{id}' if part.isdigit() else part
        for part in path.split('/'))
    STATEMENTS.setdefault(f'{response.request.method} {operation}', []
        ).append(int(count))


def statements(operation):
    counts = STATEMENTS.get(operation)
    return statistics.median(counts) if counts else float('nan')


# ---------------------------------------------------------------- measures

def operator_of(login):
    for row in STAFF:
        if row[0] == login:
            return row
    raise SystemExit(f"--operator {login} is not a demo operator")


def point_ids(db, codes):
    rows = db.query("SELECT code, id FROM multipoint_point "
        "WHERE code = ANY(%s)", (list(codes),))
    return dict(rows)


def lookup_barcodes(db, points, count, rng):
    rows = db.query(
        "SELECT pl.barcode FROM multipoint_parcel_place pl "
        "JOIN multipoint_parcel p ON p.id = pl.parcel "
        "WHERE p.point = ANY(%s) ORDER BY pl.id", (list(points),))
    barcodes = [r[0] for r in rows]
    if not barcodes:
        raise SystemExit("no parcels at the operator's points")
    return [rng.choice(barcodes) for _ in range(count)], len(barcodes)


def bench_lookups(servers, login, password, barcodes, clients):
    "clients threads, spread over the servers"
    servers = [servers[i % len(servers)] for i in range(clients)]
    sessions = [s.login(login, password) for s in servers]
    # warm-up: caches of the pool, the session check, the connections
    for i, code in enumerate(barcodes[:50]):
        sessions[i % clients].get(servers[i % clients].api('lookup'),
            params={'code': code}, timeout=30)
    latencies, errors = [], []
    lock = threading.Lock()
    shares = [barcodes[i::clients] for i in range(clients)]

    def worker(session, server, codes):
        local, bad = [], []
        for code in codes:
            t0 = time.perf_counter()
            response = session.get(server.api('lookup'),
                params={'code': code}, timeout=30)
            elapsed = time.perf_counter() - t0
            if response.status_code != 200 or (
                    response.json().get('type') != 'parcel'):
                bad.append((code, response.status_code,
                        response.text[:200]))
            local.append(elapsed)
        with lock:
            latencies.extend(local)
            errors.extend(bad)

    threads = [threading.Thread(target=worker, args=(s, server, codes))
        for s, server, codes in zip(sessions, servers, shares)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    result = stats(latencies)
    result.update(wall=wall, rate=len(latencies) / wall, errors=errors)
    return result


def bench_acceptance(server, db, login, password, point_id, rng):
    rows = db.query(
        "SELECT pl.barcode FROM multipoint_parcel_place pl "
        "JOIN multipoint_parcel p ON p.id = pl.parcel "
        "WHERE p.manifest = %s AND p.point = %s AND p.state = 'expected' "
        "AND pl.state = 'expected' ORDER BY pl.id",
        (BENCH_MANIFEST, point_id))
    barcodes = [r[0] for r in rows]
    if len(barcodes) != BENCH_PLACES:
        raise SystemExit(f"{BENCH_MANIFEST} has {len(barcodes)} "
            "unreceived places: regenerate (without --reuse)")
    rng.shuffle(barcodes)
    session = server.login(login, password)
    t0 = time.perf_counter()
    response = session.post(server.api('receptions'), json={
            'point': point_id, 'manifest': BENCH_MANIFEST,
            'courier_name': "Бенчмарк", 'vehicle': "bench.py"}, timeout=60)
    open_s = time.perf_counter() - t0
    if response.status_code != 201:
        raise SystemExit(f"opening the reception failed: "
            f"{response.status_code} {response.text[:500]}")
    reception = response.json()
    log("  reception %s opened in %.0f ms, expects %s places",
        reception['number'], open_s * 1000, reception['expected'])
    url = server.api(f"receptions/{reception['id']}/scans")
    latencies, results, windows = [], {}, []
    started = time.perf_counter()
    for i, code in enumerate(barcodes):
        t0 = time.perf_counter()
        response = session.post(url, json={
                'barcode': code, 'client_id': f'bench:{i}'}, timeout=60)
        latencies.append(time.perf_counter() - t0)
        if response.status_code != 200:
            raise SystemExit(f"scan {i} of {code} failed: "
                f"{response.status_code} {response.text[:500]}")
        result = response.json()['scan']['result']
        results[result] = results.get(result, 0) + 1
        if (i + 1) % 250 == 0:
            window = stats(latencies[-250:])
            windows.append(window)
            log("  scans %4d-%4d: %s", i - 248, i + 1, fmt_stats(window))
    total = time.perf_counter() - started
    last = response.json()['reception']
    t0 = time.perf_counter()
    response = session.post(
        server.api(f"receptions/{reception['id']}/close"), timeout=300)
    close_s = time.perf_counter() - t0
    if response.status_code != 200:
        raise SystemExit(f"closing failed: {response.status_code} "
            f"{response.text[:500]}")
    closed = response.json()
    accepted = db.query(
        "SELECT COUNT(*) FROM multipoint_parcel WHERE reception = %s "
        "AND state = 'accepted'", (reception['id'],))[0][0]
    result = stats(latencies)
    result.update(total=total, close=close_s, open=open_s, results=results,
        windows=windows, reception=reception['id'],
        progress=(last['scanned'], last['expected']),
        closed_state=closed['state'], accepted=accepted)
    return result


# ----------------------------------------------------------------- profile

# Functions whose share of a request the profile reports
BREAKDOWN = [
    ('trytond/protocols/wrappers.py', 'user_id', "session check"),
    ('trytond/res/user.py', 'get_preferences', "User.get_preferences"),
    ('multipoint_core/routes_desk.py', 'lookup', "routes.lookup"),
    ('multipoint_core/api_desk.py', 'parcel_json', "  parcel_json"),
    ('multipoint_core/routes_desk.py', 'reception_scan',
        "routes.reception_scan"),
    ('multipoint_core/reception.py', 'scan', "  Reception.scan"),
    ('multipoint_core/api_desk.py', 'reception_json', "  reception_json"),
    ('multipoint_core/reception.py', 'get_progress', "    get_progress"),
    ('trytond/model/fields/one2many.py', 'get', "    One2Many.get"),
    ('multipoint_core/routes_desk.py', 'reception_close',
        "routes.reception_close"),
    ('multipoint_core/reception.py', 'close', "  Reception.close"),
    ('multipoint_core/parcel.py', 'accept', "    Parcel.accept"),
    ('multipoint_core/issue.py', 'generate_codes', "      generate_codes"),
    ('multipoint_core/event.py', 'log', "    ParcelEvent.log"),
    ('trytond/model/modelstorage.py', '<genexpr>',
        "record __init__: assert on all ids"),
    ]


def in_record_init(code):
    "Whether code is the generator of ModelStorage.__init__'s id assert"
    import inspect

    from trytond.model.modelstorage import ModelStorage
    init = ModelStorage.__init__.__code__
    lines = len(inspect.getsource(ModelStorage.__init__).splitlines())
    return (code.co_filename == init.co_filename
        and init.co_firstlineno <= code.co_firstlineno
        < init.co_firstlineno + lines)


def profile(db, config, login, password, barcodes, point_id,
        bench_reception, n=30):
    """Lookups, scans and a close in this process, through trytond's WSGI
    application, with cProfile and the SQL statements per request"""
    import cProfile

    os.environ.pop('TRYTOND_DATABASE__URI', None)
    from trytond import config as tconfig
    tconfig.update_etc(config)
    from werkzeug.test import Client

    from trytond.backend.postgresql.database import LoggingCursor
    from trytond.pool import Pool
    from trytond.wsgi import app

    Pool(db.name).init()
    counter = {'n': 0, 'sql': {}}
    original = LoggingCursor.execute

    def counting(self, query, params=None, **kwargs):
        counter['n'] += 1
        key = ' '.join(str(query).split())
        counter['sql'][key] = counter['sql'].get(key, 0) + 1
        return original(self, query, params, **kwargs)

    LoggingCursor.execute = counting
    client = Client(app)
    response = client.post(f'/{db.name}/session/login',
        json={'params': [login, {'password': password}, 'ru']})
    cookie = response.headers['Set-Cookie'].split(';')[0].split('=', 1)[1]
    headers = {'Cookie': f'tryton_session={cookie}'}
    api = f'/{db.name}/multipoint/api/v1'

    def measure(name, calls, warmup=5):
        for call in calls[:warmup]:
            call()
        calls = calls[warmup:]
        counter['n'] = 0
        counter['sql'] = {}
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        for call in calls:
            response = call()
            assert response.status_code < 400, response.get_data()[:300]
        prof.disable()
        count = max(len(calls), 1)
        elapsed = (time.perf_counter() - t0) / count
        log("")
        log("%s: %.1f ms per request under the profiler, %.1f SQL "
            "statements per request", name, elapsed * 1000,
            counter['n'] / count)
        log("  most repeated statements (per request):")
        top = sorted(counter['sql'].items(), key=lambda x: -x[1])[:6]
        for sql, k in top:
            log("    %5.1f x  %s", k / count, sql[:140])
        stats = prof.getstats()
        by_code = {}
        for entry in stats:
            code = entry.code
            if isinstance(code, str):
                continue
            if code.co_name == '<genexpr>' and not in_record_init(code):
                continue
            key = (code.co_filename, code.co_name)
            calls_, total = by_code.get(key, (0, 0.0))
            by_code[key] = (calls_ + entry.callcount, total + entry.totaltime)
        log("  where the time goes (ms per request, cumulative):")
        for path, func, label in BREAKDOWN:
            hits = [(c, t) for (f, fn), (c, t) in by_code.items()
                if f.endswith(path) and fn == func]
            if not hits:
                continue
            calls_ = sum(c for c, _ in hits)
            total = sum(t for _, t in hits)
            if total * 1000 / count < 0.05:
                continue
            log("    %-34s %7.1f ms  (%d calls per request)", label,
                total * 1000 / count, round(calls_ / count))

    measure("lookup", [
            (lambda code=code: client.get(f'{api}/lookup',
                    query_string={'code': code}, headers=headers))
            for code in barcodes[:n + 5]])

    if bench_reception:
        measure(f"GET /receptions/{bench_reception} (the closed "
            f"{BENCH_MANIFEST} reception, 1,000 scans)", [
                (lambda: client.get(f'{api}/receptions/{bench_reception}',
                        headers=headers))] * 8, warmup=2)

    # a reception of the other parcels expected at the point
    rows = db.query(
        "SELECT pl.barcode FROM multipoint_parcel_place pl "
        "JOIN multipoint_parcel p ON p.id = pl.parcel "
        "WHERE p.point = %s AND p.state = 'expected' "
        "AND pl.state = 'expected' AND COALESCE(p.manifest, '') <> %s "
        "ORDER BY pl.id LIMIT %s",
        (point_id, BENCH_MANIFEST, n + 5))
    response = client.post(f'{api}/receptions', json={'point': point_id},
        headers=headers)
    reception = response.get_json()['id']
    measure(f"scan ({len(rows)} into a new reception)", [
            (lambda code=code, i=i: client.post(
                    f'{api}/receptions/{reception}/scans',
                    json={'barcode': code, 'client_id': f'profile:{i}'},
                    headers=headers))
            for i, (code,) in enumerate(rows)])
    parcels = db.query("SELECT COUNT(DISTINCT pl.parcel) FROM "
        "multipoint_parcel_place pl WHERE pl.reception = %s",
        (reception,))[0][0]
    measure(f"close of that reception ({parcels} parcels)", [
            (lambda: client.post(f'{api}/receptions/{reception}/close',
                    headers=headers))], warmup=0)
    LoggingCursor.execute = original


# -------------------------------------------------------------------- main

def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Benchmark of the Multipoint operator API")
    parser.add_argument('--db-url',
        default=os.environ.get('MULTIPOINT_BENCH_DB') or DEFAULT_URL,
        help="postgresql://user@host:port/database (default "
        "$MULTIPOINT_BENCH_DB or %s)" % DEFAULT_URL)
    parser.add_argument('--parcels', type=int, default=100000)
    parser.add_argument('--clients', type=int, default=4,
        help="concurrent lookup clients")
    parser.add_argument('--workers', type=int, default=2,
        help="web processes of gunicorn (scripts/serve.py), default 2")
    parser.add_argument('--threads', type=int, default=4,
        help="threads per web process, default 4")
    parser.add_argument('--no-compare', action='store_true',
        help="skip step 0, the side-by-side comparison with wrk")
    parser.add_argument('--compare-seconds', type=int, default=5,
        help="seconds of wrk per path and round (default 5)")
    parser.add_argument('--compare-rounds', type=int, default=4,
        help="rounds of the comparison, every other one in the reverse "
        "order; medians are reported (default 4)")
    parser.add_argument('--lookups', type=int, default=2000)
    parser.add_argument('--searches', type=int, default=300,
        help="searches by the last 4 phone digits")
    parser.add_argument('--issues', type=int, default=100,
        help="prepaid parcels issued through the API")
    parser.add_argument('--inventory-places', type=int, default=2000,
        help="places scanned by the inventory")
    parser.add_argument('--pays', type=int, default=100,
        help="parcels with cash on delivery issued with their payment "
        "and receipt through POST issue/pay")
    parser.add_argument('--pay-clients', type=int, default=1,
        help="desks paying at once (default 1)")
    parser.add_argument('--single', type=int, default=300,
        help="lookups from a single client first, for the latency without "
        "contention (0: skip)")
    parser.add_argument('--reuse', action='store_true',
        help="reuse the generated data (clone of <db>_template)")
    parser.add_argument('--no-update', action='store_true',
        help="with --reuse, do not run trytond-admin -u on the database")
    parser.add_argument('--force', action='store_true',
        help="drop an existing database whose name has no 'bench'")
    parser.add_argument('--no-template', action='store_true',
        help="do not keep the <db>_template copy for --reuse")
    parser.add_argument('--operator', default='kuznetsova',
        help="demo operator to log in as (default kuznetsova, MSK-01)")
    parser.add_argument('--seed', type=int, default=2026)
    parser.add_argument('--profile', action='store_true',
        help="then profile lookups and scans in this process")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    db = Database(args.db_url)
    rng = random.Random(args.seed)
    folder = tempfile.mkdtemp(prefix='multipoint-bench-')
    env = bench_env(folder)
    config = write_config(folder, db, free_port())
    login, password, _, groups, codes, _ = operator_of(args.operator)
    first_point = POINTS[0]['code']
    if first_point not in codes:
        raise SystemExit(f"{args.operator} does not work at {first_point}")
    log("Multipoint benchmark: database %s on %s, %d parcels, %d clients, "
        "%d lookups", db.name, db.uri, args.parcels, args.clients,
        args.lookups)
    figures = prepare(args, db, config, env)
    ensure_pos(args, db, config, env)
    points = point_ids(db, codes)
    barcodes, population = lookup_barcodes(db, points.values(),
        args.lookups + 50, rng)
    # the demo fiscal register for the receipts of issue/pay
    env['TRYTOND_MULTIPOINT_FISCAL__DRIVER'] = 'demo'
    server = ServedTrytond(db, free_port(), env, folder, args.workers,
        args.threads)
    servers = [server]
    floor = bench_compare.serve_floor(db.uri, free_port(), args.workers,
        args.threads, env, os.path.join(folder, 'floor.log'))
    load_start = loadavg()
    compared = ratios = None
    try:
        server.start()
        idle = server.memory()
        if not args.no_compare:
            floor.start(f'/{db.name}/floor/session')
            log("")
            log("0. Side by side (wrk): our lookup, Tryton's search_read, "
                "empty routes and the floor, on the same data")
            header = bench_compare.session_header(server.base, db.name,
                login, password)
            compared = bench_compare.compare(db.name,
                {'ours': server.served, 'floor': floor}, header,
                barcodes, duration=args.compare_seconds,
                rounds=args.compare_rounds, connections=args.clients,
                folder=folder)
            floor.stop()
            ratios = bench_compare.report(compared, args.clients,
                args.workers, args.threads, args.compare_seconds,
                args.compare_rounds)
        log("")
        log("1. Lookups by barcode as %s (%s): %d requests from %d "
            "clients on %d web process(es), barcodes drawn from %d "
            "places", login, ', '.join(codes), args.lookups, args.clients,
            args.workers, population)
        single = None
        if args.single and args.clients > 1:
            single = bench_lookups(servers, login, password,
                barcodes[:args.single + 50], 1)
            log("   1 client, %d lookups: %s, %.0f/s", single['count'],
                fmt_stats(single), single['rate'])
        lookups = bench_lookups(servers, login, password,
            barcodes[50:] + barcodes[:50], args.clients)
        log("   %d clients: %s", args.clients, fmt_stats(lookups))
        log("   %.0f lookups/s over %.1f s, %d errors", lookups['rate'],
            lookups['wall'], len(lookups['errors']))
        for error in lookups['errors'][:5]:
            log("   error: %s", error)
        log("")
        log("2. Acceptance of %s (%d places) at %s",
            BENCH_MANIFEST, BENCH_PLACES, first_point)
        acceptance = bench_acceptance(server, db, login, password,
            points[first_point], rng)
        log("   scans: %s", fmt_stats(acceptance))
        log("   %d scans in %.1f s (%s), progress %d/%d", acceptance['count'],
            acceptance['total'], ', '.join(f'{k} {v}' for k, v in sorted(
                    acceptance['results'].items())),
            *acceptance['progress'])
        log("   close: %.2f s, reception %s, %d parcels accepted",
            acceptance['close'], acceptance['closed_state'],
            acceptance['accepted'])
        log("")
        log("3. Search by the last 4 phone digits at %s: %d searches",
            first_point, args.searches)
        search = bench_service.bench_phone_search(server, db, login,
            password, points[first_point], args.searches, rng)
        log("   %s; %d distinct digits, %.1f parcels per answer",
            fmt_stats(search), search['candidates'], search['found'])
        log("")
        log("4. Issue of %d prepaid parcels (search by order number, then "
            "issue with the code)", args.issues)
        issue = bench_service.bench_issue(server, db, login, password,
            points[first_point], args.issues, rng)
        log("   search: %s", fmt_stats(issue['search']))
        log("   issue:  %s", fmt_stats(issue['issue']))
        log("")
        log("5. Inventory of %s: up to %d places, cell by cell",
            first_point, args.inventory_places)
        inventory = bench_service.bench_inventory(server, db, login,
            password, points[first_point], args.inventory_places)
        log("   %d scans (%d places): %s; complete %.2f s",
            inventory['count'], inventory['places'], fmt_stats(inventory),
            inventory['complete'])
        log("")
        log("6. Issue + payment + receipt through the API at %s: %d parcels "
            "with cash on delivery, POST issue/pay, %d desk(s), demo fiscal "
            "driver", first_point, args.pays, args.pay_clients)
        pay = bench_service.bench_pay(server, db, login, password,
            points[first_point], args.pays, rng, clients=args.pay_clients)
        log("   shift %s%s", pay['shift'].get('name'),
            " (opened by the benchmark)" if pay['opened'] else "")
        log("   %s", fmt_stats(pay))
        log("   %d paid issues in %.1f s: %.1f issues/s (%s); %d failures",
            pay['count'], pay['wall'], pay['rate'], ', '.join(
                f'{k} {v}' for k, v in sorted(pay['kinds'].items())),
            len(pay['failures']))
        for failure in pay['failures'][:10]:
            log("   FAILED: %s", failure)
        memory = server.memory()
    finally:
        floor.stop()
        server.stop()

    log("")
    log("Summary (%s, %d parcels, trytond %s; load average %s at the start, "
        "%s at the end, %d CPUs)", db.name, figures.get('parcels', 0),
        trytond_version(), load_start, loadavg(), os.cpu_count())
    rows = []
    if compared:
        look, floor_look = compared['lookup'], compared['floor_lookup']
        rows += [
            ("lookup throughput / floor (wrk)",
                f"{ratios['lookup_vs_floor'] * 100:.0f} % "
                f"({look['rate']:.0f} / {floor_look['rate']:.0f} req/s)",
                ">= 50 %", ratios['lookup_vs_floor'] >= 0.5),
            ("lookup / Tryton's search_read (wrk)",
                f"{ratios['lookup_vs_search_read']:.1f} × "
                f"({compared['search_read']['rate']:.0f} req/s)",
                ">= 5 ×", ratios['lookup_vs_search_read'] >= 5),
            ("lookup p95 (wrk)", f"{look['p95']:.1f} ms "
                f"(p50 {look['p50']:.1f}, p99 {look['p99']:.1f})",
                f"<= {TARGETS['lookup']:.0f} ms",
                look['p95'] <= TARGETS['lookup']),
            ("empty authenticated route / floor",
                f"{ratios['empty_ours_vs_floor'] * 100:.0f} % ours, "
                f"{ratios['empty_tryton_vs_floor'] * 100:.0f} % Tryton's",
                ">= 60 %", ratios['empty_ours_vs_floor'] >= 0.6),
            ]
    rows += [
        ("barcode lookup p95 (requests)", f"{lookups['p95']:.1f} ms",
            "", None),
        ("lookup p50 / p99", f"{lookups['p50']:.1f} / "
            f"{lookups['p99']:.1f} ms", "", None),
        ("lookups per second", f"{lookups['rate']:.0f} "
            f"({args.clients} clients, {args.workers} process(es))", "",
            None),
        ]
    if single:
        rows.append(("lookup p50 / p95, 1 client",
                f"{single['p50']:.1f} / {single['p95']:.1f} ms", "", None))
    rows += [
        ("acceptance scan p95", f"{acceptance['p95']:.1f} ms",
            f"<= {TARGETS['scan']:.0f} ms",
            acceptance['p95'] <= TARGETS['scan']),
        ("scan p50 / p99", f"{acceptance['p50']:.1f} / "
            f"{acceptance['p99']:.1f} ms", "", None),
        ("scan p50, first / last 250",
            f"{acceptance['windows'][0]['p50']:.1f} / "
            f"{acceptance['windows'][-1]['p50']:.1f} ms", "", None),
        ("1,000 scans, total", f"{acceptance['total']:.1f} s", "", None),
        ("close of the reception", f"{acceptance['close']:.2f} s", "",
            None),
        ("search by phone digits p95",
            f"{search['p95']:.1f} ms (p50 {search['p50']:.1f})",
            f"<= {TARGETS['search']:.0f} ms",
            search['p95'] <= TARGETS['search']),
        ("issue of a prepaid parcel p50 / p95",
            f"{issue['issue']['p50']:.1f} / {issue['issue']['p95']:.1f} ms",
            "", None),
        ("issue + payment + receipt p95", f"{pay['p95']:.1f} ms",
            f"<= {TARGETS['pay']:.0f} ms", pay['p95'] <= TARGETS['pay']),
        ("issue + payment + receipt, SQL statements",
            f"{statements('POST issue/pay'):.0f} per request",
            f"<= {TARGETS['pay_statements']}",
            statements('POST issue/pay') <= TARGETS['pay_statements']),
        ("issue + payment + receipt p50 / p99",
            f"{pay['p50']:.1f} / {pay['p99']:.1f} ms", "", None),
        ("paid issues per second",
            f"{pay['rate']:.1f} ({pay['count']} through the API, "
            f"{args.pay_clients} desk(s), {len(pay['failures'])} failures)",
            "", None),
        ("inventory scan p50 / p95",
            f"{inventory['p50']:.1f} / {inventory['p95']:.1f} ms "
            f"({inventory['count']} scans)", "", None),
        ("SQL statements per request (median)", ', '.join(
                f"{label} {statements(op):.0f}" for label, op in [
                    ('session', 'GET session'), ('lookup', 'GET lookup'),
                    ('scan', 'POST receptions/{id}/scans'),
                    ('search', 'POST issue/search'),
                    ('issue', 'POST issue'),
                    ('paid issue', 'POST issue/pay')]), "", None),
        ("web process peak RSS (VmHWM)", f"{memory.get('VmHWM', 0):.0f} "
            f"MiB (idle {idle.get('VmRSS', 0):.0f})", "", None),
        ]
    rows += scale_rows(args, figures, compared)
    if figures.get('generate_s'):
        rows.insert(0, ("demo data generation",
                f"{figures['generate_s']:.0f} s "
                f"({args.parcels / figures['generate_s']:.0f} parcels/s "
                "incl. start-up)", "", None))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for name, value, target, met in rows:
        status = '' if met is None else ('✅' if met else '❌')
        log("  %s  %s  %s  %s", name.ljust(widths[0]),
            value.ljust(widths[1]), target.ljust(widths[2]), status)
    if args.profile:
        profile(db, config, login, password, barcodes, points[first_point],
            acceptance['reception'])
    shutil.rmtree(folder, ignore_errors=True)
    if pay['failures']:
        log("%d of the payments through the API failed (see step 6)",
            len(pay['failures']))
        return 1
    return 0


def scale_rows(args, figures, compared):
    """The lookup's p95 against the one measured on 100,000 parcels (kept
    in var/bench/lookup-p95.json by each run): the cost must not grow with
    the data"""
    if not compared:
        return []
    path = os.path.join(ROOT, 'var', 'bench', 'lookup-p95.json')
    known = {}
    if os.path.exists(path):
        with open(path) as fp:
            known = json.load(fp)
    p95 = compared['lookup']['p95']
    known[str(args.parcels)] = p95
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as fp:
        json.dump(known, fp, indent=1)
    base = known.get('100000')
    if args.parcels < 1000000 or base is None:
        return [("lookup p95 at 1,000,000 parcels", "run with --parcels "
                "1000000 after a run at 100000", "", None)]
    return [("lookup p95 at %d vs 100,000 parcels" % args.parcels,
            f"{p95:.1f} vs {base:.1f} ms ({p95 / base:.2f} ×)",
            f"<= {TARGETS['scale']:.1f} ×", p95 <= base * TARGETS['scale'])]


def loadavg():
    try:
        with open('/proc/loadavg') as fp:
            return ' '.join(fp.read().split()[:3])
    except OSError:
        return '?'


def trytond_version():
    try:
        from importlib.metadata import version
        return version('trytond')
    except Exception:
        return '?'


if __name__ == '__main__':
    sys.exit(main())
