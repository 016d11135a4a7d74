from trytond.pool import Pool


class NumberedMixin:
    """Documents (receptions, returns, inventories) take their number from
    their own sequence when they are created"""
    __slots__ = ()
    _number_sequence = None  # XML id of the ir.sequence in multipoint_core

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('number'):
            pool = Pool()
            Sequence = pool.get('ir.sequence')
            ModelData = pool.get('ir.model.data')
            values['number'] = Sequence(ModelData.get_id(
                    'multipoint_core', cls._number_sequence)).get()
        return values
