"The suppliers' receipt data (a party of the party module)"
from trytond.model import fields
from trytond.pool import PoolMeta

from .receipt import AGENT_TYPES


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'
    multipoint_agent_type = fields.Selection(
        AGENT_TYPES, "Agent Attribute",
        help="The agent attribute the points print on the receipts of this "
        "supplier's goods (tags 1057/1222); empty: paying agent.")
