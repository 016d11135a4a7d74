#!/usr/bin/env python3
"""How long the analytics tables take to open on PostgreSQL.

    python scripts/bench_analytics.py
        [--server postgresql://postgres@127.0.0.1:5432/]
        [--template multipoint_bench_template] [--extra-events 6000000]
        [--years 3] [--parcels 1000000] [--keep]

1. Copies the benchmark template (``make bench`` builds it) into a
   database of its own (``CREATE DATABASE … TEMPLATE``): the template and
   the benchmark database are never changed.
2. Copies the template's parcels (order numbers suffixed, without their
   places) until the copy holds ``--parcels`` parcels, then adds
   ``--extra-events`` synthetic journal rows over the last
   ``--years`` years on the copy's parcels (created, accepted, stored,
   issued, a search and a served recipient with its wait), so that the
   journal has the depth of years of work, then ANALYZE.
3. Activates multipoint_analytics on the copy (``trytond-admin -u``).
4. Opens each table as the web client does (search, then read of the
   list's columns) for the last month by day and for the last year by
   month, for all points, reading the journal alone.
5. Builds the daily summary as its cron job does (timed), adds 20,000
   journal rows of the last days and refreshes it (timed), then opens the
   tables again: the figures per point and the network now read the
   summary up to the day before yesterday and the journal after it.
   Prints both against the targets (a month in 2 s, a year in 5 s): figures,
   not a test; it fails only when it cannot run.
6. Drops the copy (unless ``--keep``).
"""
import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from urllib.parse import urlsplit

import psycopg
from sql import Literal
from sql.aggregate import Count

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLES = [
    ('multipoint.analytics.point_period', "figures per point and period"),
    ('multipoint.analytics.network', "network against previous period"),
    ('multipoint.analytics.service.point', "service time per point"),
    ('multipoint.analytics.service.operator', "service time per operator"),
    ('multipoint.analytics.peak', "peak hours"),
    ('multipoint.analytics.shelf', "parcels on the shelf"),
    ]
TARGETS = {'month': 2.0, 'year': 5.0}


def log(message, *args):
    print(message % args if args else message, flush=True)


def connect(server, dbname):
    parts = urlsplit(server)
    return psycopg.connect(host=parts.hostname or '127.0.0.1',
        port=parts.port or 5432, user=parts.username or 'postgres',
        password=parts.password, dbname=dbname, autocommit=True)


def copy_database(server, template, name):
    with connect(server, 'postgres') as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def drop_database(server, name):
    with connect(server, 'postgres') as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def grow_parcels(server, name, target):
    """Copies of the parcels (order number suffixed, no places) until the
    copy holds target parcels: the scale of the network, in seconds"""
    started = time.time()
    with connect(server, name) as conn:
        count, = conn.execute(
            "SELECT count(*) FROM multipoint_parcel").fetchone()
        if count >= target:
            return
        columns = [c for c, in conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'multipoint_parcel' AND column_name "
                "NOT IN ('id', 'order_number') ORDER BY ordinal_position")]
        names = ', '.join(f'"{c}"' for c in columns)
        copies = -(-(target - count) // count)
        conn.execute(f"""
            INSERT INTO multipoint_parcel ({names}, order_number)
            SELECT {names}, order_number || '-C' || g
            FROM (SELECT * FROM multipoint_parcel ORDER BY id) AS p,
                generate_series(1, %s) AS g
            LIMIT %s""", (copies, target - count))
        conn.execute("VACUUM ANALYZE multipoint_parcel")
        total, = conn.execute(
            "SELECT count(*) FROM multipoint_parcel").fetchone()
    log("  %d parcels in all after copies, in %.0f s", total,
        time.time() - started)


def add_events(server, name, count, years):
    "count journal rows spread over the last years, on existing parcels"
    if count <= 0:
        return
    started = time.time()
    with connect(server, name) as conn:
        conn.execute("""
            WITH p AS (
                SELECT array_agg(id ORDER BY id) AS ids,
                    array_agg(point ORDER BY id) AS points,
                    count(*) AS n
                FROM multipoint_parcel)
            INSERT INTO multipoint_parcel_event
                (parcel, point, date, kind, from_state, to_state,
                    duration, "user", create_uid, create_date)
            SELECT p.ids[1 + g %% p.n], p.points[1 + g %% p.n],
                (now() AT TIME ZONE 'UTC')
                    - random() * (%s * interval '365 days'),
                (ARRAY['created', 'state', 'state', 'state', 'search',
                    'service'])[1 + g %% 6],
                (ARRAY[NULL, 'expected', 'accepted', 'stored', NULL,
                    NULL])[1 + g %% 6],
                (ARRAY['expected', 'accepted', 'stored', 'issued', NULL,
                    NULL])[1 + g %% 6],
                CASE WHEN g %% 6 = 5 THEN (random() * 300)::int END,
                1, 0, now()
            FROM p, generate_series(1, %s) AS g
            """, (years, count))
        # as autovacuum leaves a table: hint bits and visibility map set
        conn.execute("VACUUM ANALYZE multipoint_parcel_event")
        total, = conn.execute(
            "SELECT count(*) FROM multipoint_parcel_event").fetchone()
    log("  %d journal rows added in %.0f s (%d in all)",
        count, time.time() - started, total)


def activate(server, name):
    env = dict(os.environ, TRYTOND_DATABASE__URI=server)
    env.pop('TRYTOND_CONFIG', None)
    admin = os.path.join(ROOT, '.venv', 'bin', 'trytond-admin')
    started = time.time()
    result = subprocess.run([admin, '-d', name, '-u', 'multipoint_analytics',
            '--activate-dependencies'], env=env,
        stdout=subprocess.DEVNULL)
    if result.returncode:
        raise SystemExit("trytond-admin failed")
    log("  multipoint_analytics activated in %.0f s", time.time() - started)


def refresh_summary(name, now=None):
    "Run the daily summary's job as cron does; returns the seconds"
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    with Transaction().start(name, 0) as transaction:
        Day = Pool().get('multipoint.analytics.day')
        started = time.time()
        Day.refresh(now=now)
        transaction.commit()
        seconds = time.time() - started
        day = Day.__table__()
        cursor = transaction.connection.cursor()
        cursor.execute(*day.select(Count(Literal(1))))
        rows, = cursor.fetchone()
        through = Day.summarized_through()
    return seconds, rows, through


def measure(server, name, label):
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    results = []
    today = dt.date.today()
    spans = {
        'month': (today.replace(day=1) - dt.timedelta(days=1)).replace(
            day=1),
        'year': today.replace(year=today.year - 1) + dt.timedelta(days=1),
        }
    with Transaction().start(name, 0, readonly=True):
        pool = Pool()
        Point = pool.get('multipoint.point')
        Company = pool.get('company.company')
        company = Company.search([], limit=1)
        log("  %d points", Point.search_count([]))
        for span, period in [('month', 'day'), ('year', 'month')]:
            from_date = spans[span]
            to_date = today if span == 'year' else (
                today.replace(day=1) - dt.timedelta(days=1))
            context = {'from_date': from_date, 'to_date': to_date,
                'period': period,
                'company': company[0].id if company else None}
            for model, title in TABLES:
                Model = pool.get(model)
                names = [n for n, f in Model._fields.items()
                    if f.sql_type() and not n.startswith('_')
                    and n not in {'create_uid', 'create_date', 'write_uid',
                        'write_date', 'last_modified_at', 'xml_id'}]
                with Transaction().set_context(**context):
                    started = time.time()
                    ids = [r.id for r in Model.search([])]
                    Model.read(ids, names)
                    seconds = time.time() - started
                results.append((label, span, title, len(ids), seconds))
                log("  %-8s %-5s %-34s %6d rows %7.2f s", label, span,
                    title, len(ids), seconds)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--server',
        default='postgresql://postgres@127.0.0.1:5432/')
    parser.add_argument('--template', default='multipoint_bench_template')
    parser.add_argument('--extra-events', type=int, default=6000000)
    parser.add_argument('--years', type=int, default=3)
    parser.add_argument('--parcels', type=int, default=1000000,
        help="parcels in the copy: the template's and copies of them")
    parser.add_argument('--keep', action='store_true')
    args = parser.parse_args()
    name = f'mp_analytics_bench_{os.getpid()}'
    log("Copying %s into %s", args.template, name)
    copy_database(args.server, args.template, name)
    try:
        grow_parcels(args.server, name, args.parcels)
        add_events(args.server, name, args.extra_events, args.years)
        activate(args.server, name)
        os.environ['TRYTOND_DATABASE__URI'] = args.server
        from trytond.pool import Pool
        Pool(name).init()
        log("Opening the tables (search + read of every column), "
            "from the journal alone:")
        results = measure(args.server, name, 'journal')
        seconds, rows, through = refresh_summary(name)
        log("Daily summary built in %.1f s: %d rows, through %s",
            seconds, rows, through)
        add_events(args.server, name, 20000, 0.01)
        seconds, rows, through = refresh_summary(name)
        log("Summary refreshed after 20,000 new journal rows of the last "
            "days in %.1f s: %d rows", seconds, rows)
        log("The same tables with the daily summary:")
        results += measure(args.server, name, 'summary')
    finally:
        if not args.keep:
            drop_database(args.server, name)
            log("Dropped %s", name)
    # figures, not a test: a slow table is reported, the run succeeds
    worst = {}
    for label, span, _, _, seconds in results:
        worst[label, span] = max(worst.get((label, span), 0), seconds)
    for (label, span), seconds in worst.items():
        verdict = 'ok' if seconds <= TARGETS[span] else 'SLOW'
        log("%-8s %s: slowest table %.2f s (target %.0f s) %s",
            label, span, seconds, TARGETS[span], verdict)
    return 0


if __name__ == '__main__':
    sys.exit(main())
