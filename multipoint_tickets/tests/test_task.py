"""The organizer: recurrence across month ends and weekdays in the points'
time zones, the next occurrence made by completing a task, reminders sent
by the cron job, the "today" list and what each role may do"""
import datetime as dt
import unittest
from zoneinfo import ZoneInfo

from trytond.model.exceptions import AccessError
from trytond.modules.multipoint_core.tests.tools import DBTestCase, committed
from trytond.modules.multipoint_tickets.recurrence import (
    next_due, next_local)
from trytond.modules.multipoint_tickets.tests.tools import (
    as_user, clock_at, create_network, outbox, with_network)
from trytond.pool import Pool

D = dt.datetime
MINUTE = dt.timedelta(minutes=1)


def series(recurrence, start, n, **rule):
    "n occurrences of a local series after start"
    result, current = [], start
    for _ in range(n):
        current = next_local(recurrence, current, **rule)
        result.append(current)
    return result


class RecurrenceTestCase(unittest.TestCase):
    "Test the recurrence rules (no database)"

    def test_monthly_on_the_31st(self):
        "Day 31 falls on the month's last day and comes back to the 31st"
        self.assertEqual(
            series('monthly', D(2024, 1, 31, 10), 5, month_day=31), [
                D(2024, 2, 29, 10), D(2024, 3, 31, 10), D(2024, 4, 30, 10),
                D(2024, 5, 31, 10), D(2024, 6, 30, 10)])
        self.assertEqual(
            series('monthly', D(2025, 1, 31, 10), 2, month_day=31), [
                D(2025, 2, 28, 10), D(2025, 3, 31, 10)])
        # without a day: the day of the due date (the task fills it in)
        self.assertEqual(next_local('monthly', D(2025, 1, 31, 10)),
            D(2025, 2, 28, 10))
        self.assertEqual(
            series('monthly', D(2024, 1, 30, 9), 3, month_day=30), [
                D(2024, 2, 29, 9), D(2024, 3, 30, 9), D(2024, 4, 30, 9)])
        self.assertEqual(series('monthly', D(2025, 11, 30), 3, month_day=31),
            [D(2025, 12, 31), D(2026, 1, 31), D(2026, 2, 28)])

    def test_monthly_on_a_given_day(self):
        self.assertEqual(
            series('monthly', D(2025, 12, 10, 12), 2, month_day=15),
            [D(2025, 12, 15, 12), D(2026, 1, 15, 12)])

    def test_weekly_on_given_days(self):
        # 2026-03-06 is a Friday
        self.assertEqual(series('weekly', D(2026, 3, 6, 18), 2,
                weekdays=['4']), [D(2026, 3, 13, 18), D(2026, 3, 20, 18)])
        self.assertEqual(series('weekly', D(2026, 3, 4, 9), 4,
                weekdays=['0', '2', '4']), [
                D(2026, 3, 6, 9), D(2026, 3, 9, 9), D(2026, 3, 11, 9),
                D(2026, 3, 13, 9)])
        # no day given: the weekday of the due date
        self.assertEqual(series('weekly', D(2026, 3, 3, 9), 1),
            [D(2026, 3, 10, 9)])

    def test_daily_and_none(self):
        self.assertEqual(series('daily', D(2024, 2, 28, 8), 2),
            [D(2024, 2, 29, 8), D(2024, 3, 1, 8)])
        self.assertIsNone(next_local('none', D(2024, 2, 28, 8)))

    def test_time_zones(self):
        """The local time of day is kept in zones east of UTC, where the
        local date is not the UTC date"""
        vladivostok = ZoneInfo('Asia/Vladivostok')  # UTC+10, no DST
        # 08:00 local on Jan 31 is 22:00 UTC on Jan 30
        due = D(2024, 1, 30, 22)
        self.assertEqual(next_due('monthly', due, vladivostok),
            D(2024, 2, 28, 22))  # Feb 29, 08:00 local
        self.assertEqual(next_due('monthly', D(2024, 2, 28, 22),
                vladivostok, month_day=31), D(2024, 3, 30, 22))
        kaliningrad = ZoneInfo('Europe/Kaliningrad')  # UTC+2
        # Friday 18:00 local = 16:00 UTC
        self.assertEqual(next_due('weekly', D(2026, 3, 6, 16), kaliningrad,
                weekdays=['4']), D(2026, 3, 13, 16))
        # done late: the occurrences already past are skipped
        self.assertEqual(next_due('daily', D(2026, 3, 1, 16), kaliningrad,
                after=D(2026, 3, 5, 12)), D(2026, 3, 5, 16))


class TaskTestCase(DBTestCase):
    "Test the organizer"
    module = 'multipoint_tickets'
    language = 'ru'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.network_ids = committed(create_network, user=1)

    def task(self, net, user=None, **values):
        Task = Pool().get('multipoint.task')
        values = dict({'title': "Инкассация", 'point': net['msk'].id},
            **values)
        if user:
            with as_user(user):
                task, = Task.create([values])
        else:
            task, = Task.create([values])
        return Task(task.id)

    @with_network
    def test_completion_makes_the_next_occurrence(self, net):
        "Cash collection on Fridays, a monthly report on the 31st"
        Task = Pool().get('multipoint.task')
        op = net['staff']['op_msk']
        # Friday 2026-03-06 18:00 in Moscow (UTC+3)
        cash = self.task(net, op, due=D(2026, 3, 6, 15), recurrence='weekly',
            reminder_minutes=30, assignee=op.id)
        # the weekday is taken from the due date
        self.assertEqual(cash.weekdays, ('4',))
        done_at = D(2026, 3, 6, 15, 20)
        with clock_at(done_at), as_user(op):
            Task.complete([cash])
        cash = Task(cash.id)
        self.assertEqual((cash.state, cash.done_by, cash.done_at),
            ('done', op, done_at))
        following = cash.next_occurrence
        self.assertEqual(following.due, D(2026, 3, 13, 15))
        self.assertEqual((following.state, following.title,
                following.assignee, following.weekdays,
                following.reminder_minutes, following.previous),
            ('open', "Инкассация", op, ('4',), 30, cash))
        self.assertIsNone(following.done_by)

        # undone and done again: still one next occurrence
        with as_user(op):
            Task.undo([cash])
            cash = Task(cash.id)
            self.assertEqual((cash.state, cash.done_by, cash.done_at),
                ('open', None, None))
            Task.complete([cash])
        self.assertEqual(Task.search([('previous', '=', cash.id)]),
            [following])

        # done late (on Saturday): the next Friday all the same
        with clock_at(D(2026, 3, 14, 9)), as_user(op):
            Task.complete([following])
        self.assertEqual(Task(following.id).next_occurrence.due,
            D(2026, 3, 20, 15))

        # a monthly report on the 31st, 10:00 in Moscow: the day of the
        # month is taken from the due date
        report = self.task(net, title="Отчёт", due=D(2028, 1, 31, 7),
            recurrence='monthly')
        self.assertEqual(report.month_day, 31)
        dues = []
        for _ in range(3):
            with clock_at(report.due):
                Task.complete([report])
            report = Task(report.id).next_occurrence
            dues.append(report.due)
        self.assertEqual(dues, [D(2028, 2, 29, 7), D(2028, 3, 31, 7),
                D(2028, 4, 30, 7)])
        # done five weeks late: the missed months are not made
        with clock_at(D(2028, 6, 5, 12)):
            Task.complete([report])
        self.assertEqual(Task(report.id).next_occurrence.due,
            D(2028, 6, 30, 7))

        # a task that does not repeat has no next occurrence
        once = self.task(net, title="Позвонить в DPD по претензии",
            due=D(2026, 3, 10, 9))
        Task.complete([once])
        self.assertIsNone(Task(once.id).next_occurrence)

    @with_network
    def test_reminders_by_cron(self, net):
        "The cron job reminds the assignee, else the point's staff, once"
        pool = Pool()
        Task = pool.get('multipoint.task')
        Cron = pool.get('ir.cron')
        cron, = Cron.search(
            [('method', '=', 'multipoint.task|send_reminders')])
        due = D(2026, 3, 6, 15)
        cash = self.task(net, due=due, reminder_minutes=30,
            assignee=net['staff']['manager'].id)
        inventory = self.task(net, title="Инвентаризация зоны A",
            due=due + 60 * MINUTE, reminder_minutes=15)
        self.task(net, title="Без напоминания", due=due)

        with clock_at(due - 31 * MINUTE):
            Cron.run_once([cron])
        self.assertEqual(outbox('task_reminder'), [])
        with clock_at(due - 29 * MINUTE):
            Cron.run_once([cron])
            Cron.run_once([cron])
        told, = outbox('task_reminder')
        self.assertEqual((told.recipient, told.channel, told.point),
            ('manager@multipoint.example', 'email', net['msk']))
        self.assertIn("Инкассация", told.body)
        self.assertIn("06.03.2026 18:00", told.body)  # Moscow time
        self.assertEqual(Task(cash.id).reminded_at, due - 29 * MINUTE)

        # no assignee: the staff of the point (the operator of MSK)
        with clock_at(due + 46 * MINUTE):
            Cron.run_once([cron])
        self.assertEqual([n.recipient for n in outbox('task_reminder')],
            ['manager@multipoint.example', 'op_msk@multipoint.example'])

        # a new due moment, a new reminder; a done task none
        Task.write([Task(cash.id)], {'due': due + 24 * 60 * MINUTE})
        Task.complete([Task(inventory.id)])
        with clock_at(due + 24 * 60 * MINUTE - 10 * MINUTE):
            Cron.run_once([cron])
        self.assertEqual(len(outbox('task_reminder')), 3)

    @with_network
    def test_today(self, net):
        "The point's tasks of its local day, and those still open"
        Task = Pool().get('multipoint.task')
        now = D(2026, 3, 6, 8)  # 11:00 in Moscow
        late = self.task(net, title="Вчерашняя", due=D(2026, 3, 5, 10))
        done_yesterday = self.task(net, title="Сделана",
            due=D(2026, 3, 5, 11))
        Task.complete([done_yesterday])
        # 00:30 Moscow time is still the 5th in UTC
        early = self.task(net, title="Ранняя", due=D(2026, 3, 5, 21, 30))
        evening = self.task(net, title="Вечерняя", due=D(2026, 3, 6, 20, 30))
        done_today = self.task(net, title="Уже", due=D(2026, 3, 6, 6))
        Task.complete([done_today])
        self.task(net, title="Завтра", due=D(2026, 3, 6, 21, 10))
        self.task(net, title="Казань", point=net['kzn'].id,
            due=D(2026, 3, 6, 9))
        self.assertEqual(Task.today(net['msk'], now),
            [late, early, done_today, evening])

    @with_network
    def test_access(self, net):
        "Operators plan and do the tasks of their points only"
        Task = Pool().get('multipoint.task')
        staff = net['staff']
        msk = self.task(net, staff['op_msk'], due=D(2026, 3, 6, 15))
        kzn = self.task(net, staff['op_kzn'], point=net['kzn'].id,
            due=D(2026, 3, 6, 15))
        with as_user(staff['op_kzn']):
            self.assertEqual(Task.search([]), [kzn])
            with self.assertRaises(AccessError):
                Task.read([msk.id], ['title'])
            with self.assertRaises(AccessError):
                Task.complete([Task(msk.id)])
            with self.assertRaises(AccessError):
                Task.delete([Task(kzn.id)])
        with as_user(staff['op_kzn']):
            with self.assertRaises(AccessError):
                Task.create([{'title': "Чужая", 'point': net['msk'].id,
                            'due': D(2026, 3, 6, 15)}])
        self.assertEqual(Task(msk.id).state, 'open')
        with as_user(staff['op_msk']):
            Task.complete([Task(msk.id)])
        with as_user(staff['manager']):
            self.assertEqual(len(Task.search([])), 3)  # + the refused one
            Task.delete([Task(kzn.id)])
        for user in [staff['analyst'], staff['nobody']]:
            with as_user(user):
                with self.assertRaises(AccessError):
                    Task.search([])


del DBTestCase
