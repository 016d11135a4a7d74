#!/usr/bin/env python3
"""Multipoint fault figures on PostgreSQL (``make faults``, issue 12).

It prints a summary table of four checks, each with its figures and OK or
FAIL, and exits with 1 when a check fails (2 when it cannot run at all).
It is a benchmark, not a test: it drives the documented doors only (the
operator API, the supplier portal, a trytond server and its processes).

    python scripts/faults.py [--only issue,outbox,import,tests]
        [--parcels 50000] [--events 10000] [--attempts 500]
        [--keep] [--fresh]

Server: $MULTIPOINT_FAULTS_PG, default postgresql://postgres@127.0.0.1:5432/
(the user must create databases). Databases, dropped and created again:

- ``multipoint_faults_modules``: the six modules activated
  (``trytond-admin --all -u multipoint_core multipoint_pos
  multipoint_suppliers multipoint_tickets multipoint_settlement
  multipoint_portal --activate-dependencies -l ru``);
- ``multipoint_faults_base``: a copy of it with ``python -m scripts.demo
  --parcels 0`` (company, points with cells, suppliers and their terms,
  the staff with their logins, the portal user of «Лавка Марии» and its
  manifest-file account at MSK-01);
- each check works on a copy of one of them (CREATE DATABASE … TEMPLATE):
  ``multipoint_faults_issue``, ``multipoint_faults_import``,
  ``multipoint_faults_bench_outbox``; the pytest databases are
  ``multipoint_faults_<check>_<pid>``. These are dropped at the end unless
  ``--keep``; the two base databases stay for the next run, which uses
  them when they were made from the same sources (scripts/test.sh's source
  hash, and scripts/demo's, kept as the database's comment) and makes them
  again otherwise (or with ``--fresh``).

Checks (scripts/faults_issue.py, faults_import.py, faults_outbox.py):

1. concurrent issue: a trytond server, 50 parcels of the shop imported
   through the portal, accepted and placed through the operator API; two
   operators (kuznetsova and morozov, both at MSK-01, one thread each)
   send ``--attempts`` ``POST /issue`` each over the same 50 parcels in a
   random order with the right codes; each parcel must be issued exactly
   once (parcel states and 'issued' journal events counted in the
   database) and every answer must be JSON and no 5xx;
2. supplier endpoint down for ``--events`` events (scripts/bench_outbox.py
   run through faults_outbox.py, which also records the order in which the
   supplier's server receives them): lost 0, doubled 0, unknown 0, left
   unsent 0, and received in the outbox's order;
3. ``kill -9`` of the trytond server in the middle of a ``--parcels``
   manifest import (the portal's POST /imports: the file is imported by
   the server's task after the request, as without a worker), then the
   import again: exactly that many parcels, one 'created' event each,
   nothing of the killed import written; the killed import's queued task,
   run afterwards by a trytond-worker, creates nothing more;
4. the fuzz test and the access-matrix test (tests/test_fuzz*.py,
   */tests/test_*fuzz*.py, tests/test_access_matrix*.py,
   */tests/test_access_matrix*.py) under pytest on PostgreSQL, both at
   once, in the environment scripts/test.sh gives its PostgreSQL steps
   (and its template databases, keyed on the sources), each appending its
   figures as a JSON line to $MULTIPOINT_FAULTS_REPORT; a missing file is
   "not available", not a failure.
"""
import argparse
import datetime as dt
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import traceback

import psycopg

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_PG = 'postgresql://postgres@127.0.0.1:5432/'
PG = (os.environ.get('MULTIPOINT_FAULTS_PG') or DEFAULT_PG).rstrip('/') + '/'
# this process reads the PostgreSQL server from the environment (the issue
# check generates issue codes with the model's own method)
for _name in list(os.environ):
    if _name.startswith('TRYTOND_'):
        del os.environ[_name]
os.environ['TRYTOND_DATABASE__URI'] = PG

import bench  # noqa: E402 (Database, Server, config, percentiles)
from bench import log  # noqa: E402
from bench_tools import demo_command  # noqa: E402

PREFIX = 'multipoint_faults'
MODULES = bench.MODULES
CHECKS = ['issue', 'outbox', 'import', 'tests']
OK, FAIL, NA = 'OK', 'FAIL', 'not available'
LABELS = {'issue': "1. concurrent issue",
    'outbox': "2. supplier endpoint down",
    'import': "3. kill -9 during import", 'tests': "4. fuzz, access matrix"}
TEST_GLOBS = {
    'fuzz': ['tests/test_fuzz*.py', '*/tests/test_*fuzz*.py'],
    'access_matrix': ['tests/test_access_matrix*.py',
        '*/tests/test_access_matrix*.py'],
    }


class Row:
    "A line of the summary: a check, its result and its figures"

    def __init__(self, name, status, figures):
        self.name, self.status, self.figures = name, status, figures


def database(name):
    return bench.Database(PG + name)


# ------------------------------------------------------------------ base

def prepare_base(args, folder, env, need_demo):
    """The modules database and (need_demo) its copy with the demo's
    company, staff and suppliers; returns (modules db, base db). Each is
    kept for the next run with the hash of what made it as its comment
    (scripts/test.sh's source hash; scripts/demo's too for the base) and
    made again when that changed, or with --fresh."""
    modules = database(f'{PREFIX}_modules')
    base = database(f'{PREFIX}_base')
    config = bench.write_config(folder, modules, bench.free_port(), 'admin')
    modules_key = 'make faults ' + source_hash()
    demo = hashlib.sha256()
    for path in sorted(glob.glob(os.path.join(HERE, 'demo', '*.py'))):
        with open(path, 'rb') as fp:
            demo.update(os.path.basename(path).encode() + fp.read())
    base_key = modules_key + ' ' + demo.hexdigest()[:16]
    if args.fresh or db_comment(modules) != modules_key:
        log("Creating %s with the four modules (trytond-admin)",
            modules.name)
        base.drop(base.name)
        modules.drop(modules.name)
        modules.create(modules.name)
        seconds = bench.run([bench.venv_bin('trytond-admin'), '-c', config,
                '-d', modules.name, '--all', '-u', *MODULES,
                '--activate-dependencies', '-l', 'ru',
                '--email', 'admin@example.com'], env, "trytond-admin")
        log("  activated in %.0f s", seconds)
        set_db_comment(modules, modules_key)
    else:
        log("Reusing %s: made by a previous run from the same sources "
            "(--fresh makes it again)", modules.name)
    if need_demo and (args.fresh or db_comment(base) != base_key):
        log("Creating %s: %s + python -m scripts.demo --parcels 0",
            base.name, modules.name)
        base.drop(base.name)
        base.create(base.name, template=modules.name)
        bench.run(demo_command('-c', config, '-d', base.name,
                '--parcels', '0'), env, "scripts/demo", cwd=ROOT)
        set_db_comment(base, base_key)
    elif need_demo:
        log("Reusing %s: made by a previous run from the same sources",
            base.name)
    return modules, base


def db_comment(db):
    "The comment of the database db (None when it does not exist)"
    rows = db.query("SELECT shobj_description(oid, 'pg_database') "
        "FROM pg_database WHERE datname = %s", (db.name,)) \
        if db.exists(db.name) else []
    return rows[0][0] if rows else None


def set_db_comment(db, comment):
    with db.connect() as conn:
        conn.execute(psycopg.sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                psycopg.sql.Identifier(db.name),
                psycopg.sql.Literal(comment)))


def clone(template, name):
    "A new database name copied from template (dropped first)"
    db = database(name)
    started = time.time()
    db.drop(name)
    db.create(name, template=template.name)
    log("  %s copied from %s in %.1f s", name, template.name,
        time.time() - started)
    return db


# --------------------------------------------------------------- outbox

OUTBOX_LINE = re.compile(r'lost (\d+), doubled (\d+), unknown (\d+), '
    r'left unsent (\d+): (\w+)')
ORDER_LINE = re.compile(r'order: (\d+) received, (\d+) out of the outbox '
    r'order, (\d+) sequence numbers out of order: (\w+)')
DRAIN_LINE = re.compile(r'drained after the server came back: ([\d.]+) s, '
    r'(\d+) events/s')


def check_outbox(args, modules):
    """scripts/bench_outbox.py on a copy of the modules database, through
    faults_outbox.py (which records the order of arrival); its lines
    parsed"""
    name = f'{PREFIX}_bench_outbox'  # bench_outbox drops only *bench*
    clone(modules, name)
    env = dict(os.environ, MULTIPOINT_BENCH_DB=PG + name)
    command = [sys.executable, os.path.join(HERE, 'faults_outbox.py'),
        '--events', str(args.events), '--reuse']
    if args.keep:
        command.append('--keep')
    log("$ MULTIPOINT_BENCH_DB=%s %s", env['MULTIPOINT_BENCH_DB'],
        ' '.join(command[1:]))
    started = time.time()
    process = subprocess.run(command, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=args.timeout)
    output = process.stdout
    for line in output.splitlines():
        log("  | %s", line)
    seconds = time.time() - started
    counts = OUTBOX_LINE.search(output)
    order = ORDER_LINE.search(output)
    drain = DRAIN_LINE.search(output)
    if not counts:
        return Row("2. supplier endpoint down", FAIL,
            [f"{args.events:,} events: bench_outbox.py printed no "
                f"'lost …' line (exit {process.returncode})"])
    lost, doubled, unknown, left = map(int, counts.groups()[:4])
    figures = [f"{args.events:,} events written while the supplier's "
        f"endpoint was down (connection refused), then it came back",
        f"lost {lost}, doubled {doubled}, unknown {unknown}, "
        f"left unsent {left} (bench_outbox.py: {counts.group(5)})"]
    if drain:
        figures.append(f"drained in {float(drain.group(1)):.1f} s "
            f"({drain.group(2)} events/s)")
    if order:
        figures.append(f"order: {order.group(1)} received, "
            f"{order.group(2)} out of the outbox's order, "
            f"{order.group(3)} sequence numbers out of order")
    else:
        figures.append("order: not recorded")
    figures.append(f"{seconds:.0f} s in all")
    ok = (process.returncode == 0 and counts.group(5) == 'OK'
        and not (lost or doubled or unknown or left)
        and order is not None and order.group(4) == 'OK'
        and int(order.group(1)) == args.events)
    return Row("2. supplier endpoint down", OK if ok else FAIL, figures)


# ---------------------------------------------------------------- tests

def source_hash():
    """The source hash of scripts/test.sh (its src_hash, the same
    pipeline), so the pytest runs share its template databases"""
    script = textwrap.dedent("""\
        {
            find multipoint_* addons -type f ! -name '*.pyc' \\
                ! -path '*/__pycache__/*' -print0 \\
                | LC_ALL=C sort -z | xargs -0 sha256sum
            sha256sum pyproject.toml
            ls "$ROOT"/.venv/lib/python3*/site-packages \\
                | grep -E '\\.dist-info$' || true
        } | sha256sum | cut -c1-32""")
    result = subprocess.run(['bash', '-c', script], cwd=ROOT,
        env=dict(os.environ, ROOT=ROOT), stdout=subprocess.PIPE, text=True)
    return result.stdout.strip()


def test_env(check, report):
    "The environment scripts/test.sh gives a PostgreSQL test step"
    env = {k: v for k, v in os.environ.items()
        if not k.startswith('TRYTOND_')}
    env.update({
            'TRYTOND_DATABASE_URI': PG,
            'DB_NAME': f'{PREFIX}_{check}_{os.getpid()}',
            'DB_CACHE': PG,
            'MP_DB_CACHE_PREFIX': 'mp' + source_hash()[:12],
            'PYTHONDONTWRITEBYTECODE': '1',
            # its log shows how far it got, should it be stopped
            'PYTHONUNBUFFERED': '1',
            'MULTIPOINT_FAULTS_REPORT': report,
            })
    return env


def check_tests(args, folder):
    """The fuzz and access-matrix test files under pytest, both at once
    (each its own database); their report lines"""
    rows, runs = {}, []
    labels = {'fuzz': "4a. fuzz (every API route)",
        'access_matrix': "4b. access matrix (generic RPC)"}
    for check, patterns in TEST_GLOBS.items():
        files = sorted({path for pattern in patterns
                for path in glob.glob(os.path.join(ROOT, pattern))})
        if not files:
            rows[check] = Row(labels[check], NA, [
                    "no test file yet (" + ', '.join(patterns) + "): "
                    "not run, not counted as a failure"])
            continue
        report = os.path.join(folder, f'report-{check}.jsonl')
        output = os.path.join(folder, f'pytest-{check}.log')
        env = test_env(check, report)
        relative = [os.path.relpath(f, ROOT) for f in files]
        command = [sys.executable, '-m', 'pytest', '-q', '-p',
            'no:cacheprovider', *relative]
        log("$ DB_NAME=%s MULTIPOINT_FAULTS_REPORT=%s %s  (output %s)",
            env['DB_NAME'], report, ' '.join(command[1:]), output)
        with open(output, 'w') as fp:
            process = subprocess.Popen(command, cwd=ROOT, env=env,
                stdout=fp, stderr=subprocess.STDOUT, start_new_session=True)
        runs.append((check, relative, env, report, output, process,
                time.time()))
    ended = {}
    while len(ended) < len(runs):
        for check, _, _, _, _, process, started in runs:
            if check in ended:
                continue
            if process.poll() is not None:
                ended[check] = (process.returncode, time.time() - started)
            elif time.time() - started > args.test_timeout:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                ended[check] = (f'killed after {args.test_timeout} s '
                    '(--test-timeout)', time.time() - started)
        time.sleep(0.5)
    for check, relative, env, report, output, process, started in runs:
        rc, seconds = ended[check]
        with open(output, errors='replace') as fp:
            lines = fp.read().splitlines()
        log("  %s:", check)
        for line in lines[-12:]:
            log("  | %s", line)
        drop_test_databases(env['DB_NAME'])
        rows[check] = test_row(labels[check], check, relative, rc, seconds,
            lines, report)
    return [rows[c] for c in TEST_GLOBS]


def test_row(label, check, relative, rc, seconds, lines, report):
    "The summary row of a pytest run from its report lines"
    results = []
    if os.path.exists(report):
        with open(report) as fp:
            for line in fp:
                line = line.strip()
                if not line:
                    continue
                try:
                    value = json.loads(line)
                except ValueError:
                    results.append({'check': check, 'invalid': line})
                    continue
                if value.get('check') == check:
                    results.append(value)
    summary = lines[-1].strip('= ') if lines else ''
    failed = [line.split('::')[-1].split(' ')[0] for line in lines
        if line.startswith(('FAILED ', 'ERROR '))]
    if not summary:
        summary = ("no output: stopped before its first test ended "
            "(building its template databases?); --test-timeout gives it "
            "longer")
    figures = [', '.join(relative),
        f"pytest exit {rc} in {seconds:.0f} s: {summary}"]
    if failed:
        figures.append("failed: " + ', '.join(failed))
    ok = rc == 0 and bool(results)
    if not results:
        figures.append(f"no {{\"check\": \"{check}\"}} line in "
            "$MULTIPOINT_FAULTS_REPORT")
    keys = (['cases', 'server_errors', 'non_json'] if check == 'fuzz'
        else ['cells', 'leaks'])
    for value in results:
        figures.append(json.dumps(value, ensure_ascii=False))
        if 'invalid' in value:
            ok = False
        elif check == 'fuzz':
            ok = ok and value.get('cases', 0) > 0 and not (
                value.get('server_errors') or value.get('non_json'))
        else:
            ok = ok and value.get('cells', 0) > 0 and not value.get('leaks')
    if results and not any('invalid' in r for r in results):
        total = {k: sum(r.get(k, 0) for r in results) for k in keys}
        if check == 'fuzz':
            figures.insert(0, f"{total['cases']} cases tried → "
                f"{total['server_errors']} answers 5xx, "
                f"{total['non_json']} not JSON")
        else:
            figures.insert(0, f"{total['cells']} cells tried → "
                f"{total['leaks']} leaks")
    return Row(label, OK if ok else FAIL, figures)


def drop_test_databases(name):
    "The pytest database and those of xdist workers (conftest.py)"
    db = database(name)
    for candidate in [name] + [f'{name}_gw{i}' for i in range(4)]:
        try:
            db.drop(candidate)
        except Exception as error:
            log("  could not drop %s: %s", candidate, error)


# -------------------------------------------------------------- summary

def pg_version():
    try:
        db = database('postgres')
        return db.query("SHOW server_version")[0][0]
    except Exception:
        return '?'


def print_table(rows, conditions):
    width = max(len(r.name) for r in rows)
    log("")
    log("=" * 78)
    log("make faults (PostgreSQL) — %s", conditions['date'])
    log("  machine: %s CPU core(s), PostgreSQL %s, trytond %s",
        conditions['cpus'], conditions['pg'], conditions['trytond'])
    log("  load average: %s at the start, %s at the end",
        conditions['load_start'], conditions['load_end'])
    log("  running: %s", conditions['running'])
    log("=" * 78)
    log("  %s  %-13s  %s", "check".ljust(width), "result", "figures")
    log("  " + "-" * 76)
    for row in rows:
        lines = []
        for i, figure in enumerate(row.figures or ['']):
            parts = textwrap.wrap(figure, 96) or ['']
            lines.append(parts[0] if not i else '  ' + parts[0])
            lines.extend('    ' + p for p in parts[1:])
        log("  %s  %-13s  %s", row.name.ljust(width), row.status, lines[0])
        for line in lines[1:]:
            log("  %s  %-13s  %s", ' ' * width, '', line)
    log("  " + "-" * 76)
    failed = [r.name for r in rows if r.status == FAIL]
    missing = [r.name for r in rows if r.status == NA]
    log("  %d checks: %d OK, %d FAIL, %d not available (%s); %.0f s in all",
        len(rows), sum(r.status == OK for r in rows), len(failed),
        len(missing), ', '.join(missing) or 'none', conditions['seconds'])


def other_processes():
    "What else runs on the machine: the busiest processes but this one"
    try:
        output = subprocess.run(['ps', '-eo', 'pid,ppid,pcpu,args',
                '--sort=-pcpu'], stdout=subprocess.PIPE,
            text=True).stdout.splitlines()[1:]
    except OSError:
        return '?'
    mine = {os.getpid()}
    busy = []
    for line in output:
        try:
            pid, ppid, cpu, command = line.split(None, 3)
            pid, ppid, cpu = int(pid), int(ppid), float(cpu)
        except ValueError:
            continue
        if cpu < 5:
            break
        if pid in mine or ppid in mine:
            continue
        busy.append(f"{command.strip()[:70]} ({cpu:.0f} % CPU)")
    return '; '.join(busy[:5]) or (
        'nothing else busy (every other process < 5 % CPU)')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Multipoint fault figures on PostgreSQL (make faults)")
    parser.add_argument('--only', default=','.join(CHECKS),
        help="comma-separated checks among " + ', '.join(CHECKS))
    parser.add_argument('--parcels', type=int, default=50000,
        help="parcels of the killed import (default 50000)")
    parser.add_argument('--events', type=int, default=10000,
        help="events of the outbox check (default 10000)")
    parser.add_argument('--attempts', type=int, default=500,
        help="POST /issue attempts per operator (default 500)")
    parser.add_argument('--issue-parcels', type=int, default=50)
    parser.add_argument('--kill-after', type=float, default=None,
        help="kill the import server this many seconds after the upload "
        "instead of when it writes")
    parser.add_argument('--no-orphan', action='store_true',
        help="do not run the killed import's queued task with a worker")
    parser.add_argument('--keep', action='store_true',
        help="keep the databases")
    parser.add_argument('--fresh', action='store_true',
        help="make the base databases again even when they were made from "
        "the same sources")
    parser.add_argument('--timeout', type=int, default=600,
        help="seconds for the outbox check (default 600)")
    parser.add_argument('--test-timeout', type=int, default=600,
        help="seconds for each pytest run (default 600)")
    args = parser.parse_args(argv)
    args.only = [c.strip() for c in args.only.split(',') if c.strip()]
    unknown = set(args.only) - set(CHECKS)
    if unknown:
        parser.error("unknown checks: " + ', '.join(sorted(unknown)))
    return args


def main(argv=None):
    args = parse_args(argv)
    started = time.time()
    conditions = {
        'date': dt.datetime.now().astimezone().strftime(
            '%Y-%m-%d %H:%M %Z'),
        'cpus': os.cpu_count(),
        'pg': pg_version(),
        'trytond': bench.trytond_version(),
        'load_start': bench.loadavg(),
        'running': other_processes(),
        }
    log("make faults: %s on %s (PostgreSQL %s), %d CPU core(s), load %s",
        ', '.join(args.only), PG, conditions['pg'], conditions['cpus'],
        conditions['load_start'])
    log("  other processes: %s", conditions['running'])
    rows = []
    folder = tempfile.mkdtemp(prefix='multipoint-faults-')
    env = bench.bench_env(folder)
    env['TRYTOND_DATABASE__URI'] = PG
    modules = base = None
    try:
        needs_base = {'issue', 'outbox', 'import'} & set(args.only)
        if needs_base:
            try:
                modules, base = prepare_base(args, folder, env,
                    need_demo=bool({'issue', 'import'} & set(args.only)))
            except (Exception, SystemExit) as error:
                traceback.print_exc()
                for check in ['issue', 'outbox', 'import']:
                    if check in args.only:
                        rows.append(Row(LABELS[check], FAIL, [
                                    f"base database failed: {error}"]))
                needs_base = False
        done = len(rows)
        for check in args.only:
            if check != 'tests' and not needs_base:
                continue
            log("")
            log("---- %s", check)
            try:
                if check == 'issue':
                    import faults_issue
                    rows.append(faults_issue.run(args, base, folder, env,
                            Row, clone))
                elif check == 'outbox':
                    rows.append(check_outbox(args, modules))
                elif check == 'import':
                    import faults_import
                    rows.append(faults_import.run(args, base, folder, env,
                            Row, clone))
                elif check == 'tests':
                    rows.extend(check_tests(args, folder))
            except (Exception, SystemExit) as error:
                traceback.print_exc()
                rows.append(Row(LABELS[check], FAIL,
                        [f"could not run: {error}"]))
            for row in rows[done:]:
                log("  => %s: %s", row.name, row.status)
                for figure in row.figures:
                    log("     %s", figure)
            done = len(rows)
    finally:
        if not args.keep:
            # the base databases stay for the next run (see prepare_base)
            for name in [f'{PREFIX}_issue', f'{PREFIX}_import',
                    f'{PREFIX}_bench_outbox']:
                try:
                    database(name).drop(name)
                except Exception as error:
                    log("could not drop %s: %s", name, error)
    conditions.update(load_end=bench.loadavg(),
        seconds=time.time() - started)
    print_table(rows, conditions)
    failed = any(r.status == FAIL for r in rows)
    if failed or args.keep:
        log("  server logs and reports kept in %s", folder)
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
