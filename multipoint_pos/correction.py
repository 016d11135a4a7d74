"""The owner's correction receipt (chek korrektsii, FFD 1.2) of a receipt.

From a receipt that never reached the register (draft, failed, cancelled:
the money was taken without a receipt) the wizard makes a correction
receipt of the same items and payments, which takes over the agent sale;
from a fiscalized but wrong receipt it makes the refund correction that
reverses it (the owner then makes the correction with the right data).
Either is a draft to send, made only by an owner (the model checks it) and
with the reason.
"""
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval, PYSONEncoder
from trytond.transaction import Transaction
from trytond.wizard import Button, StateAction, StateView, Wizard

from .receipt import ReceiptError

CASES = [
    ('missed', "Settlement without a Receipt"),
    ('wrong', "Wrong Receipt"),
    ]


class CorrectStart(ModelView):
    "Make Correction Receipt"
    __name__ = 'multipoint.receipt.correct.start'
    receipt = fields.Many2One(
        'multipoint.receipt', "Receipt", readonly=True)
    case = fields.Selection(CASES, "Case", readonly=True,
        help="Settlement without a receipt: a correction receipt of its "
        "items is made. Wrong receipt: a refund correction reverses it.")
    correction_type = fields.Selection([
            ('self', "On Own Initiative"),
            ('instruction', "By Tax Authority's Order"),
            ], "Correction Type", required=True, help="Tag 1173.")
    base_date = fields.Date(
        "Date of the Uncorrected Settlement", required=True,
        help="Tag 1178.")
    base_number = fields.Char("Order Number", states={
            'required': Eval('correction_type') == 'instruction',
            'invisible': Eval('correction_type') != 'instruction',
            }, help="The number of the tax authority's order (tag 1179).")
    reason = fields.Text("Reason", required=True)


class Correct(Wizard):
    "Make Correction Receipt"
    __name__ = 'multipoint.receipt.correct'
    start = StateView(
        'multipoint.receipt.correct.start',
        'multipoint_pos.receipt_correct_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Make", 'correct', 'tryton-ok', default=True),
            ])
    correct = StateAction('multipoint_pos.act_receipt_form')

    def default_start(self, fields):
        receipt = self.record
        if receipt.state == 'done':
            case, moment = 'wrong', receipt.fiscal_date
        else:
            case, moment = 'missed', receipt.create_date
        return {
            'receipt': receipt.id,
            'case': case,
            'correction_type': 'self',
            'base_date': receipt.point.local_date(moment),
            }

    def do_correct(self, action):
        pool = Pool()
        Receipt = pool.get('multipoint.receipt')
        source = self.record
        if source.state == 'pending':
            raise ReceiptError(gettext(
                    'multipoint_pos.msg_receipt_correct_pending',
                    receipt=source.rec_name))
        lines = [{
                'name': l.name,
                'quantity': l.quantity,
                'unit_price': l.unit_price,
                'amount': l.amount,
                'vat_rate': l.vat_rate,
                'payment_method': l.payment_method,
                'payment_object': l.payment_object,
                'agent_type': l.agent_type,
                'parcel': l.parcel,
                } for l in source.lines]
        payments = [(p.method, p.amount) for p in source.payments]
        values = {}
        if source.state == 'done':
            kind = 'correction_refund'
            values['original_receipt'] = source
        else:
            kind = 'correction'
            # the money of the sale is settled by the correction
            values['sale'] = source.sale.id if source.sale else None
        correction = Receipt.create_correction(source.point,
            source.supplier, lines, payments, Transaction().user,
            self.start.correction_type, self.start.base_date,
            base_number=self.start.base_number, session=source.session,
            reason=self.start.reason, kind=kind, **values)
        if source.state in {'draft', 'failed'}:
            Receipt.cancel([source])
        action['pyson_domain'] = PYSONEncoder().encode(
            [('id', '=', correction.id)])
        action['views'].reverse()
        return action, {}
