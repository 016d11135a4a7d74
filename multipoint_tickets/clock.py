"""The module's clock: every deadline, reminder and escalation reads the
time here, so a test can move it (unittest.mock.patch.object(clock,
'utcnow', ...)) and run the cron jobs as they would run later."""
import datetime as dt


def utcnow():
    return dt.datetime.utcnow().replace(microsecond=0)
