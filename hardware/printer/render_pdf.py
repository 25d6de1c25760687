"""Draw the receipt layout as a PDF with reportlab: vector text in an embedded CJK TrueType font,
vector QR and Code128 (80 mm and 58 mm rolls, A4 for office printers)."""

from __future__ import annotations

import io
from functools import cache, partial
from typing import Literal

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from hardware.printer.code128 import code128_modules
from hardware.printer.receipt import (
    FONT_PATH,
    BarcodeBlock,
    QrBlock,
    Receipt,
    RuleBlock,
    SpaceBlock,
    TextBlock,
    layout,
    wrap,
)

Paper = Literal[58, 80, 210]
FONT = "WenQuanYiZenHei"
PAGE_WIDTH_MM = {80: 80.0, 58: 58.0, 210: 210.0}
PRINT_WIDTH_MM = {80: 72.0, 58: 48.0, 210: 90.0}  # A4: a receipt-sized column, centred


@cache
def _register_font() -> str:
    pdfmetrics.registerFont(TTFont(FONT, FONT_PATH, subfontIndex=0))
    return FONT


def _string_width(text: str, font: str, size: float) -> float:
    width: float = pdfmetrics.stringWidth(text, font, size)
    return width


def render_receipt_pdf(receipt: Receipt, paper: Paper = 80) -> bytes:
    font = _register_font()
    page_w = PAGE_WIDTH_MM[paper] * mm
    inner = PRINT_WIDTH_MM[paper] * mm
    left = (page_w - inner) / 2
    base = 9.0 if paper != 58 else 8.0
    blocks = layout(receipt, narrow=paper == 58)

    def draw(canvas: Canvas | None, top: float) -> float:
        y = top
        for block in blocks:
            if isinstance(block, TextBlock):
                size = base * block.size
                for line in wrap(block.text, partial(_string_width, font=font, size=size), inner):
                    y -= size * 1.3
                    if canvas is not None:
                        canvas.setFont(font, size)
                        x = left if block.align == "left" else (page_w - pdfmetrics.stringWidth(line, font, size)) / 2
                        canvas.drawString(x, y + size * 0.25, line)
            elif isinstance(block, QrBlock):
                side = inner * block.width
                y -= side
                if canvas is not None:
                    widget = QrCodeWidget(block.payload, barLevel="M", barBorder=4)
                    x0, y0, x1, y1 = widget.getBounds()
                    drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
                    drawing.add(widget)
                    renderPDF.draw(drawing, canvas, (page_w - side) / 2, y)
            elif isinstance(block, BarcodeBlock):
                modules = code128_modules(block.digits)
                module_w = min(0.4 * mm, inner * block.width / (len(modules) + 20))
                height = 12 * mm
                y -= height
                if canvas is not None:
                    x = (page_w - module_w * len(modules)) / 2
                    for index, module in enumerate(modules):
                        if module == "1":
                            canvas.rect(x + index * module_w, y, module_w, height, stroke=0, fill=1)
                y -= 2 * mm
            elif isinstance(block, RuleBlock):
                y -= base * 0.6
                if canvas is not None:
                    canvas.setLineWidth(0.6)
                    canvas.line(left, y, left + inner, y)
                y -= base * 0.6
            elif isinstance(block, SpaceBlock):
                y -= base * block.lines
        return top - y

    margin = 4 * mm
    height = draw(None, 0) + 2 * margin
    page_h = 297 * mm if paper == 210 else height
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(page_w, page_h), pageCompression=1)
    canvas.setTitle("MyData 臨櫃核驗 資料條碼")
    draw(canvas, page_h - margin)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
