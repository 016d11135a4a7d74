"""Photos of a parcel taken at the desk: POST /parcels/<id>/photos keeps them
on the parcel, the journal says who took them; other points' parcels,
parcels not at the point and bad input get a JSON error in Russian; the
operator cannot remove them through Tryton's generic access either."""
import base64

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.api_desk import MAX_PHOTOS
from trytond.modules.multipoint_core.tests.tools import (
    committed, create_parcel, create_point, create_supplier, create_user)
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase
from trytond.transaction import Transaction, check_access

from . import test_routes

JPEG = b'\xff\xd8\xff\xe0 a dent on the corner'
PNG = b'\x89PNG\r\n\x1a\n inside the box'


def b64(data):
    return base64.b64encode(data).decode()


class DeskPhotosTestCase(RouteTestCase):
    "Photos of a parcel at the desk"
    module = 'multipoint_core'
    language = 'ru'

    @classmethod
    def setUpDatabase(cls):
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            kzn = create_point(company, 'KZN1')
            ozon = create_supplier("Ozon")
            parcels = [
                create_parcel(msk, ozon, 'P-1', ['PB-1']),
                create_parcel(msk, ozon, 'P-2', ['PB-2']),
                create_parcel(kzn, ozon, 'P-3', ['PB-3']),
                ]
            create_user('op_msk', ['operator'], [msk], company)
            create_user('op_kzn', ['operator'], [kzn], company)
        cls.ids = {p.order_number: p.id for p in parcels}
        cls.points = {'msk': msk.id, 'kzn': kzn.id}
        cls.company = company.id

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        committed(cls.accept)

    @classmethod
    def accept(cls):
        "P-1 and P-3 are accepted at their points; P-2 is still expected"
        Reception = Pool().get('multipoint.reception')
        with Transaction().set_context(company=cls.company):
            for point, barcode in [('msk', 'PB-1'), ('kzn', 'PB-3')]:
                reception, = Reception.create([{
                            'point': cls.points[point]}])
                reception.scan(barcode)
                Reception.close([reception])

    login = test_routes.OperatorAPITestCase.login
    api = test_routes.OperatorAPITestCase.api
    assertError = test_routes.OperatorAPITestCase.assertError

    def photos_url(self, order_number):
        return self.api(f'parcels/{self.ids[order_number]}/photos')

    def test_photos_kept_on_the_parcel(self):
        client = self.login('op_msk')
        response = client.post(self.photos_url('P-1'), json={
                'note': "Вскрыта при получателе: вмятина",
                'photos': [{'name': 'dent.jpg', 'data': b64(JPEG)},
                    {'data': b64(PNG)}]})
        self.assertEqual(response.status_code, 201, response.data)
        self.assertEqual([p['name'] for p in response.json['photos']],
            ['dent.jpg', 'photo-2.jpg'])
        with Transaction().start(self.db_name, 0):
            pool = Pool()
            Attachment = pool.get('ir.attachment')
            Event = pool.get('multipoint.parcel.event')
            User = pool.get('res.user')
            resource = f"multipoint.parcel,{self.ids['P-1']}"
            attachments = Attachment.search([('resource', '=', resource)],
                order=[('id', 'ASC')])
            self.assertEqual([bytes(a.data) for a in attachments],
                [JPEG, PNG])
            self.assertEqual({a.description for a in attachments},
                {"Вскрыта при получателе: вмятина"})
            operator, = User.search([('login', '=', 'op_msk')])
            event, = Event.search([
                    ('parcel', '=', self.ids['P-1']),
                    ('kind', '=', 'photo')])
            self.assertEqual(event.user, operator)
            self.assertEqual(event.detail, 'dent.jpg, photo-2.jpg')
            # evidence: the operator cannot change or remove them through
            # the generic access either
            with Transaction().set_user(operator.id), check_access():
                self.assertEqual(len(Attachment.search(
                            [('resource', '=', resource)])), 2)
                with self.assertRaises(AccessError):
                    Attachment.delete(attachments)
                with self.assertRaises(AccessError):
                    Attachment.write(attachments, {'data': b'other'})

    def test_other_points_and_unknown_parcels(self):
        "Another point's parcel is as unknown as a parcel that is not"
        client = self.login('op_kzn')
        body = {'photos': [{'data': b64(JPEG)}]}
        message = self.assertError(
            client.post(self.photos_url('P-1'), json=body), 404, 'not_found')
        self.assertIn("не найдена", message)
        self.assertError(client.post(
                self.api('parcels/999999/photos'), json=body),
            404, 'not_found')
        response = client.post(self.photos_url('P-3'), json=body)
        self.assertEqual(response.status_code, 201, response.data)

    def test_bad_input(self):
        "Every bad request is a 422 in Russian and keeps nothing"
        client = self.login('op_msk')
        url = self.photos_url('P-1')
        too_many = [{'data': b64(JPEG)}] * (MAX_PHOTOS + 1)
        for body in [
                {},
                {'photos': []},
                {'photos': 'dent.jpg'},
                {'photos': [{'data': 'не base64!'}]},
                {'photos': [{'data': ''}]},
                {'photos': [{'name': 'x.jpg'}]},
                {'photos': too_many},
                {'photos': [{'data': b64(JPEG)}], 'note': 42},
                {'photos': [{'data': b64(JPEG) + '\x00'}]},
                ]:
            with self.subTest(body=str(body)[:60]):
                self.assertError(client.post(url, json=body), 422,
                    'bad_request')
        self.assertError(client.post(url, data=b'not json',
                content_type='application/json'), 422, 'bad_request')
        # P-2 has not reached the point
        message = self.assertError(client.post(self.photos_url('P-2'),
                json={'photos': [{'data': b64(JPEG)}]}), 422, 'parcel_state')
        self.assertIn("Фотографировать", message)
        with Transaction().start(self.db_name, 0):
            Attachment = Pool().get('ir.attachment')
            self.assertEqual(Attachment.search([('resource', 'in', [
                                f"multipoint.parcel,{self.ids['P-2']}"])]),
                [])


del test_routes
