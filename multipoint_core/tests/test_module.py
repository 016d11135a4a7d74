from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class MultipointCoreTestCase(CompanyTestMixin, ModuleTestCase):
    "Test multipoint_core module"
    module = 'multipoint_core'


del ModuleTestCase
