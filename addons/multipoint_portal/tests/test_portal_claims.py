"""The claims in the supplier portal (with multipoint_claims): a supplier
reads the claims sent to it, never another supplier's nor a draft"""
import datetime as dt
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    committed, create_parcel, create_point, create_supplier)
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase

from .test_portal import PASSWORD, RUSSIAN, create_web_user

D = Decimal


class PortalClaimsTestCase(RouteTestCase):
    "The supplier portal's claims"
    module = 'multipoint_portal'
    extras = ['multipoint_claims']
    language = 'ru'

    @classmethod
    def setUpClass(cls):
        # as SupplierPortalTestCase: committed() restarts for the locks
        super(RouteTestCase, cls).setUpClass()
        committed(cls.setUpDatabase, user=1)

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Charge = pool.get('multipoint.charge')
        Claim = pool.get('multipoint.charge.claim')
        company = create_company()
        with set_company(company):
            point = create_point(company, 'MSK1')
            romashka = create_supplier("Ромашка")
            vasilek = create_supplier("Василёк")
            parcels = [create_parcel(point, s, n) for s, n in [
                    (romashka, 'A-1'), (romashka, 'A-2'), (vasilek, 'B-1')]]
            # the sent claim's charge is one amount for two parcels
            bag = [parcels[0], create_parcel(point, romashka, 'A-3')]
            sent, draft, other = Charge.create([{
                        'parcels': [('create', [{'parcel': p.id}
                                    for p in (bag if p == parcels[0]
                                        else [p])])],
                        'kind': 'lost',
                        'ground': "Утеря отправления на ПВЗ",
                        'amount': amount,
                        'date': dt.date.today(),
                        } for p, amount in zip(parcels,
                        [D('1500'), D('700'), D('900')])])
            Charge.dispute([sent, draft, other])
            claims = {k: Charge(c.id).claims[0] for k, c in [
                    ('sent', sent), ('draft', draft), ('other', other)]}
            Claim.send([claims['sent'], claims['other']])
            create_web_user('a@romashka.example', romashka)
            create_web_user('b@vasilek.example', vasilek)
        cls.claims = {k: c.id for k, c in claims.items()}

    def api(self, path):
        return f'/{self.db_name}/multipoint/portal/api/{path}'

    def login(self, email):
        client = self.client()
        response = client.post(self.api('login'),
            headers={'X-Requested-With': 'XMLHttpRequest'},
            json={'email': email, 'password': PASSWORD})
        self.assertEqual(response.status_code, 200, response.data)
        return client

    def assertNotFound(self, response):
        self.assertEqual(response.status_code, 404, response.data)
        self.assertEqual(response.content_type, 'application/json')
        error = response.json['error']
        self.assertEqual(error['code'], 'not_found')
        self.assertRegex(error['message'], RUSSIAN)
        return error['message']

    def test_claims(self):
        "The supplier's sent claims, read-only, with their text"
        client = self.login('a@romashka.example')
        self.assertTrue(client.get(self.api('me')).json['features']['claims'])
        listed, = client.get(self.api('claims')).json['claims']
        self.assertEqual(listed['id'], self.claims['sent'])
        claim = client.get(self.api(f"claims/{self.claims['sent']}")).json
        self.assertEqual(claim, listed)
        self.assertRegex(claim['number'], r'^ПРТ-\d{6}$')
        self.assertEqual(
            (claim['order_number'], claim['point']['code'], claim['amount'],
                claim['state'], claim['state_name'], claim['kind_name']),
            ('A-1, A-3', 'MSK1', '1500.00', 'sent', "Отправлена",
                "Утеря посылки"))
        self.assertEqual(claim['parcels'], [
                {'order_number': 'A-1', 'amount': '750.00'},
                {'order_number': 'A-3', 'amount': '750.00'}])
        self.assertEqual(claim['deadline'],
            (dt.date.fromisoformat(claim['sent_date'])
                + dt.timedelta(days=30)).isoformat())
        self.assertIn('A-1', claim['text'])
        self.assertIn('A-3', claim['text'])
        self.assertIn(claim['number'], claim['text'])
        for hidden in ['evidence_pack', 'sent_by', 'task']:
            self.assertNotIn(hidden, claim)
        # read-only: no route writes a claim
        response = client.post(self.api(f"claims/{self.claims['sent']}"))
        self.assertIn(response.status_code, {403, 404, 405})

    def test_claims_denied(self):
        """Another supplier's claim, a draft and an unknown id answer the
        same JSON 404 in Russian; no session, 401"""
        client = self.login('b@vasilek.example')
        listed, = client.get(self.api('claims')).json['claims']
        self.assertEqual(listed['id'], self.claims['other'])
        message = self.assertNotFound(
            client.get(self.api(f"claims/{self.claims['sent']}")))
        self.assertIn(str(self.claims['sent']), message)
        client = self.login('a@romashka.example')
        for claim_id in [self.claims['other'], self.claims['draft'],
                999999]:
            self.assertNotFound(client.get(self.api(f'claims/{claim_id}')))
        response = self.client().get(self.api('claims'))
        self.assertEqual(response.status_code, 401)
