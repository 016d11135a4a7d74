from trytond.model import Index
from trytond.pool import PoolMeta


class Event(metaclass=PoolMeta):
    __name__ = 'multipoint.parcel.event'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # the service time and the peak hours read only the served
        # recipients (one journal row in six) of a range of dates: read
        # from this index alone, without the rest of the journal
        cls._sql_indexes.add(Index(t, (t.date, Index.Range()),
                where=t.kind == 'service',
                include=[t.point, t.user, t.duration, t.parcel]))
