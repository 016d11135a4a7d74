"""The agent's report of the portal's supplier: computed, confirmed by the
owner and sent, so the portal has one to show"""
from .accounting import settlement_accounts
from .common import log
from .portal import PORTAL_USERS


def portal_settlement(gen, company, suppliers):
    """The agent's report of each portal user's supplier over the days of
    its parcels paid in closed shifts: computed, confirmed by the owner
    (which posts its move) and sent, as the portal shows the sent ones.
    Only for a supplier without any report yet. None, said in the log,
    when no parcel of it was paid in a closed shift (with few parcels the
    shifts pay only some suppliers'): the workflow mode issues parcels
    without taking their money, a report of those would show nothing
    collected and only the commission owed."""
    pool = gen.pool
    Settlement = pool.get('multipoint.settlement')
    Payment = pool.get('sale.point.payment')
    User = pool.get('res.user')
    transaction = gen.transaction
    for key in dict.fromkeys(key for _, _, key in PORTAL_USERS):
        supplier = suppliers.get(key)
        if supplier is None or Settlement.search(
                [('supplier', '=', supplier.id)], limit=1):
            continue
        payments = Payment.search([
                ('sale.supplier', '=', supplier.id),
                ('sale.multipoint_kind', '=', 'payment'),
                ('shift.state', 'in', ['closed', 'posted']),
                ])
        days = sorted({p.sale.date for p in payments})
        if not days:
            log("  no agent's report for %s: none of its parcels was paid "
                "in a closed shift", supplier.name)
            continue
        settlement_accounts(pool, company)
        owners = User.search([('login', '=', 'owner')], limit=1)
        with transaction.set_user(owners[0].id if owners else 0):
            settlement, = Settlement.create([{
                        'company': company.id,
                        'supplier': supplier.id,
                        'period_start': days[0],
                        'period_end': days[-1],
                        }])
            Settlement.compute([settlement])
            Settlement.confirm([settlement])
            Settlement.send([settlement])
        settlement = Settlement(settlement.id)
        log("  agent's report %s for %s, %s–%s: parcels %d, taken %s ₽, "
            "net %s ₽, sent", settlement.number, supplier.name,
            days[0].strftime('%d.%m.%Y'), days[-1].strftime('%d.%m.%Y'),
            settlement.parcel_count, settlement.collected,
            settlement.net_amount)
