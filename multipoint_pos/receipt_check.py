"""The checks a receipt passes before it reaches the register.

A register prints what it gets and cannot take a receipt back, and the tax
authority refuses an agent receipt without the supplier's INN (tag 1226) or
phone (tag 1171), without the agent attribute (tags 1222/1057), or with a VAT
rate that is not in force. These are found here, before the money is taken
when possible, with what to fix in the supplier's card.
"""
from stdnum.ru import inn as ru_inn

from trytond.i18n import gettext

from .vat import RECEIPT_VAT_RATES, in_force, rates_in_force


def printing_problem(supplier, inn, phone, items, date, agent_required=True):
    """The message of the first reason a receipt of supplier cannot print,
    or None.

    supplier: its name; inn, phone: as the receipt would carry them;
    items: (name, vat_rate, agent_type) of its lines; date: the settlement's
    date at the point (which VAT rates are in force); agent_required: the
    point sells the supplier's goods as its agent (every item needs the
    agent attribute)."""
    if agent_required:
        for name, _, agent_type in items:
            if not agent_type:
                return gettext('multipoint_pos.msg_receipt_agent_missing',
                    supplier=supplier, item=name)
    if any(agent_type for _, _, agent_type in items):
        if not inn:
            return gettext('multipoint_pos.msg_receipt_inn_missing',
                supplier=supplier)
        if not ru_inn.is_valid(inn):
            return gettext('multipoint_pos.msg_receipt_inn_invalid',
                supplier=supplier, inn=inn)
        if not phone:
            return gettext('multipoint_pos.msg_receipt_phone_missing',
                supplier=supplier)
    for name, vat_rate, _ in items:
        if not in_force(vat_rate, date):
            return gettext('multipoint_pos.msg_receipt_vat_rate_not_in_force',
                supplier=supplier, item=name,
                rate=dict(RECEIPT_VAT_RATES).get(vat_rate, vat_rate),
                date=date.strftime('%d.%m.%Y'),
                rates=', '.join(rates_in_force(date)))
    return None
