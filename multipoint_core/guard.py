"""The models are the guard.

sao, proteus and anyone with a login reach the models through Tryton's
generic JSON-RPC (``model.<name>.write``, ``create``, buttons), so the rules
of the views are enforced here, on the server, whatever the door:

- a workflow ``state`` changes only through its transitions (``Workflow``
  below replaces Tryton's: its transitions run as checked business code);
  a record is created only in its initial state;
- a field the views show read-only (``readonly=True`` or
  ``states={'readonly': ...}`` true for the record) is refused on write,
  and a field that is always read-only is refused on create unless it
  keeps its default;
- the children of a record (parcel places, items) change only while the
  parent's One2Many is editable.

Business methods that are allowed to change those fields do so after their
own checks inside ``privileged()`` (or decorated with ``@business``): their
writes run as the system, without the caller's access rights, so that a
group needs no write access on a whole model to use its screen. The flag is
a context variable, which no RPC caller can set (unlike the context).
"""
import contextvars
from contextlib import contextmanager
from functools import wraps

from trytond.i18n import gettext
from trytond.model import Workflow as _Workflow
from trytond.model import fields
from trytond.model.exceptions import AccessError
from trytond.model.modelstorage import _record_eval_pyson
from trytond.transaction import Transaction, without_check_access

_privileged = contextvars.ContextVar('multipoint_privileged', default=False)


class GuardError(AccessError):
    "A change that only a business action may make"
    api_code = 'forbidden_change'


@contextmanager
def privileged():
    "Run the block as checked business code: guarded writes are allowed"
    token = _privileged.set(True)
    try:
        with without_check_access():
            yield
    finally:
        _privileged.reset(token)


def business(func):
    "Decorate a method that makes its privileged writes after its checks"
    @wraps(func)
    def wrapper(*args, **kwargs):
        with privileged():
            return func(*args, **kwargs)
    return wrapper


def is_privileged():
    return _privileged.get()


def _external():
    "Whether the change comes from a user through an access-checked door"
    transaction = Transaction()
    return bool(transaction.user and transaction.check_access
        and not _privileged.get())


def _storable(field):
    return not isinstance(field, fields.Function) or field.setter


class SkipEmptyWrite:
    """Skip the writes of no record.

    Tryton's transition writes the state of the records its method did not
    move itself, even when that leaves none: a write of no record still
    costs three statements (the rule checks around an UPDATE of no row),
    on every transition that saves its state with the rest of its changes
    in one write. Only business code's writes are skipped: a caller's write
    through an access-checked door is checked even with no record."""
    __slots__ = ()

    @classmethod
    def write(cls, *args):
        if Transaction().check_access:
            # a caller's write of no record still answers for its rights
            return super().write(*args)
        actions = iter(args)
        args = [arg for records, values in zip(actions, actions) if records
            for arg in (records, values)]
        if args:
            super().write(*args)


class GuardMixin(SkipEmptyWrite):
    """Refuse the writes the views would not allow.

    ``_guard_parent`` names the Many2One to a parent and the parent's
    One2Many holding the record: the record changes only while that
    One2Many is editable on the parent."""
    __slots__ = ()
    _guard_parent = None

    @classmethod
    def create(cls, vlist):
        if _external():
            cls._guard_create(vlist)
        return super().create(vlist)

    @classmethod
    def _guard_create(cls, vlist):
        for values in vlist:
            for name, value in values.items():
                field = cls._fields.get(name)
                if not field or not _storable(field):
                    continue
                if field.readonly and value not in (None, False, '', 0):
                    default = getattr(cls, f'default_{name}', None)
                    if not default or default() != value:
                        cls._guard_refuse(name)

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        if not external or _privileged.get():
            return
        if cls._guard_parent:
            cls._guard_check_parent(records, values)
        if mode == 'write' and values:
            cls._guard_check_write(records, values)

    @classmethod
    def _guard_check_write(cls, records, values):
        for name in values:
            field = cls._fields.get(name)
            if not field:
                continue
            if field.readonly:
                cls._guard_refuse(name)
            readonly = field.states.get('readonly')
            if readonly is None:
                continue
            for record in records:
                if _record_eval_pyson(record, readonly):
                    cls._guard_refuse(name, record)

    @classmethod
    def _guard_check_parent(cls, records, values):
        parent_name, children = cls._guard_parent
        Parent = cls._fields[parent_name].get_target()
        readonly = Parent._fields[children].states.get('readonly')
        if readonly is None:
            return
        parents = {getattr(r, parent_name) for r in records}
        if values and values.get(parent_name):
            parents.add(Parent(values[parent_name]))
        for parent in parents:
            if parent and _record_eval_pyson(parent, readonly):
                raise GuardError(gettext(
                        'multipoint_core.msg_guard_parent_locked',
                        model=cls.__names__()['model'],
                        parent=parent.rec_name))

    @classmethod
    def _guard_refuse(cls, name, record=None):
        names = cls.__names__(name, record)
        if record is not None and 'state' in cls._fields:
            state = getattr(record, 'state', None)
            selection = dict(cls.fields_get(['state'])['state']['selection'])
            raise GuardError(gettext(
                    'multipoint_core.msg_guard_readonly_state',
                    field=names['field'], model=names['model'],
                    record=names.get('record', record.id),
                    state=selection.get(state, state)))
        raise GuardError(gettext(
                'multipoint_core.msg_guard_readonly',
                field=names['field'], model=names['model']))


class Workflow(GuardMixin, _Workflow):
    """Tryton's Workflow whose state changes only by its transitions

    A transition is business code: its checks are the button's access
    (groups, record rules, states) or those of the method that calls it."""
    __slots__ = ()

    @staticmethod
    def transition(state):
        decorate = _Workflow.transition(state)

        def check_transition(func):
            transit = decorate(func)

            @wraps(transit)
            def wrapper(cls, records, *args, **kwargs):
                with privileged():
                    return transit(cls, records, *args, **kwargs)
            return wrapper
        return check_transition

    @classmethod
    def _guard_create(cls, vlist):
        state_name = cls._transition_state
        default = getattr(cls, f'default_{state_name}')()
        for values in vlist:
            if values.get(state_name, default) != default:
                raise GuardError(gettext(
                        'multipoint_core.msg_guard_state',
                        model=cls.__names__()['model']))
        super()._guard_create(
            [{k: v for k, v in values.items() if k != state_name}
                for values in vlist])

    @classmethod
    def _guard_check_write(cls, records, values):
        if cls._transition_state in values:
            raise GuardError(gettext(
                    'multipoint_core.msg_guard_state',
                    model=cls.__names__()['model']))
        super()._guard_check_write(records, values)
