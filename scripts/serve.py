#!/usr/bin/env python3
"""Production serving of Multipoint on PostgreSQL (``make serve``).

    python scripts/serve.py [--db postgresql://user@host:5432/dbname]
        [--workers N] [--threads 4] [--listen 127.0.0.1:8000]
        [--no-cron] [--no-worker] [--app trytond.application:app]

Runs, in the foreground, until Ctrl-C or until one of them stops:

- gunicorn with N web processes (``gthread``: each with --threads
  threads) serving trytond's WSGI application: sao, the JSON-RPC, the
  operator API and screen, the supplier API and the portal. The plain
  ``trytond`` command is one process, so one core for Python; gunicorn
  spreads the requests over the processes;
- ``trytond-worker``: the queued tasks (supplier sync, event delivery,
  imports), since config/trytond-postgresql.conf queues them;
- ``trytond-cron``: the scheduled jobs (storage deadlines, reminders,
  outbox, settlements).

The configuration is config/trytond-postgresql.conf; the database server
and the paths of this checkout come as TRYTOND_* variables (any other
TRYTOND_<SECTION>__<OPTION> of the caller passes through, e.g. the fiscal
driver). The database must exist and have the modules activated (``make
demo`` with MULTIPOINT_DB does both; ``trytond-admin -u`` for upgrades).
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DB = 'postgresql://postgres@127.0.0.1:5432/multipoint'


def venv_bin(name):
    "The command next to the running python (the .venv), else from PATH"
    path = os.path.join(os.path.dirname(sys.executable), name)
    return path if os.path.exists(path) else (shutil.which(name) or name)


def split_db(url):
    "postgresql://…/name → (server uri for trytond, database name)"
    parts = urlsplit(url)
    name = parts.path.strip('/')
    if parts.scheme not in {'postgresql', 'postgres'} or not name:
        raise SystemExit(
            f"--db must look like postgresql://user@host:5432/dbname: {url}")
    return urlunsplit(('postgresql', parts.netloc, '/', parts.query, '')), name


def check_database(uri, database):
    "A clear message rather than processes retrying a missing database"
    import psycopg
    try:
        with psycopg.connect(uri.rstrip('/') + '/' + database,
                connect_timeout=10) as conn:
            row = conn.execute("SELECT state FROM ir_module "
                "WHERE name = 'multipoint_core'").fetchone()
    except psycopg.Error as error:
        raise SystemExit(f"[serve] cannot open the database {database}: "
            f"{str(error).strip()}\n[serve] create it with: "
            f"MULTIPOINT_DB={uri.rstrip('/')}/{database} make demo")
    if not row or row[0] != 'activated':
        raise SystemExit(f"[serve] {database} has no Multipoint modules "
            "activated: MULTIPOINT_DB=… make demo creates them")


def environment(uri, database, extra=None):
    env = dict(os.environ)
    env.update({
            'TRYTOND_CONFIG': os.path.join(
                ROOT, 'config', 'trytond-postgresql.conf'),
            'TRYTOND_DATABASE__URI': uri,
            'TRYTOND_WEB__ROOT': os.path.join(ROOT, 'var', 'sao', 'package'),
            # each web process loads the pool of the database at start
            'TRYTOND_DATABASE_NAMES': database,
            })
    env.update(extra or {})
    return env


def commands(args, database):
    web = [venv_bin('gunicorn'),
        '--workers', str(args.workers),
        '--worker-class', 'gthread', '--threads', str(args.threads),
        '--bind', args.listen,
        '--timeout', '120', '--graceful-timeout', '20',
        '--name', f'multipoint-{database}',
        args.app]
    if args.pythonpath:
        web[1:1] = ['--pythonpath', args.pythonpath]
    result = [('web', web)]
    config = os.path.join(ROOT, 'config', 'trytond-postgresql.conf')
    if not args.no_worker:
        result.append(('worker', [venv_bin('trytond-worker'),
                    '-c', config, '-d', database]))
    if not args.no_cron:
        result.append(('cron', [venv_bin('trytond-cron'),
                    '-c', config, '-d', database]))
    return result


def signal_group(process, signum):
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--db',
        default=os.environ.get('MULTIPOINT_DB') or DEFAULT_DB,
        help="postgresql://user@host:port/dbname (default $MULTIPOINT_DB "
        f"or {DEFAULT_DB})")
    parser.add_argument('--workers', type=int,
        default=int(os.environ.get('MULTIPOINT_WORKERS') or 0)
        or max(os.cpu_count() or 1, 2),
        help="web processes (default $MULTIPOINT_WORKERS or the CPUs, "
        "at least 2)")
    parser.add_argument('--threads', type=int, default=4,
        help="threads per web process (default 4)")
    parser.add_argument('--listen',
        default=os.environ.get('MULTIPOINT_LISTEN') or '127.0.0.1:8000')
    parser.add_argument('--no-worker', action='store_true',
        help="do not start trytond-worker")
    parser.add_argument('--no-cron', action='store_true',
        help="do not start trytond-cron")
    parser.add_argument('--app', default='trytond.application:app',
        help="the WSGI application (default trytond.application:app)")
    parser.add_argument('--pythonpath', help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    uri, database = split_db(args.db)
    check_database(uri, database)
    env = environment(uri, database)
    processes = []

    def stop(*_):
        # each runs in its own process group: trytond-worker and
        # trytond-cron fork processes of their own, which must stop too
        for _, process in processes:
            if process.poll() is None:
                signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 25
        for _, process in processes:
            try:
                process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                pass
            signal_group(process, signal.SIGKILL)
            process.wait()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # Ctrl-C stops them even when started from a script's background job,
    # which hands its children SIGINT ignored
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        for name, command in commands(args, database):
            processes.append((name, subprocess.Popen(
                        command, env=env, start_new_session=True)))
        print(f"[serve] {database} on http://{args.listen}/: "
            f"{args.workers} web processes × {args.threads} threads"
            + ("" if args.no_worker else ", trytond-worker")
            + ("" if args.no_cron else ", trytond-cron")
            + "; Ctrl-C stops them", flush=True)
        while True:
            for name, process in processes:
                if process.poll() is not None:
                    print(f"[serve] {name} stopped with exit code "
                        f"{process.returncode}: stopping the others",
                        file=sys.stderr, flush=True)
                    return process.returncode or 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        return 0
    finally:
        stop()


if __name__ == '__main__':
    sys.exit(main())
