from trytond.tests.test_tryton import ModuleTestCase


class MultipointSettlementTestCase(ModuleTestCase):
    "Test the multipoint_settlement module activates with its dependencies"
    module = 'multipoint_settlement'
    language = 'ru'


del ModuleTestCase
