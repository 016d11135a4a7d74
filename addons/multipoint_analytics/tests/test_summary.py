"""The daily summary gives the same figures as the journal.

Every test of test_analytics of the tables that read it runs again with the summary built through
15 March 2025 — so a month reads the summary up to the 15th and the
journal after it, and the previous month (the network) only the summary —
and compares with the same counts made from the plan. Then the summary
takes the rows written after it was built: late rows of summarized days and
the days that have ended since."""
import datetime as dt
from collections import Counter

from trytond.modules.company.tests import set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from . import test_analytics
from .test_analytics import EVENTS, to_utc

# the cron's run at noon UTC on 17 March: every point's 15 March has ended
BUILT_AT = dt.datetime(2025, 3, 17, 11, 0)
THROUGH = dt.date(2025, 3, 15)


class AnalyticsSummaryTestCase(test_analytics.AnalyticsTestCase):

    # the tables that never read the summary are tested once, over there
    test_service_time = test_peak_hours = None
    test_nearest_rank_small_samples = test_shelf = None
    test_operator_sees_own_points_only = test_export_xlsx = None
    test_russian_strings = None

    def plant(self):
        plan = super().plant()
        Day = Pool().get('multipoint.analytics.day')
        Day.refresh(now=BUILT_AT)
        self.assertEqual(Day.summarized_through(), THROUGH)
        return plan

    def summary_rows(self):
        Day = Pool().get('multipoint.analytics.day')
        day = Day.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*day.select(day.point, day.supplier, day.day,
                day.issued, day.recipients, day.recipients_all))
        return cursor.fetchall()

    @with_transaction()
    def test_summary_holds_ended_days_only(self):
        "One row per point, supplier and day up to the last ended day"
        self.plant()
        rows = self.summary_rows()
        self.assertTrue(rows)
        days = {dt.date.fromisoformat(d)
            if isinstance(d, str) else d for _, _, d, *_ in rows}
        self.assertLessEqual(max(days), THROUGH)
        keys = [(p, s, d) for p, s, d, *_ in rows]
        self.assertEqual(len(keys), len(set(keys)))
        # recipients served counted once per day in the supplier-less row
        served = Counter()
        for point, supplier, day, _, _, recipients_all in rows:
            if supplier is None:
                served[point] += recipients_all
        expected = Counter()
        for point, _, _, local, _ in self.services:
            if local.date() <= THROUGH:
                expected[point.id] += 1
        self.assertEqual(served, expected)

    @with_transaction()
    def test_late_rows_and_new_days(self):
        """A journal row written after the build for a summarized day, and
        the days ended since, are in the figures after the next run and
        counted once"""
        pool = Pool()
        Event = pool.get('multipoint.parcel.event')
        Day = pool.get('multipoint.analytics.day')
        self.plant()
        late = dt.datetime(2025, 3, 3, 23, 40)  # summarized at the build
        recent = dt.datetime(2025, 3, 20, 10, 0)  # after the build
        parcel = pool.get('multipoint.parcel').search([
                ('point', '=', self.nsk.id),
                ('supplier', '=', self.wb.id)], limit=1)[0]
        for local in [late, recent]:
            Event.create([dict(EVENTS['issued'], parcel=parcel.id,
                        point=self.nsk.id,
                        date=to_utc(local, self.nsk.timezone))])
            self.plan.append(('issued', self.nsk, self.wb, local))
        with set_company(self.company):
            # before the next run: the late row waits, the recent day is
            # read from the journal
            got, _ = self.figures('day')
            expected = dict(self.expected('day'))
            self.assertEqual(got[self.nsk.id, recent.date()],
                expected[self.nsk.id, recent.date()])
            self.assertEqual(
                got.get((self.nsk.id, late.date()), Counter())['issued'],
                expected[self.nsk.id, late.date()]['issued'] - 1)

            Day.refresh(now=dt.datetime(2025, 3, 25, 13, 0))
            self.assertEqual(Day.summarized_through(), dt.date(2025, 3, 24))
            for period in ['day', 'month']:
                got, _ = self.figures(period)
                self.assertEqual(got, dict(self.expected(period)), period)
            got, _ = self.figures('day', supplier=self.wb.id)
            self.assertEqual(got, dict(self.expected(
                        'day', supplier=self.wb)))
            # a run with nothing new changes nothing
            before = sorted(self.summary_rows(), key=repr)
            Day.refresh(now=dt.datetime(2025, 3, 25, 14, 0))
            self.assertEqual(sorted(self.summary_rows(), key=repr), before)

    @with_transaction()
    def test_refresh_on_empty_journal(self):
        "Before any journal row there is nothing to summarize"
        Day = Pool().get('multipoint.analytics.day')
        Day.refresh(now=BUILT_AT)
        self.assertIsNone(Day.summarized_through())
        self.assertEqual(self.summary_rows(), [])

    @with_transaction()
    def test_summary_denied_to_operators(self):
        "Operators read the figures of their points, not the summary"
        from trytond.model.exceptions import AccessError
        from trytond.modules.multipoint_core.tests.tools import create_user
        from trytond.transaction import check_access
        Day = Pool().get('multipoint.analytics.day')
        self.plant()
        owner = create_user('owner-s', groups=['owner'],
            company=self.company)
        with Transaction().set_context(company=self.company.id):
            with Transaction().set_user(owner.id), check_access():
                self.assertTrue(Day.search([]))
            with Transaction().set_user(self.op_msk.id), check_access():
                with self.assertRaises(AccessError):
                    Day.search([])


del test_analytics
