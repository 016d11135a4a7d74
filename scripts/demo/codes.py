"""Fresh issue codes for a few stored parcels per point, printed and written
to the logins file, to demonstrate an issue"""
from .shifts import SHIFT_POINT, issuable_with_code


def demo_codes(gen, points, per_point=4, paid=2):
    """New issue codes for a few stored parcels of each point, so that an
    issue can be shown (the codes are kept hashed; the recipient would get
    them by SMS): first `paid` parcels with cash on delivery, paid at the
    desk (MSK-01 has an open shift), then parcels with nothing to pay; all
    issued with the code alone (no ID check) and within their storage
    time"""
    pool = gen.pool
    Parcel = pool.get('multipoint.parcel')
    if not hasattr(Parcel, 'generate_codes'):
        return []
    rows = []
    for code, point in points.items():
        parcels = Parcel.search([
                ('point', '=', point.id),
                ('state', '=', 'stored'),
                ], order=[('id', 'ASC')])
        today = point.local_date()
        payable = issuable_with_code(pool, parcels, today, True)[:paid]
        free = issuable_with_code(pool, parcels, today, False)
        parcels = (payable + free)[:per_point]
        if not parcels:
            continue
        codes = Parcel.generate_codes(parcels)
        for parcel in parcels:
            rows.append((code, parcel.cell.barcode if parcel.cell else '',
                    parcel.order_number, parcel.recipient_name,
                    str(parcel.amount_due), codes[parcel]))
    gen.commit()
    return rows


def codes_table(rows):
    rows = [("point", "cell", "order", "recipient", "to pay", "code")] + [
        tuple(r) for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    lines = ["# Issue codes of a few stored parcels (for the demo of an "
        "issue; those with an amount to pay are paid at the desk, "
        f"{SHIFT_POINT} has an open shift)"]
    for row in rows:
        lines.append('  '.join(c.ljust(w) for c, w in zip(row, widths))
            .rstrip())
    return '\n'.join(lines) + '\n'
