"""The multi-pass decoding pipeline: cheap passes first, expensive ones only where a code is likely.

1. zxing-cpp on the whole frame (grey), QR + Code128 only.
2. Candidate regions: where strong gradients cluster (barcodes are dense edges), cropped with a margin,
   each tried upscaled to a workable size, plain then contrast-equalised (CLAHE) then sharpened, with
   zxing-cpp and then pyzbar (a second engine that reads some blurred 1-D codes zxing misses).
3. Whole-frame fallbacks: CLAHE, then pyzbar.
Only symbols that are valid MyData codes count (``code_from_symbol``): anything else is ignored and the
search goes on, so a product barcode beside the receipt never stops it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import cv2
import numpy as np
import zxingcpp
from pyzbar import pyzbar

from hardware.decode.interface import Decoded, Image, Symbology
from mydata_counter.datacode import code_from_symbol

FORMATS = zxingcpp.BarcodeFormats([zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.Code128])
MAX_REGIONS = 3
TARGET_REGION_PX = 700  # upscale small crops so a QR module or a bar is several pixels wide
_ZBAR_TYPES = [pyzbar.ZBarSymbol.QRCODE, pyzbar.ZBarSymbol.CODE128]
_CLAHE = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))


def _grey(image: Image) -> Image:
    if image.ndim == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)  # type: ignore[no-any-return]
    return image


def _zxing(
    grey: Image, binarizer: zxingcpp.Binarizer = zxingcpp.Binarizer.LocalAverage, downscale: bool = True
) -> Iterator[tuple[str, Symbology, tuple[tuple[int, int], ...]]]:
    for result in zxingcpp.read_barcodes(
        grey, formats=FORMATS, try_rotate=True, try_downscale=downscale, try_invert=False, binarizer=binarizer
    ):
        fmt: Symbology = "QRCode" if result.format == zxingcpp.BarcodeFormat.QRCode else "Code128"
        p = result.position
        points = tuple((int(q.x), int(q.y)) for q in (p.top_left, p.top_right, p.bottom_right, p.bottom_left))
        yield result.text, fmt, points


def _zbar(grey: Image) -> Iterator[tuple[str, Symbology, tuple[tuple[int, int], ...]]]:
    for result in pyzbar.decode(grey, symbols=_ZBAR_TYPES):
        try:
            text = result.data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        fmt: Symbology = "QRCode" if result.type == "QRCODE" else "Code128"
        yield text, fmt, tuple((int(p.x), int(p.y)) for p in result.polygon)


Engine = Callable[[Image], Iterator[tuple[str, Symbology, tuple[tuple[int, int], ...]]]]


def candidate_regions(grey: Image, limit: int = MAX_REGIONS) -> list[tuple[int, int, int, int]]:
    """Boxes (x, y, w, h) where barcode-like texture is: many strong edges close together."""
    height, width = grey.shape
    scale = 640 / max(height, width) if max(height, width) > 640 else 1.0
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else grey
    grad_x = cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3)
    grad_y = cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = cv2.convertScaleAbs(cv2.magnitude(grad_x, grad_y))
    blurred = cv2.blur(magnitude, (7, 7))
    _, mask = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 9)))
    kernel = np.ones((3, 3), np.uint8)
    mask = cv2.erode(mask, kernel, iterations=2)
    mask = cv2.dilate(mask, kernel, iterations=4)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes = []
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[: limit * 2]:
        x, y, w, h = cv2.boundingRect(contour)
        if w * h < 300 or w < 12 or h < 12:
            continue
        margin_x, margin_y = int(w * 0.25) + 4, int(h * 0.25) + 4
        x0, y0 = max(0, int((x - margin_x) / scale)), max(0, int((y - margin_y) / scale))
        x1 = min(width, int((x + w + margin_x) / scale))
        y1 = min(height, int((y + h + margin_y) / scale))
        boxes.append((x0, y0, x1 - x0, y1 - y0))
        if len(boxes) == limit:
            break
    return boxes


def _sharpen(grey: Image, sigma: float = 2.0, amount: float = 0.8) -> Image:
    """Unsharp mask: restores edges softened by defocus and motion (a cheap stand-in for deconvolution)."""
    blurred = cv2.GaussianBlur(grey, (0, 0), sigma)
    return cv2.addWeighted(grey, 1 + amount, blurred, -amount, 0)  # type: ignore[no-any-return]


def _adaptive(grey: Image) -> Image:
    """Local threshold: evens out glare and dim corners that defeat a global one."""
    block = max(15, (min(grey.shape) // 12) | 1)
    return cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block, 8)  # type: ignore[no-any-return]


def _valid(
    found: Iterator[tuple[str, Symbology, tuple[tuple[int, int], ...]]],
    offset: tuple[int, int] = (0, 0),
    factor: float = 1.0,
) -> tuple[str, Symbology, str, tuple[tuple[int, int], ...]] | None:
    for text, fmt, points in found:
        code = code_from_symbol(text, fmt)
        if code is not None:
            mapped = tuple((int(x / factor) + offset[0], int(y / factor) + offset[1]) for x, y in points)
            return text, fmt, code, mapped
    return None


def decode_frame(image: Image) -> Decoded | None:
    """The first valid MyData code in ``image`` (BGR or grey), or None."""
    started = time.perf_counter()
    grey = _grey(image)

    def done(hit: tuple[str, Symbology, str, tuple[tuple[int, int], ...]], name: str) -> Decoded:
        text, fmt, code, points = hit
        return Decoded(text, fmt, code, points, (time.perf_counter() - started) * 1000, name)

    hit = _valid(_zxing(grey))
    if hit:
        return done(hit, "zxing")
    regions = candidate_regions(grey)
    for x, y, w, h in regions:
        crop = grey[y : y + h, x : x + w]
        factor = max(1.0, min(4.0, TARGET_REGION_PX / max(w, h)))
        region = cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC) if factor > 1 else crop
        variants: list[tuple[str, Image, Engine]] = [
            ("region", region, lambda g: _zxing(g, downscale=False)),
            ("region-clahe", _CLAHE.apply(region), lambda g: _zxing(g, downscale=False)),
            ("region-sharpen", _sharpen(region), lambda g: _zxing(g, downscale=False)),
            ("region-deblur", _sharpen(region, 4.0, 2.5), lambda g: _zxing(g, downscale=False)),
            ("region-adaptive", _adaptive(_sharpen(region)), lambda g: _zxing(g, downscale=False)),
            ("region-otsu", region, lambda g: _zxing(g, zxingcpp.Binarizer.GlobalHistogram, downscale=False)),
            ("region-zbar", region, _zbar),
            ("region-sharpen-zbar", _sharpen(region), _zbar),
            ("region-deblur-zbar", _sharpen(region, 4.0, 2.5), _zbar),
        ]
        for name, variant, engine in variants:
            hit = _valid(engine(variant), (x, y), factor)
            if hit:
                return done(hit, name)
    if regions:  # the regions held the frame's barcode-like texture; the whole frame has nothing more
        return None
    for name, variant, engine in (("clahe", _CLAHE.apply(grey), _zxing), ("zbar", grey, _zbar)):
        hit = _valid(engine(variant))
        if hit:
            return done(hit, name)
    return None
