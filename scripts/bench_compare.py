"""Side by side, in one run on one database: the barcode lookup of the
operator API against Tryton's generic path and against a bare floor
(``make bench``, first part; scripts/bench.py calls it).

Both servers are started the same way, with gunicorn (``gthread``, the
same web processes and threads): trytond through scripts/serve.py — the
`make serve` command, the scheduled jobs off so that they do not compete
for the cores — and the floor, scripts/bench_floor.py, a bare WSGI
application on psycopg. wrk (a load generator written in C, so it takes
little of the CPU it measures) loads each path in turn for --duration
seconds with --connections connections, --rounds times; the figures are
the medians of the rounds:

- ``GET /<db>/multipoint/api/v1/lookup?code=`` — ours;
- Tryton's generic JSON-RPC ``model.multipoint.parcel.place.search_read``
  of the same barcode, with the fields the lookup shows;
- an empty authenticated Tryton route written Tryton's way
  (scripts/bench_app.py) and ours, ``GET /multipoint/api/v1/session``;
- the floor's lookup and session check.

Every request carries the operator's session in an ``Authorization:
Session`` header. Before loading, one answer of each lookup is checked:
ours and the floor's must give the same JSON.
"""
import base64
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from urllib.parse import quote

import requests

from bench_tools import log, venv_bin

HERE = os.path.dirname(os.path.abspath(__file__))
SEARCH_READ_FIELDS = ['barcode', 'state', 'damaged', 'parcel',
    'parcel.order_number', 'parcel.state', 'parcel.state:string',
    'parcel.recipient_name', 'parcel.phone_last4', 'parcel.amount_due',
    'parcel.prepaid', 'parcel.size_class', 'parcel.storage_deadline',
    'parcel.point', 'parcel.supplier.rec_name', 'parcel.cell.rec_name',
    'parcel.cell.barcode', 'parcel.cell.size_class',
    'parcel.cell.capacity']
# (name, server, request line) — {code} is a barcode, {db} the database
PATHS = [
    ('lookup', 'ours', 'GET /{db}/multipoint/api/v1/lookup?code={code}'),
    ('search_read', 'ours', 'POST /{db}/rpc/ {rpc}'),
    ('empty_tryton', 'ours', 'GET /{db}/bench/empty'),
    ('empty_ours', 'ours', 'GET /{db}/multipoint/api/v1/session'),
    ('floor_lookup', 'floor', 'GET /{db}/floor/lookup?code={code}'),
    ('floor_session', 'floor', 'GET /{db}/floor/session'),
    ]
LABELS = {
    'lookup': "lookup, ours (GET …/api/v1/lookup)",
    'search_read': "Tryton's JSON-RPC search_read, same fields",
    'empty_tryton': "empty authenticated route, Tryton's way",
    'empty_ours': "empty authenticated route, ours (GET …/session)",
    'floor_lookup': "floor: bare WSGI + psycopg, session + 1 query",
    'floor_session': "floor: session check only",
    }


class Served:
    "A server in its own process group, stopped with it"

    def __init__(self, name, command, env, base, logfile):
        self.name, self.command, self.env = name, command, env
        self.base, self.logfile = base, logfile
        self.process = None

    def start(self, ready_path, timeout=180):
        self.log_fp = open(self.logfile, 'w')
        self.process = subprocess.Popen(self.command, env=self.env,
            stdout=self.log_fp, stderr=subprocess.STDOUT,
            start_new_session=True)
        started = time.time()
        while time.time() - started < timeout:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited with "
                    f"{self.process.returncode}; see {self.logfile}:\n"
                    + open(self.logfile).read()[-3000:])
            try:
                requests.get(self.base + ready_path, timeout=5)
                log("  %s ready on %s in %.1f s", self.name, self.base,
                    time.time() - started)
                return
            except requests.RequestException:
                time.sleep(0.3)
        raise SystemExit(f"{self.name} did not answer within {timeout} s")

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.process:
            self.log_fp.close()

    def pids(self):
        "The server's processes: its command and every descendant"
        children = {}
        for entry in os.listdir('/proc'):
            if not entry.isdigit():
                continue
            try:
                with open(f'/proc/{entry}/stat') as fp:
                    fields = fp.read().rsplit(')', 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
        result, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            result.append(pid)
            todo.extend(children.get(pid, []))
        return result

    def memory(self):
        "The largest VmHWM and VmRSS (MiB) of its processes (one web process)"
        peak = {'VmHWM': 0.0, 'VmRSS': 0.0}
        for pid in self.pids():
            try:
                with open(f'/proc/{pid}/status') as fp:
                    for line in fp:
                        key, _, value = line.partition(':')
                        if key in peak:
                            peak[key] = max(peak[key],
                                int(value.split()[0]) / 1024)
            except OSError:
                continue
        return peak


def serve_tryton(db_url, port, workers, threads, env, logfile):
    "trytond as `make serve` runs it, with the measuring app"
    command = [sys.executable, os.path.join(HERE, 'serve.py'),
        '--db', db_url, '--workers', str(workers), '--threads', str(threads),
        '--listen', f'127.0.0.1:{port}', '--no-cron',
        '--app', 'bench_app:app', '--pythonpath', HERE]
    return Served('trytond (make serve)', command, env,
        f'http://127.0.0.1:{port}', logfile)


def serve_floor(server_uri, port, workers, threads, env, logfile):
    env = dict(env, MULTIPOINT_FLOOR_DB=server_uri)
    command = [venv_bin('gunicorn'), '--pythonpath', HERE,
        '--workers', str(workers), '--worker-class', 'gthread',
        '--threads', str(threads), '--bind', f'127.0.0.1:{port}',
        'bench_floor:app']
    return Served('floor (gunicorn bench_floor:app)', command, env,
        f'http://127.0.0.1:{port}', logfile)


def session_header(base, db, login, password):
    "Authorization header of a new Tryton session of login"
    response = requests.post(f'{base}/{db}/session/login',
        json={'params': [login, {'password': password}, 'ru']}, timeout=60)
    if response.status_code != 200:
        raise SystemExit(f"login of {login} failed: "
            f"{response.status_code} {response.text[:300]}")
    cookie = response.cookies.get('tryton_session')
    return 'Session ' + base64.b64encode(cookie.encode()).decode()


def rpc_body(code):
    return json.dumps({'id': 1,
            'method': 'model.multipoint.parcel.place.search_read',
            'params': [[['barcode', '=', code]], 0, 10, None,
                SEARCH_READ_FIELDS, {}]}, separators=(',', ':'))


def request_lines(db, template, barcodes):
    if '{code}' not in template and '{rpc}' not in template:
        return [template.format(db=db)]
    return [template.format(db=db, code=quote(code, safe=''),
            rpc=rpc_body(code)) for code in barcodes]


def check_answers(servers, db, header, barcodes):
    """One request of each path must answer 200; ours and the floor's
    lookups the same JSON (the floor is a floor of the same work)"""
    headers = {'Authorization': header}
    for name, server, template in PATHS:
        method, path, *body = request_lines(db, template, barcodes[:1])[0
            ].split(' ', 2)
        response = requests.request(method, servers[server].base + path,
            data=body[0] if body else None, headers=dict(headers,
                **({'Content-Type': 'application/json'} if body else {})),
            timeout=60)
        if response.status_code != 200 or (
                name == 'search_read' and 'error' in response.json()):
            raise SystemExit(f"{name}: {response.status_code} "
                f"{response.text[:400]}")
    for code in barcodes[:20]:
        ours = requests.get(servers['ours'].base
            + f'/{db}/multipoint/api/v1/lookup', params={'code': code},
            headers=headers, timeout=60).json()
        floor = requests.get(servers['floor'].base + f'/{db}/floor/lookup',
            params={'code': code}, headers=headers, timeout=60).json()
        if ours != floor:
            raise SystemExit(f"the floor does not give our answer for {code}:"
                f"\n ours  {ours}\n floor {floor}")


def wrk(base, lines, header, duration, connections, folder):
    path = os.path.join(folder, 'requests.txt')
    with open(path, 'w') as fp:
        fp.write('\n'.join(lines) + '\n')
    command = ['wrk', '--threads', str(min(connections, 2)),
        '--connections', str(connections), '--duration', f'{duration}s',
        '--timeout', '10s', '--header', f'Authorization: {header}',
        '--header', 'Content-Type: application/json',
        '--script', os.path.join(HERE, 'wrk_requests.lua'), base, '--',
        path]
    output = subprocess.run(command, capture_output=True, text=True,
        check=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result['rate'] = result['requests'] / result['seconds']
    return result


def compare(db_name, servers, header, barcodes, duration=5, rounds=4,
        connections=4, folder='/tmp'):
    """wrk on each path, rounds times; medians per path. Every other round
    runs the paths in the reverse order, so that a machine getting busier
    or quieter during the run does not favour the paths measured first"""
    check_answers(servers, db_name, header, barcodes)
    runs = {name: [] for name, _, _ in PATHS}
    for round_ in range(rounds):
        paths = PATHS if round_ % 2 == 0 else PATHS[::-1]
        for name, server, template in paths:
            lines = request_lines(db_name, template, barcodes)
            result = wrk(servers[server].base, lines, header, duration,
                connections, folder)
            if result['bad_status'] or result['socket_errors']:
                log("   %s: %d bad answers, %d socket errors", name,
                    result['bad_status'], result['socket_errors'])
            runs[name].append(result)
        log("   round %d/%d done", round_ + 1, rounds)
    figures = {}
    for name, results in runs.items():
        figures[name] = {key: statistics.median(r[key] for r in results)
            for key in ['rate', 'p50', 'p95', 'p99', 'bad_status']}
        figures[name]['rates'] = [r['rate'] for r in results]
    return figures


def ratio(figures, name, base):
    """The median over the rounds of name's rate / base's rate in the same
    round: the paths of a round ran within a minute of each other"""
    return statistics.median(a / b for a, b in zip(
            figures[name]['rates'], figures[base]['rates']))


def report(figures, connections, workers, threads, duration, rounds):
    log("   %d connections (wrk), gunicorn %d web processes × %d threads, "
        "%d s × %d rounds, medians (ratios: median of the rounds' ratios):", connections, workers, threads,
        duration, rounds)
    log("   %-50s %8s %8s %8s %8s", "path", "req/s", "p50 ms", "p95 ms",
        "p99 ms")
    for name, _, _ in PATHS:
        f = figures[name]
        log("   %-50s %8.0f %8.1f %8.1f %8.1f", LABELS[name], f['rate'],
            f['p50'], f['p95'], f['p99'])
    ratios = {
        'lookup_vs_floor': ratio(figures, 'lookup', 'floor_lookup'),
        'lookup_vs_search_read': ratio(figures, 'lookup', 'search_read'),
        'empty_ours_vs_floor': ratio(figures, 'empty_ours', 'floor_lookup'),
        'empty_tryton_vs_floor': ratio(
            figures, 'empty_tryton', 'floor_lookup'),
        }
    log("   lookup / floor by round: %s", ', '.join(
            f"{a / b * 100:.0f} %" for a, b in zip(
                figures['lookup']['rates'],
                figures['floor_lookup']['rates'])))
    log("   ratios: lookup / floor %.0f %%, lookup / search_read %.1f ×, "
        "empty route / floor: ours %.0f %%, Tryton's %.0f %%",
        ratios['lookup_vs_floor'] * 100, ratios['lookup_vs_search_read'],
        ratios['empty_ours_vs_floor'] * 100,
        ratios['empty_tryton_vs_floor'] * 100)
    return ratios
