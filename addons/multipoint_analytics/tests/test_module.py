from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class MultipointAnalyticsTestCase(CompanyTestMixin, ModuleTestCase):
    "Test the multipoint_analytics module"
    module = 'multipoint_analytics'
    language = 'ru'


del ModuleTestCase
