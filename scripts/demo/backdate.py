"""The workflow mode's move of the journal, receptions, scans, parcels and
the outbox's SMS onto the planned history: the only raw SQL of that mode"""
import datetime as dt

from .common import chunks, execute_many, seconds


class Backdating:
    """The backdating of WorkflowMode (which holds pool, gen, history,
    receptions and scan_times)"""

    def backdate_notifications(self, ids):
        """Acceptance queued an SMS with the issue code for each parcel
        (the outbox): those of past days went out then, through the
        model's own bookkeeping (the code is masked once sent); today's
        stay pending for the demo of the outbox"""
        pool = self.pool
        try:
            Notification = pool.get('multipoint.notification')
        except KeyError:
            return
        notifications = Notification.search([('parcel', 'in', ids)],
            order=[('id', 'ASC')])
        if not notifications:
            return
        second = dt.timedelta(seconds=1)
        today = self.gen.now - dt.timedelta(hours=6)
        sent, moments = [], []
        for notification in notifications:
            plan = self.history[notification.parcel.id]
            moment = (plan.get('arrival') or plan['created']) + 20 * second
            moments.append((moment, notification.id))
            if moment < today and hasattr(notification, '_sent'):
                notification._sent(f'demo-{notification.id}',
                    seconds(moment + 40 * second))
                sent.append(notification)
        Notification.save(sent)
        table = Notification.__table__()
        cursor = self.gen.transaction.connection.cursor()
        columns = [table.create_date]
        if 'next_attempt_at' in Notification._fields:
            columns.append(table.next_attempt_at)
            sent_ids = {n.id for n in sent}
            rows = [(m, None if n in sent_ids else m, n) for m, n in moments]
        else:
            rows = moments
        execute_many(cursor, table.update(columns, [None] * len(columns),
                where=table.id == 0), rows)

    def backdate(self, parcels):
        """Move the journal, receptions and parcels onto the planned
        history (the model writes 'now'); root owns the journal"""
        pool = self.pool
        Parcel = pool.get('multipoint.parcel')
        Event = pool.get('multipoint.parcel.event')
        Reception = pool.get('multipoint.reception')
        Scan = pool.get('multipoint.reception.scan')
        cursor = self.gen.transaction.connection.cursor()
        event = Event.__table__()
        parcel_t = Parcel.__table__()
        reception_t = Reception.__table__()
        scan_t = Scan.__table__()
        ids = [p.id for p in parcels]
        second = dt.timedelta(seconds=1)

        updates, issuers = [], {}
        for sub in chunks(ids, 500):
            cursor.execute(*event.select(
                    event.id, event.parcel, event.kind, event.to_state,
                    event.detail, event.reception, event.user,
                    where=event.parcel.in_(sub), order_by=[event.id]))
            for event_id, parcel_id, kind, to_state, detail, reception, \
                    user in cursor.fetchall():
                if to_state in {'issued', 'partially_issued'}:
                    issuers[parcel_id] = user
                plan = self.history[parcel_id]
                path = dict(plan['path'])
                if kind == 'created':
                    moment = plan['created']
                elif kind in {'scan', 'damaged'}:
                    opened = self.receptions[reception][0]
                    moment = opened + 25 * second * self.scan_times.get(
                        (reception, detail), 1)
                elif kind == 'missing':
                    moment = plan['arrival'] - second
                elif kind == 'state' and to_state in path:
                    moment = path[to_state]
                elif kind == 'service' and (
                        'issued' in path or 'partially_issued' in path):
                    moment = path.get('issued') or path['partially_issued']
                else:
                    continue
                updates.append((moment, event_id))
        execute_many(cursor, event.update(
                [event.date], [None], where=event.id == 0), updates)

        Terms = pool.get('multipoint.supplier.terms')
        updates = []
        records = Parcel.browse(ids)
        terms = Terms.for_parcels(
            (p.supplier.id, p.point.id) for p in records)
        for parcel in records:
            plan = self.history[parcel.id]
            arrival = plan.get('arrival')
            deadline = until = limit_hours = None
            if arrival and parcel.arrival_date:
                # the end of storage as acceptance computes it, in memory
                parcel.arrival_date = seconds(arrival)
                parcel.set_storage_end(
                    terms[(parcel.supplier.id, parcel.point.id)])
                deadline, until, limit_hours = (parcel.storage_deadline,
                    parcel.storage_until, parcel.storage_limit_hours)
            else:
                arrival = None
            updates.append((plan['created'], seconds(arrival), deadline,
                    until, limit_hours, parcel.id))
        execute_many(cursor, parcel_t.update(
                [parcel_t.create_date, parcel_t.arrival_date,
                    parcel_t.storage_deadline, parcel_t.storage_until,
                    parcel_t.storage_limit_hours],
                [None, None, None, None, None], where=parcel_t.id == 0),
            updates)
        if {'issued_at', 'issued_by', 'verification'} <= set(Parcel._fields):
            # what Parcel.issue_to_recipient records (the demo issues with
            # the lower level transitions: it takes no payment)
            updates = []
            for parcel in records:
                if parcel.id not in issuers:
                    continue
                path = dict(self.history[parcel.id]['path'])
                term = terms[(parcel.supplier.id, parcel.point.id)]
                moment = path.get('issued') or path.get('partially_issued')
                updates.append((seconds(moment), issuers[parcel.id],
                        'id_check' if term and term.id_check_required
                        else 'code', parcel.id))
            execute_many(cursor, parcel_t.update(
                    [parcel_t.issued_at, parcel_t.issued_by,
                        parcel_t.verification],
                    [None, None, None], where=parcel_t.id == 0), updates)

        # the records read so far hold the dates of 'now'
        for cache in self.gen.transaction.cache.values():
            cache.clear()
        self.backdate_notifications(ids)

        updates, scan_updates = [], []
        for reception_id, (opened, closed, _) in self.receptions.items():
            updates.append((opened, closed, opened, reception_id))
        execute_many(cursor, reception_t.update(
                [reception_t.opened_at, reception_t.closed_at,
                    reception_t.create_date],
                [None, None, None], where=reception_t.id == 0), updates)
        for sub in chunks(list(self.receptions), 500):
            cursor.execute(*scan_t.select(
                    scan_t.id, scan_t.reception, scan_t.barcode,
                    scan_t.result,
                    where=scan_t.reception.in_(sub)))
            for scan_id, reception_id, barcode, result in cursor.fetchall():
                opened, closed, scans = self.receptions[reception_id]
                if result == 'missing':
                    moment = closed
                else:
                    moment = opened + 25 * second * self.scan_times.get(
                        (reception_id, barcode), scans)
                scan_updates.append((moment, moment, scan_id))
        execute_many(cursor, scan_t.update(
                [scan_t.date, scan_t.create_date], [None, None],
                where=scan_t.id == 0), scan_updates)
