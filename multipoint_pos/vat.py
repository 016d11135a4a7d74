"""VAT rates of receipt items (tag 1199) and the periods they are in force.

A rate is '22' (included in the price) or a calculated rate '22/122' (the
register computes the tax as amount x 22 / 122: advances, agent and other
cases where the tax is worked out of the total). Which rates a receipt may
carry depends on the date of its settlement: the table ``RATE_PERIODS`` says
when each rate is in force, so that the next change of the law is a new row,
not new code.
"""
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from trytond.modules.multipoint_core.parcel import VAT_RATES

CENT = Decimal('0.01')
CALCULATED_RATES = [
    ('5/105', "5/105"),
    ('7/107', "7/107"),
    ('10/110', "10/110"),
    ('20/120', "20/120"),
    ('22/122', "22/122"),
    ]
RECEIPT_VAT_RATES = VAT_RATES + CALCULATED_RATES
# rate: (in force from, in force until, excluded); None: no limit.
# 20 % gave way to 22 % on 1 January 2026 (Federal Law 425-FZ of 28.11.2025)
RATE_PERIODS = {
    '20': (None, dt.date(2026, 1, 1)),
    '20/120': (None, dt.date(2026, 1, 1)),
    '22': (dt.date(2026, 1, 1), None),
    '22/122': (dt.date(2026, 1, 1), None),
    }


def rate_fraction(rate):
    "(numerator, denominator) of the tax's share of an amount, tax included"
    if '/' in rate:
        numerator, denominator = rate.split('/')
        return Decimal(numerator), Decimal(denominator)
    rate = Decimal(rate)
    return rate, 100 + rate


def vat_amount(amount, rate):
    "The VAT included in amount at rate ('none', '0', ..., '22', '22/122')"
    if rate in (None, 'none', '0'):
        return Decimal('0.00')
    numerator, denominator = rate_fraction(rate)
    return (amount * numerator / denominator).quantize(CENT, ROUND_HALF_UP)


def in_force(rate, date):
    "Whether the rate may be printed on a receipt of a settlement on date"
    start, end = RATE_PERIODS.get(rate, (None, None))
    return (start is None or start <= date) and (end is None or date < end)


def rates_in_force(date):
    "The labels of the rates with a period that are in force on date"
    return [label for rate, label in RECEIPT_VAT_RATES
        if rate in RATE_PERIODS and in_force(rate, date)]
