from trytond.tests.test_tryton import ModuleTestCase


class MultipointClaimsTestCase(ModuleTestCase):
    "Test the multipoint_claims module activates with its dependencies"
    module = 'multipoint_claims'
    language = 'ru'


del ModuleTestCase
