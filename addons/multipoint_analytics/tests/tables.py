"""What the tests of the reporting tables share: exporting a table's rows
to XLSX and reading the sheet back, and trying who may read a table."""
import io

from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.transaction import Transaction, check_access


def export_xlsx(test, Table, rows):
    """Export rows of Table with its XLSX report; the sheet's data rows
    (one per row exported) as tuples"""
    import openpyxl
    Report = Pool().get(f'{Table.__name__}.xlsx', type='report')
    ext, content, _, _ = Report.execute([r.id for r in rows], {
            'model': Table.__name__,
            'ids': [r.id for r in rows],
            'id': rows[0].id,
            })
    test.assertEqual(ext, 'xlsx')
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    values = list(sheet.iter_rows(min_row=4, values_only=True))
    test.assertEqual(len(values), len(rows))
    return values


def assert_readers(test, Table, readers=(), denied=(), read=None):
    """Each of readers finds rows of Table; each of denied is refused the
    search and, when read is (ids, field names), the read"""
    for user in readers:
        with Transaction().set_user(user.id), check_access():
            test.assertTrue(Table.search([]), user.login)
    for user in denied:
        with Transaction().set_user(user.id), check_access():
            with test.assertRaises(AccessError):
                Table.search([])
            if read:
                with test.assertRaises(AccessError):
                    Table.read(*read)
