"Small reportlab layer shared by the printable documents of the module"
import io
import os

from reportlab.graphics.barcode import code128
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle)

# Helvetica has no Cyrillic: use a TTF font found on the system
FONT_CANDIDATES = [
    '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
    '/usr/share/fonts/TTF/DejaVuSans.ttf',
    '/usr/share/fonts/dejavu/DejaVuSans.ttf',
    '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
    ]
FONT = 'MultipointSans'


def _register_font():
    if FONT in pdfmetrics.getRegisteredFontNames():
        return FONT
    path = os.environ.get('MULTIPOINT_PDF_FONT')
    for candidate in filter(None, [path] + FONT_CANDIDATES):
        if os.path.exists(candidate):
            pdfmetrics.registerFont(TTFont(FONT, candidate))
            return FONT
    raise RuntimeError(
        "No TTF font with Cyrillic found; install fonts-dejavu-core "
        "or set MULTIPOINT_PDF_FONT")


class Barcode(Flowable):
    "A Code128 barcode with its text under it"

    def __init__(self, value, width=60 * mm, height=14 * mm):
        super().__init__()
        self.value = value
        self.barcode = code128.Code128(
            value, barHeight=height, humanReadable=True, quiet=False)
        self.width = width
        self.height = height + 5 * mm

    def wrap(self, *args):
        return self.width, self.height

    def draw(self):
        scale = min(1, self.width / self.barcode.width)
        self.canv.scale(scale, 1)
        self.barcode.drawOn(self.canv, 0, 5 * mm)


class Document:
    "A titled A4 document built from paragraphs and tables"

    def __init__(self, title):
        self.font = _register_font()
        self.title = title
        self.style = ParagraphStyle(
            'body', fontName=self.font, fontSize=9, leading=12)
        self.heading = ParagraphStyle(
            'heading', fontName=self.font, fontSize=14, leading=18,
            spaceAfter=6)
        self.subheading = ParagraphStyle(
            'subheading', fontName=self.font, fontSize=11, leading=14,
            spaceBefore=8, spaceAfter=4)
        self.story = [Paragraph(title, self.heading)]

    def paragraph(self, text):
        self.story.append(Paragraph(text, self.style))

    def section(self, title):
        self.story.append(Paragraph(title, self.subheading))

    def table(self, header, rows, widths=None):
        data = [[Paragraph(str(c), self.style) for c in header]]
        data += [[Paragraph('' if c is None else str(c), self.style)
                for c in row] for row in rows]
        table = Table(data, colWidths=widths, repeatRows=1)
        table.setStyle(TableStyle([
                    ('GRID', (0, 0), (-1, -1), 0.4, colors.grey),
                    ('BACKGROUND', (0, 0), (-1, 0), colors.whitesmoke),
                    ('VALIGN', (0, 0), (-1, -1), 'TOP'),
                    ]))
        self.story.append(table)

    def space(self, height=6 * mm):
        self.story.append(Spacer(1, height))

    def label_grid(self, labels, columns=3):
        "labels: (barcode, caption, subcaption) triples laid out in a grid"
        cells = []
        for value, caption, subcaption in labels:
            cells.append([
                    Paragraph(caption, self.subheading),
                    Barcode(value, width=55 * mm),
                    Paragraph(subcaption, self.style)])
        rows = [cells[i:i + columns] for i in range(0, len(cells), columns)]
        if rows:
            rows[-1] += [''] * (columns - len(rows[-1]))
            table = Table(rows, colWidths=[62 * mm] * columns)
            table.setStyle(TableStyle([
                        ('BOX', (0, 0), (-1, -1), 0.4, colors.grey),
                        ('INNERGRID', (0, 0), (-1, -1), 0.4, colors.grey),
                        ('VALIGN', (0, 0), (-1, -1), 'TOP'),
                        ]))
            self.story.append(table)

    def render(self):
        out = io.BytesIO()
        SimpleDocTemplate(
            out, pagesize=A4, title=self.title,
            leftMargin=12 * mm, rightMargin=12 * mm,
            topMargin=12 * mm, bottomMargin=12 * mm).build(self.story)
        return out.getvalue()
