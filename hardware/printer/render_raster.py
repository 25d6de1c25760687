"""Draw the receipt layout as a 1-bit image for thermal printers (and PNG samples).

The whole receipt is one image (``render_receipt_image``). Printers that draw QR and Code128 themselves
(``native_codes``) get the same image cut around the symbols (``draw_receipt(...).parts()``): every text,
rule and space block stays a raster strip, so Han text never goes to the printer as characters (Taiwan's
Big5 firmware would misprint it), and the layout is the one ``receipt.layout`` decides for every renderer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, partial

import qrcode
from PIL import Image, ImageDraw, ImageFont

from hardware.printer.code128 import code128_modules
from hardware.printer.receipt import (
    FONT_PATH,
    BarcodeBlock,
    Block,
    QrBlock,
    Receipt,
    RuleBlock,
    SpaceBlock,
    TextBlock,
    layout,
    wrap,
)

# Paper width → printable dots at 203 dpi (8 dots/mm): 80 mm rolls print 72 mm, 58 mm rolls 48 mm.
WIDTH_PX = {80: 576, 58: 384, 210: 1654}
QR_BORDER = 4  # modules of quiet zone around the QR (the standard's minimum)
CODE128_QUIET = 10  # modules of quiet zone left and right of the Code128


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT_PATH, size, index=0)


def _text_width(draw: ImageDraw.ImageDraw, font: ImageFont.FreeTypeFont, text: str) -> float:
    return draw.textlength(text, font=font)


def _qr(payload: str, size: int) -> Image.Image:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QR_BORDER, box_size=1)
    qr.add_data(payload)
    qr.make(fit=True)
    image: Image.Image = qr.make_image(fill_color="black", back_color="white").get_image().convert("L")
    modules = image.width
    scale = max(1, size // modules)  # whole dots per module: crisp edges on thermal heads
    return image.resize((modules * scale, modules * scale), Image.Resampling.NEAREST)


def _code128(digits: str, width: int, height: int) -> tuple[Image.Image, int]:
    modules = code128_modules(digits)
    scale = max(1, width // (len(modules) + 2 * CODE128_QUIET))  # whole dots per module: crisp bars
    image = Image.new("L", ((len(modules) + 2 * CODE128_QUIET) * scale, height), 255)
    draw = ImageDraw.Draw(image)
    for index, module in enumerate(modules):
        if module == "1":
            x = (CODE128_QUIET + index) * scale
            draw.rectangle((x, 0, x + scale - 1, height - 1), fill=0)
    return image, scale


@dataclass(frozen=True)
class CodeSpan:
    """Where a symbol's dots sit in the receipt image (quiet-zone rows excluded), and its size in dots:
    what a printer drawing the symbol itself needs to print it the same size at the same place."""

    block: QrBlock | BarcodeBlock
    top: int
    bottom: int
    module_px: int

    @property
    def height_px(self) -> int:
        return self.bottom - self.top


@dataclass(frozen=True)
class RasterReceipt:
    image: Image.Image  # 1-bit, the whole receipt
    codes: list[CodeSpan]

    def parts(self) -> list[Image.Image | CodeSpan]:
        """The receipt top to bottom as raster strips with the symbols between them (their rows cut out)."""
        parts: list[Image.Image | CodeSpan] = []
        y = 0
        for span in self.codes:
            if span.top > y:
                parts.append(self.image.crop((0, y, self.image.width, span.top)))
            parts.append(span)
            y = span.bottom
        if self.image.height > y:
            parts.append(self.image.crop((0, y, self.image.width, self.image.height)))
        return parts


def draw_receipt(receipt: Receipt, width_px: int = WIDTH_PX[80]) -> RasterReceipt:
    """The receipt as a black-and-white image ``width_px`` dots wide, and where its symbols are."""
    margin = max(8, width_px // 40)
    inner = width_px - 2 * margin
    base = max(18, width_px // 22)
    canvas = Image.new("L", (width_px, 6000), 255)
    draw = ImageDraw.Draw(canvas)
    codes: list[CodeSpan] = []
    y = margin
    blocks: list[Block] = layout(receipt, narrow=width_px < 500)
    for block in blocks:
        if isinstance(block, TextBlock):
            font = _font(int(base * block.size))
            for line in wrap(block.text, partial(_text_width, draw, font), inner):
                x = margin if block.align == "left" else (width_px - int(draw.textlength(line, font=font))) // 2
                draw.text((x, y), line, font=font, fill=0)
                if block.bold:  # the CJK font has no bold face: overstrike by one dot
                    draw.text((x + 1, y), line, font=font, fill=0)
                y += int(font.size * 1.3)
        elif isinstance(block, QrBlock):
            image = _qr(block.payload, int(inner * block.width))
            canvas.paste(image, ((width_px - image.width) // 2, y))
            scale = image.width // _qr_modules(block.payload)
            codes.append(CodeSpan(block, y + QR_BORDER * scale, y + image.height - QR_BORDER * scale, scale))
            y += image.height
        elif isinstance(block, BarcodeBlock):
            image, scale = _code128(block.digits, int(inner * block.width), max(60, base * 3))
            canvas.paste(image, ((width_px - image.width) // 2, y))
            codes.append(CodeSpan(block, y, y + image.height, scale))
            y += image.height + base // 3
        elif isinstance(block, RuleBlock):
            y += base // 2
            draw.line((margin, y, width_px - margin, y), fill=0, width=2)
            y += base // 2
        elif isinstance(block, SpaceBlock):
            y += int(base * block.lines)
    image = canvas.crop((0, 0, width_px, y + margin)).point(lambda v: 0 if v < 128 else 255).convert("1")
    return RasterReceipt(image, codes)


@cache
def _qr_modules(payload: str) -> int:
    """Modules across the QR symbol with its quiet zone (as ``_qr`` draws it)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QR_BORDER, box_size=1)
    qr.add_data(payload)
    qr.make(fit=True)
    return int(qr.modules_count) + 2 * QR_BORDER


def render_receipt_image(receipt: Receipt, width_px: int = WIDTH_PX[80]) -> Image.Image:
    """The receipt as a black-and-white image ``width_px`` dots wide."""
    return draw_receipt(receipt, width_px).image
