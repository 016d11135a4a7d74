"""Reading the values of suppliers' records: the same few conversions for
every connector (empty strings are "not given", amounts are Decimal, local
Moscow times become naive UTC)"""
import datetime as dt
from decimal import Decimal, InvalidOperation

CENT = Decimal('0.01')
# Moscow has kept UTC+3 all year since 2014
MOSCOW = dt.timezone(dt.timedelta(hours=3))


def first(record, *names):
    "The first of names that record gives a value, or None"
    for name in names:
        value = record.get(name)
        if value not in (None, ''):
            return value


def text(value):
    "The stripped text of value; None when not given"
    return str(value).strip() if value not in (None, '') else None


def amount(value):
    """The Decimal amount (to the kopeck) of value; None when not given,
    ValueError when it is not an amount"""
    if value in (None, ''):
        return None
    if isinstance(value, float):
        # a JSON number: the decimal the supplier wrote, not the binary float
        value = repr(value)
    try:
        return Decimal(str(value).replace(',', '.')).quantize(CENT)
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}")


def moscow_datetime(value, formats):
    "A naive UTC datetime of value, a Moscow time in one of formats"
    value = str(value).strip()
    for format_ in formats:
        try:
            date = dt.datetime.strptime(value, format_)
            break
        except ValueError:
            continue
    else:
        raise ValueError(f"not a date: {value!r}")
    return date.replace(tzinfo=MOSCOW).astimezone(
        dt.timezone.utc).replace(tzinfo=None)
