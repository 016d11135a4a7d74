from trytond.tests.test_tryton import ModuleTestCase


class MultipointPortalTestCase(ModuleTestCase):
    "Test the multipoint_portal module activates with its dependencies"
    module = 'multipoint_portal'
    language = 'ru'


del ModuleTestCase
