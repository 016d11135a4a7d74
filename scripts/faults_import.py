"""make faults, check 3: kill -9 of the server in the middle of an import.

On a copy of the base database (see scripts/faults.py):

1. a trytond server (plain ``trytond``, no worker: a large manifest's
   queued import runs in the server process right after the request's
   commit, as in ``make demo``); the shop's portal user uploads a CSV
   manifest of N parcels (scripts/bench_import.py's ``manifest``) with
   ``POST portal/api/imports``, from a thread;
2. meanwhile the import's progress (multipoint.supplier.sync.progress,
   committed apart from the import) and the server's statements
   (pg_stat_activity) are watched; once the rows are being written (a COPY
   or INSERT into multipoint_parcel…), or 1 s after the plan is complete
   (progress 0.8), or after --kill-after seconds, the server gets SIGKILL;
3. once its PostgreSQL sessions are gone: the parcels, places and events of
   the file are counted (none expected: the import is one transaction);
4. a new server, the same upload again: exactly N parcels, N places and
   one 'created' event per parcel;
5. the killed import is still queued (ir.queue, its log 'queued'): a
   trytond-worker runs it, as a deployment with workers would after the
   restart; it must create nothing more (counted again).
"""
import collections
import os
import signal
import subprocess
import threading
import time

import requests

import bench
from bench import log
from bench_import import manifest
from faults_portal import Portal

POINT = 'MSK-01'
NAME = 'multipoint_faults_import'
FILE_NAME = 'faults-import.csv'
WRITING = ("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = %s "
    "AND pid <> pg_backend_pid() AND state = 'active' "
    "AND (query ILIKE 'COPY \"multipoint\\_parcel%%' "
    "OR query ILIKE 'INSERT INTO \"multipoint\\_parcel%%')")


def run(args, base, folder, env, Row, clone):
    started = time.time()
    db = clone(base, NAME)
    port = bench.free_port()
    config = bench.write_config(folder, db, port, 'import')
    n = args.parcels
    data = manifest(n)
    log("  manifest of %d parcels: %.1f MB", n, len(data) / 1e6)
    server = bench.Server(config, db, port, env, folder, 'import-1')
    try:
        server.start()
        portal = Portal(server)
        account, point = portal.account_point(POINT)
        supplier, = db.query("SELECT supplier FROM "
            "multipoint_supplier_account WHERE id = %s", (account,))[0]
        killed = upload_and_kill(args, server, portal, db, account, point,
            data)
    finally:
        server.stop()
    gone_s = wait_sessions_gone(db)
    after_kill = counts(db, supplier)
    logs_after_kill = db.query("SELECT id, state FROM "
        "multipoint_supplier_sync_log WHERE file_name = %s ORDER BY id",
        (FILE_NAME,))
    log("  after the kill: %s; import logs %s", after_kill, logs_after_kill)

    server = bench.Server(config, db, port, env, folder, 'import-2')
    try:
        t0 = time.time()
        server.start()
        restart_s = time.time() - t0
        portal = Portal(server)
        t0 = time.time()
        response = portal.upload(account, point, data, FILE_NAME)
        rerun_s = time.time() - t0
        try:
            # the answer is the queued import; the server ran it before
            # answering (no worker): its log now
            rerun = portal.get_import(response.json()['import']['id'])
        except (ValueError, KeyError):
            rerun = {'state': f'HTTP {response.status_code}',
                'error': response.text[:300]}
    finally:
        server.stop()
    log("  rerun: HTTP %s in %.1f s: state %s, created %s, skipped %s",
        response.status_code, rerun_s, rerun.get('state'),
        rerun.get('created'), rerun.get('skipped'))
    after_rerun = counts(db, supplier)
    log("  after the rerun: %s", after_rerun)

    orphan = None
    pending = db.query("SELECT COUNT(*) FROM ir_queue "
        "WHERE finished_at IS NULL")[0][0]
    if pending and not args.no_orphan:
        orphan = run_orphan(db, config, env, folder)
        orphan['counts'] = counts(db, supplier)
        log("  after the worker: %s", orphan['counts'])
    final = orphan['counts'] if orphan else after_rerun
    logs = db.query("SELECT id, state, created, skipped FROM "
        "multipoint_supplier_sync_log WHERE file_name = %s ORDER BY id",
        (FILE_NAME,))
    if not args.keep:
        db.drop(NAME)
    return summarize(Row, n, killed, gone_s, after_kill, logs_after_kill,
        rerun, rerun_s, restart_s, after_rerun, pending, orphan, final, logs,
        time.time() - started)


def upload_and_kill(args, server, portal, db, account, point, data):
    "Upload from a thread, SIGKILL the server part-way; what was seen"
    answer = {}

    def upload():
        try:
            response = portal.upload(account, point, data, FILE_NAME)
            answer['status'] = response.status_code
            answer['text'] = response.text[:300]
        except requests.RequestException as error:
            answer['error'] = type(error).__name__

    thread = threading.Thread(target=upload, daemon=True)
    t0 = time.time()
    thread.start()
    seen = {'fraction': None, 'planned_at': None, 'writing': 0,
        'log_state': None}
    trigger = None
    with db.connect(db.name) as conn:
        while thread.is_alive():
            elapsed = time.time() - t0
            row = conn.execute(
                "SELECT l.state, p.fraction FROM multipoint_supplier_sync_log l "
                "LEFT JOIN multipoint_supplier_sync_progress p "
                "ON p.log = l.id WHERE l.file_name = %s "
                "ORDER BY l.id DESC LIMIT 1", (FILE_NAME,)).fetchone()
            if row:
                seen['log_state'], fraction = row
                if fraction is not None:
                    seen['fraction'] = fraction
                    if fraction >= 0.8 and seen['planned_at'] is None:
                        seen['planned_at'] = elapsed
            writing = conn.execute(WRITING, (db.name,)).fetchone()[0]
            if writing:
                seen['writing'] += 1
            if args.kill_after is not None:
                if elapsed >= args.kill_after:
                    trigger = f"{args.kill_after:g} s after the upload"
            elif writing:
                trigger = "the rows being written (COPY into multipoint_parcel…)"
            elif (seen['planned_at'] is not None
                    and elapsed - seen['planned_at'] >= 1.0):
                trigger = "1 s after the plan was complete (progress 0.8)"
            elif elapsed > 900:
                trigger = "15 minutes without progress"
            if trigger:
                break
            time.sleep(0.05)
    if not trigger:
        log("  the import ended before the kill: %s", answer)
        return {'killed': False, 'answer': answer, 'seen': seen,
            'elapsed': time.time() - t0}
    pid = server.process.pid
    os.kill(pid, signal.SIGKILL)
    server.process.wait()
    elapsed = time.time() - t0
    thread.join(60)
    log("  kill -9 of trytond (pid %d) %.1f s after the upload, on %s; "
        "progress %s, log %s; the upload got %s", pid, elapsed, trigger,
        seen['fraction'], seen['log_state'], answer)
    return {'killed': True, 'trigger': trigger, 'elapsed': elapsed,
        'seen': seen, 'answer': answer, 'pid': pid}


def wait_sessions_gone(db, timeout=120):
    "Seconds until the killed server's PostgreSQL sessions have ended"
    t0 = time.time()
    while time.time() - t0 < timeout:
        left = db.query("SELECT COUNT(*) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (db.name,))[0][0]
        if not left:
            break
        time.sleep(0.2)
    return time.time() - t0


def counts(db, supplier):
    "Parcels, places and events of the file's parcels"
    where = ("p.supplier = %s AND p.order_number LIKE 'BI-%%'")
    parcels = db.query(f"SELECT COUNT(*) FROM multipoint_parcel p "
        f"WHERE {where}", (supplier,))[0][0]
    places = db.query(f"SELECT COUNT(*) FROM multipoint_parcel_place pl "
        f"JOIN multipoint_parcel p ON p.id = pl.parcel WHERE {where}",
        (supplier,))[0][0]
    events = dict(db.query(f"SELECT e.kind, COUNT(*) FROM "
        f"multipoint_parcel_event e JOIN multipoint_parcel p "
        f"ON p.id = e.parcel WHERE {where} GROUP BY e.kind", (supplier,)))
    per_parcel = collections.Counter(dict(db.query(
                f"SELECT c, COUNT(*) FROM (SELECT p.id, COUNT(e.id) AS c "
                f"FROM multipoint_parcel p LEFT JOIN multipoint_parcel_event e "
                f"ON e.parcel = p.id AND e.kind = 'created' WHERE {where} "
                f"GROUP BY p.id) AS x GROUP BY c", (supplier,))))
    return {'parcels': parcels, 'places': places, 'events': events,
        'created_per_parcel': dict(per_parcel)}


def run_orphan(db, config, env, folder, timeout=600):
    """trytond-worker on the database until no task is left unfinished;
    what the killed import's log says then"""
    worker_config = os.path.join(folder, 'trytond-worker.conf')
    with open(config) as source, open(worker_config, 'w') as target:
        target.write(source.read() + "\n[queue]\nworker = True\n")
    logfile = os.path.join(folder, 'trytond-worker.log')
    log("  trytond-worker for the killed import's queued task (log %s)",
        logfile)
    t0 = time.time()
    with open(logfile, 'w') as fp:
        process = subprocess.Popen([bench.venv_bin('trytond-worker'),
                '-c', worker_config, '-d', db.name, '-n', '1'], env=env,
            stdout=fp, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            while time.time() - t0 < timeout:
                if process.poll() is not None:
                    break
                left = db.query("SELECT COUNT(*) FROM ir_queue "
                    "WHERE finished_at IS NULL")[0][0]
                if not left:
                    break
                time.sleep(0.5)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
    left = db.query("SELECT COUNT(*) FROM ir_queue "
        "WHERE finished_at IS NULL")[0][0]
    return {'seconds': time.time() - t0, 'left': left}


def summarize(Row, n, killed, gone_s, after_kill, logs_after_kill, rerun,
        rerun_s, restart_s, after_rerun, pending, orphan, final, logs,
        seconds):
    def nothing(c):
        return not (c['parcels'] or c['places'] or c['events'])

    def exact(c):
        return (c['parcels'] == n and c['places'] == n
            and c['events'].get('created') == n
            and c['created_per_parcel'] == {1: n})

    figures = []
    if killed['killed']:
        figures.append(f"kill -9 of trytond {killed['elapsed']:.1f} s into "
            f"the import of {n:,} parcels (POST portal/api/imports), on "
            f"{killed['trigger']}; progress then "
            f"{killed['seen']['fraction']}, log "
            f"'{killed['seen']['log_state']}'; the upload got "
            f"{killed['answer'].get('error') or killed['answer']}")
    else:
        figures.append(f"NOT KILLED: the import of {n:,} parcels ended "
            f"first ({killed['answer']})")
    figures.append(f"after the kill (sessions gone in {gone_s:.1f} s): "
        f"{after_kill['parcels']} parcels, {after_kill['places']} places, "
        f"{sum(after_kill['events'].values())} events of the file; import "
        "logs " + ', '.join(f"#{i} {s}" for i, s in logs_after_kill))
    figures.append(f"rerun on a restarted server ({restart_s:.0f} s to "
        f"start): state {rerun.get('state')}, created "
        f"{rerun.get('created')}, skipped {rerun.get('skipped')}, in "
        f"{rerun_s:.1f} s")
    figures.append(f"then: {after_rerun['parcels']} parcels, "
        f"{after_rerun['places']} places, 'created' events "
        f"{after_rerun['events'].get('created', 0)} (per parcel "
        f"{after_rerun['created_per_parcel']}), other events "
        f"{sum(v for k, v in after_rerun['events'].items() if k != 'created')}")
    if orphan:
        figures.append(f"the killed import's queued task run by "
            f"trytond-worker ({orphan['seconds']:.0f} s, {orphan['left']} "
            f"task(s) left): {final['parcels']} parcels, 'created' events "
            f"{final['events'].get('created', 0)}, per parcel "
            f"{final['created_per_parcel']}; import logs " + ', '.join(
                f"#{i} {s} (created {c}, skipped {k})"
                for i, s, c, k in logs))
    elif pending:
        figures.append(f"{pending} queued task(s) left (--no-orphan)")
    figures.append(f"{seconds:.0f} s in all")
    ok = (killed['killed'] and nothing(after_kill)
        and rerun.get('state') == 'done' and rerun.get('created') == n
        and exact(after_rerun) and exact(final)
        and (orphan is None or not orphan['left']))
    return Row("3. kill -9 during import", 'OK' if ok else 'FAIL', figures)
