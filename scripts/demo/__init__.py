"""Multipoint demo data: a company with three pickup points, seven suppliers
with their terms, the staff and N parcels in every state.

Usage (the database must exist with multipoint_core activated; run from
the root of the checkout, as scripts/demo.sh does)::

    python -m scripts.demo -c config/trytond.conf -d demo \\
        [--parcels 600] [--seed 2026] [--logins-file var/demo-logins.txt] \\
        [--mode auto|workflow|bulk] [--bench-manifest]

What it creates, through the real models:

- the company «ООО «Мультипоинт»» (party with INN and address, currency RUB
  «₽» created when missing); the admin user gets it as company;
- three active points (Москва, Казань, Новосибирск) with address, phone,
  e-mail, hours and time zone; in the storage of each point's warehouse
  zones → racks → cells (stock.location with storage_kind zone/rack/cell)
  whose barcodes look like ``A-01-03`` (unique within the point), with a
  size class and a capacity;
- seven suppliers (Boxberry, PickPoint, DPD, Hermes, СДЭК, Яндекс Маркет and
  the local shop «Лавка Марии») with different terms: storage days,
  extensions, partial buyout, delivery fee rule, free-delivery threshold,
  ID check, flat / percent / tiered commission, fines; СДЭК has terms of its
  own at Новосибирск;
- staff with personal logins (owner, staff manager, accountant, analyst and
  four operators, one of them at two points). The logins and passwords are
  printed at the end and written to ``--logins-file``;
- with multipoint_tickets: the points' tasks (cash collection on Fridays,
  weekly inventory of zone A, a call to a supplier about a claim) and three
  tickets in different states (see ``organizer``);
- accounting as ``multipoint_pos.tests.pos_tools.setup_accounting`` makes
  it (the minimal Russian chart of ``create_minimal_chart``, a fiscal year
  of the current year with its move sequence and periods), every supplier
  with a valid 10-digit INN (identifier ``ru_vat``, printed on receipts)
  and a point of sale for every point (``Point.setup_pos``);
- shifts at MSK-01 (after the parcels): one closed yesterday with paid
  issues (cash with change, card, SBP, a partial buyout, card and cash
  together), its cash collected down to the float and counted; one open
  today with a float of 5,000 ₽ and two paid issues, so the operator
  kuznetsova finds an open shift and an X-report with figures. The issues
  go through ``Parcel.issue_with_payment`` as the operator and their
  receipts through ``Receipt.send`` with the ``demo`` fiscal driver (the
  demo data uses it whatever the configuration says; the demo server needs
  ``[multipoint_fiscal] driver = demo``, which scripts/demo.sh sets with
  TRYTOND_MULTIPOINT_FISCAL__DRIVER); yesterday's shift is then moved to
  yesterday's hours with raw SQL;
- the supplier portal's user (``PORTAL_USERS``) and, when its supplier had
  parcels paid in yesterday's shift, the agent's report of those days
  computed, confirmed by the owner and sent, so the portal has one to show
  (see ``portal_settlement``), and a ticket about that supplier waiting
  for its answer, so the portal's tickets have one (``portal_ticket``);
- with multipoint_claims: a supplier's charges of the past month at one
  point in every state (new, accepted, disputed with its claim sent, won,
  partly won, lost), imported from the supplier's reports through the
  reconciliations of its agent's reports or typed in, disputed, their
  claims sent with the evidence packs and answered; two agent's reports
  confirmed (the second deducts the accepted charges) and the next one
  computed with the reversal of the won charge; a claim sent to the
  portal's supplier, for its «Претензии» (see ``charges_and_claims``);
- the free-delivery threshold on one stored parcel (``THRESHOLD_CASE``):
  Hermes delivers free from 2,000 ₽ and charges a standard 199 ₽
  otherwise; its order HRM-D3000 of 3,000 ₽ came free and waits at MSK-01
  with an issue code; refusing one item of 1,500 ₽ makes the fee due. The
  logins file names it, with what to try;
- N parcels spread over points and suppliers in every state, with Russian
  recipients, +7 9xx phones in the formats suppliers send, order numbers and
  box barcodes in each supplier's own format, 1–3 places, 1–4 items
  (VAT 22 % mostly), COD or prepaid, delivery fee, declared value, weight and
  size. Some expected parcels share a manifest number per supplier, so a
  reception can be demonstrated.


Two ways to bring parcels into their states: ``workflow`` (the default
up to 5,000 parcels, workflow.py) takes every parcel the real way through
the models, ``bulk`` (above, for the benchmark, bulk.py) writes the rows
directly.

days of volume and the stored parcels never exceed the cells' capacity.

``--bench-manifest`` adds (through the ORM, on top of N) the parcels of one

manifest ``BENCH-1000``: ``scripts/bench.py`` accepts them through the API.

The script is idempotent: when the demo company already exists it creates
nothing but what is missing of ``--bench-manifest``, of the accounting and
points of sale, the shifts when MSK-01 has none (demo data of an
earlier version), the portal's agent's report and ticket, the charges
and claims and the threshold parcel (its note appended to the logins file), and exits with 0; it
refuses (exit 2) a database holding another company. A fixed ``--seed``
gives the same data on an empty database.

One concept per file:

- build.py: the command line and the order of the steps (``main``);
- common.py: logging, numbers, batches, raw SQL helpers;
- company.py, points.py, suppliers.py, staff.py, portal.py: the
  company, the points with their cells, the suppliers with their terms,
  the staff and their logins, the supplier portal's user;
- generator.py: what every step shares (pool, transaction, random
  generator, now) and the records of an existing demo database;
- people.py, parcels.py, history.py: recipients, parcel values and their
  planned history (the shares of states);
- workflow.py, backdate.py, bulk.py: the two ways to bring parcels into
  their states;
- accounting.py, shifts.py, codes.py, settlement.py: the accounting, the
  shifts with paid issues, the issue codes to try, the agent's report;
- tickets.py, threshold.py, bench_manifest.py: the organizer's tasks and
  tickets, the free-delivery threshold parcel, the benchmark's manifest;
- claims.py: the charges, their claims and the agent's reports they flow
  into;
- fixtures.py: the small builders of scripts/bench_*.py (a company, a
  point, a supplier, a point of sale, a supplier account)."""
