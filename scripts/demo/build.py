"""The command line of the demo data and the order of its steps"""
import argparse
import os
import time

from .bench_manifest import BENCH_MANIFEST, BENCH_PLACES, bench_manifest
from .bulk import BulkMode
from .claims import charges_and_claims
from .codes import codes_table, demo_codes
from .common import log
from .company import COMPANY_NAME
from .consents import recipient_consents
from .generator import Generator
from .parcels import ParcelFactory
from .points import POINTS
from .portal import supplier_portal
from .settlement import portal_settlement
from .shifts import SHIFT_POINT, Shifts
from .staff import STAFF, logins_table, write_logins
from .threshold import add_note, threshold_case
from .tickets import organizer, portal_ticket
from .workflow import WorkflowMode


WORKFLOW_LIMIT = 5000
LOCK_MODELS = [
    'multipoint.configuration', 'stock.location', 'multipoint.parcel',
    'multipoint.parcel.place', 'multipoint.reception', 'ir.sequence',
    'ir.sequence.strict', 'res.user', 'sale.point.cash.session',
    'account.fiscalyear', 'account.period',
    'multipoint.settlement.configuration', 'account.configuration',
    'account.journal.period',
    ]


def count_states(pool):
    "Parcels per state, in one query"
    from sql.aggregate import Count

    from trytond.transaction import Transaction
    table = pool.get('multipoint.parcel').__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.select(table.state, Count(table.id),
            group_by=[table.state]))
    return dict(cursor.fetchall())


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog='python -m scripts.demo',
        description="Fill a Multipoint database with demo data",
        epilog="See scripts/demo/__init__.py for what is created.")
    parser.add_argument('-c', '--config', required=True,
        help="trytond configuration file")
    parser.add_argument('-d', '--database', required=True)
    parser.add_argument('--parcels', type=int, default=600,
        help="number of parcels (default 600)")
    parser.add_argument('--seed', type=int, default=2026,
        help="random seed (default 2026)")
    parser.add_argument('--logins-file',
        help="write the staff logins and passwords there")
    parser.add_argument('--mode', choices=['auto', 'workflow', 'bulk'],
        default='auto', help="auto: workflow up to %d parcels, bulk above"
        % WORKFLOW_LIMIT)
    parser.add_argument('--bench-manifest', action='store_true',
        help=f"add the {BENCH_MANIFEST} manifest of {BENCH_PLACES} expected "
        "places at the first point")
    args = parser.parse_args(argv)
    if args.parcels < 0:
        parser.error("--parcels must be positive")
    return args


def main(argv=None):
    args = parse_args(argv)
    from trytond import config
    config.update_etc(args.config)
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    started = time.time()
    database = args.database
    pool = Pool(database)
    pool.init()
    mode = args.mode
    if mode == 'auto':
        mode = 'workflow' if args.parcels <= WORKFLOW_LIMIT else 'bulk'
    # The model code locks tables and rows (the configuration singleton on
    # first use, a cell while placing, parcels at issue); trytond wants them
    # locked when the transaction starts. The script is the only writer, so
    # it takes them all at once.
    lock_tables = [pool.get(name)._table for name in LOCK_MODELS
        if name in dict(pool.iterobject())]
    with Transaction().start(database, 0, context={'language': 'ru'},
            _lock_tables=lock_tables) as transaction:
        Company = pool.get('company.company')
        companies = Company.search([])
        existing = [c for c in companies if c.party.name == COMPANY_NAME]
        if companies and not existing:
            log("The database %s holds another company (%s): demo data "
                "not created.", database,
                ', '.join(c.rec_name for c in companies))
            return 2
        gen = Generator(args, pool, transaction)
        history_days = 30 if mode == 'workflow' else int(min(730, max(
                    60, args.parcels / (len(POINTS) * 150))))
        if existing:
            company, = existing
            codes = None
            with transaction.set_context(company=company.id):
                points, suppliers, terms = gen.load(company)
                log("Demo data already in %s (company %s): only what is "
                    "missing.", database, company.rec_name)
                # databases made before the point-of-sale setup get it
                supplier_portal(pool, company, points, suppliers)
                shifts = Shifts(gen, company, points, suppliers)
                shifts.setup()
                if not shifts.has_shifts():
                    shifts.run()
                    codes = demo_codes(gen, points)
                organizer(gen, points, suppliers)
                portal_ticket(gen, points, suppliers)
                note = threshold_case(gen, points, suppliers)
                portal_settlement(gen, company, shifts.suppliers)
                charges_and_claims(gen, company, shifts.points,
                    shifts.suppliers)
                recipient_consents(gen, shifts.points)
                if args.bench_manifest:
                    factory = ParcelFactory(gen.rng, gen.now, points,
                        suppliers, terms, args.parcels, history_days)
                    # order numbers after those already used
                    Parcel = pool.get('multipoint.parcel')
                    for key, supplier in suppliers.items():
                        factory.counters[key] = Parcel.search_count(
                            [('supplier', '=', supplier.id)]) + 10 ** 6
                    bench_manifest(gen, factory, points, suppliers)
            transaction.commit()
            if codes:
                log(codes_table(codes))
            if args.logins_file and (codes
                    or not os.path.exists(args.logins_file)):
                write_logins(args.logins_file, database, codes)
            if note:
                log(note)
                add_note(args.logins_file, note)
            return 0

        log("Demo data for %s: %d parcels, %s mode, seed %d", database,
            args.parcels, mode, args.seed)
        # the workflow mode writes everything in one transaction: a failure
        # leaves the database as it was and the next run starts again
        gen.batch_commits = mode == 'bulk'
        company = gen.company()
        with transaction.set_context(company=company.id):
            points = gen.points(company, large=mode == 'bulk')
            suppliers, terms = gen.suppliers(points)
            gen.staff(company, points)
            supplier_portal(pool, company, points, suppliers)
            gen.commit()
            log("Company, %d points with cells, %d suppliers with terms, "
                "%d staff (%.0f s)", len(points), len(suppliers), len(STAFF),
                time.time() - started)
            t0 = time.time()
            shifts = Shifts(gen, company, points, suppliers)
            shifts.setup()
            points, suppliers = shifts.points, shifts.suppliers
            log("Accounting and points of sale (%.0f s)", time.time() - t0)
            factory = ParcelFactory(gen.rng, gen.now, points, suppliers,
                terms, args.parcels, history_days)
            t0 = time.time()
            if args.parcels:
                if mode == 'workflow':
                    WorkflowMode(gen, factory, points, suppliers, terms).run(
                        args.parcels)
                else:
                    BulkMode(gen, factory, points, suppliers, terms).run(
                        args.parcels)
            elapsed = time.time() - t0
            if args.parcels:
                t0 = time.time()
                shifts.run()
                log("Shifts at %s (%.0f s)", SHIFT_POINT, time.time() - t0)
            if args.bench_manifest:
                bench_manifest(gen, factory, points, suppliers)
            codes = demo_codes(gen, points) if args.parcels else []
            organizer(gen, points, suppliers)
            portal_ticket(gen, points, suppliers)
            note = threshold_case(gen, points, suppliers)
            portal_settlement(gen, company, suppliers)
            charges_and_claims(gen, company, points, suppliers)
            recipient_consents(gen, points)
            states = count_states(pool)
        transaction.commit()
    log("")
    log("Parcels per state:")
    from trytond.modules.multipoint_core.parcel import STATES
    for state, _ in STATES:
        log("  %-17s %7d", state, states.get(state, 0))
    if args.parcels:
        log("%d parcels in %.0f s (%.0f parcels/s); total %.0f s",
            args.parcels, elapsed, args.parcels / max(elapsed, 0.001),
            time.time() - started)
    log("")
    log(logins_table(database))
    if codes:
        log(codes_table(codes))
    if note:
        log(note)
    if args.logins_file:
        write_logins(args.logins_file, database, codes)
        add_note(args.logins_file, note)
        log("Logins written to %s", args.logins_file)
    return 0
