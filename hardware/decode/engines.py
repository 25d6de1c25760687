"""The two barcode engines behind one signature, and the rule that only valid MyData codes count."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Literal

import cv2
import zxingcpp
from pyzbar import pyzbar

from counter_core.datacode import code_from_symbol
from hardware.decode.interface import Image, Symbology

FORMATS = zxingcpp.BarcodeFormats([zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.Code128])
# product barcodes: read only to explain where they are (a region holding one is not searched for a code)
_RETAIL = (
    zxingcpp.BarcodeFormat.EAN13,
    zxingcpp.BarcodeFormat.EAN8,
    zxingcpp.BarcodeFormat.UPCA,
    zxingcpp.BarcodeFormat.UPCE,
)
# zxing-cpp's QR family: asked for QR codes, it also reads Micro QR and rMQR, which no receipt, phone or
# product here carries. Read off a QR's own modules under glare (a Micro QR "225641" inside a receipt's QR),
# such a symbol marked the QR's region as explained, and the region was never searched
_STRAY = (zxingcpp.BarcodeFormat.MicroQRCode, zxingcpp.BarcodeFormat.RMQRCode)
WITH_RETAIL = zxingcpp.BarcodeFormats([zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.Code128, *_RETAIL])
_QR = zxingcpp.BarcodeFormats([zxingcpp.BarcodeFormat.QRCode])
# grey levels under a window's mean at which a pixel counts as dark: the least that keeps a blank paper's
# grain from splitting into specks of ink (``windowed``)
WINDOW_OFFSET = 2
_ZBAR_TYPES = [pyzbar.ZBarSymbol.QRCODE, pyzbar.ZBarSymbol.CODE128]
Points = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Symbol:
    text: str
    format: Symbology | Literal["Retail"]  # "Retail": a product barcode (EAN, UPC), never a code
    points: Points
    damaged: bool = False  # located (finder patterns found) but not decoded: its text is not to be read

    def shifted(self, dx: int, dy: int) -> Symbol:
        """The same symbol with its points moved by ``(dx, dy)`` (a crop's points put back in the image)."""
        return replace(self, points=tuple((x + dx, y + dy) for x, y in self.points))


Engine = Callable[[Image], list[Symbol]]


def grey(image: Image) -> Image:
    if image.ndim == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)  # type: ignore[no-any-return]
    return image


def zxing(
    image: Image,
    *,
    binarizer: zxingcpp.Binarizer = zxingcpp.Binarizer.LocalAverage,
    downscale: bool = True,
    rotate: bool = True,
    invert: bool = False,
    damaged: bool = False,
    formats: zxingcpp.BarcodeFormats = FORMATS,
) -> list[Symbol]:
    """The symbols zxing-cpp reads of ``formats`` (``WITH_RETAIL``: product barcodes too, only to know
    where they are); with ``damaged``, also each QR code it located but could not decode (a checksum or
    format error), marked so and without text: a QR is there, worth more effort."""
    found = []
    for result in zxingcpp.read_barcodes(
        image,
        formats=formats,
        try_rotate=rotate,
        try_downscale=downscale,
        try_invert=invert,
        binarizer=binarizer,
        return_errors=damaged,
    ):
        p = result.position
        points = tuple((int(q.x), int(q.y)) for q in (p.top_left, p.top_right, p.bottom_right, p.bottom_left))
        if result.error:  # a damaged QR may be taken for a Micro QR or rMQR: a QR's place all the same
            if "QR" in result.format.name:
                found.append(Symbol("", "QRCode", points, damaged=True))
            continue
        if result.format in _STRAY:  # QR modules misread as a smaller symbol: it explains nothing
            continue
        found.append(Symbol(result.text, _symbology(result.format), points))
    return found


def _symbology(barcode: zxingcpp.BarcodeFormat) -> Symbology | Literal["Retail"]:
    if barcode == zxingcpp.BarcodeFormat.QRCode:
        return "QRCode"
    return "Code128" if barcode == zxingcpp.BarcodeFormat.Code128 else "Retail"


@dataclass(frozen=True)
class ZxingTry:
    """One configuration of ``zxing``: its binariser, downscaling, inversion and damaged QR codes."""

    binarizer: zxingcpp.Binarizer = zxingcpp.Binarizer.LocalAverage
    downscale: bool = True
    invert: bool = False
    damaged: bool = False


def zxing_first(*tries: ZxingTry) -> Engine:
    """An engine running ``zxing`` with each of ``tries`` in turn: the first that finds anything wins."""

    def engine(image: Image) -> list[Symbol]:
        for attempt in tries:
            found = zxing(
                image,
                binarizer=attempt.binarizer,
                downscale=attempt.downscale,
                invert=attempt.invert,
                damaged=attempt.damaged,
            )
            if found:
                return found
        return []

    return engine


def windowed(image: Image, window: int, *, invert: bool = False) -> list[Symbol]:
    """The QR codes zxing-cpp reads once each pixel is thresholded against the mean of the ``window``-px
    square around it. zxing-cpp's local average calls a block whose grey levels span 24 or fewer all light
    (so as not to make modules out of noise): a QR whose contrast glare or a phone's glass has washed out,
    or whose modules a deconvolution left soft-edged, falls under that floor block by block. Without a
    floor, only the paper's grain (``WINDOW_OFFSET``) is kept from turning into ink. QR codes only: their
    Reed-Solomon check rejects a misread; a Code128's one check symbol would let a specked bar through."""
    thresholded = cv2.adaptiveThreshold(
        image, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, window, WINDOW_OFFSET
    )
    return zxing(
        thresholded,
        binarizer=zxingcpp.Binarizer.FixedThreshold,
        downscale=False,
        rotate=False,  # the rotations are for 1-D codes: a QR's finders are found at any angle
        invert=invert,
        formats=_QR,
    )


_CODE128 = zxingcpp.BarcodeFormats([zxingcpp.BarcodeFormat.Code128])


def zxing_1d(image: Image, binarizer: zxingcpp.Binarizer = zxingcpp.Binarizer.LocalAverage) -> list[Symbol]:
    """zxing-cpp on an upright, averaged strip: Code128 only, no rotations or downscales (the strip is
    already the right way up and the right size)."""
    found = []
    for result in zxingcpp.read_barcodes(
        image, formats=_CODE128, try_rotate=False, try_downscale=False, try_invert=False, binarizer=binarizer
    ):
        p = result.position
        points = tuple((int(q.x), int(q.y)) for q in (p.top_left, p.top_right, p.bottom_right, p.bottom_left))
        found.append(Symbol(result.text, "Code128", points))
    return found


def zbar(image: Image) -> list[Symbol]:
    found = []
    for result in pyzbar.decode(image, symbols=_ZBAR_TYPES):
        try:
            text = result.data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        fmt: Symbology = "QRCode" if result.type == "QRCODE" else "Code128"
        found.append(Symbol(text, fmt, tuple((int(p.x), int(p.y)) for p in result.polygon)))
    return found


def first_valid(symbols: Iterable[Symbol]) -> tuple[Symbol, str] | None:
    """The first symbol that is a valid MyData code, with its 16 digits."""
    for symbol in symbols:
        if symbol.damaged or symbol.format == "Retail":
            continue
        code = code_from_symbol(symbol.text, symbol.format)
        if code is not None:
            return symbol, code
    return None
