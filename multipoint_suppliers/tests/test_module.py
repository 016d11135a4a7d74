from trytond.tests.test_tryton import ModuleTestCase


class MultipointSuppliersTestCase(ModuleTestCase):
    "Test the multipoint_suppliers module activates with its dependencies"
    module = 'multipoint_suppliers'
    language = 'ru'


del ModuleTestCase
