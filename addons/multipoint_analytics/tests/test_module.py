from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class MultipointAnalyticsTestCase(CompanyTestMixin, ModuleTestCase):
    """Test the multipoint_analytics module, with the settlements so that
    the money model and its views are checked too (the other tests
    activate it without them)"""
    module = 'multipoint_analytics'
    extras = ['multipoint_settlement']
    language = 'ru'


del ModuleTestCase
