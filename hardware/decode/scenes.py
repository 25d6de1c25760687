"""What the counter camera looks at, before any optics: flat textures of the things held under it.

Each ``Sheet`` is a colour texture in linear reflectance (0 = black, 1 = white; an emissive sheet, a phone
screen, gives light instead of reflecting it), a mask of where the object is, and the boxes of the symbols
on it (the corpus keeps those in frame). Receipts are rendered by the printing code, as the kiosk prints
them, so the corpus sees the real layout, quiet zones and module sizes.

What counters see besides a clean receipt, each made here: the QR or the Code128 covered by a thumb, torn
off or folded under (the other symbol alone survives); worn thermal print (grey, uneven ink); crumpled
paper (bent bars and shading); a phone showing the QR (RGB sub-pixels that alias into moiré, dark mode with
light modules on dark); and things that must never be read: an empty receipt, product EAN-13/UPC-A
labels, QR codes with other content, and receipts whose code fails the Damm check.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

import barcode
import cv2
import numpy as np
import qrcode
from barcode.writer import ImageWriter

from hardware.decode.interface import Image
from hardware.printer.receipt import sample_receipt
from hardware.printer.render_raster import draw_receipt, render_receipt_image

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in texture pixels
MM_PER_DOT = 80 / 576  # a thermal receipt's dots: 576 across 80 mm (203 dpi)
QR_ROWS, CODE128_ROWS = (236, 460), (480, 572)  # where render_receipt_image puts the symbols
QR_DOTS_PER_MODULE, CODE128_DOTS_PER_MODULE = 8, 3
THUMB_DOTS = (369, 200)  # the widest and tallest span a thumb is drawn over: the unsigned receipt's symbols
PAPER, INK = 0.86, 0.04  # thermal paper and fresh print, linear reflectance


@dataclass
class Sheet:
    texture: Image = field(repr=False)  # float32 BGR, linear
    mask: Image = field(repr=False)  # float32, 1 where the object is
    symbols: list[Box]  # the symbols a decoder may read (kept in frame)
    module_mm: float  # the finest module among them, on the object
    mm_per_dot: float = MM_PER_DOT  # the texture's scale
    emissive: bool = False
    glossy: bool = True  # thermal paper and phone glass reflect lamps; matte labels less


def receipt_dots(code: str) -> Image:
    """The receipt as the kiosk prints it: uint8, 0 = burnt dot, 255 = paper."""
    image = render_receipt_image(sample_receipt(datetime(2026, 11, 24, 16, 40), code), 576).convert("L")
    return np.asarray(image)


def signed_receipt_dots(code: str, qr_text: str) -> tuple[Image, list[tuple[int, int]]]:
    """The receipt with a signed (larger) QR as the kiosk prints it, and the rows of its QR and Code128
    (taken from the renderer: the layout is taller than the unsigned receipt's ``QR_ROWS``)."""
    raster = draw_receipt(sample_receipt(datetime(2026, 11, 24, 16, 40), code, qr_text))
    return np.asarray(raster.image.convert("L")), [(span.top, span.bottom) for span in raster.codes]


def _ink_box(dots: Image, rows: tuple[int, int]) -> Box:
    band = dots[rows[0] : rows[1]] < 128
    ys, xs = np.nonzero(band)
    return int(xs.min()), int(ys.min()) + rows[0], int(xs.max()) + 1, int(ys.max()) + 1 + rows[0]


def _torn_edge(rng: random.Random, width: int, y: float, jag: float) -> Image:
    """A tear across the paper: the y of the edge at each column, a random walk around ``y``."""
    steps = np.random.default_rng(rng.randrange(2**31)).normal(0, jag, width)
    return (y + np.cumsum(steps) * 0.3 + cv2.GaussianBlur(steps.reshape(1, -1), (0, 0), 3).ravel() * 4).astype(
        np.float32
    )


def _thumb(rng: random.Random, texture: Image, mask: Image, box: Box) -> None:
    """A thumb pressed over ``box`` (skin, shaded, soft edge): the symbol under it is gone."""
    x0, y0, x1, y1 = box
    height, width = mask.shape
    centre = ((x0 + x1) / 2 + rng.uniform(-0.1, 0.1) * (x1 - x0), (y0 + y1) / 2 + rng.uniform(-0.1, 0.1) * (y1 - y0))
    # a thumb does not grow with the symbol: over the signed receipt's larger QR it covers the middle, as it
    # would, instead of the Code128 below it too
    span_x, span_y = min(x1 - x0, THUMB_DOTS[0]), min(y1 - y0, THUMB_DOTS[1])
    axes = (span_x * rng.uniform(0.62, 0.75), span_y * rng.uniform(0.62, 0.8))
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = np.deg2rad(rng.uniform(-30, 30))
    u = ((xx - centre[0]) * np.cos(angle) + (yy - centre[1]) * np.sin(angle)) / axes[0]
    v = (-(xx - centre[0]) * np.sin(angle) + (yy - centre[1]) * np.cos(angle)) / axes[1]
    r = np.sqrt(u * u + v * v)
    cover = np.clip((1.08 - r) / 0.08, 0, 1)
    skin = np.array([rng.uniform(0.25, 0.45), rng.uniform(0.35, 0.55), rng.uniform(0.55, 0.75)], np.float32)
    shade = (1.0 - 0.45 * np.clip(r, 0, 1) ** 2)[..., None]
    texture[:] = texture * (1 - cover[..., None]) + skin * shade * cover[..., None]
    mask[:] = np.maximum(mask, cover)


def hide_symbol(rng: random.Random, sheet: Sheet, which: int, how: str) -> None:
    """Make symbol ``which`` unreadable the ways counters see it: ``thumb``, ``torn`` (that end of the
    receipt torn off, a jagged edge) or ``folded`` (folded under: paper bent back, the symbol gone)."""
    box = sheet.symbols.pop(which)
    height, width = sheet.mask.shape
    if how == "thumb":
        _thumb(rng, sheet.texture, sheet.mask, box)
        return
    above = which == 0  # the QR is above the Code128: tear off the top, else the bottom
    edge_y = (box[3] + 6) if above else (box[1] - 6)
    edge = _torn_edge(rng, width, edge_y, 2.5 if how == "torn" else 0.05)
    rows = np.arange(height, dtype=np.float32)[:, None]
    gone = rows < edge[None, :] if above else rows > edge[None, :]
    sheet.mask[gone] = 0.0
    sheet.texture[gone] = 0.0
    if how == "folded":  # the crease casts a soft shadow along the fold
        distance = np.abs(rows - edge[None, :])
        sheet.texture *= (1.0 - 0.35 * np.exp(-distance / 10.0))[..., None]


def thermal_receipt(
    rng: random.Random, code: str, *, faded: bool = False, blank: bool = False, qr_text: str = ""
) -> Sheet:
    """A printed receipt; ``faded``: worn thermal print (grey, uneven ink, yellowed paper); ``blank``: the
    same receipt with its symbols cut away (a negative that still looks like a receipt); ``qr_text``: a
    signed code's QR text (the larger QR) instead of the unsigned ``MYDATA1:``."""
    if qr_text:
        dots, rows = signed_receipt_dots(code, qr_text)
    else:
        dots, rows = receipt_dots(code), [QR_ROWS, CODE128_ROWS]
    symbols = [_ink_box(dots, rows[0]), _ink_box(dots, rows[1])]
    burnt = (dots < 128).astype(np.float32)
    if blank:
        for x0, y0, x1, y1 in symbols:
            burnt[y0:y1, x0:x1] = 0.0
        symbols = []
    ink = np.full(dots.shape, INK, np.float32)
    paper = rng.uniform(0.78, 0.9)
    tint = np.array([rng.uniform(0.92, 1.0), rng.uniform(0.97, 1.0), 1.0], np.float32)
    if faded:
        unevenness = cv2.GaussianBlur(
            np.random.default_rng(rng.randrange(2**31)).random(dots.shape).astype(np.float32), (0, 0), 40
        )
        unevenness = (unevenness - unevenness.min()) / max(float(np.ptp(unevenness)), 1e-6)
        ink = rng.uniform(0.3, 0.48) + unevenness * rng.uniform(0.05, 0.18)
        tint = np.array([rng.uniform(0.78, 0.9), rng.uniform(0.92, 0.98), 1.0], np.float32)  # yellowed
    grey = paper * (1 - burnt) + ink * burnt
    texture = grey[..., None] * tint[None, None, :]
    mask = np.ones(dots.shape, np.float32)
    return Sheet(texture.astype(np.float32), mask, symbols, CODE128_DOTS_PER_MODULE * MM_PER_DOT)


def crumple(rng: random.Random, sheet: Sheet) -> None:
    """Crumpled paper: a random height field bends the print (bars no longer straight) and shades it."""
    height, width = sheet.mask.shape
    noise = np.random.default_rng(rng.randrange(2**31))
    field_ = np.zeros((height, width), np.float32)
    for sigma, weight in ((60, 1.0), (25, 0.45)):
        layer = cv2.GaussianBlur(noise.normal(0, 1, (height, width)).astype(np.float32), (0, 0), sigma)
        field_ += weight * layer / max(float(np.abs(layer).max()), 1e-6)
    for _ in range(rng.randrange(1, 4)):  # creases: ridges along random lines
        angle, offset = rng.uniform(0, np.pi), rng.uniform(-0.3, 0.3) * width
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        distance = (xx - width / 2) * np.cos(angle) + (yy - height / 2) * np.sin(angle) - offset
        field_ += rng.uniform(0.3, 0.7) * np.exp(-np.abs(distance) / rng.uniform(8, 20))
    amplitude = rng.uniform(2.0, 5.0)  # dots the print is pushed sideways
    gy, gx = np.gradient(field_)
    shift_x, shift_y = field_ * amplitude * rng.uniform(-1, 1), field_ * amplitude * rng.uniform(-1, 1)
    grid_y, grid_x = np.mgrid[0:height, 0:width].astype(np.float32)
    map_x, map_y = grid_x + shift_x, grid_y + shift_y
    sheet.texture = cv2.remap(sheet.texture, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    sheet.mask = cv2.remap(sheet.mask, map_x, map_y, cv2.INTER_LINEAR, borderValue=0)
    light = np.deg2rad(rng.uniform(0, 360))
    slope = (gx * np.cos(light) + gy * np.sin(light)) / max(float(np.abs(gx).max() + np.abs(gy).max()), 1e-6)
    shading = np.clip(1.0 + slope * rng.uniform(6, 12), 0.55, 1.25)
    sheet.texture = sheet.texture * shading[..., None]


def _qr_modules(payload: str) -> Image:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=1)
    qr.add_data(payload)
    qr.make(fit=True)
    return (np.asarray(qr.make_image().get_image().convert("L")) < 128).astype(np.float32)


def phone_screen(rng: random.Random, payload: str, *, dark: bool) -> Sheet:
    """A phone showing the QR: an emissive panel of RGB-stripe sub-pixels (3 texture columns per screen
    pixel, so the camera aliases them into moiré), dark bezel; ``dark`` = dark mode, light modules on
    dark. Screen pixels: 0.06 mm (a ~420 ppi phone)."""
    modules = _qr_modules(payload)
    per_module = rng.randrange(14, 24)
    qr = cv2.resize(modules, None, fx=per_module, fy=per_module, interpolation=cv2.INTER_NEAREST)
    screen_w = int(qr.shape[1] * rng.uniform(1.15, 1.5))
    screen_h = int(qr.shape[0] * rng.uniform(1.5, 1.9))
    background, foreground = (0.07, 0.88) if dark else (0.95, 0.03)
    screen = np.full((screen_h, screen_w), background, np.float32)
    top, left = int((screen_h - qr.shape[0]) * rng.uniform(0.3, 0.6)), (screen_w - qr.shape[1]) // 2
    screen[top : top + qr.shape[0], left : left + qr.shape[1]] = background + (foreground - background) * qr
    text = np.zeros(screen.shape, np.uint8)  # OpenCV draws text on 8-bit images only
    for line in range(3):  # app text: a title and two lines under the QR
        y = int(top * 0.35) if line == 0 else top + qr.shape[0] + 40 + 60 * line
        if y + 40 < screen_h:
            cv2.putText(text, "MyData 1234 5678", (left, y + 30), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 255, 3)
    screen = np.where(text > 0, foreground, screen).astype(np.float32)
    subpixels = np.zeros((screen_h, screen_w * 3, 3), np.float32)
    for channel in range(3):  # BGR texture: R stripe first, then G, then B
        subpixels[:, channel::3, 2 - channel] = screen * 2.6  # each stripe carries its colour's share
    bezel = int(screen_w * 0.06)
    texture = np.full((screen_h + 2 * bezel, (screen_w + 2 * bezel) * 3, 3), 0.0, np.float32)
    texture[bezel : bezel + screen_h, 3 * bezel : 3 * (bezel + screen_w)] = subpixels
    texture = cv2.resize(texture, (texture.shape[1] // 3 * 3, texture.shape[0] * 3), interpolation=cv2.INTER_NEAREST)
    mask = np.zeros(texture.shape[:2], np.float32)
    cv2.rectangle(mask, (0, 0), (mask.shape[1] - 1, mask.shape[0] - 1), 1.0, -1)
    box = (3 * (bezel + left), 3 * (bezel + top), 3 * (bezel + left + qr.shape[1]), 3 * (bezel + top + qr.shape[0]))
    # texture dots are a third of a screen pixel each way; the module is per_module screen pixels
    return Sheet(texture, mask, [box], per_module * 0.06, 0.02, emissive=True)


def label(rng: random.Random, kind: str) -> Sheet:
    """A product label or a stray QR: things beside a receipt that must never be read as a code."""
    if kind in ("ean13", "upca"):
        digits = "".join(str(rng.randrange(10)) for _ in range(12 if kind == "ean13" else 11))
        pil = barcode.get(kind, digits, writer=ImageWriter()).render({"module_width": 0.33, "dpi": 300})
        symbol = np.asarray(pil.convert("L")).astype(np.float32) / 255.0
        module_mm, mm_per_dot = 0.33, 25.4 / 300
    else:
        symbol = 1.0 - _qr_modules(kind)
        symbol = cv2.resize(symbol, None, fx=8, fy=8, interpolation=cv2.INTER_NEAREST)
        module_mm, mm_per_dot = 8 * MM_PER_DOT, MM_PER_DOT
    height, width = symbol.shape
    canvas = np.ones((height + 120, width + 120), np.float32)
    canvas[60 : 60 + height, 60 : 60 + width] = symbol
    grey = PAPER + (INK - PAPER) * (1.0 - canvas)
    texture = np.repeat(grey[..., None], 3, axis=2)
    return Sheet(
        texture,
        np.ones(canvas.shape, np.float32),
        [(60, 60, 60 + width, 60 + height)],
        module_mm,
        mm_per_dot,
        glossy=False,
    )


def desk(rng: random.Random, size: tuple[int, int]) -> Image:
    """The counter top at scene resolution: a colour laminate with grain, and clutter (a form with text,
    a pen, a keyboard edge) that has edges but no symbols. Made at most 1280 px wide, then enlarged:
    the counter is never the sharpest thing in view."""
    full = size
    shrink = min(1.0, 1280 / size[0])
    width, height = int(size[0] * shrink), int(size[1] * shrink)
    noise = np.random.default_rng(rng.randrange(2**31))
    level = rng.uniform(0.08, 0.45)
    base = level * np.array([rng.uniform(0.8, 1.1), rng.uniform(0.9, 1.05), rng.uniform(0.85, 1.15)], np.float32)
    low = cv2.resize(
        noise.normal(0, 1, (max(2, height // 64), max(2, width // 64))).astype(np.float32), (width, height)
    )
    grain = cv2.GaussianBlur(noise.standard_normal((height, width), dtype=np.float32), (0, 0), 1.5)
    linear = base[None, None, :] * (1 + 0.15 * low + 0.05 * grain)[..., None]
    texture = np.clip(linear * 255, 0, 255).astype(np.uint8)  # OpenCV draws text on 8-bit images only
    scale = max(width, height) / 1000
    for _ in range(rng.randrange(0, 3)):
        x, y = rng.randrange(width), rng.randrange(height)
        kind = rng.choice(["form", "pen", "keys"])
        if kind == "form":  # a sheet of printed text, partly in view
            w, h = int(rng.uniform(200, 400) * scale), int(rng.uniform(250, 500) * scale)
            cv2.rectangle(texture, (x, y), (x + w, y + h), (204, 209, 209), -1)
            for row in range(y + int(20 * scale), y + h, max(1, int(18 * scale))):
                cv2.putText(
                    texture,
                    "Form 12-A  name / date",
                    (x + 8, row),
                    cv2.FONT_HERSHEY_SIMPLEX,
                    0.45 * scale,
                    (25, 25, 25),
                    max(1, int(scale)),
                )
        elif kind == "pen":
            end = (x + int(rng.uniform(-200, 200) * scale), y + int(rng.uniform(-200, 200) * scale))
            cv2.line(texture, (x, y), end, (12, 12, 80), max(2, int(10 * scale)))
        else:  # keyboard keys: a grid of squares
            for i in range(8):
                for j in range(2):
                    key = int(40 * scale)
                    origin = (x + i * (key + 6), y + j * (key + 6))
                    cv2.rectangle(texture, origin, (origin[0] + key, origin[1] + key), (38, 38, 38), -1)
    if shrink < 1:
        texture = cv2.resize(texture, full, interpolation=cv2.INTER_LINEAR)
    return cv2.multiply(texture, np.full(3, 1 / 255), dtype=cv2.CV_32F)  # type: ignore[no-any-return]
