"""Photos of a parcel taken at the desk: a box opened in front of the
recipient, a dent, what was inside. They are evidence (a supplier's charge
is answered with them), so they are kept as attachments of the parcel that
nobody changes or removes, and the journal says who took them and when.

A desk photo is an attachment marked *Desk Photo*: whoever the user (an
owner, who may change the parcel's other attachments, or the
administrator) and whatever the door, it is neither written nor deleted —
so neither is its parcel. The retention purge of personal data blanks the
recipient of the parcel and keeps its photos: they are the parcel's
evidence, not the recipient's record. The other attachments of a parcel
follow Tryton's rules (the access of the parcel)."""
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction

from .exceptions import DeskPhotoError, ParcelStateError
from .guard import privileged

# where a parcel can be photographed: at the point, or just handed over
PHOTO_STATES = {
    'accepted', 'stored', 'refused', 'to_return', 'issued',
    'partially_issued'}


class ParcelPhotoMixin:
    __slots__ = ()

    @classmethod
    def attach_desk_photos(cls, parcel, photos, note=None):
        """Attach photos [(name, bytes)] to parcel, as the operator who
        took them (checked by the caller); returns the attachments"""
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        Event = pool.get('multipoint.parcel.event')
        if parcel.state not in PHOTO_STATES:
            raise ParcelStateError(gettext(
                    'multipoint_core.msg_photo_state',
                    parcel=parcel.rec_name, state=parcel.state_string))
        note = (note or '').strip()[:500] or None
        with privileged():
            attachments = Attachment.create([{
                        'resource': str(parcel),
                        'type': 'data',
                        'name': name,
                        'data': data,
                        'description': note,
                        'desk_photo': True,
                        } for name, data in photos])
        Event.log([parcel], 'photo', detail=', '.join(
                a.name for a in attachments)[:200])
        return attachments


class Attachment(metaclass=PoolMeta):
    __name__ = 'ir.attachment'
    desk_photo = fields.Boolean(
        "Desk Photo", readonly=True,
        help="A photo of the parcel taken at the desk: evidence, never "
        "changed or deleted.")

    @classmethod
    def __register__(cls, module):
        marked = cls.__table_handler__(module).column_exist('desk_photo')
        super().__register__(module)
        if not marked:
            cls._mark_desk_photos()

    @classmethod
    def _mark_desk_photos(cls):
        """Mark the photos the desk attached before they were marked: the
        attachments of a parcel named by its journal's photo events"""
        Event = Pool().get('multipoint.parcel.event')
        cursor = Transaction().connection.cursor()
        event, attachment = Event.__table__(), cls.__table__()
        cursor.execute(*event.select(event.parcel, event.detail,
                where=event.kind == 'photo'))
        names = {}
        for parcel, detail in cursor:
            names.setdefault(f'multipoint.parcel,{parcel}', set()).update(
                n.strip() for n in (detail or '').split(','))
        if not names:
            return
        cursor.execute(*attachment.select(
                attachment.id, attachment.resource, attachment.name,
                where=attachment.resource.like('multipoint.parcel,%')))
        ids = [i for i, resource, name in cursor
            if name in names.get(resource, ())]
        for sub_ids in grouped_slice(ids):
            cursor.execute(*attachment.update(
                    [attachment.desk_photo], [True],
                    where=reduce_ids(attachment.id, sub_ids)))

    @classmethod
    def check_modification(cls, mode, attachments, values=None,
            external=False):
        super().check_modification(
            mode, attachments, values=values, external=external)
        if mode == 'create':
            # only the desk marks its photos
            if external and any(a.desk_photo for a in attachments):
                raise DeskPhotoError(gettext(
                        'multipoint_core.msg_desk_photo_create'))
        elif any(a.desk_photo for a in attachments):
            raise DeskPhotoError(gettext(
                    'multipoint_core.msg_desk_photo_immutable',
                    name=next(a.name for a in attachments if a.desk_photo)))
        elif mode == 'write' and values and values.get('desk_photo'):
            raise DeskPhotoError(gettext(
                    'multipoint_core.msg_desk_photo_create'))
