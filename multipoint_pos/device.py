"The devices of a point's desk: its fiscal register and its slip printer"
from trytond.model import fields
from trytond.pool import PoolMeta


class Point(metaclass=PoolMeta):
    __name__ = 'multipoint.point'
    fiscal_url = fields.Char(
        "Fiscal Driver URL",
        help="The ATOL Web Server of the point's fiscal register, e.g. "
        "http://10.8.0.12:16732; empty: the server's configuration.")
    printer_host = fields.Char(
        "Slip Printer Host",
        help="The network ESC/POS printer of the desk; empty: the server's "
        "configuration.")
    printer_port = fields.Integer(
        "Slip Printer Port",
        domain=['OR', ('printer_port', '=', None),
            [('printer_port', '>', 0), ('printer_port', '<', 65536)]])
