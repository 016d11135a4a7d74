"""Each pickup point takes money through a point of sale of sale_point.

Setup (``Point.setup_pos``, or the "Set Up Point of Sale" wizard of a
point): a ``sale.point`` per pickup point, with a strict sequence, the
point's warehouse storage and the customer location, the revenue journal;
per company the payment methods cash / card / SBP, the cash transfer types
float / collection / difference and the agent product.

Agent accounting: the point collects the supplier's money as its agent, so
collected COD is a debt to the supplier, not revenue. account_product only
lets a product's revenue account be an income-statement account, so the
agent product carries no revenue account: the POS lines of agent sales post
to the point of sale's ``agent_account`` (a balance-sheet liability with a
party, "settlement with principals"), with the supplier as party. A posted
cash sale is therefore: cash debit, principal settlement credit. The point's
own income (the commission) is booked by the settlement with the supplier.
"""
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import PosSetupError

METHOD_KINDS = [
    (None, ""),
    ('cash', "Cash"),
    ('card', "Card"),
    ('sbp', "SBP (Faster Payments)"),
    ]
TRANSFER_KINDS = [
    (None, ""),
    ('float', "Float"),
    ('collection', "Cash Collection"),
    ('difference', "Count Difference"),
    ]


def method_name(kind):
    "The translated name of a payment method kind"
    if kind in {'cash', 'card', 'sbp'}:
        return gettext(f'multipoint_pos.msg_pos_method_{kind}')
    return str(kind)


class Point(metaclass=PoolMeta):
    __name__ = 'multipoint.point'
    sale_point = fields.Many2One(
        'sale.point', "Point of Sale", readonly=True, ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))],
        help="Where the point takes payments; its cash sessions are the "
        "shifts of the point.")
    # the devices of the point's desk: its fiscal register, its slip printer
    fiscal_url = fields.Char(
        "Fiscal Driver URL",
        help="The ATOL Web Server of the point's fiscal register, e.g. "
        "http://10.8.0.12:16732; empty: the server's configuration.")
    printer_host = fields.Char(
        "Slip Printer Host",
        help="The network ESC/POS printer of the desk; empty: the server's "
        "configuration.")
    printer_port = fields.Integer(
        "Slip Printer Port",
        domain=['OR', ('printer_port', '=', None),
            [('printer_port', '>', 0), ('printer_port', '<', 65536)]])

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'setup_pos_wizard': {
                    'invisible': Bool(Eval('sale_point')),
                    'depends': ['sale_point'],
                    },
                })

    @classmethod
    def copy(cls, points, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('sale_point', None)
        return super().copy(points, default=default)

    @classmethod
    @ModelView.button_action('multipoint_pos.wizard_setup_pos')
    def setup_pos_wizard(cls, points):
        pass

    def get_sale_point(self):
        "The point of sale, or a clear error when it is not set up"
        if not self.sale_point:
            raise PosSetupError(gettext(
                    'multipoint_pos.msg_pos_missing', point=self.rec_name))
        return self.sale_point

    @classmethod
    def setup_pos(cls, points, accounts=None):
        """Give each point without one a point of sale.

        accounts (all optional, records): 'cash' (needed when the company
        has no cash payment method yet), 'card', 'sbp' (default: new
        accounts next to the cash account), 'agent' (settlement with
        principals; default: a new account next to the payable account),
        'float', 'collection', 'difference' (transfer counterparts; default:
        new accounts next to the cash account), 'journal' (revenue journal
        of the sales), 'transfer_journal' (cash journal of the transfers).
        Returns the points of sale."""
        pool = Pool()
        SalePoint = pool.get('sale.point')
        Sequence = pool.get('ir.sequence.strict')
        ModelData = pool.get('ir.model.data')
        Location = pool.get('stock.location')
        accounts = dict(accounts or {})
        result = []
        with without_check_access():
            points = cls.browse(points)
            customer = Location(ModelData.get_id(
                    'stock', 'location_customer'))
            sequence_type = ModelData.get_id(
                'sale_point', 'sequence_type_sale')
            kits = {}
            for point in points:
                if point.sale_point:
                    result.append(point.sale_point)
                    continue
                if not point.warehouse:
                    raise PosSetupError(gettext(
                            'multipoint_pos.msg_pos_no_warehouse',
                            point=point.rec_name))
                company = point.company
                if company not in kits:
                    kits[company] = cls._pos_kit(company, accounts)
                kit = kits[company]
                storage = point.warehouse.storage_location
                with Transaction().set_context(company=company.id):
                    sequence, = Sequence.create([{
                                'name': gettext(
                                    'multipoint_pos.msg_pos_sequence_name',
                                    point=point.code),
                                'sequence_type': sequence_type,
                                'company': company.id,
                                'prefix': f'{point.code}-',
                                'padding': 6,
                                }])
                    sale_point, = SalePoint.create([{
                                'name': point.rec_name,
                                'company': company.id,
                                'tax_included': True,
                                'sequence': sequence.id,
                                'storage_location': storage.id,
                                'return_location': storage.id,
                                'customer_location': customer.id,
                                'journal': kit['journal'].id,
                                'agent_account': kit['agent'].id,
                                'agent_product': kit['product'].id,
                                }])
                point.sale_point = sale_point
                result.append(sale_point)
            cls.save(points)
        return result

    @classmethod
    def _pos_kit(cls, company, accounts):
        """The company's payment methods, transfer types, journal, agent
        account and product: found when another point made them, created
        otherwise"""
        pool = Pool()
        Method = pool.get('sale.point.payment.method')
        TransferType = pool.get('sale.point.cash.transfer.type')
        SalePoint = pool.get('sale.point')
        Account = pool.get('account.account')
        Journal = pool.get('account.journal')

        others = SalePoint.search([
                ('company', '=', company.id),
                ('agent_account', '!=', None),
                ('agent_product', '!=', None),
                ], limit=1)
        other = others[0] if others else None

        methods = {m.multipoint_kind: m for m in Method.search([
                    ('company', '=', company.id),
                    ('multipoint_kind', '!=', None),
                    ])}
        cash = methods.get('cash')
        if not cash:
            # sale_point allows one active cash method per company
            found = Method.search([
                    ('company', '=', company.id),
                    ('cash', '=', True),
                    ], limit=1)
            if found:
                cash, = found
                cash.multipoint_kind = 'cash'
                cash.save()
            else:
                if not accounts.get('cash'):
                    raise PosSetupError(gettext(
                            'multipoint_pos.msg_pos_cash_account_needed',
                            company=company.rec_name))
                cash, = Method.create([{
                            'company': company.id,
                            'name': method_name('cash'),
                            'account': accounts['cash'].id,
                            'cash': True,
                            'multipoint_kind': 'cash',
                            }])
        cash_account = cash.account
        for kind in ['card', 'sbp']:
            if kind in methods:
                continue
            account = accounts.get(kind) or cls._pos_account(
                cash_account, f'account_{kind}')
            Method.create([{
                        'company': company.id,
                        'name': method_name(kind),
                        'account': account.id,
                        'cash': False,
                        'multipoint_kind': kind,
                        }])

        types = {t.multipoint_kind: t for t in TransferType.search([
                    ('company', '=', company.id),
                    ('multipoint_kind', '!=', None),
                    ])}
        missing = [k for k in ['float', 'collection', 'difference']
            if k not in types]
        if missing:
            transfer_journal = accounts.get('transfer_journal')
            if not transfer_journal:
                journals = Journal.search([('type', '=', 'cash')], limit=1)
                if not journals:
                    raise PosSetupError(gettext(
                            'multipoint_pos.msg_pos_journal_needed',
                            type='cash'))
                transfer_journal, = journals
            for kind in missing:
                account = accounts.get(kind) or cls._pos_account(
                    cash_account, f'account_{kind}')
                TransferType.create([{
                            'company': company.id,
                            'name': gettext(
                                f'multipoint_pos.msg_pos_transfer_{kind}'),
                            'journal': transfer_journal.id,
                            'account': account.id,
                            'multipoint_kind': kind,
                            }])

        journal = accounts.get('journal') or (other.journal if other else None)
        if not journal:
            journals = Journal.search([('type', '=', 'revenue')], limit=1)
            if not journals:
                raise PosSetupError(gettext(
                        'multipoint_pos.msg_pos_journal_needed',
                        type='revenue'))
            journal, = journals

        agent = accounts.get('agent') or (
            other.agent_account if other else None)
        if not agent:
            payables = Account.search([
                    ('company', '=', company.id),
                    ('type.payable', '=', True),
                    ('party_required', '=', True),
                    ('closed', '!=', True),
                    ], limit=1)
            if not payables:
                raise PosSetupError(gettext(
                        'multipoint_pos.msg_pos_agent_account_needed',
                        company=company.rec_name))
            agent = cls._pos_account(payables[0], 'account_agent')
        if not agent.party_required:
            raise PosSetupError(gettext(
                    'multipoint_pos.msg_pos_agent_account_party',
                    account=agent.rec_name))

        product = other.agent_product if other else None
        if not product:
            product = cls._pos_agent_product()
        return {'journal': journal, 'agent': agent, 'product': product}

    @classmethod
    def _pos_account(cls, base, name):
        "A new account of the same kind and parent as base"
        Account = Pool().get('account.account')
        account, = Account.copy([base], default={
                'name': gettext(f'multipoint_pos.msg_pos_{name}'),
                'code': None,
                'childs': None,
                })
        return account

    @classmethod
    def _pos_agent_product(cls):
        "The service sold on behalf of the suppliers, without taxes"
        pool = Pool()
        Category = pool.get('product.category')
        Template = pool.get('product.template')
        ModelData = pool.get('ir.model.data')
        unit = ModelData.get_id('product', 'uom_unit')
        category, = Category.create([{
                    'name': gettext('multipoint_pos.msg_pos_agent_category'),
                    'accounting': True,
                    }])
        template, = Template.create([{
                    'name': gettext('multipoint_pos.msg_pos_agent_product'),
                    'type': 'service',
                    'salable': True,
                    'default_uom': unit,
                    'sale_uom': unit,
                    'account_category': category.id,
                    'products': [('create', [{}])],
                    }])
        product, = template.products
        return product


def create_minimal_chart(company):
    """A minimal Russian chart of accounts for a company without one (demo
    databases, tests): 50 cash, 60 suppliers, 62 customers, 90.01 revenue,
    91.02 other expenses. Returns {'cash', 'payable', 'receivable',
    'revenue', 'expense'}: accounts. A real company uses its own chart."""
    pool = Pool()
    Type = pool.get('account.account.type')
    Account = pool.get('account.account')

    def type_(name, parent=None, **values):
        record, = Type.create([dict({
                        'name': name,
                        'company': company.id,
                        'parent': parent.id if parent else None,
                        }, **values)])
        return record

    root = type_("Баланс и финансовые результаты")
    assets = type_("Активы", root, statement='balance', assets=True)
    cash = type_("Денежные средства", assets, statement='balance',
        assets=True)
    receivable = type_("Дебиторская задолженность", assets,
        statement='balance', assets=True, receivable=True)
    liabilities = type_("Обязательства", root, statement='balance')
    payable = type_("Кредиторская задолженность", liabilities,
        statement='balance', payable=True)
    income = type_("Доходы и расходы", root, statement='income')
    revenue = type_("Выручка", income, statement='income', revenue=True)
    expense = type_("Расходы", income, statement='income', expense=True)
    chart, = Account.create([{
                'name': "План счетов", 'company': company.id}])
    values = [
        ('cash', '50', "Касса", cash, False),
        ('receivable', '62', "Расчёты с покупателями и заказчиками",
            receivable, True),
        ('payable', '60', "Расчёты с поставщиками и подрядчиками", payable,
            True),
        ('revenue', '90.01', "Выручка", revenue, False),
        ('expense', '91.02', "Прочие расходы", expense, False),
        ]
    accounts = Account.create([{
                'code': code,
                'name': name,
                'company': company.id,
                'parent': chart.id,
                'type': type_.id,
                'party_required': party,
                'reconcile': party,
                } for _, code, name, type_, party in values])
    return {key: account for (key, *_), account in zip(values, accounts)}


class SalePoint(metaclass=PoolMeta):
    __name__ = 'sale.point'
    pickup_points = fields.One2Many(
        'multipoint.point', 'sale_point', "Pickup Points", readonly=True)
    agent_account = fields.Many2One(
        'account.account', "Principal Settlement Account",
        domain=[
            ('company', '=', Eval('company', -1)),
            ('type', '!=', None),
            ('closed', '!=', True),
            ('party_required', '=', True),
            ],
        help="Money collected on behalf of suppliers is owed to them: the "
        "agent lines post here, with the supplier as party.")
    agent_product = fields.Many2One(
        'product.product', "Agent Product",
        help="The product of the lines sold on behalf of suppliers.")

    def get_open_session(self):
        "The open cash session (shift), or None"
        Session = Pool().get('sale.point.cash.session')
        sessions = Session.search([
                ('point', '=', self.id),
                ('state', '=', 'open'),
                ], limit=1)
        return sessions[0] if sessions else None


class PaymentMethod(metaclass=PoolMeta):
    __name__ = 'sale.point.payment.method'
    multipoint_kind = fields.Selection(
        METHOD_KINDS, "Pickup Point Method",
        help="The way of payment of the pickup points this method records.")

    @classmethod
    def payment_method(cls, company, kind):
        "The company's method for kind (cash, card, sbp)"
        methods = cls.search([
                ('company', '=', company.id),
                ('multipoint_kind', '=', kind),
                ], limit=1)
        if not methods:
            raise PosSetupError(gettext(
                    'multipoint_pos.msg_pos_method_missing',
                    method=method_name(kind)))
        return methods[0]


class CashTransferType(metaclass=PoolMeta):
    __name__ = 'sale.point.cash.transfer.type'
    multipoint_kind = fields.Selection(
        TRANSFER_KINDS, "Shift Operation",
        help="What the shifts of the pickup points use this type for.")

    @classmethod
    def transfer_type(cls, company, kind):
        types = cls.search([
                ('company', '=', company.id),
                ('multipoint_kind', '=', kind),
                ], limit=1)
        if not types:
            raise PosSetupError(gettext(
                    'multipoint_pos.msg_pos_transfer_type_missing',
                    kind=kind))
        return types[0]


class SetupPosStart(ModelView):
    "Set Up Point of Sale"
    __name__ = 'multipoint.point.setup_pos.start'
    company = fields.Many2One('company.company', "Company", readonly=True)
    chart_needed = fields.Boolean("Chart Needed", readonly=True)
    create_chart = fields.Boolean(
        "Create a Minimal Chart of Accounts",
        states={'invisible': ~Eval('chart_needed', False)},
        help="The company has no chart of accounts: create the minimal "
        "Russian one (50, 60, 62, 90.01, 91.02).")
    cash_needed = fields.Boolean("Cash Account Needed", readonly=True)
    cash_account = fields.Many2One(
        'account.account', "Cash Account",
        domain=[
            ('company', '=', Eval('company', -1)),
            ('type', '!=', None),
            ('closed', '!=', True),
            ('party_required', '=', False),
            ],
        states={
            'required': (Eval('cash_needed', False)
                & ~Eval('create_chart', False)),
            'invisible': (~Eval('cash_needed', False)
                | Eval('create_chart', False)),
            },
        help="Where the cash of the desks is booked.")
    agent_account = fields.Many2One(
        'account.account', "Principal Settlement Account",
        domain=[
            ('company', '=', Eval('company', -1)),
            ('type', '!=', None),
            ('closed', '!=', True),
            ('party_required', '=', True),
            ],
        help="Leave empty to create one next to the payable account.")
    journal = fields.Many2One(
        'account.journal', "Journal", domain=[('type', '=', 'revenue')],
        help="Leave empty to use the revenue journal.")


class SetupPos(Wizard):
    "Set Up Point of Sale"
    __name__ = 'multipoint.point.setup_pos'
    start = StateView(
        'multipoint.point.setup_pos.start',
        'multipoint_pos.point_setup_pos_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Set Up", 'setup', 'tryton-ok', default=True),
            ])
    setup = StateTransition()

    def default_start(self, fields):
        pool = Pool()
        Method = pool.get('sale.point.payment.method')
        Account = pool.get('account.account')
        company = self.records[0].company if self.records else None
        cash_needed = chart_needed = True
        if company:
            with without_check_access():
                cash_needed = not Method.search([
                        ('company', '=', company.id),
                        ('cash', '=', True),
                        ], limit=1)
                chart_needed = not Account.search([
                        ('company', '=', company.id),
                        ('type', '!=', None),
                        ], limit=1)
        return {
            'company': company.id if company else None,
            'cash_needed': cash_needed,
            'chart_needed': chart_needed,
            'create_chart': chart_needed,
            }

    def transition_setup(self):
        accounts = {}
        if self.start.chart_needed and self.start.create_chart:
            with without_check_access():
                accounts.update(create_minimal_chart(self.start.company))
        if self.start.cash_account:
            accounts['cash'] = self.start.cash_account
        if self.start.agent_account:
            accounts['agent'] = self.start.agent_account
        if self.start.journal:
            accounts['journal'] = self.start.journal
        self.model.setup_pos(self.records, accounts)
        return 'end'
