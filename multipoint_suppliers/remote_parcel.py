"""The supplier's own checks at the desk, for a parcel whose supplier has an
active account serving its point with a connector able to make them
(Yandex Market: verifyEac, storage-limit).

Issue code: the supplier's check comes *in addition to* the local one. The
recipient of such a parcel may hold two codes: the supplier's (in its app)
and ours (the acceptance message). Our code is checked first, locally,
without a call; any other code goes to the supplier, whose answer decides
(it counts its own attempts and renews its code). The local lock and
counting stay in force for every wrong code, whoever refused it, so
neither code can be guessed faster than a local one. A supplier that
cannot be reached refuses its code with a message, without counting the
attempt. A code the supplier accepted is remembered for the transaction:
the issue that follows check_codes does not ask again.

Storage extension: the local rules (state, the supplier terms' days left)
are checked first, then the supplier is asked, then the extension is
written; a refusal of the supplier (its own rules, an error, no answer)
refuses the extension with its reason and nothing is written. Should the
supplier grant one parcel of several and refuse the next, the first stays
extended at the supplier only: its next sync brings the supplier's date.
"""
import datetime as dt
import hmac
import weakref

from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from trytond.modules.multipoint_core.deadline import WAITING
from trytond.modules.multipoint_core.exceptions import (
    IssueError, StorageError)
from trytond.modules.multipoint_core.issue import code_hash

from .connector import ConnectorError, get_connector

# transaction -> {(parcel id, code hash)} the supplier accepted
_accepted = weakref.WeakKeyDictionary()
# transaction -> {(capability, parcel id): connector or None}
_connectors = weakref.WeakKeyDictionary()


class Parcel(metaclass=PoolMeta):
    __name__ = 'multipoint.parcel'

    @classmethod
    def supplier_connectors(cls, parcels, capability):
        """{parcel: connector} for the parcels whose supplier has an active
        account of their company serving their point with a connector that
        supports capability (the first account by id); read whatever the
        user may see: operators and recipients are not given accounts"""
        pool = Pool()
        Account = pool.get('multipoint.supplier.account')
        known = _connectors.setdefault(Transaction(), {})
        parcels = list(parcels)
        missing = [p for p in parcels if (capability, p.id) not in known]
        if missing:
            with without_check_access():
                accounts = [a for a in Account.search([
                            ('supplier', 'in',
                                list({p.supplier.id for p in missing})),
                            ('active', '=', True),
                            ], order=[('id', 'ASC')])
                    if get_connector(a.connector)
                    and get_connector(a.connector).supports(capability)]
                made = {}
                for parcel in missing:
                    connector = None
                    for account in accounts:
                        if (account.supplier == parcel.supplier
                                and account.company == parcel.company
                                and account.point_code(parcel.point)
                                is not False):
                            if account.id not in made:
                                made[account.id] = account.get_connector()
                            connector = made[account.id]
                            break
                    known[(capability, parcel.id)] = connector
        return {p: known[(capability, p.id)] for p in parcels
            if known[(capability, p.id)] is not None}

    @classmethod
    def _connector(cls, parcel, capability):
        return cls.supplier_connectors([parcel], capability).get(parcel)

    @staticmethod
    def _local_code(parcel, code):
        "Whether code is the parcel's own (local) issue code"
        return bool(parcel.issue_code_hash and code and hmac.compare_digest(
                parcel.issue_code_hash, code_hash(code)))

    @classmethod
    def _ask_code(cls, parcel, connector, code):
        """The supplier's answer to code, or the message why it could not be
        asked; an accepted code is remembered for the transaction"""
        try:
            answer = connector.verify_code(parcel, code.strip())
        except ConnectorError as exception:
            return None, gettext(
                'multipoint_suppliers.msg_supplier_code_unreachable',
                parcel=parcel.rec_name,
                error=getattr(exception, 'message', None) or str(exception))
        if answer:
            _accepted.setdefault(Transaction(), set()).add(
                (parcel.id, code_hash(code)))
            return answer, None
        if getattr(answer, 'renewed', False):
            message = gettext('multipoint_suppliers.msg_supplier_code_renewed',
                parcel=parcel.rec_name, supplier=parcel.supplier.rec_name)
        else:
            attempts = getattr(answer, 'attempts_left', None)
            message = gettext('multipoint_suppliers.msg_supplier_code_wrong',
                parcel=parcel.rec_name, supplier=parcel.supplier.rec_name,
                attempts='—' if attempts is None else attempts)
        return answer, message

    @classmethod
    def _supplier_accepted(cls, parcel, code):
        return (parcel.id, code_hash(code)) in _accepted.get(
            Transaction(), ())

    @classmethod
    def check_codes(cls, codes):
        now = dt.datetime.utcnow()
        remote = [p for p, c in codes.items() if c
            and not (p.code_locked_until and p.code_locked_until > now)
            and not cls._local_code(p, c)]
        accepted, refused, unreachable = [], {}, {}
        for parcel, connector in cls.supplier_connectors(
                remote, 'verify_code').items():
            answer, message = cls._ask_code(parcel, connector, codes[parcel])
            if answer:
                accepted.append(parcel)
            elif answer is None:
                unreachable[parcel] = message
            else:
                refused[parcel] = message
        # the local check, lock and counting for all the others
        failures = super().check_codes({p: c for p, c in codes.items()
                if p not in accepted and p not in unreachable})
        reset = [p for p in accepted if p.code_attempts]
        for parcel in reset:
            parcel.code_attempts = 0
        cls.save(reset)
        for parcel, message in refused.items():
            if parcel in failures:
                failures[parcel] = message
        failures.update(unreachable)
        return failures

    @classmethod
    def _check_verification(cls, parcel, term, verification, signature):
        method, value = verification or (None, None)
        if method != 'code' or not value or cls._local_code(parcel, value):
            return super()._check_verification(
                parcel, term, verification, signature)
        if not cls._supplier_accepted(parcel, value):
            connector = cls._connector(parcel, 'verify_code')
            if connector is None:
                return super()._check_verification(
                    parcel, term, verification, signature)
            answer, message = cls._ask_code(parcel, connector, value)
            if not answer:
                raise IssueError(message)
        # the supplier's code stands for ours: the terms' other demands
        # apply as they do to a code (multipoint_core.issue)
        if term and term.id_check_required:
            raise IssueError(gettext(
                    'multipoint_core.msg_issue_id_check_required',
                    parcel=parcel.rec_name))
        if term and term.signature_required and not signature:
            raise IssueError(gettext(
                    'multipoint_core.msg_issue_signature_required',
                    parcel=parcel.rec_name))

    @classmethod
    def extend_storage(cls, parcels, days, source):
        parcels = list(parcels)
        remote = cls.supplier_connectors(parcels, 'extend_storage')
        # the supplier is asked only for what the point would grant: else
        # the local rules refuse (super) with their own message
        if remote and cls._locally_extendable(parcels, days):
            for parcel, connector in remote.items():
                try:
                    connector.extend_storage(parcel,
                        parcel.storage_deadline + dt.timedelta(days=days))
                except ConnectorError as exception:
                    raise StorageError(gettext(
                            'multipoint_suppliers'
                            '.msg_supplier_extension_refused',
                            parcel=parcel.rec_name,
                            error=getattr(exception, 'message', None)
                            or str(exception)))
        super().extend_storage(parcels, days, source)

    @classmethod
    def _locally_extendable(cls, parcels, days):
        "Whether extend_storage's own rules (multipoint_core) allow it"
        Terms = Pool().get('multipoint.supplier.terms')
        if not days or days <= 0:
            return False
        terms = Terms.for_parcels((p.supplier.id, p.point.id) for p in parcels)
        for parcel in parcels:
            term = terms[(parcel.supplier.id, parcel.point.id)]
            left = (term.max_extension_days if term else 0) - (
                parcel.extended_days or 0)
            if (parcel.state not in WAITING or not parcel.storage_deadline
                    or days > left):
                return False
            # nor past the point's legal hour limit
            cap = parcel.storage_cap
            if cap and parcel._extended_until(days) > cap:
                return False
        return True
