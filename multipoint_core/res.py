from trytond.model import fields
from trytond.pool import PoolMeta


class User(metaclass=PoolMeta):
    __name__ = 'res.user'
    multipoint_points = fields.Many2Many(
        'multipoint.point-res.user', 'user', 'point', "Pickup Points",
        help="The points where this person works.")
