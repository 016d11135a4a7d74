"""Benchmark steps for serving recipients, run by bench.py against its
trytond server: search by the last 4 phone digits, issue of a prepaid
parcel (search, then issue with the code), inventory scans and the issue
of parcels with cash on delivery with their payment and receipt
(POST issue/pay, demo fiscal driver).

Issue codes are stored as an HMAC under the database's key; to know the
codes of the parcels it issues, the benchmark gives them new codes hashed the
way multipoint_core.issue.code_hash does."""
import hashlib
import hmac
import threading
import time
from decimal import ROUND_CEILING, Decimal

import requests

from bench_tools import log, stats

WAITING = ('accepted', 'stored')


def bench_phone_search(server, db, login, password, point_id, count, rng):
    "POST issue/search with the last 4 digits of waiting recipients"
    rows = db.query(
        "SELECT DISTINCT phone_last4 FROM multipoint_parcel "
        "WHERE point = %s AND state = ANY(%s) AND phone_last4 IS NOT NULL",
        (point_id, list(WAITING)))
    digits = [r[0] for r in rows]
    if not digits:
        raise SystemExit("no waiting parcel to search for")
    session = server.login(login, password)
    url = server.api('issue/search')
    latencies, found = [], 0
    for i in range(count + 20):
        query = rng.choice(digits)
        t0 = time.perf_counter()
        response = session.post(url, json={
                'point': point_id, 'query': query}, timeout=60)
        elapsed = time.perf_counter() - t0
        if response.status_code != 200:
            raise SystemExit(f"search {query} failed: "
                f"{response.status_code} {response.text[:300]}")
        if i >= 20:  # the first ones warm the caches up
            latencies.append(elapsed)
            found += len(response.json()['parcels'])
    result = stats(latencies)
    result.update(candidates=len(digits), found=found / max(count, 1))
    return result


def give_codes(db, parcel_ids, rng):
    "New issue codes for parcel_ids, stored as the module stores them"
    with db.connect(db.name) as conn:
        secret, length = conn.execute(
            "SELECT code_secret, code_length FROM multipoint_configuration "
            "ORDER BY id LIMIT 1").fetchone()
        codes = {}
        for parcel_id in parcel_ids:
            code = ''.join(rng.choice('0123456789') for _ in range(length))
            codes[parcel_id] = code
            conn.execute(
                "UPDATE multipoint_parcel SET issue_code_hash = %s, "
                "code_attempts = 0, code_locked_until = NULL WHERE id = %s",
                (hmac.new(secret.encode(), code.encode(),
                        hashlib.sha256).hexdigest(), parcel_id))
    return codes


def bench_issue(server, db, login, password, point_id, count, rng):
    """Issue prepaid parcels one by one: the search by order number, then
    the issue with the code (and the signature some suppliers want)"""
    rows = db.query(
        "SELECT p.id, p.order_number FROM multipoint_parcel p "
        "JOIN multipoint_supplier_terms t ON t.supplier = p.supplier "
        "AND t.point IS NULL "
        "WHERE p.point = %s AND p.state = ANY(%s) AND p.prepaid "
        "AND NOT COALESCE(t.id_check_required, FALSE) "
        "ORDER BY p.id LIMIT %s", (point_id, list(WAITING), count))
    if len(rows) < count:
        log("   only %d prepaid waiting parcels to issue", len(rows))
    codes = give_codes(db, [r[0] for r in rows], rng)
    session = server.login(login, password)
    search_latencies, issue_latencies = [], []
    for parcel_id, order_number in rows:
        t0 = time.perf_counter()
        response = session.post(server.api('issue/search'), json={
                'point': point_id, 'query': order_number}, timeout=60)
        t1 = time.perf_counter()
        if response.status_code != 200 or (
                parcel_id not in response.json()['matched']):
            raise SystemExit(f"search of {order_number} failed: "
                f"{response.status_code} {response.text[:300]}")
        response = session.post(server.api('issue'), json={
                'point': point_id, 'signature': True,
                'parcels': [{'id': parcel_id, 'code': codes[parcel_id]}]},
            timeout=60)
        t2 = time.perf_counter()
        if response.status_code != 200:
            raise SystemExit(f"issue of {order_number} failed: "
                f"{response.status_code} {response.text[:300]}")
        search_latencies.append(t1 - t0)
        issue_latencies.append(t2 - t1)
    return {'search': stats(search_latencies),
        'issue': stats(issue_latencies)}


def bench_inventory(server, db, login, password, point_id, places):
    """Count stored parcels cell by cell: each cell label, then its places;
    every scan is timed, up to `places` place scans"""
    rows = db.query(
        "SELECT c.barcode, pl.barcode FROM multipoint_parcel p "
        "JOIN stock_location c ON c.id = p.cell "
        "JOIN multipoint_parcel_place pl ON pl.parcel = p.id "
        "WHERE p.point = %s AND p.state = 'stored' "
        "ORDER BY c.barcode, pl.id LIMIT %s", (point_id, places))
    if not rows:
        raise SystemExit("no stored parcel to count")
    session = server.login(login, password)
    response = session.post(server.api('inventories'),
        json={'point': point_id}, timeout=60)
    if response.status_code not in {200, 201}:
        raise SystemExit(f"opening the inventory failed: "
            f"{response.status_code} {response.text[:300]}")
    inventory = response.json()
    url = server.api(f"inventories/{inventory['id']}/scans")
    latencies, current = [], None
    for i, (cell, barcode) in enumerate(rows):
        scans = [barcode] if cell == current else [cell, barcode]
        current = cell
        for j, code in enumerate(scans):
            t0 = time.perf_counter()
            response = session.post(url, json={
                    'barcode': code, 'client_id': f'bench:{i}:{j}'},
                timeout=60)
            latencies.append(time.perf_counter() - t0)
            if response.status_code != 200:
                raise SystemExit(f"inventory scan of {code} failed: "
                    f"{response.status_code} {response.text[:300]}")
    t0 = time.perf_counter()
    response = session.post(
        server.api(f"inventories/{inventory['id']}/complete"), timeout=300)
    complete = time.perf_counter() - t0
    if response.status_code != 200:
        raise SystemExit(f"completing the inventory failed: "
            f"{response.status_code} {response.text[:300]}")
    result = stats(latencies)
    result.update(places=len(rows), complete=complete)
    return result


def open_shift(server, session, point_id):
    "The open shift of the point, opened with a float through the API"
    response = session.get(server.api('shifts/current'),
        params={'point': point_id}, timeout=60)
    if response.status_code != 200:
        raise SystemExit(f"shifts/current failed: {response.status_code} "
            f"{response.text[:300]}")
    shift = response.json()['shift']
    if shift:
        return shift, False
    response = session.post(server.api('shifts/open'), json={
            'point': point_id, 'float': '5000.00'}, timeout=60)
    if response.status_code != 201:
        raise SystemExit(f"opening a shift failed: {response.status_code} "
            f"{response.text[:300]}")
    return response.json(), True


def pay_plan(index, amount, methods):
    """The payments of one recipient: cash mostly (banknotes with change),
    some card, some SBP, some card and cash together"""
    def money(value):
        return f'{value:.2f}'

    def banknotes(value, step):
        step = Decimal(step)
        return (value / step).to_integral_value(ROUND_CEILING) * step

    kind = index % 10
    if kind == 6 or (kind == 8 and 'sbp' not in methods):
        return 'card', [{'method': 'card', 'amount': money(amount)}]
    if kind == 8:
        return 'sbp', [{'method': 'sbp', 'amount': money(amount)}]
    if kind in {7, 9} and amount >= 2:
        cash = min((amount / 2).quantize(Decimal('1')), Decimal('1000'))
        return 'card+cash', [
            {'method': 'card', 'amount': money(amount - cash)},
            {'method': 'cash', 'amount': money(cash),
                'tendered': money(banknotes(cash, 100))}]
    return 'cash', [{'method': 'cash', 'amount': money(amount),
            'tendered': money(banknotes(amount, 500))}]


def bench_pay(server, db, login, password, point_id, count, rng,
        clients=1, warmup=5):
    """Issue stored parcels with cash on delivery through POST issue/pay:
    the payment in the open shift, the agent sale and its receipt, which
    the (demo) fiscal register makes before the answer. Every answer must
    be 200 with "fiscalized": true; the others are counted as failures."""
    rows = db.query(
        "SELECT p.id, p.order_number, "
        "p.cod_amount + COALESCE(p.delivery_fee, 0) "
        "FROM multipoint_parcel p "
        "WHERE p.point = %s AND p.state = 'stored' AND NOT p.prepaid "
        "AND p.cod_amount + COALESCE(p.delivery_fee, 0) > 0 "
        "AND NOT EXISTS (SELECT 1 FROM multipoint_supplier_terms t "
        "WHERE t.supplier = p.supplier "
        "AND (t.point = p.point OR t.point IS NULL) "
        "AND t.id_check_required) "
        # an item at 20 %, out of force since 2026, refuses the payment
        "AND NOT EXISTS (SELECT 1 FROM multipoint_parcel_line l "
        "WHERE l.parcel = p.id AND l.vat_rate IN ('20', '20/120')) "
        "ORDER BY p.id LIMIT %s", (point_id, count + warmup))
    if len(rows) <= warmup:
        raise SystemExit("no stored parcel with cash on delivery to issue")
    if len(rows) < count + warmup:
        log("   only %d stored parcels with cash on delivery",
            len(rows) - warmup)
    methods = set(db.query(
            "SELECT payment_methods FROM multipoint_point WHERE id = %s",
            (point_id,))[0][0] or '')
    methods = {m for m in ('cash', 'card', 'sbp') if m in str(methods)}
    codes = give_codes(db, [r[0] for r in rows], rng)
    sessions = [server.login(login, password) for _ in range(clients)]
    shift, opened = open_shift(server, sessions[0], point_id)
    url = server.api('issue/pay')
    latencies, failures, kinds = [], [], {}
    lock = threading.Lock()

    def pay(session, index, row, timed):
        parcel_id, order_number, amount = row
        kind, payments = pay_plan(index, Decimal(amount), methods)
        t0 = time.perf_counter()
        try:
            response = session.post(url, json={
                    'point': point_id, 'signature': True,
                    'parcels': [{'id': parcel_id,
                            'code': codes[parcel_id]}],
                    'payments': payments}, timeout=60)
        except requests.RequestException as error:
            with lock:
                failures.append((order_number, kind, 'error', str(error)))
            return
        elapsed = time.perf_counter() - t0
        ok = response.status_code == 200
        body = response.json() if ok else None
        if not ok or body.get('fiscalized') is not True:
            detail = response.text[:300] if not ok else "not fiscalized: " + (
                '; '.join(f"{r.get('name')} {r.get('state')}: "
                    f"{r.get('error')}" for r in body.get('receipts') or []))
            with lock:
                failures.append((order_number, kind, response.status_code,
                        detail))
            return
        if timed:
            with lock:
                latencies.append(elapsed)
                kinds[kind] = kinds.get(kind, 0) + 1

    for i, row in enumerate(rows[:warmup]):
        pay(sessions[0], i, row, False)
    todo = list(enumerate(rows[warmup:], warmup))
    shares = [todo[i::clients] for i in range(clients)]

    def worker(session, share):
        for index, row in share:
            pay(session, index, row, True)

    threads = [threading.Thread(target=worker, args=(s, share))
        for s, share in zip(sessions, shares)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    result = stats(latencies)
    result.update(wall=wall, rate=len(latencies) / wall if wall else 0,
        failures=failures, kinds=kinds, shift=shift, opened=opened,
        clients=clients, requests=len(todo))
    return result
