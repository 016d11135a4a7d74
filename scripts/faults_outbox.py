#!/usr/bin/env python3
"""scripts/bench_outbox.py with the order of arrival recorded (make faults).

    MULTIPOINT_BENCH_DB=postgresql://…/<name with bench> \\
        python scripts/faults_outbox.py [bench_outbox.py arguments]

It runs bench_outbox.main() as it is (its supplier's server down, then up;
its "lost 0, doubled 0, unknown 0, left unsent 0: OK" line), with its
Supplier server class extended to keep the events in the order they reach
it. The database is kept until the order is compared with the outbox's
(rows by id, their sequence numbers), then dropped unless --keep. Printed:

    order: N received, M out of the outbox order, K sequence numbers out
    of order: OK|FAILED
"""
import io
import json
import os
import sys
import threading

import bench_outbox
from bench_import import Server, log

ARRIVALS = []
LOCK = threading.Lock()


class OrderedSupplier(bench_outbox.Supplier):
    "bench_outbox's supplier server that also keeps the order of arrival"

    def __init__(self):
        super().__init__()
        handler = self.handler

        class Handler(handler):
            def do_POST(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length)
                with LOCK:
                    ARRIVALS.extend((e['key'], e.get('sequence'))
                        for e in json.loads(body))
                # the parent reads the body again from a buffer
                self.rfile = io.BytesIO(body)
                super().do_POST()
        self.handler = Handler


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    keep = '--keep' in argv
    if not keep:
        argv.append('--keep')
    bench_outbox.Supplier = OrderedSupplier
    server = Server(os.environ.get('MULTIPOINT_BENCH_DB')
        or bench_outbox.DEFAULT_DB)
    try:
        rc = bench_outbox.main(argv)
        ok = check_order(server)
    finally:
        if not keep:
            server.drop()
    return rc or (0 if ok else 1)


def check_order(server):
    "The keys in the order received against the outbox rows by id"
    with server.connect(server.name) as conn:
        rows = conn.execute(
            'SELECT idempotency_key, sequence FROM '
            '"multipoint_supplier_outbox" ORDER BY id').fetchall()
    position = {key: i for i, (key, _) in enumerate(rows)}
    first = []
    seen = set()
    for key, sequence in ARRIVALS:
        if key not in seen:
            seen.add(key)
            first.append((key, sequence))
    # received after a later row of the outbox
    out_of_order = sum(1 for (a, _), (b, _) in zip(first, first[1:])
        if position.get(a, -1) > position.get(b, -1))
    sequences = [s for _, s in first]
    bad_sequences = sum(1 for a, b in zip(sequences, sequences[1:])
        if a is None or b is None or b <= a)
    ok = (len(first) == len(rows) and not out_of_order
        and not bad_sequences)
    log("  order: %d received, %d out of the outbox order, %d sequence "
        "numbers out of order: %s", len(first), out_of_order, bad_sequences,
        'OK' if ok else 'FAILED')
    return ok


if __name__ == '__main__':
    sys.exit(main())
