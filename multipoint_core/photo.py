"""Photos of a parcel taken at the desk: a box opened in front of the
recipient, a dent, what was inside. They are evidence (a supplier's charge
is answered with them), so they are kept as attachments of the parcel that
nobody at the point changes or removes, and the journal says who took them
and when."""
from trytond.i18n import gettext
from trytond.pool import Pool

from .exceptions import ParcelStateError
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
                        } for name, data in photos])
        Event.log([parcel], 'photo', detail=', '.join(
                a.name for a in attachments)[:200])
        return attachments
