from trytond.tests.test_tryton import ModuleTestCase


class MultipointTicketsTestCase(ModuleTestCase):
    "Test the multipoint_tickets module activates with its dependencies"
    module = 'multipoint_tickets'
    language = 'ru'


del ModuleTestCase
