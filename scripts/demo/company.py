"""The demo's company: «ООО «Мультипоинт»» with its address, INN and the
rouble (created when missing); the admin user works for it"""
from .common import CENT, inn10


COMPANY_NAME = "ООО «Мультипоинт»"


def rouble(pool):
    "The currency RUB «₽», created when missing"
    Currency = pool.get('currency.currency')
    currencies = Currency.search([('code', '=', 'RUB')], limit=1)
    if currencies:
        rub, = currencies
    else:
        rub, = Currency.create([{
                    'name': "Российский рубль",
                    'code': 'RUB',
                    'numeric_code': '643',
                    'symbol': '₽',
                    'rounding': CENT,
                    'digits': 2,
                    }])
    return rub


def create_company(gen):
    pool = gen.pool
    Party = pool.get('party.party')
    Company = pool.get('company.company')
    User = pool.get('res.user')
    Lang = pool.get('ir.lang')
    rub = rouble(pool)
    party, = Party.create([{
                'name': COMPANY_NAME,
                'addresses': [('create', [{
                                'street': "ул. Профсоюзная, д. 26/44, "
                                "офис 12",
                                'postal_code': '117292',
                                'city': "Москва",
                                }])],
                'contact_mechanisms': [('create', [
                            {'type': 'phone', 'value': '+74951204560'},
                            {'type': 'email',
                                'value': 'info@multipoint.example'},
                            ])],
                'identifiers': [('create', [{
                                'type': 'ru_vat',   # INN
                                'code': inn10('772801345'),
                                }])],
                }])
    company, = Company.create([{
                'party': party.id,
                'currency': rub.id,
                'timezone': 'Europe/Moscow',
                }])
    langs = Lang.search([('code', '=', 'ru')], limit=1)
    values = {'companies': [('add', [company.id])],
        'company': company.id}
    if langs and langs[0].translatable:
        values['language'] = langs[0].id
    admin = User.search([('login', '=', 'admin')], limit=1)
    if admin:
        User.write(admin, values)
    gen.lang = langs[0] if langs and langs[0].translatable else None
    return company
