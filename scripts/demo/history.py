"""The planned history of a parcel: the state it ends in, the moments of its
transitions, all in the past; and the shares of the states"""
import datetime as dt
from zoneinfo import ZoneInfo

from .suppliers import SUPPLIERS


# share of parcels per state: the demo shows each state in numbers, the
# bulk mode is a long history (most parcels issued long ago)
DEMO_STATES = {
    'expected': 14, 'accepted': 4, 'stored': 22, 'issued': 34,
    'partially_issued': 5, 'refused': 4, 'to_return': 4, 'returned': 7,
    'cancelled': 4, 'lost': 2,
    }


def bulk_states(history_days):
    "The steady state of a network with history_days of history"
    h = float(history_days)
    on_site = {
        'expected': 2.0 / h, 'accepted': 0.1 / h, 'stored': 5.0 / h,
        'refused': 0.3 / h, 'to_return': 0.6 / h,
        }
    rest = 1 - sum(on_site.values())
    return dict(on_site, **{
            'issued': rest * 0.885, 'partially_issued': rest * 0.04,
            'returned': rest * 0.055, 'cancelled': rest * 0.015,
            'lost': rest * 0.005,
            })


class PlannedHistory:
    """When a parcel was created, arrived and went through its states
    (a part of ParcelFactory, which holds rng, now, points, terms,
    supplier_info and history_days)"""

    def local(self, point_code, day_offset, hour, minute=0):
        "UTC naive moment of a local wall-clock time day_offset days ago"
        tz = ZoneInfo(self.points[point_code].timezone)
        today = self.now.replace(tzinfo=dt.timezone.utc).astimezone(tz).date()
        day = today - dt.timedelta(days=day_offset)
        moment = dt.datetime(day.year, day.month, day.day, hour, minute,
            tzinfo=tz)
        return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def arrival_day(self, state, storage_days, cadence):
        "How many days ago a parcel in state arrived"
        rng = self.rng
        h = self.history_days
        if state == 'accepted':
            return 0
        if state == 'stored':
            if rng.random() < 0.1:      # expired, waiting to be queued
                day = storage_days + rng.randint(1, 3)
            else:
                day = rng.randint(0, max(storage_days - 1, 0))
        elif state == 'refused':
            day = rng.randint(1, max(storage_days, 2))
        elif state == 'to_return':
            day = storage_days + rng.randint(2, 6)
        elif state in {'returned'}:
            day = rng.randint(storage_days + 4, max(h, storage_days + 6))
        elif state == 'lost':
            day = rng.randint(3, max(h, 4))
        else:   # issued, partially issued
            day = int(rng.random() ** 0.9 * h) + 1
        # suppliers deliver every `cadence` days: one reception per day
        if cadence > 1 and day > 0:
            day += -day % cadence
        return day

    def history(self, state, point_code, supplier_key):
        """The planned moments: created, arrival and the path of
        (state, moment) from 'accepted' on, all in the past"""
        rng = self.rng
        info = self.supplier_info[supplier_key]
        terms = self.terms[(supplier_key, point_code)]
        storage_days = terms['storage_days']
        minute = dt.timedelta(minutes=1)
        hour = dt.timedelta(hours=1)
        day = dt.timedelta(days=1)
        last = self.now - 2 * minute

        def between(start, end):
            "A moment after start, before end and before now"
            end = min(end, last)
            if start >= last:
                return last - rng.uniform(0, 5) * minute
            if end <= start:
                end = last
            return start + (end - start) * rng.uniform(0.02, 1)

        if state == 'expected':
            created = self.now - rng.uniform(0.5, 72) * hour
            return {'created': created, 'arrival_day': None, 'path': []}
        if state == 'cancelled':
            created = self.now - rng.uniform(2, self.history_days) * day
            return {'created': created, 'arrival_day': None,
                'path': [('cancelled', between(created, created + day))]}
        arrival_day = self.arrival_day(state, storage_days, info['cadence'])
        # the courier of each supplier comes at its own hour
        slot = SUPPLIERS.index(info)
        arrival = self.local(point_code, arrival_day, 9 + slot % 4,
            (slot * 17) % 60)
        if arrival > last - 30 * minute:
            # today's delivery of this supplier came a while ago
            arrival = (last - (30 + 11 * slot) * minute).replace(
                second=0, microsecond=0)
        created = arrival - rng.uniform(12, 96) * hour
        path = [('accepted', arrival)]
        if state != 'accepted':
            stored = between(arrival + 5 * minute, arrival + 90 * minute)
            path.append(('stored', stored))
            deadline = arrival + storage_days * day
            if state in {'issued', 'partially_issued'}:
                path.append((state, between(stored, deadline)))
            elif state == 'refused':
                path.append(('refused', between(stored, deadline)))
            elif state in {'to_return', 'returned'}:
                if rng.random() < 0.45:
                    refused = between(stored, deadline)
                    path.append(('refused', refused))
                    path.append(('to_return', between(
                                refused + hour, refused + 20 * hour)))
                else:   # not collected in time
                    path.append(('to_return', between(
                                deadline + 14 * hour, deadline + 30 * hour)))
                if state == 'returned':
                    path.append(('returned', between(
                                path[-1][1] + day, path[-1][1] + 5 * day)))
            elif state == 'lost':
                path.append(('lost', between(stored + day, stored + 10 * day)))
        return {'created': created, 'arrival_day': arrival_day,
            'arrival': arrival, 'path': path}
