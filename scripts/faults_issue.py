"""make faults, check 1: two operators issue the same parcels at once.

On a copy of the base database (see scripts/faults.py) with a trytond
server on a free local port:

1. the shop's portal user imports a manifest of N prepaid parcels for
   MSK-01 (POST portal/api/imports); the operator kuznetsova opens a
   reception, scans every place, closes it and places each parcel in the
   suggested cell (operator API): N stored parcels;
2. each parcel gets a new issue code from the model's own
   ``Parcel.generate_codes`` (as the database owner, in this process: the
   codes are stored hashed and would reach the recipient by SMS);
3. kuznetsova and morozov (both at MSK-01), one thread and one session
   each, start together and send ``--attempts`` ``POST /issue`` each, over
   the same N parcels in a random order, each with its right code;
4. counted: the answers by status, those that are not JSON (or a refusal
   without {"error": …}), 5xx, the latencies; then in the database the
   parcels' states and their 'issued' journal events (kind 'state',
   to_state 'issued').

OK when every parcel is issued exactly once (N answers 200, N parcels
issued, one 'issued' event each), every other answer is a JSON refusal
(4xx with an error object) and nothing answered 5xx.
"""
import collections
import random
import threading
import time

import requests

import bench
from bench import log
from faults_portal import Portal, prepaid_manifest

OPERATORS = [('kuznetsova', 'Priemka#Msk1'), ('morozov', 'Vydacha#Msk2')]
POINT = 'MSK-01'
PREFIX = 'FI'
MANIFEST = 'FAULTS-ISSUE'
NAME = 'multipoint_faults_issue'


def run(args, base, folder, env, Row, clone):
    started = time.time()
    db = clone(base, NAME)
    port = bench.free_port()
    config = bench.write_config(folder, db, port, 'issue')
    server = bench.Server(config, db, port, env, folder, 'issue')
    n = args.issue_parcels
    try:
        server.start()
        ids, point = stored_parcels(server, db, n)
        codes = issue_codes(db, ids, point)
        setup_s = time.time() - started
        log("  %d stored parcels with their codes at %s (%.0f s)", len(ids),
            POINT, setup_s)
        results, wall = race(server, ids, codes, point, args.attempts)
    finally:
        server.stop()
    states = dict(db.query(
            "SELECT state, COUNT(*) FROM multipoint_parcel "
            "WHERE id = ANY(%s) GROUP BY state", (ids,)))
    events = dict(db.query(
            "SELECT parcel, COUNT(*) FROM multipoint_parcel_event "
            "WHERE parcel = ANY(%s) AND kind = 'state' "
            "AND to_state = 'issued' GROUP BY parcel", (ids,)))
    if not args.keep:
        db.drop(NAME)
    return summarize(Row, args, n, ids, results, wall, states, events,
        setup_s)


def stored_parcels(server, db, n):
    """n prepaid parcels of the shop at MSK-01, imported through the portal,
    received and placed through the operator API; (ids, point id)"""
    portal = Portal(server)
    account, point = portal.account_point(POINT)
    response = portal.upload(account, point,
        prepaid_manifest(PREFIX, n, MANIFEST), 'faults-issue.csv')
    answer = portal.get_import(response.json()['import']['id']) \
        if response.status_code == 201 else {}
    if answer.get('state') != 'done' or answer.get('created') != n:
        raise SystemExit(f"portal import of {n} parcels: "
            f"{response.status_code} {response.text[:500]}")
    rows = db.query("SELECT p.id, pl.barcode FROM multipoint_parcel p "
        "JOIN multipoint_parcel_place pl ON pl.parcel = p.id "
        "WHERE p.order_number LIKE %s AND p.point = %s ORDER BY p.id",
        (f'{PREFIX}-%', point))
    login, password = OPERATORS[0]
    session = server.login(login, password)

    def post(path, expect, **kwargs):
        response = session.post(server.api(path), timeout=60, **kwargs)
        if response.status_code != expect:
            raise SystemExit(f"POST {path}: {response.status_code} "
                f"{response.text[:500]}")
        return response.json()

    reception = post('receptions', 201, json={'point': point,
            'manifest': MANIFEST, 'courier_name': "make faults"})
    for i, (_, barcode) in enumerate(rows):
        post(f"receptions/{reception['id']}/scans", 200, json={
                'barcode': barcode, 'client_id': f'faults:{i}'})
    post(f"receptions/{reception['id']}/close", 200)
    for _, barcode in rows:
        response = session.get(server.api('placements/suggestion'),
            params={'parcel': barcode}, timeout=60)
        cell = (response.json().get('cell') or {}).get('barcode') \
            if response.ok else None
        if not cell:
            raise SystemExit(f"no cell suggested for {barcode}: "
                f"{response.status_code} {response.text[:300]}")
        post('placements', 200, json={'parcel': barcode, 'cell': cell})
    ids = [i for i, _ in rows]
    stored = db.query("SELECT COUNT(*) FROM multipoint_parcel "
        "WHERE id = ANY(%s) AND state = 'stored'", (ids,))[0][0]
    if stored != n:
        raise SystemExit(f"{stored} of {n} parcels stored after placement")
    return ids, point


def issue_codes(db, ids, point):
    """{parcel id: code}: new codes from Parcel.generate_codes, as the
    database owner (the recipient would get them by SMS)"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    company, = db.query(
        "SELECT company FROM multipoint_point WHERE id = %s", (point,))[0]
    Pool.start()
    pool = Pool(db.name)
    pool.init()
    with Transaction().start(db.name, 0, context={
                'company': company, 'language': 'ru'}) as transaction:
        Parcel = pool.get('multipoint.parcel')
        codes = Parcel.generate_codes(Parcel.browse(ids))
        transaction.commit()
    return {p.id: c for p, c in codes.items()}


def race(server, ids, codes, point, attempts):
    """Both operators at once, attempts each over ids in a random order;
    [(operator, parcel, status, kind, error code, seconds)], wall time"""
    rng = random.Random(2026)
    sessions = [server.login(login, password)
        for login, password in OPERATORS]
    url = server.api('issue')
    barrier = threading.Barrier(len(sessions))
    results = []
    lock = threading.Lock()

    def plan():
        order = []
        while len(order) < attempts:
            batch = list(ids)
            rng.shuffle(batch)
            order.extend(batch)
        return order[:attempts]

    plans = [plan() for _ in sessions]

    def worker(index, session, order):
        local = []
        barrier.wait()
        for parcel in order:
            t0 = time.perf_counter()
            try:
                response = session.post(url, json={
                        'point': point, 'signature': True,
                        'parcels': [{'id': parcel, 'code': codes[parcel]}]},
                    timeout=60)
            except requests.RequestException as error:
                local.append((index, parcel, 'error', 'error',
                        type(error).__name__, time.perf_counter() - t0))
                continue
            seconds = time.perf_counter() - t0
            kind, code = classify(response, parcel)
            local.append((index, parcel, response.status_code, kind, code,
                    seconds))
        with lock:
            results.extend(local)

    threads = [threading.Thread(target=worker, args=(i, s, p))
        for i, (s, p) in enumerate(zip(sessions, plans))]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - t0


def classify(response, parcel):
    """(kind, error code) of an answer: issued, refused (JSON error), or
    non_json / malformed"""
    content_type = response.headers.get('Content-Type', '')
    try:
        body = response.json()
    except ValueError:
        return 'non_json', response.text[:80].replace('\n', ' ')
    if 'json' not in content_type:
        return 'non_json', content_type
    if response.status_code == 200:
        issued = [p for p in body.get('issued') or []
            if p.get('id') == parcel]
        return ('issued' if issued else 'malformed'), None
    error = body.get('error') if isinstance(body, dict) else None
    if not isinstance(error, dict) or not error.get('message'):
        return 'malformed', str(body)[:80]
    return 'refused', error.get('code')


def summarize(Row, args, n, ids, results, wall, states, events, setup_s):
    statuses = collections.Counter(r[2] for r in results)
    kinds = collections.Counter(r[3] for r in results)
    codes = collections.Counter(r[4] for r in results if r[3] == 'refused')
    oddities = collections.Counter((r[2], r[4]) for r in results
        if r[3] in {'non_json', 'malformed', 'error'})
    issued_http = collections.Counter(r[1] for r in results
        if r[3] == 'issued')
    server_errors = sum(c for s, c in statuses.items()
        if isinstance(s, int) and s >= 500)
    refusals = {s: c for s, c in statuses.items() if s != 200}
    latencies = bench.stats([r[5] for r in results])
    per_parcel = collections.Counter(events.get(i, 0) for i in ids)
    attempts = len(results)
    ok = (attempts == len(OPERATORS) * args.attempts
        and sum(issued_http.values()) == n
        and set(issued_http) == set(ids)
        and states == {'issued': n}
        and per_parcel == {1: n}
        and not server_errors
        and kinds['non_json'] == kinds['malformed'] == kinds['error'] == 0
        and all(isinstance(s, int) and 400 <= s < 500
            for s in refusals))
    figures = [
        f"{len(OPERATORS)} operators × {args.attempts} attempts = "
        f"{attempts} POST /issue over the same {n} stored parcels "
        "(random order, right codes)",
        f"issued {sum(issued_http.values())} (HTTP 200; parcels issued by "
        f"an answer: {len(issued_http)}), refused "
        f"{sum(refusals.values())}: " + (', '.join(
                f"{s} × {c}" for s, c in sorted(refusals.items(),
                    key=lambda x: str(x[0]))) or 'none')
        + (" (" + ', '.join(f"{k} {c}" for k, c in codes.most_common(4))
            + ")" if codes else ''),
        f"non-JSON {kinds['non_json']}, refusal without error object "
        f"{kinds['malformed']}, 5xx {server_errors}, connection errors "
        f"{kinds['error']}",
        f"database: parcel states " + ', '.join(
            f"{s} {c}" for s, c in sorted(states.items()))
        + f"; 'issued' events {sum(events.values())} (parcels with 1: "
        f"{per_parcel.get(1, 0)}, 0: {per_parcel.get(0, 0)}, 2 or more: "
        f"{sum(c for k, c in per_parcel.items() if k > 1)})",
        f"latency p50 {latencies['p50']:.0f} ms, p95 {latencies['p95']:.0f} "
        f"ms, max {latencies['max']:.0f} ms; {wall:.1f} s "
        f"({attempts / wall:.0f} attempts/s); set-up {setup_s:.0f} s",
        ]
    for (status, detail), count in oddities.most_common(5):
        figures.append(f"odd answer: {status} {detail!r} × {count}")
    return Row("1. concurrent issue", 'OK' if ok else 'FAIL', figures)
