"""What a scanned parcel label can look like.

The carriers' labels a point scans are linear codes (Code 128, Code 39,
EAN/ITF) or 2D codes printed with a short identifier, and what the scanner
types is plain ASCII:

- digits only: CDEK (10-12), PickPoint (10-12), Hermes (14), Почта России's
  internal 14-digit codes, EAN-13 of shops (``2000000012345``);
- letters and digits: Почта России's international S10 (``RA123456789RU``),
  Boxberry (``XXXX12345678``), DPD (``RU012345678``), Yandex Market
  (``FF12345678-1``);
- with separators: a place suffix after ``-`` or ``_`` or ``/``
  (``12345678-2``, ``ORD-42/1``), dots in shops' own codes, ``+`` in Code 39;
- GS1-128 written with its application identifiers in parentheses
  (``(00)046012345678901234``);
- local shops labelling boxes with their order numbers, Cyrillic included
  (``ЛМ-00042``).

So a plausible barcode is 4 to 64 characters, each a Latin or Cyrillic
letter, a digit or one of ``- _ / . + ( )``, with at least one letter or
digit. Everything else is not a label: a space, a control character (a
scanner's stray Enter/Tab/GS, a NUL), punctuation such as ``; % , * #``, a
code too short to be one (a cell's ``A-1``) or too long (a paste of a whole
text). Such input is refused where unknown codes would be recorded as they
are (surplus at acceptance, unknown at inventory), so that junk never
becomes a record; a plausible code nobody knows still does, and a code a
parcel place has is always taken, whatever its form.
"""
import re
import unicodedata

MIN_LENGTH = 4
MAX_LENGTH = 64
ALLOWED = re.compile(r'[A-Za-zА-Яа-яЁё0-9\-_/.+()]+')
ALNUM = re.compile(r'[A-Za-zА-Яа-яЁё0-9]')


def is_plausible_barcode(text):
    "Whether text (already stripped) can be a carrier's parcel label"
    if not isinstance(text, str):
        return False
    return (MIN_LENGTH <= len(text) <= MAX_LENGTH
        and bool(ALLOWED.fullmatch(text))
        and bool(ALNUM.search(text)))


def is_searchable(text):
    """Whether text may be looked up as a barcode at all: no control
    character (a NUL breaks PostgreSQL's queries) and not over the length
    any stored barcode has"""
    return (isinstance(text, str) and len(text) <= 128
        and not any(unicodedata.category(c) == 'Cc' for c in text))


def shown_barcode(text, limit=40):
    """text made safe to show in a message: control characters written as
    \\xNN, cut to limit characters"""
    text = str(text or '')
    cut = len(text) > limit
    text = ''.join(
        f'\\x{ord(c):02x}' if unicodedata.category(c)[0] == 'C' else c
        for c in text[:limit])
    return text + ('…' if cut else '')
