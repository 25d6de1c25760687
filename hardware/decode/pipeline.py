"""The multi-pass decoding pipeline: cheap passes first, expensive ones only where a code is likely.

1. zxing-cpp on the whole grey frame (QR + Code128 only). Most frames end here.
2. Candidate regions (dense edge clusters, ``regions.py``), each cropped and brought to a working size
   (small codes upscaled so a module spans several pixels, large ones downscaled so the deblurring stays
   cheap), then: zxing-cpp plain; Wiener-deconvolved with the motion blur measured in the crop's
   cepstrum (only when there is one); Wiener-deconvolved for defocus; unsharp-masked; pyzbar (a second
   engine that reads some 1-D codes zxing-cpp does not).
3. Only when no region was found: CLAHE on the whole frame, then pyzbar on it.

Only valid MyData codes count (``code_from_symbol``): anything else is skipped and the search goes on, so
a product barcode beside the receipt never stops it; a region that is just a symbol already read (a
URL QR) is not searched again.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import cv2

from hardware.decode import deblur
from hardware.decode.engines import Symbol, first_valid, grey, zbar, zxing
from hardware.decode.interface import Decoded, Image
from hardware.decode.regions import Box, candidate_regions, covered

WORK_PX = 720  # a region's longest side after rescaling
MAX_UPSCALE = 3.0
MIN_DEFOCUS_SIGMA, MAX_DEFOCUS_SIGMA = 1.4, 4.0
_CLAHE = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))


def _sharpen(image: Image, sigma: float = 2.0, amount: float = 0.8) -> Image:
    """Unsharp mask: steepens edges softened by light blur."""
    blurred = cv2.GaussianBlur(image, (0, 0), sigma)
    return cv2.addWeighted(image, 1 + amount, blurred, -amount, 0)  # type: ignore[no-any-return]


def _motion_deblurred(work: Image) -> Image | None:
    blur = deblur.estimate_motion(work)
    if blur is None:
        return None
    return deblur.wiener(work, deblur.line_kernel(blur.length, blur.angle))


def _defocus_deblurred(work: Image) -> Image | None:
    sigma = deblur.estimate_defocus(work)
    if sigma < MIN_DEFOCUS_SIGMA:  # sharp enough: zxing-cpp already saw what there is
        return None
    return deblur.wiener(work, deblur.gaussian_kernel(min(MAX_DEFOCUS_SIGMA, sigma)), 0.005)


Variant = tuple[str, Callable[[Image], Image | None], Callable[[Image], list[Symbol]]]
REGION_PASSES: tuple[Variant, ...] = (
    ("region", lambda work: work, zxing),
    ("region-motion", _motion_deblurred, zxing),
    ("region-defocus", _defocus_deblurred, zxing),
    ("region-zbar", _sharpen, zbar),
)


def _work_image(frame: Image, box: Box) -> tuple[Image, float]:
    x, y, w, h = box
    crop = frame[y : y + h, x : x + w]
    factor = min(MAX_UPSCALE, WORK_PX / max(w, h))
    if abs(factor - 1.0) < 0.05:
        return crop, 1.0
    interpolation = cv2.INTER_CUBIC if factor > 1 else cv2.INTER_AREA
    return cv2.resize(crop, None, fx=factor, fy=factor, interpolation=interpolation), factor


def _decoded(
    symbol: Symbol, code: str, started: float, name: str, offset: tuple[int, int] = (0, 0), factor: float = 1.0
) -> Decoded:
    points = tuple((int(x / factor) + offset[0], int(y / factor) + offset[1]) for x, y in symbol.points)
    return Decoded(symbol.text, symbol.format, code, points, (time.perf_counter() - started) * 1000, name)


def decode_frame(image: Image) -> Decoded | None:
    """The first valid MyData code in ``image`` (BGR or grey), or None."""
    started = time.perf_counter()
    frame = grey(image)
    symbols = zxing(frame)
    hit = first_valid(symbols)
    if hit:
        return _decoded(*hit, started, "zxing")
    regions = [box for box in candidate_regions(frame) if not any(covered(box, s.points) for s in symbols)]
    for box in regions:
        work, factor = _work_image(frame, box)
        for name, prepare, engine in REGION_PASSES:
            variant = prepare(work)
            if variant is None:
                continue
            hit = first_valid(engine(variant))
            if hit:
                return _decoded(*hit, started, name, (box[0], box[1]), factor)
    if regions or symbols:  # the frame's barcode-like texture was searched; the rest is plain
        return None
    for name, variant, engine in (("clahe", _CLAHE.apply(frame), zxing), ("zbar", frame, zbar)):
        hit = first_valid(engine(variant))
        if hit:
            return _decoded(*hit, started, name)
    return None
