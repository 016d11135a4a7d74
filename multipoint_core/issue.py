"""Issue to the recipient: issue codes, verification and the issue itself.

Codes are stored as an HMAC under a per-database secret, so a code can be
checked and looked up but not read back. Wrong codes are counted per parcel
and lock its code for a while.
"""
import datetime as dt
import hashlib
import hmac
import secrets

from sql import Null

from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool
from trytond.transaction import Transaction

from .exceptions import IssueError


def code_hash(code):
    Configuration = Pool().get('multipoint.configuration')
    secret = Configuration.get_config().code_secret
    return hmac.new(secret.encode(), (code or '').strip().encode(),
        hashlib.sha256).hexdigest()


class ParcelIssueMixin:
    "Issue codes, verification and issue of parcels"
    __slots__ = ()
    issue_code_hash = fields.Char("Issue Code Hash", readonly=True)
    code_attempts = fields.Integer("Wrong Code Attempts", readonly=True)
    code_locked_until = fields.DateTime("Code Locked Until", readonly=True)
    issued_at = fields.DateTime("Issued At", readonly=True)
    issued_by = fields.Many2One('res.user', "Issued By", readonly=True)
    verification = fields.Char(
        "Verification", readonly=True,
        help="How the recipient was verified at issue.")

    @staticmethod
    def default_code_attempts():
        return 0

    @classmethod
    def generate_codes(cls, parcels):
        """Give each parcel a new issue code, unique among the parcels at its
        point, and return {parcel: plain code} for the notification"""
        pool = Pool()
        Configuration = pool.get('multipoint.configuration')
        length = Configuration.get_config().code_length
        # the hashes only, in one query: no record per parcel of the point
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.issue_code_hash,
                where=table.point.in_(list({p.point.id for p in parcels}))
                & table.state.in_(['expected', 'accepted', 'stored'])
                & (table.issue_code_hash != Null)))
        taken = {h for h, in cursor}
        codes = {}
        for parcel in parcels:
            while True:
                code = ''.join(
                    secrets.choice('0123456789') for _ in range(length))
                hashed = code_hash(code)
                if hashed not in taken:
                    break
            taken.add(hashed)
            codes[parcel] = code
            parcel.issue_code_hash = hashed
            parcel.code_attempts = 0
            parcel.code_locked_until = None
        cls.save(parcels)
        return codes

    @classmethod
    def check_codes(cls, codes):
        """Check {parcel: code}; count wrong codes and lock a parcel's code
        after too many. Returns {parcel: error message} for the failures;
        the caller must keep (commit) the counting even when it refuses."""
        pool = Pool()
        Configuration = pool.get('multipoint.configuration')
        Event = pool.get('multipoint.parcel.event')
        config = Configuration.get_config()
        now = dt.datetime.utcnow()
        failures, to_save, locked = {}, [], []
        for parcel, code in codes.items():
            if parcel.code_locked_until and parcel.code_locked_until > now:
                failures[parcel] = gettext(
                    'multipoint_core.msg_issue_code_locked',
                    parcel=parcel.rec_name,
                    minutes=int((parcel.code_locked_until - now)
                        .total_seconds() // 60) + 1)
            elif (parcel.issue_code_hash and code
                    and hmac.compare_digest(
                        parcel.issue_code_hash, code_hash(code))):
                if parcel.code_attempts:
                    parcel.code_attempts = 0
                    to_save.append(parcel)
            else:
                parcel.code_attempts = (parcel.code_attempts or 0) + 1
                if parcel.code_attempts >= config.code_max_attempts:
                    parcel.code_locked_until = now + dt.timedelta(
                        minutes=config.code_lock_minutes)
                    parcel.code_attempts = 0
                    locked.append(parcel)
                failures[parcel] = gettext(
                    'multipoint_core.msg_issue_code_wrong',
                    parcel=parcel.rec_name)
                to_save.append(parcel)
        cls.save(to_save)
        if locked:
            Event.log(locked, 'code_locked', detail=gettext(
                    'multipoint_core.msg_issue_code_locked_event',
                    minutes=config.code_lock_minutes))
        return failures

    @classmethod
    def issue_to_recipient(cls, parcels, point, verifications,
            refused=None, signature=False):
        """Issue parcels at point once each is verified.

        verifications: {parcel: ('code', code) | ('id_check', document) |
        ('proxy', power of attorney)}; refused: {line: quantity refused}.
        Codes must have been checked with check_codes first. The rows are
        locked so that two operators can't issue the same parcel."""
        refused = refused or {}
        if not parcels:
            raise IssueError(gettext('multipoint_core.msg_issue_nothing'))
        cls.lock(parcels)
        parcels = cls.browse(parcels)  # re-read under the lock
        cls.check_issuable(parcels, point, verifications, refused, signature)
        cls._check_payment(parcels, refused)
        return cls._hand_over(parcels, verifications, refused)

    @classmethod
    def _hand_over(cls, parcels, verifications, refused):
        """Issue parcels locked and checked by the caller: the refused
        items, who issued them, when and how, and the state are written
        with the parcel's transition (one write of the parcels)"""
        Line = Pool().get('multipoint.parcel.line')
        full, partial = [], []
        for parcel in parcels:
            lines = [l for l in parcel.lines if refused.get(l)]
            if lines:
                for line in lines:
                    line.refused_quantity = refused[line]
                Line.save(lines)
                partial.append(parcel)
            else:
                full.append(parcel)
        now = dt.datetime.utcnow()
        for parcel in parcels:
            method, value = (verifications.get(parcel)
                or verifications.get(parcel.id))
            parcel.issued_at = now
            parcel.issued_by = Transaction().user or None
            parcel.verification = method
        if full:
            cls.issue(full)
        if partial:
            cls.partially_issue(partial)
        cls._log_service(parcels)
        return parcels

    @classmethod
    def check_issuable(cls, parcels, point, verifications, refused,
            signature):
        """Whether parcels may be issued at point with verifications and
        refused {line: quantity}: each at this point, waiting for its
        recipient, verified as its terms require, refused only as they
        allow. Raises IssueError; writes nothing."""
        pool = Pool()
        Terms = pool.get('multipoint.supplier.terms')
        Line = pool.get('multipoint.parcel.line')
        terms = Terms.for_parcels((p.supplier.id, p.point.id) for p in parcels)
        for parcel in parcels:
            if parcel.point != point:
                raise IssueError(gettext(
                        'multipoint_core.msg_issue_other_point',
                        parcel=parcel.rec_name, point=point.rec_name))
            if parcel.state not in {'accepted', 'stored'}:
                raise IssueError(gettext(
                        'multipoint_core.msg_issue_wrong_state',
                        parcel=parcel.rec_name, state=parcel.state_string))
            term = terms[(parcel.supplier.id, parcel.point.id)]
            cls._check_verification(parcel, term,
                verifications.get(parcel) or verifications.get(parcel.id),
                signature)
            parcel_refused = {l: q for l, q in refused.items()
                if l.parcel == parcel and q}
            if parcel_refused:
                cls._check_refusal(parcel, term, parcel_refused)
        Line.check_marking_codes(parcels, refused)

    @classmethod
    def _log_service(cls, parcels):
        "Record how long the recipient waited since the operator's search"
        Event = Pool().get('multipoint.parcel.event')
        searches = Event.search([
                ('parcel', 'in', [p.id for p in parcels]),
                ('kind', '=', 'search'),
                ('user', '=', Transaction().user),
                ], order=[('date', 'DESC')])
        started = {}
        for event in searches:
            started.setdefault(event.parcel, event.date)
        now = dt.datetime.utcnow()
        Event.log(parcels, 'service', durations={
                p: int((now - started[p]).total_seconds())
                for p in parcels if p in started})

    @classmethod
    def _check_verification(cls, parcel, term, verification, signature):
        method, value = verification or (None, None)
        if method == 'code':
            if not value or not parcel.issue_code_hash or (
                    not hmac.compare_digest(
                        parcel.issue_code_hash, code_hash(value))):
                raise IssueError(gettext(
                        'multipoint_core.msg_issue_code_wrong',
                        parcel=parcel.rec_name))
        elif method in {'id_check', 'proxy'}:
            if not (term and term.id_check_replaces_code):
                raise IssueError(gettext(
                        'multipoint_core.msg_issue_code_required',
                        parcel=parcel.rec_name))
            if not (value or '').strip():
                raise IssueError(gettext(
                        'multipoint_core.msg_issue_document_missing',
                        parcel=parcel.rec_name))
        else:
            raise IssueError(gettext(
                    'multipoint_core.msg_issue_code_required',
                    parcel=parcel.rec_name))
        if term and term.id_check_required and method == 'code':
            raise IssueError(gettext(
                    'multipoint_core.msg_issue_id_check_required',
                    parcel=parcel.rec_name))
        if term and term.signature_required and not signature:
            raise IssueError(gettext(
                    'multipoint_core.msg_issue_signature_required',
                    parcel=parcel.rec_name))

    @classmethod
    def _check_refusal(cls, parcel, term, refused):
        if not (term and term.partial_buyout):
            raise IssueError(gettext(
                    'multipoint_core.msg_issue_partial_not_allowed',
                    parcel=parcel.rec_name))
        for line, quantity in refused.items():
            if not line.refusable or not 0 < quantity <= line.quantity:
                raise IssueError(gettext(
                        'multipoint_core.msg_issue_refusal_invalid',
                        item=line.name, parcel=parcel.rec_name))
        if all(refused.get(l, 0) >= l.quantity for l in parcel.lines):
            raise IssueError(gettext(
                    'multipoint_core.msg_issue_all_refused',
                    parcel=parcel.rec_name))

    @classmethod
    def _check_payment(cls, parcels, refused):
        """Hook for the workplace module, which takes the payment: without
        it only parcels with nothing to pay can be issued"""
        for parcel in parcels:
            if parcel.amount_due:
                raise IssueError(gettext(
                        'multipoint_core.msg_issue_payment_required',
                        parcel=parcel.rec_name, amount=parcel.amount_due))
