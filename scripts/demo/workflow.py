"""``workflow`` (the default up to 5,000 parcels): every parcel goes the real
way. Parcels are created with ``Parcel.create``; the arrived ones come in
receptions (one per point, supplier and delivery day, with the supplier's
manifest): every place is scanned with ``Reception.scan`` (a few damaged,
a few missing, a few surplus barcodes), the reception is closed, the parcels
are placed with ``place_parcel(parcel, suggest_cell(parcel))`` and then
issued, partially issued (with refused item quantities), refused, queued
for return, returned, lost or cancelled with the Parcel classmethods. The
journal (multipoint.parcel.event) is therefore written by the model code.
Finally, as the journal's owner (root), the script moves the timestamps
(event dates, reception and scan times, arrival dates, storage deadlines
recomputed from the terms, parcel creation dates) onto a plausible history
of the last weeks, so that analytics per day and expired storage deadlines
can be shown. This backdating is the only raw SQL of the workflow mode; the
parcels are then checked with the model's ``_validate``. The issue-code SMS
that acceptance queues in the outbox (multipoint.notification) are marked
sent, code masked, for past days through the model's own ``_sent``; today's
stay pending. The workflow mode is one transaction: a failure leaves the
database untouched, and the next run starts again. Issued parcels get
issued_at/issued_by/verification as ``issue_to_recipient`` would record
them (the demo issues with the lower-level transitions: core alone takes no
payment). Operators get their current point, staff a mobile number for the
owners' one-time login codes. A few stored parcels per point get a fresh
issue code, printed and written to the logins file, to demonstrate an
issue: two with cash on delivery (paid at the desk, ``POST …/issue/pay``)
and two with nothing to pay, all issued with the code alone.

The model code locks tables and rows (configuration singleton, cells,
parcels); trytond wants them locked when the transaction starts (routes,
cron and worker retry with the lock), so this single-writer script takes
those tables at the start (LOCK_MODELS, build.py)."""
import datetime as dt
import random
import time
from collections import defaultdict

from .backdate import Backdating
from .common import _digits, log
from .history import DEMO_STATES
from .parcels import orm_values


DAMAGE_NOTES = [
    "Вмятина на коробке", "Порван скотч, коробка вскрыта",
    "Намокла упаковка", "Раздавлен угол коробки",
    ]
COURIERS = [
    "Ахмедов Рустам", "Петренко Игорь", "Сафаров Шамиль", "Лысенко Павел",
    "Гусейнов Эмиль", "Воронов Кирилл", "Тагиров Ильнар", "Зуев Антон",
    ]


class WorkflowMode(Backdating):
    "Parcels through the real workflow, then backdated onto a history"

    def __init__(self, gen, factory, points, suppliers, terms):
        self.gen = gen
        self.pool = gen.pool
        self.rng = gen.rng
        self.factory = factory
        self.points = points
        self.suppliers = suppliers
        self.terms = terms
        self.history = {}        # parcel id -> planned history
        self.scan_times = {}     # (reception id, barcode) -> moment
        self.receptions = {}     # reception id -> (opened, closed)

    def run(self, n, batch=250):
        pool = self.pool
        Parcel = pool.get('multipoint.parcel')
        rng = self.rng
        started = time.time()
        states = list(DEMO_STATES)
        # every state at least twice, the rest by weight
        targets = [s for s in states for _ in range(2)][:n]
        targets += rng.choices(
            states, [DEMO_STATES[s] for s in states], k=n - len(targets))
        rng.shuffle(targets)
        plans = []
        for state in targets:
            point_code, supplier_key = self.factory.choose()
            if state == 'partially_issued':
                # only where the supplier allows a partial buyout
                while not self.terms[(supplier_key, point_code)][
                        'partial_buyout']:
                    point_code, supplier_key = self.factory.choose(
                        point_code)
            plan = self.factory.history(state, point_code, supplier_key)
            plan.update(state=state, point=point_code,
                supplier=supplier_key)
            plans.append(plan)
        self._manifests(plans)
        # create, oldest first so that ids follow the history
        plans.sort(key=lambda p: p['created'])
        created = []
        for i in range(0, len(plans), batch):
            chunk = plans[i:i + batch]
            vlist = []
            for plan in chunk:
                values = self.factory.values(
                    plan['point'], plan['supplier'],
                    manifest=plan.get('manifest'))
                vlist.append(orm_values(values))
            parcels = Parcel.create(vlist)
            for parcel, plan in zip(parcels, chunk):
                self.history[parcel.id] = plan
            created.extend(parcels)
            self.gen.commit()
            log("  created %d/%d parcels (%.0f/s)", len(created), n,
                len(created) / (time.time() - started))
        self.cancel([p for p in created
                if self.history[p.id]['state'] == 'cancelled'])
        self.deliver([p for p in created if self.history[p.id]['path']
                and self.history[p.id]['state'] != 'cancelled'])
        self.backdate(created)
        # what was moved in time still passes the model's checks
        for cache in self.gen.transaction.cache.values():
            cache.clear()
        Parcel._validate(Parcel.browse([p.id for p in created]))
        self.gen.commit()
        log("  %d parcels through the workflow in %.0f s", n,
            time.time() - started)
        return created

    def _manifests(self, plans):
        """The manifest numbers: one per historical delivery, and for the
        demo of a reception a manifest per supplier on most expected
        parcels of each point"""
        for plan in plans:
            code = plan['point']
            prefix = self.factory.supplier_info[plan['supplier']]['prefix']
            if plan['arrival_day'] is not None:
                day = (self.gen.now - dt.timedelta(
                        days=plan['arrival_day'])).strftime('%y%m%d')
                plan['manifest'] = f'{prefix}-{day}-{code}'
            elif plan['state'] == 'expected' and self.rng.random() < 0.65:
                day = (self.gen.now + dt.timedelta(days=1)).strftime(
                    '%y%m%d')
                plan['manifest'] = f'{prefix}-{day}-{code}'

    def cancel(self, parcels):
        if parcels:
            self.pool.get('multipoint.parcel').cancel(parcels)
            self.gen.commit()

    def operator(self, point_code):
        return self.rng.choice(self.gen.operators[point_code])

    def deliver(self, parcels):
        pool = self.pool
        Parcel = pool.get('multipoint.parcel')
        Reception = pool.get('multipoint.reception')
        transaction = self.gen.transaction
        from trytond.modules.multipoint_core.placement import (
            place_parcel, suggest_cell)
        deliveries = defaultdict(list)
        for parcel in parcels:
            plan = self.history[parcel.id]
            deliveries[(plan['arrival'], plan['point'], plan['supplier'])
                ].append(parcel)
        rng = self.rng
        counts = defaultdict(int)
        started = time.time()
        for i, key in enumerate(sorted(deliveries), 1):
            arrival, code, supplier_key = key
            batch = deliveries[key]
            point = self.points[code]
            info = self.factory.supplier_info[supplier_key]
            with transaction.set_user(self.operator(code)):
                reception, = Reception.create([{
                            'point': point.id,
                            'company': point.company.id,
                            'suppliers': [('add', [
                                        self.suppliers[supplier_key].id])],
                            'manifest': self.history[batch[0].id].get(
                                'manifest'),
                            'courier_name': rng.choice(COURIERS),
                            'vehicle': info['vehicle'],
                            }])
                barcodes = []
                for parcel in batch:
                    state = self.history[parcel.id]['state']
                    for place in parcel.places:
                        barcodes.append((place.barcode, state,
                                len(parcel.places)))
                scans = 0
                skipped = False
                for barcode, state, n_places in barcodes:
                    if (n_places > 1 and not skipped
                            and state in {'accepted', 'stored'}
                            and rng.random() < 0.2):
                        skipped = True      # a box that did not come
                        continue
                    damaged = rng.random() < 0.015
                    scan = reception.scan(barcode, damaged=damaged,
                        note=rng.choice(DAMAGE_NOTES) if damaged else None,
                        client_id=f'tsd-{code}:{reception.id}:{scans}')
                    scans += 1
                    self.scan_times[(reception.id, scan.barcode)] = scans
                    if rng.random() < 0.02:     # scanned twice by mistake
                        reception.scan(barcode)
                if rng.random() < 0.06:     # a box nobody announced
                    reception.scan(f'46{_digits(rng, 11)}')
                    scans += 1
                Reception.close([reception])
                opened = arrival - dt.timedelta(seconds=25 * scans + 120)
                self.receptions[reception.id] = (opened, arrival, scans)
                parcels = Parcel.browse([p.id for p in batch])
                placed = []
                for parcel in parcels:
                    plan = self.history[parcel.id]
                    if plan['state'] == 'accepted':
                        continue
                    cell = suggest_cell(parcel)
                    if not cell:
                        log("  no free cell for %s at %s, left accepted",
                            parcel.order_number, code)
                        continue
                    place_parcel(parcel, cell)
                    placed.append(parcel)
                # then the rest of the path, step after step
                parcels = Parcel.browse([p.id for p in placed])
                step = 2
                while True:
                    todo = defaultdict(list)
                    for parcel in parcels:
                        path = self.history[parcel.id]['path']
                        if len(path) > step:
                            todo[path[step][0]].append(parcel)
                    if not todo:
                        break
                    for state, records in todo.items():
                        self.transition(state, records)
                    parcels = Parcel.browse([p.id for p in parcels])
                    step += 1
            for parcel in batch:
                counts[self.history[parcel.id]['state']] += 1
            self.gen.commit()
            if i % 25 == 0 or i == len(deliveries):
                log("  %d/%d receptions, %d parcels (%.0f s)", i,
                    len(deliveries), sum(counts.values()),
                    time.time() - started)

    def transition(self, state, parcels):
        pool = self.pool
        Parcel = pool.get('multipoint.parcel')
        Line = pool.get('multipoint.parcel.line')
        if state == 'partially_issued':
            # the recipient refuses one refusable item (or one unit)
            to_write = []
            for parcel in parcels:
                lines = [l for l in parcel.lines if l.refusable]
                if not lines:
                    continue
                line = self.rng.choice(lines)
                to_write.extend([[line], {'refused_quantity': 1}])
            if to_write:
                Line.write(*to_write)
            Parcel.partially_issue(parcels)
            self.log_service(parcels)
        else:
            method = {
                'issued': Parcel.issue,
                'refused': Parcel.refuse,
                'to_return': Parcel.to_return,
                'returned': Parcel.return_,
                'lost': Parcel.mark_lost,
                }[state]
            method(parcels)
            if state == 'issued':
                self.log_service(parcels)

    def log_service(self, parcels):
        """What the desk records when it hands parcels over: the wait since
        the operator's search (the demo issues with the lower level
        transitions); backdate() puts it at the planned issue"""
        Event = self.pool.get('multipoint.parcel.event')
        # a generator of its own: the rest of the demo stays as it was
        Event.log(parcels, 'service', durations={
                p: random.Random(p.id).randrange(25, 420) for p in parcels})
