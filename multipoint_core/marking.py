"""Marking codes of marked goods (Честный знак): reading a scanned code.

A code is a GS1 DataMatrix string: ``01`` GTIN (14 digits), ``21`` serial
(up to 20 characters), then, in the full code, the crypto tail ``91`` key
(4 characters) and ``92`` signature (44 or 88 characters), each variable
length element ended by the group separator GS (ASCII 29). The short form
is ``01`` GTIN ``21`` serial alone.

Scanners and files deliver the separator in several ways; accepted:

- the GS character itself (a scanner set up for it, the supplier's JSON);
- written out as text: ``\\u001d``, ``\\x1d``, ``<GS>``, ``{GS}`` (manifest
  files, web forms);
- missing, when the scanner drops it: the serial then ends where the
  ``91`` key and ``92`` signature of the tail fit exactly;
- a leading FNC1 or symbology identifier (``]d2``, ``]C1``, GS, ``\\xe8``)
  is dropped.

Every form is stored the same way (``code`` below: GS as ASCII 29), so that
a code scanned twice is the same string.
"""
import re
from dataclasses import dataclass

GS = '\x1d'
# how the separator arrives when written out as text
GS_SPELLINGS = ['\\u001d', '\\u001D', '\\x1d', '\\x1D', '<GS>', '{GS}']
# what a scanner may put before the data: AIM identifiers and FNC1
PREFIXES = [']d2', ']C1', ']Q3', GS, '\xe8']
# GS1 AI 21 characters (the "82" set of the GS1 general specifications)
SERIAL = r'[!"%&\'()*+,\-./0-9:;<=>?A-Z_a-z]'
SERIAL_RE = re.compile(f'{SERIAL}{{1,20}}')
TAIL_RE = re.compile(
    f'91({SERIAL}{{4}})92({SERIAL}{{44}}|{SERIAL}{{88}})')
KEY_RE = re.compile(f'{SERIAL}{{4}}')
SIGNATURE_RE = re.compile(f'{SERIAL}{{44}}|{SERIAL}{{88}}')


class MarkingCodeError(ValueError):
    """A text that is no marking code; ``reason`` names the message
    (multipoint_core.msg_marking_<reason>)"""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class MarkingCode:
    gtin: str
    serial: str
    key: str | None = None  # AI 91
    signature: str | None = None  # AI 92

    @property
    def code(self):
        "The code as stored and sent to the register"
        code = f'01{self.gtin}21{self.serial}'
        if self.key:
            code += f'{GS}91{self.key}{GS}92{self.signature}'
        return code

    @property
    def short(self):
        "The code without its crypto tail: what identifies the piece"
        return f'01{self.gtin}21{self.serial}'


def gtin_valid(gtin):
    "Whether gtin is 14 digits with a right GS1 check digit"
    if not re.fullmatch(r'\d{14}', gtin or ''):
        return False
    digits = [int(c) for c in gtin]
    total = sum(d * (3 if i % 2 == 0 else 1)
        for i, d in enumerate(digits[:-1]))
    return (10 - total % 10) % 10 == digits[-1]


def normalize_gtin(text):
    "The 14-digit GTIN of an EAN-13/GTIN text, None if malformed"
    text = (text or '').strip()
    if re.fullmatch(r'\d{8}|\d{12,14}', text):
        text = text.zfill(14)
        if gtin_valid(text):
            return text
    return None


def parse(text):
    "The MarkingCode of a scanned text; MarkingCodeError when malformed"
    text = (text or '').strip()
    for spelling in GS_SPELLINGS:
        text = text.replace(spelling, GS)
    for prefix in PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    if not text:
        raise MarkingCodeError('code_empty')
    if not text.startswith('01') or len(text) < 18:
        raise MarkingCodeError('code_format')
    gtin = text[2:16]
    if not gtin_valid(gtin):
        raise MarkingCodeError('gtin_invalid')
    rest = text[16:]
    if not rest.startswith('21'):
        raise MarkingCodeError('code_format')
    rest = rest[2:]
    if GS in rest:
        serial, *tail = rest.split(GS)
        key = signature = None
        for element in tail:
            if element.startswith('91') and key is None:
                key = element[2:]
            elif element.startswith('92') and signature is None:
                signature = element[2:]
            else:
                raise MarkingCodeError('code_format')
        if (key is None) != (signature is None) or (key is not None and not (
                    KEY_RE.fullmatch(key)
                    and SIGNATURE_RE.fullmatch(signature))):
            raise MarkingCodeError('tail_invalid')
    else:
        serial, key, signature = _split_without_separator(rest)
    if not SERIAL_RE.fullmatch(serial):
        raise MarkingCodeError('serial_invalid')
    return MarkingCode(gtin, serial, key, signature)


def _split_without_separator(rest):
    """(serial, key, signature) of the text after AI 21 when the scanner
    dropped the separators: the tail is the only 91/92 ending that fits"""
    for start in range(1, min(len(rest), 21)):
        match = TAIL_RE.fullmatch(rest, start)
        if match:
            return rest[:start], match.group(1), match.group(2)
    return rest, None, None
