"""Keys of the supplier API: Tryton user application keys bound to a
supplier.

A key is a `res.user.application` of the application `multipoint_supplier`
naming the supplier (party) it speaks for. Owners and staff managers create
and revoke keys in *Suppliers → Supplier API Keys*; the supplier portal does
the same through `create_supplier_key(supplier)` and `revoke(keys)`.

Which user the API runs as: always the technical user `Supplier API`
(`user_supplier_api`, created by api_key.xml), whatever user created
the key, and never the key's `user` field as Tryton's own
`user_application` does. That user has no password, so nobody logs in as
it, and belongs to the group `Supplier API` alone, which may read and
write parcels (their places and items), their events, and read points and
supplier accounts, through record rules that keep only the rows of the
supplier of the request's key (`multipoint_api_supplier`, put in the rule
context by ir.Rule from the request's transaction context, for that user
only).
Running as the key's creator would give a supplier the creator's rights
(an owner's: every supplier, every point) and would die with that person's
account; one user per supplier would need a user created with every key.
On top of the rules, every query of the supplier API (api_supplier.py,
routes_supplier_api.py) filters on the key's supplier itself, so a rule
changed by mistake still leaks nothing.
"""
from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval

APPLICATION = 'multipoint_supplier'
# the transaction context key the API sets to the supplier of its key
SUPPLIER_CONTEXT = 'multipoint_api_supplier'
# models whose supplier API rules read SUPPLIER_CONTEXT
API_RULED_MODELS = {
    'multipoint.parcel',
    'multipoint.parcel.event',
    'multipoint.supplier.account',
    }


class SupplierKeyError(ValidationError):
    "A supplier API key is not set up as the API needs it"


def api_user_id():
    "The id of the technical user the supplier API runs as"
    ModelData = Pool().get('ir.model.data')
    return ModelData.get_id('multipoint_suppliers', 'user_supplier_api')


class UserApplication(metaclass=PoolMeta):
    __name__ = 'res.user.application'
    multipoint_supplier = fields.Many2One(
        'party.party', "Supplier", ondelete='RESTRICT',
        states={
            'invisible': Eval('application') != APPLICATION,
            'required': Eval('application') == APPLICATION,
            'readonly': Eval('id', -1) >= 0,
            },
        help="The supplier whose parcels this key reaches through the "
        "supplier API.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.application.selection.append(
            (APPLICATION, "Multipoint Supplier API"))

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create' and values.get('application') == APPLICATION:
            # the API runs as its technical user whatever this says; keep
            # it true so that the key shows where it belongs
            values['user'] = api_user_id()
        return values

    @classmethod
    def check_modification(
            cls, mode, applications, values=None, external=False):
        super().check_modification(
            mode, applications, values=values, external=external)
        if mode != 'write':
            return
        frozen = {'application', 'user', 'key', 'multipoint_supplier'}
        if (values.get('application') == APPLICATION
                or (frozen & set(values) and any(
                        a.application == APPLICATION
                        for a in applications))):
            raise SupplierKeyError(gettext(
                    'multipoint_suppliers.msg_api_key_immutable'))

    @classmethod
    def validate_fields(cls, applications, field_names):
        super().validate_fields(applications, field_names)
        for application in applications:
            supplier_key = application.application == APPLICATION
            if supplier_key and application.state == 'requested':
                # a key requested through /user/application/ by anybody
                # must not wait for a validation by mistake
                raise SupplierKeyError(gettext(
                        'multipoint_suppliers.msg_api_key_requested'))
            if not supplier_key and application.multipoint_supplier:
                raise SupplierKeyError(gettext(
                        'multipoint_suppliers.msg_api_key_not_supplier'))

    @classmethod
    def create_supplier_key(cls, supplier):
        """A new validated key of the supplier API for supplier; the key
        (the secret to give to the supplier)"""
        application, = cls.create([{
                    'application': APPLICATION,
                    'multipoint_supplier': supplier.id,
                    'state': 'validated',
                    }])
        return application.key

    @classmethod
    def revoke(cls, applications):
        "Revoke keys: the API refuses them from the next request on"
        cls.cancel(applications)


class PartyReplace(metaclass=PoolMeta):
    __name__ = 'party.replace'

    @classmethod
    def fields_to_replace(cls):
        return super().fields_to_replace() + [
            ('res.user.application', 'multipoint_supplier'),
            ]
