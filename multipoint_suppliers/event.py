from trytond.pool import Pool, PoolMeta


class ParcelEvent(metaclass=PoolMeta):
    __name__ = 'multipoint.parcel.event'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # what a supplier's sync or manifest changed on an expected parcel
        cls.kind.selection.append(('supplier_update', "Supplier Update"))

    @classmethod
    def create(cls, vlist):
        # every event goes to the outbox of the suppliers that want it
        events = super().create(vlist)
        Pool().get('multipoint.supplier.outbox').add_events(events)
        return events
