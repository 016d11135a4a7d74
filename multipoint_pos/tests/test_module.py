from trytond.tests.test_tryton import ModuleTestCase


class MultipointPosTestCase(ModuleTestCase):
    "Test the multipoint_pos module activates with its dependencies"
    module = 'multipoint_pos'
    language = 'ru'


del ModuleTestCase
