"""The accounting the points of sale and the agent's reports need: the
minimal Russian chart, the fiscal years, the accounts a report posts to,
and the demo fiscal register for the receipts"""
import datetime as dt

from .common import log


def use_demo_fiscal_driver():
    """The receipts of the demo data go to the demo register: never to a
    real one, whatever the configuration says"""
    from trytond import config
    section = 'multipoint_fiscal'
    current = (config.get(section, 'driver')
        if config.has_section(section) else None)
    if current == 'demo':
        return
    if not config.has_section(section):
        config.add_section(section)
    config.set(section, 'driver', 'demo')
    if current:
        log("Note: the demo data fiscalizes its receipts with the 'demo' "
            "driver, not with the configured '%s'", current)
    else:
        log("Note: no [multipoint_fiscal] driver configured; the demo "
            "data uses the 'demo' driver (set TRYTOND_MULTIPOINT_FISCAL__"
            "DRIVER=demo for the server)")


def setup_accounting(pool, company):
    """What multipoint_pos.tests.pos_tools.setup_accounting does: the
    minimal Russian chart (when the company has no chart), a fiscal year of
    the current year (and of yesterday's, on the 1st of January) with its
    move sequence and periods. Returns the accounts for Point.setup_pos."""
    from trytond.modules.multipoint_pos.pos import create_minimal_chart
    Account = pool.get('account.account')
    FiscalYear = pool.get('account.fiscalyear')
    Sequence = pool.get('ir.sequence.strict')
    ModelData = pool.get('ir.model.data')
    Date = pool.get('ir.date')
    accounts = {}
    if not Account.search([
                ('company', '=', company.id), ('type', '!=', None),
                ], limit=1):
        accounts = create_minimal_chart(company)
        log("  minimal chart of accounts (50, 60, 62, 90.01, 91.02)")
    else:
        cash = Account.search([
                ('company', '=', company.id), ('code', '=', '50'),
                ], limit=1)
        if cash:
            accounts['cash'] = cash[0]
    today = Date.today()
    for year in sorted({(today - dt.timedelta(days=1)).year, today.year}):
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        if FiscalYear.search([
                    ('company', '=', company.id),
                    ('start_date', '<=', start), ('end_date', '>=', end),
                    ], limit=1):
            continue
        sequence, = Sequence.create([{
                    'name': str(year),
                    'sequence_type': ModelData.get_id(
                        'account', 'sequence_type_account_move'),
                    'company': company.id,
                    }])
        fiscalyear, = FiscalYear.create([{
                    'name': str(year),
                    'company': company.id,
                    'start_date': start,
                    'end_date': end,
                    'move_sequence': sequence.id,
                    }])
        FiscalYear.create_period([fiscalyear])
        log("  fiscal year %d with its monthly periods", year)
    return accounts


def settlement_accounts(pool, company):
    """What confirming a report posts to, when missing: the commission to
    revenue (90.01) and fines to expense (91.02) of the minimal chart, the
    net to the supplier's account 60 or 62 (the company's defaults)"""
    Account = pool.get('account.account')
    Config = pool.get('multipoint.settlement.configuration')
    AccountConfig = pool.get('account.configuration')
    accounts = {a.code: a for a in Account.search([
                ('company', '=', company.id),
                ('code', 'in', ['60', '62', '90.01', '91.02']),
                ])}
    config = Config(1)
    if not config.commission_account:
        config.commission_account = accounts.get('90.01')
    if not config.fine_account:
        config.fine_account = accounts.get('91.02')
    config.save()
    account_config = AccountConfig(1)
    if not account_config.default_account_payable:
        account_config.default_account_payable = accounts.get('60')
    if not account_config.default_account_receivable:
        account_config.default_account_receivable = accounts.get('62')
    account_config.save()
