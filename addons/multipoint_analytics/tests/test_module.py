from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class MultipointAnalyticsTestCase(CompanyTestMixin, ModuleTestCase):
    """Test the multipoint_analytics module, with the settlements and the
    tickets so that the money and tickets models and their views are
    checked too (the other tests activate it without them)"""
    module = 'multipoint_analytics'
    extras = ['multipoint_settlement', 'multipoint_tickets',
        'multipoint_claims']
    language = 'ru'


del ModuleTestCase
