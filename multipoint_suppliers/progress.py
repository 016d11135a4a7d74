"""The progress of a running import, visible to others while the run's own
transaction (all or nothing) is still open.

The fraction is written in a transaction of its own, committed at once, on
a row of its own: the run's transaction never writes that row, so the two
never conflict (PostgreSQL runs Tryton's transactions in repeatable read).
It is best effort: a progress write that fails or waits is given up. On
SQLite (the embedded demo database) a transaction of its own would share
the run's connection, so progress is PostgreSQL only: there the log shows
its state alone."""
import logging

from trytond import backend
from trytond.model import Index, ModelSQL, fields
from trytond.pool import Pool
from trytond.transaction import Transaction, without_check_access

logger = logging.getLogger(__name__)
# at most this long to wait for the progress row on PostgreSQL
LOCK_TIMEOUT = '200ms'


class SyncProgress(ModelSQL):
    "Supplier Sync Progress"
    __name__ = 'multipoint.supplier.sync.progress'
    log = fields.Many2One(
        'multipoint.supplier.sync.log', "Log", required=True,
        ondelete='CASCADE')
    fraction = fields.Float("Fraction", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.log, Index.Equality())))

    @classmethod
    def fractions(cls, log_ids):
        "{log id: fraction} of the logs that reported progress"
        return {p.log.id: p.fraction
            for p in cls.search([('log', 'in', list(log_ids))])}


def report(log_id, fraction):
    "Record fraction (0 to 1) as the progress of sync log log_id"
    if backend.name != 'postgresql':
        return
    fraction = round(min(max(fraction, 0), 1), 2)
    try:
        with Transaction().new_transaction() as own, without_check_access():
            own.connection.cursor().execute(
                f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            pool = Pool()
            Progress = pool.get('multipoint.supplier.sync.progress')
            SyncLog = pool.get('multipoint.supplier.sync.log')
            if not SyncLog.search([('id', '=', log_id)]):
                # not committed yet: a small file imported by the dialog
                return
            rows = Progress.search([('log', '=', log_id)])
            if rows:
                Progress.write(rows, {'fraction': fraction})
            else:
                Progress.create([{'log': log_id, 'fraction': fraction}])
    except backend.DatabaseOperationalError:
        # the row is busy: the run goes on without
        logger.debug("progress of log %s not recorded", log_id,
            exc_info=True)
