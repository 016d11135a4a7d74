"""Marked goods (Честный знак) on parcel items.

An item of a marked group carries its marking code: from the supplier
(manifest, connector, API) or scanned at the desk from the item's
DataMatrix when the supplier did not send it. The code goes into the
agent receipt of the item and, for a refused item, back with the return.
A code identifies one piece: a marked item is a line of quantity 1.
"""
from trytond.i18n import gettext
from trytond.model import fields

from .exceptions import IssueError, ParcelValidationError, RequestError
from .guard import business
from .marking import MarkingCodeError, normalize_gtin, parse

# the parcel is at the point, waiting for its recipient
SCAN_STATES = {'accepted', 'stored'}


def marking_message(reason, **variables):
    "The Russian (user's language) text of a MarkingCodeError reason"
    return gettext(f'multipoint_core.msg_marking_{reason}', **variables)


class ParcelLineMarkingMixin:
    "The marking code of a parcel item"
    __slots__ = ()
    marked = fields.Boolean(
        "Marked Goods",
        help="The item belongs to a group of goods with mandatory marking: "
        "its marking code is scanned at issue when the supplier did not "
        "send it.")
    gtin = fields.Char(
        "GTIN", size=14, strip=True,
        help="The item's GTIN, when known: a scanned code must carry it.")
    marking_code = fields.Char(
        "Marking Code", strip=False,
        help="The item's DataMatrix code as scanned (GS1, with its "
        "crypto tail); sent to the register in the agent receipt.")

    @staticmethod
    def default_marked():
        return False

    @classmethod
    def create(cls, vlist):
        vlist = [cls._marking_values(dict(v)) for v in vlist]
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        args = [a for records, values in zip(actions, actions)
            for a in (records, cls._marking_values(dict(values)))]
        super().write(*args)

    @classmethod
    def _marking_values(cls, values):
        """values with the marking code in its stored form: an item with a
        code is marked and has the code's GTIN"""
        if values.get('gtin'):
            gtin = normalize_gtin(values['gtin'])
            if not gtin:
                raise ParcelValidationError(marking_message(
                        'gtin_invalid', code=values['gtin']))
            values['gtin'] = gtin
        if values.get('marking_code'):
            code = cls.read_marking_code(values['marking_code'])
            values['marking_code'] = code.code
            values['marked'] = True
            if values.get('gtin') and values['gtin'] != code.gtin:
                raise ParcelValidationError(gettext(
                        'multipoint_core.msg_marking_gtin_mismatch',
                        code=code.short, gtin=values['gtin']))
            values.setdefault('gtin', code.gtin)
        return values

    @classmethod
    def read_marking_code(cls, text):
        "The MarkingCode of text; a user error in Russian when malformed"
        try:
            return parse(text)
        except MarkingCodeError as error:
            raise ParcelValidationError(marking_message(
                    error.reason, code=_shown(text)))

    @classmethod
    def validate(cls, lines):
        super().validate(lines)
        for line in lines:
            if line.marked and line.quantity != 1:
                raise ParcelValidationError(gettext(
                        'multipoint_core.msg_marking_one_piece',
                        item=line.name))
            if line.marking_code and line.gtin and (
                    parse(line.marking_code).gtin != line.gtin):
                raise ParcelValidationError(gettext(
                        'multipoint_core.msg_marking_gtin_mismatch',
                        code=parse(line.marking_code).short,
                        gtin=line.gtin))

    @classmethod
    @business
    def scan_marking_codes(cls, codes):
        """Store the codes {line: scanned text} scanned at the desk from the
        items' DataMatrix, while their parcel waits for its recipient. A
        code must be well formed and of the item's GTIN when it is known."""
        to_write = []
        for line, text in codes.items():
            if line.parcel.state not in SCAN_STATES:
                raise IssueError(gettext(
                        'multipoint_core.msg_marking_scan_state',
                        item=line.name, parcel=line.parcel.rec_name,
                        state=line.parcel.state_string))
            code = cls.read_marking_code(text)
            if line.gtin and line.gtin != code.gtin:
                raise IssueError(gettext(
                        'multipoint_core.msg_marking_gtin_mismatch',
                        code=code.short, gtin=line.gtin))
            if line.marking_code != code.code:
                to_write.extend(([line], {'marking_code': code.code}))
        if to_write:
            cls.write(*to_write)

    @classmethod
    def check_marking_codes(cls, parcels, refused):
        """Refuse the issue of parcels while an issued marked item has no
        code (refused: {line: quantity refused}, those stay out)"""
        for parcel in parcels:
            missing = [l.name for l in parcel.lines
                if l.marked and not l.marking_code
                and (refused.get(l) or 0) < l.quantity]
            if missing:
                raise IssueError(gettext(
                        'multipoint_core.msg_marking_code_missing',
                        items=', '.join(missing), parcel=parcel.rec_name))


def marking_codes_of(pool, data, parcels):
    """{line: scanned text} of an issue request's ``marking_codes``
    ({line id: code}), the lines among the parcels' items"""
    wanted = data.get('marking_codes') or {}
    if not isinstance(wanted, dict):
        raise RequestError(gettext('multipoint_core.msg_api_bad_json'))
    lines = {l.id: l for p in parcels for l in p.lines}
    codes = {}
    for line_id, text in wanted.items():
        try:
            line = lines.get(int(line_id))
        except (TypeError, ValueError):
            line = None
        if line is None or not isinstance(text, str):
            raise RequestError(gettext(
                    'multipoint_core.msg_marking_line_unknown',
                    line=line_id))
        codes[line] = text
    return codes


def _shown(text):
    "A scanned text for a message: its separators visible, not too long"
    text = str(text or '').replace('\x1d', '<GS>')
    return text if len(text) <= 40 else text[:37] + '...'

