"""Data for test_upgrade.py, in a database of its own (trytond config file).

    python upgrade_data.py CONFIG DATABASE fill   # settlements (old layout)
    python upgrade_data.py CONFIG DATABASE state  # what must survive (JSON)
    python upgrade_data.py CONFIG DATABASE use    # the records still work

fill runs with the modules of the old layout (old_layout.py), on a database
with scripts/demo_data.py's data (a company, points, the portal's web user
and its supplier); state and use with either."""
import datetime as dt
import json
import sys
from decimal import Decimal

# the settlements' models and those of the portal, as the old layout had
# them in multipoint_suppliers
MOVED_MODELS = [
    'multipoint.settlement.configuration', 'multipoint.settlement',
    'multipoint.settlement.line', 'multipoint.settlement.fine',
    'multipoint.settlement.reconciliation',
    'multipoint.settlement.reconciliation.line',
    'multipoint.supplier.account.report_column']
MOVED_MENUS = ['Suppliers', 'Settlements', 'Settlement Configuration',
    'Reconciliations', 'Web Users']
PORTAL_PASSWORD = 'Upgrade#2026-portal'


def fill(pool):
    from trytond.modules.multipoint_suppliers.bulk import insert
    Company = pool.get('company.company')
    WebUser = pool.get('web.user')
    Settlement = pool.get('multipoint.settlement')
    Line = pool.get('multipoint.settlement.line')
    Fine = pool.get('multipoint.settlement.fine')
    Config = pool.get('multipoint.settlement.configuration')
    Reconciliation = pool.get('multipoint.settlement.reconciliation')
    ReconciliationLine = pool.get(
        'multipoint.settlement.reconciliation.line')
    Account = pool.get('multipoint.supplier.account')
    ReportColumn = pool.get('multipoint.supplier.account.report_column')
    company, = Company.search([], limit=1)
    web_user, = WebUser.search([('multipoint_supplier', '!=', None)],
        limit=1)
    WebUser.write([web_user], {'password': PORTAL_PASSWORD})
    supplier = web_user.multipoint_supplier
    config = Config(1)
    config.sequence = Config.default_sequence()
    config.save()
    today = dt.date.today()
    from trytond.transaction import Transaction
    with Transaction().set_context(company=company.id):
        settlements = Settlement.create([{
                    'company': company.id, 'supplier': supplier.id,
                    'period_start': today.replace(day=1) - dt.timedelta(
                        days=days),
                    'period_end': today - dt.timedelta(days=days),
                    } for days in (40, 80)])
        for settlement, number in zip(settlements, ['ОА-UPG-1', 'ОА-UPG-2']):
            insert(Line, [{
                        'settlement': settlement.id, 'order_number': order,
                        'date': settlement.period_end, 'status': 'issued',
                        'cash': Decimal('1699.00'),
                        'amount': Decimal('1699.00'),
                        'commission': Decimal('33.98'),
                        'net': Decimal('1665.02'),
                        } for order in [f'{number}-A', f'{number}-B']])
        Fine.create([{
                    'settlement': settlements[0].id,
                    'kind': Fine.get_kinds()[0][0],
                    'amount': Decimal('150.00'),
                    'description': "Повреждение упаковки",
                    }])
        Settlement.update_totals(settlements)
        Settlement.write([settlements[0]], {
                'state': 'sent', 'number': 'ОА-UPG-1'})
        Settlement.write([settlements[1]], {
                'state': 'disputed', 'number': 'ОА-UPG-2',
                'dispute_comment': "Не согласны с комиссией"})
        reconciliation, = Reconciliation.create([{
                    'settlement': settlements[0].id,
                    'file_name': 'report.csv',
                    }])
        line = settlements[0].lines[0]
        ReconciliationLine.create([{
                    'reconciliation': reconciliation.id,
                    'order_number': line.order_number,
                    'kind': 'amount', 'settlement_line': line.id,
                    'our_amount': Decimal('1699.00'),
                    'their_amount': Decimal('1600.00'),
                    'difference': Decimal('99.00'),
                    }])
        accounts = Account.search([('supplier', '=', supplier.id)], limit=1)
        if accounts:
            ReportColumn.create([{
                        'account': accounts[0].id, 'column': 'amount',
                        'header': "Получено от покупателя",
                        }])


def state(pool):
    "What the upgrade must keep, as plain data"
    from trytond.transaction import Transaction
    cursor = Transaction().connection.cursor()

    def rows(query, *args):
        cursor.execute(query, args)
        return [list(r) for r in cursor]
    result = {
        'settlements': rows(
            'SELECT id, number, state, supplier, company, net_amount, '
            'dispute_comment FROM multipoint_settlement ORDER BY id'),
        'settlement_lines': rows(
            'SELECT id, settlement, order_number, net '
            'FROM multipoint_settlement_line ORDER BY id'),
        'fines': rows('SELECT id, settlement, kind, amount '
            'FROM multipoint_settlement_fine ORDER BY id'),
        'reconciliations': rows('SELECT id, settlement, state, file_name '
            'FROM multipoint_settlement_reconciliation ORDER BY id'),
        'reconciliation_lines': rows(
            'SELECT id, reconciliation, settlement_line, difference '
            'FROM multipoint_settlement_reconciliation_line ORDER BY id'),
        'report_columns': rows('SELECT id, account, "column", header '
            'FROM multipoint_supplier_account_report_column ORDER BY id'),
        'configuration': rows('SELECT id, sequence '
            'FROM multipoint_settlement_configuration ORDER BY id'),
        'web_users': rows('SELECT id, email, multipoint_supplier '
            'FROM web_user ORDER BY id'),
        'modules': dict(rows('SELECT name, state FROM ir_module '
                "WHERE name LIKE 'multipoint%%'")),
        # every XML id of the four modules: (module, fs_id) -> (model, id)
        'model_data': {f'{m}.{f}': [model, db_id] for m, f, model, db_id
            in rows('SELECT module, fs_id, model, db_id FROM ir_model_data '
                "WHERE module LIKE 'multipoint%%'")},
        'models': dict(rows('SELECT name, module FROM ir_model '
                "WHERE module LIKE 'multipoint%%'")),
        'fields': {f'{m}.{n}': module for m, n, module in rows(
                'SELECT model, name, module FROM ir_model_field '
                "WHERE module LIKE 'multipoint%%'")},
        'views': {str(i): [module, name, model] for i, module, name, model
            in rows('SELECT id, module, name, model FROM ir_ui_view '
                "WHERE module LIKE 'multipoint%%'")},
        }
    # how many of each kind of record point to the moved models: the same
    # after the upgrade, nothing created twice nor lost
    counts = {}
    for table, column in [
            ('ir_ui_view', 'model'),
            ('ir_action_act_window', 'res_model'),
            ('ir_model_access', 'model'),
            ('ir_rule_group', 'model'),
            ('ir_model_button', 'model'),
            ('ir_action_report', 'model'),
            ]:
        found = dict(rows(f'SELECT {column}, COUNT(*) FROM {table} '
                f'GROUP BY {column}'))
        counts[table] = {m: found.get(m, 0) for m in MOVED_MODELS}
    found = dict(rows('SELECT name, COUNT(*) FROM ir_ui_menu GROUP BY name'))
    counts['ir_ui_menu'] = {name: found.get(name, 0) for name in MOVED_MENUS}
    # the messages of the settlements and of the portal, by their text
    counts['ir_message'] = rows(
        'SELECT COUNT(*) FROM ir_message WHERE text IN ('
        'SELECT m.text FROM ir_message m JOIN ir_model_data d '
        "ON d.db_id = m.id AND d.model = 'ir.message' "
        "WHERE d.fs_id LIKE 'msg_settlement%%' "
        "OR d.fs_id LIKE 'msg_reconciliation%%' "
        "OR d.fs_id LIKE 'msg_portal%%')")[0]
    counts['ir_model_field_access'] = rows(
        'SELECT COUNT(*) FROM ir_model_field_access')[0]
    counts['ir_sequence'] = rows('SELECT COUNT(*) FROM ir_sequence')[0]
    counts['ir_sequence_type'] = rows(
        'SELECT COUNT(*) FROM ir_sequence_type')[0]
    result['counts'] = counts
    result['translations'] = rows(
        'SELECT module, type, name, res_id, lang, value FROM ir_translation '
        "WHERE lang = 'ru' AND module LIKE 'multipoint%%' "
        "AND value IS NOT NULL AND value != ''")
    return result


def use(pool):
    """The moved records work with the modules of this checkout: the
    forms, the reports, the menus, the portal's web user"""
    Settlement = pool.get('multipoint.settlement')
    Reconciliation = pool.get('multipoint.settlement.reconciliation')
    WebUser = pool.get('web.user')
    Menu = pool.get('ir.ui.menu')
    result = {}
    settlements = Settlement.search([('number', 'like', 'ОА-UPG-%')],
        order=[('number', 'ASC')])
    result['settlements'] = [
        [s.number, s.state, str(s.net_amount), len(s.lines), len(s.fines)]
        for s in settlements]
    for Model in [Settlement, Reconciliation]:
        for view_type in ['form', 'tree']:
            Model.fields_view_get(view_type=view_type)
    report = pool.get('multipoint.settlement.xlsx', type='report')
    extension, content, _, _ = report.execute([settlements[0].id], {})
    result['xlsx'] = [extension, len(content) > 0]
    reconciliations = Reconciliation.search([])
    result['reconciliations'] = [
        [r.settlement.number, r.state, [str(l.difference) for l in r.lines]]
        for r in reconciliations]
    result['menus'] = sorted(m.complete_name for m in Menu.search([
                ('parent.name', '=', "Взаиморасчёты"),
                ]))
    web_user, = WebUser.search([('multipoint_supplier', '!=', None)],
        limit=1)
    result['web_user'] = [web_user.email, web_user.multipoint_supplier.id]
    return result


def portal(database, email):
    "The portal's routes, outside any transaction (they start theirs)"
    from werkzeug.test import Client
    from werkzeug.wrappers import Response

    from trytond.wsgi import app
    import trytond.modules.multipoint_portal  # noqa: F401 (routes)
    result = {}
    client = Client(app, Response)
    base = f'/{database}/multipoint/portal/api'
    ajax = {'X-Requested-With': 'XMLHttpRequest'}
    response = client.post(f'{base}/login', headers=ajax,
        json={'email': email, 'password': PORTAL_PASSWORD})
    result['portal_login'] = response.status_code
    response = client.get(f'{base}/me')
    me = response.get_json()
    result['portal_features'] = me['features']
    response = client.get(f'{base}/settlements')
    result['portal_settlements'] = sorted(
        [s['number'], s['state']]
        for s in response.get_json()['settlements'])
    response = client.get(f'{base}/tickets')
    result['portal_tickets'] = [response.status_code,
        len(response.get_json()['tickets'])]
    return result


def main():
    config_file, database, command = sys.argv[1:4]
    from trytond import config
    config.update_etc(config_file)
    from trytond.pool import Pool
    from trytond.transaction import Transaction, TransactionError
    pool = Pool(database)
    pool.init()
    extras = {}
    while True:
        with Transaction().start(database, 0, context={'language': 'ru'},
                **extras) as transaction:
            try:
                result = {'fill': fill, 'state': state, 'use': use}[
                    command](pool)
            except TransactionError as error:
                # take the locks first, as the request handlers do
                transaction.rollback()
                error.fix(extras)
                continue
            if command == 'fill':
                transaction.commit()
            break
    if command == 'use':
        result.update(portal(database, result['web_user'][0]))
    json.dump(result, sys.stdout, ensure_ascii=False, default=str)


if __name__ == '__main__':
    main()
