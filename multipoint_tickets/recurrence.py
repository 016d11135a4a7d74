"""The occurrences of a recurring task, in the local time of its point.

A series keeps the local time of day of its due moment. Monthly dates
come from the rule, never from the previous date: on day 31 the series
goes Jan 31, Feb 28 (29 in a leap year), Mar 31, Apr 30... and does not
drift to the 28th. The points' time zones have no daylight saving time
(Russia), but the conversions go through zoneinfo all the same.
"""
import calendar
import datetime as dt

RECURRENCES = [
    ('none', "Does Not Repeat"),
    ('daily', "Daily"),
    ('weekly', "Weekly"),
    ('monthly', "Monthly"),
    ]
# Monday is 0, as date.weekday() counts
WEEKDAYS = [
    ('0', "Monday"),
    ('1', "Tuesday"),
    ('2', "Wednesday"),
    ('3', "Thursday"),
    ('4', "Friday"),
    ('5', "Saturday"),
    ('6', "Sunday"),
    ]


def month_date(year, month, day):
    "Day of year/month, or the month's last day when it is shorter"
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def next_local(recurrence, due, weekdays=(), month_day=None):
    """The occurrence after due (a naive local datetime) or None when the
    task does not repeat. weekdays: '0'..'6' (empty: the weekday of due);
    month_day: 1..31 (empty: the day of due)."""
    day, time = due.date(), due.time()
    if recurrence == 'daily':
        following = day + dt.timedelta(days=1)
    elif recurrence == 'weekly':
        wanted = {int(w) for w in weekdays or ()} or {day.weekday()}
        following = next(day + dt.timedelta(days=i) for i in range(1, 8)
            if (day + dt.timedelta(days=i)).weekday() in wanted)
    elif recurrence == 'monthly':
        n = month_day or day.day
        following = month_date(day.year, day.month, n)
        if following <= day:
            year, month = divmod(day.year * 12 + day.month, 12)
            following = month_date(year, month + 1, n)
    else:
        return None
    return dt.datetime.combine(following, time)


def to_local(moment, tzinfo):
    "A naive UTC datetime as a naive local one"
    return moment.replace(tzinfo=dt.timezone.utc).astimezone(
        tzinfo).replace(tzinfo=None)


def to_utc(moment, tzinfo):
    "A naive local datetime as a naive UTC one"
    return moment.replace(tzinfo=tzinfo).astimezone(
        dt.timezone.utc).replace(tzinfo=None)


def next_due(recurrence, due, tzinfo, after=None, weekdays=(),
        month_day=None):
    """The next due moment (naive UTC) of a series whose occurrence is due
    (naive UTC), skipping those not after `after` (naive UTC): a series
    done late goes on from now, without a backlog of missed copies."""
    local = to_local(due, tzinfo)
    while True:
        local = next_local(recurrence, local, weekdays, month_day)
        if local is None:
            return None
        moment = to_utc(local, tzinfo)
        if after is None or moment > after:
            return moment
