"""Import Manifest wizard: upload a file, see what it would do and its row
errors, then import all of its rows or none."""
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.pyson import Eval, PYSONEncoder
from trytond.transaction import (
    Transaction, check_access, without_check_access)
from trytond.wizard import (
    Button, StateAction, StateTransition, StateView, Wizard)

from .exceptions import AccountError
from .upsert import Upsert


def check_import(account, point):
    """Raise unless the user may import manifests of account for point:
    the account and the point must be visible to the user (operators see
    their own points only) and the account must serve the point"""
    pool = Pool()
    Account = pool.get('multipoint.supplier.account')
    Point = pool.get('multipoint.point')
    ModelAccess = pool.get('ir.model.access')
    with check_access():
        # an import is a sync log the user creates
        ModelAccess.check('multipoint.supplier.sync.log', 'create')
        visible = (Account.search([('id', '=', account.id)])
            and Point.search([('id', '=', point.id)]))
    if not visible:
        raise AccessError(gettext(
                'multipoint_suppliers.msg_import_denied',
                point=point.rec_name))
    if not account.serves(point):
        raise AccountError(gettext(
                'multipoint_suppliers.msg_point_not_served',
                account=account.rec_name, point=point.rec_name))
    if not account.get_connector().supports('import_manifest'):
        raise AccountError(gettext(
                'multipoint_suppliers.msg_connector_no_import',
                account=account.rec_name))


def preview(account, point, data, file_name=None):
    """(manifest, plan) of data: what an import would do, nothing written;
    the caller checked the user's access (check_import)"""
    with without_check_access():
        manifest = account.get_connector().import_manifest(data, file_name)
        plan = None
        if not manifest.errors:
            plan = Upsert(account, point).plan(manifest.parcels)
    return manifest, plan


def account_points(account):
    "The points of account the user sees (operators: their own)"
    Point = Pool().get('multipoint.point')
    if not account:
        return []
    ids = [p.point.id for p in account.points]
    with check_access():
        visible = {p.id for p in Point.search([('id', 'in', ids)])}
    return [i for i in ids if i in visible]


def _line(error):
    if error.row:
        return gettext('multipoint_suppliers.msg_row_prefix',
            row=error.row, message=error.message)
    return error.message


class ImportManifestStart(ModelView):
    "Import Manifest"
    __name__ = 'multipoint.supplier.manifest.import.start'
    account = fields.Many2One(
        'multipoint.supplier.account', "Supplier Account", required=True)
    point = fields.Many2One(
        'multipoint.point', "Point", required=True,
        domain=[('id', 'in', Eval('account_points', []))])
    account_points = fields.Function(
        fields.Many2Many('multipoint.point', None, None, "Account Points"),
        'on_change_with_account_points')
    file = fields.Binary("File", required=True, filename='file_name')
    file_name = fields.Char("File Name")

    @fields.depends('account')
    def on_change_with_account_points(self, name=None):
        return account_points(self.account)

    @fields.depends('account', 'point')
    def on_change_account(self):
        points = self.on_change_with_account_points()
        if self.point and self.point.id not in points:
            self.point = None
        if not self.point and len(points) == 1:
            self.point = points[0]


class ImportManifestPreview(ModelView):
    "Import Manifest Preview"
    __name__ = 'multipoint.supplier.manifest.import.preview'
    summary = fields.Text("Summary", readonly=True)
    errors = fields.Text("Errors", readonly=True)
    warnings = fields.Text("Warnings", readonly=True)
    valid = fields.Boolean("Valid", readonly=True)


class ImportManifest(Wizard):
    "Import Manifest"
    __name__ = 'multipoint.supplier.manifest.import'
    start = StateView(
        'multipoint.supplier.manifest.import.start',
        'multipoint_suppliers.manifest_import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Preview", 'preview', 'tryton-forward', default=True),
            ])
    preview = StateView(
        'multipoint.supplier.manifest.import.preview',
        'multipoint_suppliers.manifest_import_preview_view_form', [
            Button("Back", 'start', 'tryton-back'),
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Import", 'import_', 'tryton-ok', default=True,
                states={'readonly': ~Eval('valid', False)}),
            ])
    import_ = StateTransition()
    result = StateAction('multipoint_suppliers.act_sync_log_form')

    def default_start(self, fields):
        Account = Pool().get('multipoint.supplier.account')
        values = {}
        context = Transaction().context
        if (context.get('active_model') == Account.__name__
                and context.get('active_id')):
            account = Account(context['active_id'])
            values['account'] = account.id
            points = account_points(account)
            values['account_points'] = points
            if len(points) == 1:
                values['point'] = points[0]
        return values

    def default_preview(self, fields):
        account, point = self.start.account, self.start.point
        check_import(account, point)
        manifest, plan = preview(
            account, point, self.start.file, self.start.file_name)
        errors = manifest.errors + (plan.errors if plan else [])
        warnings = plan.warnings if plan else []
        summary = gettext('multipoint_suppliers.msg_preview_summary',
            file=self.start.file_name or '',
            format=manifest.encoding or '',
            delimiter=manifest.delimiter or '',
            rows=manifest.rows,
            parcels=len(manifest.parcels),
            created=plan.created if plan else 0,
            updated=plan.updated if plan else 0,
            skipped=plan.skipped if plan else 0,
            errors=len(errors))
        if manifest.columns:
            summary += '\n' + gettext(
                'multipoint_suppliers.msg_preview_columns',
                columns=', '.join(
                    f'«{h}»' for h in manifest.columns.values()))
        return {
            'summary': summary,
            'errors': '\n'.join(map(_line, errors)),
            'warnings': '\n'.join(map(_line, warnings)),
            'valid': not errors,
            }

    def transition_import_(self):
        SyncLog = Pool().get('multipoint.supplier.sync.log')
        account, point = self.start.account, self.start.point
        check_import(account, point)
        with check_access():
            log = SyncLog.create_import(
                account, point, self.start.file, self.start.file_name)
        SyncLog.process([log])
        self._log = log.id
        return 'result'

    def do_result(self, action):
        log_id = getattr(self, '_log', None)
        action['pyson_domain'] = PYSONEncoder().encode(
            [('id', '=', log_id)])
        action['views'].reverse()
        return action, {'res_id': [log_id]}
