"""What the steps of the demo data share: logging, numbers, batches and the
raw SQL helpers"""
from decimal import Decimal


CENT = Decimal('0.01')


def _digits(rng, n):
    return ''.join(rng.choice('0123456789') for _ in range(n))


def scramble(counter, width, salt=0):
    """A number that looks random but is unique for every counter below
    10**width: x -> a*x + b mod 10**width is a bijection when a is prime
    to 10 (a near the golden ratio of the range spreads the digits)"""
    modulus = 10 ** width
    mult = int(modulus * 0.6180339887) | 1
    if mult % 5 == 0:
        mult += 2
    add = (salt * 7919 + modulus // 3) % modulus
    return f'{(counter * mult + add) % modulus:0{width}d}'


def inn10(base):
    "A 10-digit INN of a legal entity with its check digit"
    weights = [2, 4, 10, 3, 5, 9, 4, 6, 8]
    check = sum(w * int(d) for w, d in zip(weights, base)) % 11 % 10
    return base + str(check)


def seconds(moment):
    "DateTime fields hold whole seconds (Timestamp ones keep the rest)"
    return moment.replace(microsecond=0) if moment else moment


def log(message, *args):
    print(message % args if args else message, flush=True)


def chunks(items, size):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def execute_many(cursor, query, rows):
    "Run a python-sql query built with placeholder values for every row"
    if not rows:
        return
    sql, _ = tuple(query)
    for sub in chunks(rows, 2000):
        cursor.executemany(sql, sub)
