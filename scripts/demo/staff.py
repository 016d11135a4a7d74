"""The staff with personal logins (owner, staff manager, accountant, analyst
and four operators, one of them at two points), and the logins table
printed at the end and written to ``--logins-file``"""
import datetime as dt
import os
from collections import defaultdict

from .codes import codes_table
from .portal import PORTAL_USERS
from .suppliers import SUPPLIERS


# login, password, name, multipoint groups, point codes, role (Russian)
STAFF = [
    ('owner', 'Vladelec#2026', "Смирнов Андрей Викторович", ['owner'], [],
        "руководитель"),
    ('kadry', 'Kadry#2026', "Белова Ирина Сергеевна", ['staff_manager'],
        [], "управляющий персоналом"),
    ('buh', 'Buhgalter#2026', "Захарова Елена Павловна", ['accountant'],
        [], "бухгалтер"),
    ('analitik', 'Analitik#2026', "Орлов Денис Олегович",
        ['reports', 'analytics'], [], "отчёты и аналитика"),
    ('kuznetsova', 'Priemka#Msk1', "Кузнецова Ольга Игоревна",
        ['operator'], ['MSK-01'], "оператор"),
    ('morozov', 'Vydacha#Msk2', "Морозов Артём Сергеевич", ['operator'],
        ['MSK-01', 'KZN-01'], "оператор"),
    ('sadykova', 'Sklad#Kzn1', "Садыкова Лейсан Маратовна", ['operator'],
        ['KZN-01'], "оператор"),
    ('lebedev', 'Smena#Nsk1', "Лебедев Никита Андреевич", ['operator'],
        ['NSK-01'], "оператор"),
    ]


def create_staff(gen, company, points):
    pool = gen.pool
    User = pool.get('res.user')
    Party = pool.get('party.party')
    Employee = pool.get('company.employee')
    ModelData = pool.get('ir.model.data')
    parties = Party.create([{'name': name}
            for _, _, name, _, _, _ in STAFF])
    employees = Employee.create([{
                'party': party.id, 'company': company.id,
                'start_date': (gen.now - dt.timedelta(days=400)).date(),
                } for party in parties])
    extra = {}
    try:
        extra['owner'] = [ModelData.get_id('party', 'group_party_admin')]
    except KeyError:
        pass
    vlist = []
    for (login, password, name, groups, codes, _), employee in zip(
            STAFF, employees):
        group_ids = [ModelData.get_id('multipoint_core', f'group_{g}')
            for g in groups]
        for g in groups:
            group_ids += extra.get(g, [])
        values = {
            'login': login,
            'name': name,
            'password': password,
            'email': f'{login}@multipoint.example',
            'groups': [('add', group_ids)],
            'multipoint_points': [('add', [points[c].id for c in codes])],
            'companies': [('add', [company.id])],
            'company': company.id,
            'employees': [('add', [employee.id])],
            'employee': employee.id,
            }
        if gen.lang:
            values['language'] = gen.lang.id
        if 'multipoint_mobile' in User._fields:
            # where an owner gets the one-time login code
            values['multipoint_mobile'] = (
                f'+7916{7000000 + len(vlist) * 1111:07d}')
        vlist.append(values)
    users = User.create(vlist)
    if 'multipoint_point' in User._fields:
        # the point each operator works at now
        to_write = []
        for user, (_, _, _, _, codes, _) in zip(users, STAFF):
            if codes:
                to_write.extend([[user],
                        {'multipoint_point': points[codes[0]].id}])
        if to_write:
            User.write(*to_write)
    gen.operators = defaultdict(list)
    for user, (_, _, _, groups, codes, _) in zip(users, STAFF):
        if 'operator' in groups:
            for code in codes:
                gen.operators[code].append(user.id)
    return users


def logins_table(database):
    rows = [("login", "password", "role", "points")]
    for login, password, _, groups, codes, role in STAFF:
        rows.append((login, password,
                f"{role} ({', '.join(groups)})",
                ', '.join(codes) if codes else "все (по роли)"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [f"# Multipoint demo accounts, database {database} "
        "(scripts/demo)",
        "# admin keeps the password given to trytond-admin "
        "(TRYTONPASSFILE)"]
    for row in rows:
        lines.append('  '.join(c.ljust(w) for c, w in zip(row, widths))
            .rstrip())
    lines.append(f"# Supplier portal: /{database}/multipoint/portal/")
    for email, password, key in PORTAL_USERS:
        name = next(s['name'] for s in SUPPLIERS if s['key'] == key)
        lines.append(f"{email}  {password}  поставщик {name}")
    return '\n'.join(lines) + '\n'


def write_logins(path, database, codes=None):
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    with open(path, 'w', encoding='utf-8') as fp:
        fp.write(logins_table(database))
        if codes:
            fp.write('\n' + codes_table(codes))
    os.chmod(path, 0o600)
