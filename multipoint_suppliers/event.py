from trytond.pool import PoolMeta


class ParcelEvent(metaclass=PoolMeta):
    __name__ = 'multipoint.parcel.event'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # what a supplier's sync or manifest changed on an expected parcel
        cls.kind.selection.append(('supplier_update', "Supplier Update"))
