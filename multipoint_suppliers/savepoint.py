"All or nothing inside a transaction that must survive the failure"
from contextlib import contextmanager

from trytond.transaction import Transaction


@contextmanager
def savepoint(name='multipoint_suppliers'):
    """Roll the block's writes back when it raises, keeping what the
    transaction wrote before (a sync log records the failure of its run)"""
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    logs = len(transaction.log_records)
    tasks = len(transaction.tasks)
    cursor.execute(f'SAVEPOINT {name}')
    try:
        yield
    except BaseException:
        cursor.execute(f'ROLLBACK TO SAVEPOINT {name}')
        # forget what the rolled back writes left in memory
        del transaction.log_records[logs:]
        del transaction.tasks[tasks:]
        for cache in transaction.cache.values():
            cache.clear()
        raise
    else:
        cursor.execute(f'RELEASE SAVEPOINT {name}')
