"""Supplier portal accounts: a web user (web_user module) linked to the
supplier party whose data the portal shows it, and nothing else."""
import trytond.config as config
from trytond.model import fields
from trytond.modules.multipoint_suppliers.migration import move_records
from trytond.pool import PoolMeta
from trytond.transaction import Transaction
from trytond.url import HOSTNAME, is_secure

PORTAL_PATH = '/multipoint/portal/'


def portal_url(database_name=None):
    """The portal page's address on this server, from the server's own
    settings ([web] hostname, else the machine's name), never from the
    Host header of a request: a reset link must not point elsewhere"""
    if database_name is None:
        database_name = Transaction().database.name
    scheme = 'https' if is_secure() else 'http'
    root = (config.get('web', 'root_path') or '').rstrip('/')
    return f'{scheme}://{HOSTNAME}{root}/{database_name}{PORTAL_PATH}'


class WebUser(metaclass=PoolMeta):
    __name__ = 'web.user'
    multipoint_supplier = fields.Many2One(
        'party.party', "Supplier (Portal)", ondelete='RESTRICT',
        help="The supplier whose parcels, imports and settlements this "
        "user sees in the supplier portal.")

    @classmethod
    def __register__(cls, module):
        # a database of the time the portal was part of multipoint_suppliers
        # gives its records to this module before anything of it is written
        if module == 'multipoint_portal':
            move_records(module, fields=[('web.user', 'multipoint_supplier')])
        super().__register__(module)

    def get_email_reset_password_url(self, url=None):
        # without [web] reset_password_url, a supplier's e-mail links to
        # the portal page, which sets the new password
        if (url is None and self.multipoint_supplier
                and not config.get('web', 'reset_password_url')):
            url = portal_url()
        return super().get_email_reset_password_url(url=url)


class PartyReplace(metaclass=PoolMeta):
    __name__ = 'party.replace'

    @classmethod
    def fields_to_replace(cls):
        return super().fields_to_replace() + [
            ('web.user', 'multipoint_supplier'),
            ]
