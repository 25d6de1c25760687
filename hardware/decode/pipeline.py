"""The multi-pass decoding pipeline: cheap passes first, expensive ones only where a code is likely.

1. zxing-cpp on the whole grey frame (QR + Code128 only). Most frames end here.
2. Candidates (``regions.py``): the structure tensor tells 1-D barcodes (strong, coherent edges) from areal texture
   (QR codes, text); in a frame full of dim light's sensor noise (measured), also on a lightly smoothed copy, where a
   faint symbol's cells outrank the noise's specks. A 1-D candidate is turned upright along its measured bar
   direction, enlarged across thin bars, averaged along them and, when soft, deconvolved across them (``linear.py``).
   An areal candidate is cropped and brought to a working size (small codes upscaled so a module spans several
   pixels, large ones downscaled so the deblurring stays cheap), then: zxing-cpp plain and inverted (a phone in dark
   mode); low-light contrast; one global threshold (a smeared or far QR); and, on the likeliest box only, a QR
   zxing-cpp located but could not decode warped square from its outline (perspective, 2-px modules), glare and
   shadow evened out locally, tile-wise contrast, Lanczos-enlarged and sharpened (modules under 2 px),
   Wiener-deconvolved with the smears and the defocus disc measured in the crop's cepstrum, a covered finder pattern
   drawn back in (``finders.py``: a thumb on the QR's corner), pyzbar (a second engine), and last the hand's curved
   path fitted from the straight smear (``deblur.refit``) where the edges along it are flattened. These costly passes
   go where zxing-cpp located a QR it could not decode, else to the likeliest region; a QR located but still unread
   is cut close around and read again at the camera's own pixels; the next two regions, where their edges show a
   plain smear, get the smear passes (straight, then the path). Then the strips no variant read anything from are
   fitted with a data code's known structure (``code128_model``: a Code128 smeared past what any edge shows still
   fits one code far better than any other).
3. No candidate found: candidates looked for again on a smoothed copy (in dim light the sensor's noise can
   outweigh a soft symbol's edges in every cell); then CLAHE on the whole frame, then pyzbar on it. No
   strip found in a frame up to 720p: strips looked for again on a lightly smoothed copy (a dim Code128).

Only valid MyData codes count (``code_from_symbol``): anything else is skipped and the search goes on, so
a product barcode beside the receipt never stops it; a region holding a symbol already read (a URL QR,
a code with a wrong check digit, a product's EAN or UPC: the first pass reads those too, only to know
them) is not searched again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

import cv2
import numpy as np
import zxingcpp

from hardware.decode import deblur, finders, linear
from hardware.decode.engines import (
    WITH_RETAIL,
    Engine,
    Symbol,
    ZxingTry,
    first_valid,
    grey,
    windowed,
    zbar,
    zxing,
    zxing_first,
)
from hardware.decode.interface import Decoded, Image
from hardware.decode.regions import Box, Candidate, clipped, find_candidates, holds, same_place, sensor_noise

WORK_PX = 720  # a region's longest side after rescaling
MAX_UPSCALE = 3.0
MOTION_BIAS = 0.5
MOTION_TRIES = 2  # smears tried per region, likeliest first
# then the likeliest smear heavier at one end, then at the other: the cepstrum cannot tell which
MOTION_LEAN = 0.6
PATH_FITS, PATH_NOISE = 2, 0.01  # a smear's path refitted twice per smear; the Wiener filter's noise-to-signal
PATH_ALIKE = (1.5, 10.0)  # px, degrees: a smear this close to one whose path was fitted is not fitted again
PATH_SMEARED = 0.7  # gradient energy along a smear over across it (``deblur.smear_share``) up to which it is one
ENLARGE_SHARP, SHARP_PX = 3.0, 1200  # the sharpened enlargement: at most 3x, at most 1200 px
LOW_CONTRAST = 70  # grey levels between the darkest and lightest 5 % of a region
RESTORED_PX, MAX_RESTORED_UPSCALE = 960, 2.0
_CLAHE = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))


def _sharpen(image: Image, sigma: float = 2.0, amount: float = 0.8) -> Image:
    """Unsharp mask: steepens edges softened by light blur."""
    blurred = cv2.GaussianBlur(image, (0, 0), sigma)
    return cv2.addWeighted(image, 1 + amount, blurred, -amount, 0)  # type: ignore[no-any-return]


Points = tuple[tuple[int, int], ...]
ToFrame = Callable[[Points], Points]


_UNMEASURED = deblur.MotionBlur(0.0, 0.0, 0.0)  # a region's edge smear not measured yet (None: no smear)


class _Region:
    """A candidate region at three scales: ``native`` (never downscaled, small regions upscaled, for 1-D
    codes whose bars may be 1.5 px wide), ``work`` (longest side WORK_PX, for measuring skew) and ``base``
    (never upscaled, at most WORK_PX: deblurring works on the pixels the camera gave, where a blur
    kernel is sharpest, and its result is enlarged afterwards)."""

    def __init__(self, frame: Image, box: Box) -> None:
        x, y, w, h = box
        self.origin = (x, y)
        crop = frame[y : y + h, x : x + w]
        self.crop = crop
        self.native_factor = max(1.0, min(MAX_UPSCALE, WORK_PX / max(w, h)))
        self.native = _scaled(crop, self.native_factor)
        self.work_factor = min(MAX_UPSCALE, WORK_PX / max(w, h))
        self.work = self.native if self.work_factor == self.native_factor else _scaled(crop, self.work_factor)
        self.base_factor = min(1.0, self.work_factor)
        self.base = self.work if self.base_factor == self.work_factor else crop
        self.motions: list[deblur.MotionBlur] | None = None  # measured once, tried in turn
        # per smear tried: the straight kernel then those refitted from it, each with what it deblurs the
        # base into (none: the peak was no smear)
        self.refitted: dict[str, list[tuple[Image, Image]]] = {}
        self.edge_motion: deblur.MotionBlur | None = _UNMEASURED  # ``_edge_smear``
        self.path_starts: list[deblur.MotionBlur] = []  # the straight smears a path was fitted from
        self.located: list[Points] = []  # QRs zxing-cpp found the finder patterns of but could not decode (frame)
        self._deconvolver: deblur.Deconvolver | None = None
        self._cepstrum: Image | None = None

    def cepstrum(self) -> Image:
        """``base``'s cepstrum, taken once: the motion smears and the defocus disc are read from it."""
        if self._cepstrum is None:
            self._cepstrum = deblur.cepstrum(self.base)
        return self._cepstrum

    def deconvolver(self) -> deblur.Deconvolver:
        """``base``'s spectrum, transformed once for every kernel tried on it."""
        if self._deconvolver is None:
            self._deconvolver = deblur.Deconvolver(self.base)
        return self._deconvolver

    def inked_like_a_symbol(self) -> bool:
        """Whether the middle of the region is dark in the share a symbol is: a QR code or a barcode,
        alone or with the receipt's text around it, is an eighth to two thirds ink (whatever the blur:
        Otsu splits it), a form of thin text less, a shadow or a dark desk more."""
        height, width = self.work.shape
        middle = self.work[height // 5 : height - height // 5, width // 5 : width - width // 5]
        level, _ = cv2.threshold(middle, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        return INK_SHARE[0] <= float((middle < level).mean()) <= INK_SHARE[1]

    def restored(self, image: Image, most: float = MAX_RESTORED_UPSCALE) -> tuple[Image, ToFrame]:
        """A deblurred ``base`` enlarged for the decoder: deconvolution leaves modules crisp but small."""
        enlarge = max(1.0, min(most, RESTORED_PX / max(image.shape)))
        return _scaled(image, enlarge), self.mapper(self.base_factor * enlarge)

    def mapper(self, factor: float, homography: Image | None = None) -> ToFrame:
        """Points of a variant ``factor`` times the crop's size (through ``homography`` first, for a
        rectified one) back in frame coordinates."""

        def to_frame(points: Points) -> Points:
            if homography is not None:
                moved = cv2.perspectiveTransform(np.array([points], np.float32), homography)[0]
                points = tuple((int(x), int(y)) for x, y in moved)
            return tuple((int(x / factor) + self.origin[0], int(y / factor) + self.origin[1]) for x, y in points)

        return to_frame


def _scaled(crop: Image, factor: float) -> Image:
    if abs(factor - 1.0) < 0.05:
        return crop
    interpolation = cv2.INTER_CUBIC if factor > 1 else cv2.INTER_AREA
    return cv2.resize(crop, None, fx=factor, fy=factor, interpolation=interpolation)  # type: ignore[no-any-return]


Prepared = tuple[Image, ToFrame] | None


def _upscaled(region: _Region) -> Prepared:
    """The region alone (a small one, a far receipt, enlarged so a module spans several pixels), read
    also inverted: a phone in dark mode shows light modules on dark."""
    return region.native, region.mapper(region.native_factor)


def _enlarged_sharpened(region: _Region) -> Prepared:
    """Modules under ~2 px (a far receipt, a small QR in a 4K frame): the camera's own pixels enlarged 2-3x
    with Lanczos and unsharp-masked, so zxing-cpp's binariser sees module edges, not interpolation mush."""
    height, width = region.crop.shape
    factor = min(ENLARGE_SHARP, SHARP_PX / max(height, width))
    if factor < 1.3:
        return None
    enlarged = cv2.resize(region.crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_LANCZOS4)
    return _sharpen(enlarged, factor, 0.8), region.mapper(factor)


def _local_contrast(image: Image, module_px: float) -> Image:
    """Each pixel placed between the darkest and the lightest near it (a window of ~6 modules): a
    glare spot or a shadow's gradient across the symbol no longer moves the threshold, and faded
    modules are stretched to full contrast."""
    shrink = max(1, int(module_px // 2))  # the envelopes are smooth: measured on a smaller copy
    small = cv2.resize(image, None, fx=1 / shrink, fy=1 / shrink, interpolation=cv2.INTER_AREA) if shrink > 1 else image
    reach = max(3, int(module_px * 6 / shrink)) | 1
    size = (image.shape[1], image.shape[0])
    low, high = (cv2.resize(envelope, size) for envelope in deblur.envelopes(small, (reach, reach)))
    spread = cv2.subtract(high, low)
    span = float(np.percentile(spread, 90))  # the symbol's own contrast: plain paper stays plain
    stretched = cv2.subtract(image, low, dtype=cv2.CV_32F) / np.maximum(spread.astype(np.float32), max(0.3 * span, 8.0))
    return np.clip(stretched * 255, 0, 255).astype(np.uint8)  # type: ignore[no-any-return]


def _evened(region: _Region, module_px: float) -> Prepared:
    """Glare, shadow and fading evened out at the native scale (see ``_local_contrast``), for a
    camera module of ``module_px`` (the window must hold light and dark: wider for large modules)."""
    return _local_contrast(region.native, module_px * region.native_factor), region.mapper(region.native_factor)


def _equalised(region: _Region) -> Prepared:
    """Contrast stretched tile by tile (CLAHE) at the native scale: a smeared symbol's modules are
    left a few grey levels apart, whatever the light."""
    return _CLAHE.apply(region.native), region.mapper(region.native_factor)


def _brightened(region: _Region) -> Prepared:
    """Dim light on faded print leaves a few grey levels under sensor noise: smooth the noise, then
    stretch the contrast locally."""
    if deblur.contrast(region.work) > LOW_CONTRAST:
        return None
    smoothed = cv2.GaussianBlur(region.work, (0, 0), 1.0)
    return _CLAHE.apply(smoothed), region.mapper(region.work_factor)


def _smear(region: _Region, rank: int) -> deblur.MotionBlur | None:
    """The ``rank``-th likeliest straight smear measured in the crop's cepstrum, or None."""
    if region.motions is None:
        region.motions = deblur.estimate_motions(region.base, MOTION_TRIES, region.cepstrum())
    return region.motions[rank] if rank < len(region.motions) else None


def _motion_deblurred(region: _Region, rank: int, lean: float = 0.0) -> Prepared:
    """Undo the ``rank``-th likeliest straight smear measured in the crop's cepstrum, uniform or with
    ``lean`` (a hand slowing down or speeding up: see ``deblur.line_kernel``)."""
    blur = _smear(region, rank)
    if blur is None:
        return None
    kernel = deblur.line_kernel(blur.length + MOTION_BIAS, blur.angle, lean)
    # a hand's path is not quite the straight line assumed: regularise more, enlarge less (less ringing)
    return region.restored(region.deconvolver().wiener(kernel, 0.02), 1.5)


def _edge_smear(region: _Region) -> deblur.MotionBlur | None:
    """The smear the region's edges show (``deblur.edge_motion``), measured once."""
    if region.edge_motion is _UNMEASURED:
        region.edge_motion = deblur.edge_motion(region.base, region.cepstrum())
    return region.edge_motion


PATH_STARTS: dict[str, Callable[[_Region], deblur.MotionBlur | None]] = {
    # the cepstrum's two likeliest smears, then the smear the edges show (``deblur.edge_motion``)
    "": partial(_smear, rank=0),
    "-1": partial(_smear, rank=1),
    "-edges": _edge_smear,
}


def _alike(blur: deblur.MotionBlur, other: deblur.MotionBlur) -> bool:
    """Two straight smears whose paths' fits start alike: within PATH_ALIKE (px, degrees)."""
    turn = abs((blur.angle - other.angle + 90) % 180 - 90)
    return abs(blur.length - other.length) <= PATH_ALIKE[0] and turn <= PATH_ALIKE[1]


def _path_deblurred(region: _Region, start: str, fits: int) -> Prepared:
    """Undo the hand's path fitted ``fits`` times (``deblur.refit``) from the straight smear ``start``
    gives (a PATH_STARTS key): a curved or uneven path leaves double edges under a straight kernel,
    which the fit corrects."""
    chain = region.refitted.get(start)
    if chain is None:
        chain = region.refitted[start] = []
        blur = PATH_STARTS[start](region)
        # the print's own structure (text lines, module pitch) also makes cepstrum peaks: a smear is one
        # only where the edges along it are flattened
        if (
            blur is not None
            and not any(_alike(blur, tried) for tried in region.path_starts)  # its fit is done already
            and deblur.smear_share(region.base, blur.angle) <= PATH_SMEARED
        ):
            region.path_starts.append(blur)
            kernel = deblur.line_kernel(blur.length + MOTION_BIAS, blur.angle)
            chain.append((kernel, region.deconvolver().wiener_f(kernel, PATH_NOISE)))
    if not chain:
        return None
    size = min(2 * deblur.MAX_BLUR_PX + 1, 2 * max(chain[0][0].shape) | 1)
    while len(chain) <= fits:
        fitted = deblur.refit(region.deconvolver(), chain[-1][1], size)
        if fitted is None:
            return None
        chain.append((fitted, region.deconvolver().wiener_f(fitted, PATH_NOISE)))
    latent = np.clip(chain[fits][1], 0, 255).astype(np.uint8)
    return region.restored(latent, 1.5)


def _disc_deblurred(region: _Region, stretch: float = 1.0, noise: float = 0.01) -> Prepared:
    """Out of focus, a lens spreads each point into a disc: measured in the crop's cepstrum at the
    camera's own pixels, undone there (Wiener, ``noise`` the noise-to-signal ratio), then enlarged for the
    decoder."""
    radius = deblur.estimate_disc(region.base, region.cepstrum())
    if radius is None:
        return None
    return region.restored(region.deconvolver().wiener(deblur.disc_kernel(radius * stretch), noise))


def _rectified(region: _Region, side: int, margin: float) -> Prepared:
    """A QR zxing-cpp located but could not decode, warped square and upright from its outline (the
    squarest located), with a quiet zone: perspective, tilt and a far symbol's 2-px modules become a
    regular grid of large modules, where the binariser's window and the sampling grid fit."""
    if not region.located:
        return None
    outline = np.array(_squarest(region.located), np.float32)
    outline = outline - region.origin  # frame -> crop: warped from the camera's own pixels
    middle = outline.mean(axis=0)
    source = middle + (outline - middle) * (1 + 2 * margin)
    target = np.array([[0, 0], [side, 0], [side, side], [0, side]], np.float32)
    matrix = cv2.getPerspectiveTransform(source.astype(np.float32), target)
    square = cv2.warpPerspective(
        region.crop, matrix, (side, side), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
    return square, region.mapper(1.0, np.linalg.inv(matrix))


def _zxing_then_equalised(image: Image) -> list[Symbol]:
    """As is, then contrast stretched tile by tile (CLAHE): a located QR left dim or soft."""
    return _ZXING_BOTH(image) or _ZXING_BOTH(_CLAHE.apply(image))


def _sharpened(region: _Region) -> Prepared:
    """For pyzbar, at the camera's own scale: zbar's cost grows with the pixels, not with the symbol."""
    return _sharpen(region.base), region.mapper(region.base_factor)


# zxing-cpp's binarisers, at the prepared variant's own scale. Local average: the default. Global histogram:
# one threshold for the whole region; a smeared or far QR has modules whose local window holds no clear
# dark and light, where the local average splits them, while the region's own histogram still holds both.
# Fixed: a mid-grey level.
_LOCAL = ZxingTry(downscale=False)
_GLOBAL = ZxingTry(zxingcpp.Binarizer.GlobalHistogram, downscale=False)
_FIXED = ZxingTry(zxingcpp.Binarizer.FixedThreshold, downscale=False)
# also light on dark, and the QR codes located but not decoded (``Symbol.damaged``)
_ZXING_INVERTED_TOO = zxing_first(ZxingTry(invert=True, damaged=True))
# the region's own histogram, then a fixed mid-grey level (a clean symbol whose histogram is swamped by
# the paper and desk around it)
_ZXING_GLOBAL_OR_FIXED = zxing_first(_GLOBAL, _FIXED)
# local-average binarisation, then the global histogram
_ZXING_BOTH = zxing_first(_LOCAL, _GLOBAL)
# as _ZXING_BOTH, with the local average light on dark too: a phone in dark mode with a reflection on its glass
_ZXING_BOTH_POLARITIES = zxing_first(ZxingTry(downscale=False, invert=True), _GLOBAL)
# local-average binarisation, then a fixed mid-grey threshold: the enlarged, sharpened modules of a far
# code sit either side of mid-grey, where a local window of 2-px modules can drift
_ZXING_NATIVE = zxing_first(_LOCAL, _FIXED)


def _or_windowed(engine: Engine, window: int = 11, *, invert: bool = False) -> Engine:
    """``engine``, then, where it read no code, the QR codes read thresholded in a ``window``-px mean
    (``engines.windowed``): washed-out contrast on the camera's pixels, soft module edges in a restored
    variant. 11 px: a restored or enlarged variant's modules are 4-10 px, and a window of one or two
    modules follows their edges; the region as the camera gave it takes 21 px, a module's worth, so glare's
    ramp is followed and the modules are not (looked-at sets: 11 px there read none of its three)."""

    def run(image: Image) -> list[Symbol]:
        symbols = engine(image)
        if first_valid(symbols):
            return symbols
        return symbols + windowed(image, window, invert=invert)

    return run


Pass = tuple[str, Callable[[_Region], Prepared], Engine]
# on every areal candidate
_CHEAP_PASSES: tuple[Pass, ...] = (
    ("region", _upscaled, _ZXING_INVERTED_TOO),
    ("region-lowlight", _brightened, _or_windowed(zxing)),
    # light on dark too: a phone's screen, a reflection across its glass
    ("region-global", _upscaled, _or_windowed(_ZXING_GLOBAL_OR_FIXED, 21, invert=True)),
)
# only where a symbol is likeliest: each also read windowed (``_or_windowed``), but pyzbar's, which
# thresholds on its own
_COSTLY_PASSES: tuple[Pass, ...] = (
    ("region-rectified", partial(_rectified, side=400, margin=0.12), _zxing_then_equalised),
    # more room around it, coarser tiles for CLAHE: a dim or soft QR whose tiles held only its own grey
    ("region-rectified-wide", partial(_rectified, side=520, margin=0.25), _zxing_then_equalised),
    ("region-evened", partial(_evened, module_px=3.0), _ZXING_BOTH_POLARITIES),
    ("region-evened-narrow", partial(_evened, module_px=2.0), _ZXING_BOTH_POLARITIES),
    ("region-evened-wide", partial(_evened, module_px=6.0), _ZXING_BOTH),
    ("region-equalised", _equalised, _ZXING_BOTH),
    ("region-sharpened", _enlarged_sharpened, _ZXING_NATIVE),
    *(
        (f"region-motion{'-' + str(rank) if rank else ''}", partial(_motion_deblurred, rank=rank), zxing)
        for rank in range(MOTION_TRIES)
    ),
    *(
        (f"region-motion-lean{lean:+}", partial(_motion_deblurred, rank=0, lean=lean), zxing)
        for lean in (MOTION_LEAN, -MOTION_LEAN)
    ),
    ("region-defocus", partial(_disc_deblurred, stretch=1.1), _ZXING_BOTH),
    # dim light's sensor gain: the same disc undone with five times the noise, or the noise drowns the modules
    ("region-defocus-noisy", partial(_disc_deblurred, stretch=1.1, noise=0.05), _ZXING_BOTH),
    ("region-finder", _upscaled, finders.read_with_third_finder),
    ("region-zbar", _sharpened, zbar),
    # last: the slowest, and only a hand's curved path needs it
    *(
        (f"region-path{start}-{fits}", partial(_path_deblurred, start=start, fits=fits), _ZXING_BOTH)
        for start in PATH_STARTS
        for fits in range(1, PATH_FITS + 1)
    ),
)
REGION_PASSES: tuple[Pass, ...] = _CHEAP_PASSES + tuple(
    (name, prepare, engine if engine is zbar else _or_windowed(engine)) for name, prepare, engine in _COSTLY_PASSES
)
CHEAP_PASSES = tuple(name for name, _, _ in _CHEAP_PASSES)  # the others (deconvolution, pyzbar) only where likeliest
INK_SHARE = (0.12, 0.65)  # dark share of a symbol region's middle
SMALL_FRAME_PX = 1280  # px, longest side: up to 720p
STRIP_SIGMA = 1.0  # px: the smoothing under which a dim Code128's bars show as one coherent strip again
NOISY_SIGMA = 2.0  # px: the smoothing that lifts a soft symbol's edges out of dim light's sensor noise
NOISY_FRAME = 3.0  # grey levels of sensor noise (``regions.sensor_noise``) over which a frame is dim light's
# in such a frame every Wiener filter's noise-to-signal ratio is multiplied by this (``deblur.noisier``):
# looked-at sets, x2 / x3 / x5: motion+mixed 449 / 450 / 449 of 480, mixed 31-35 208 / 208 / 207 of 240
NOISY_GAIN = 3.0
MIN_QR_PX = 21  # the least a located QR can span: 21 modules of a pixel
TIGHT_MARGIN = 0.2  # a located QR's quiet zone, in its size, when its region is cut close around it
SMEARED_REGIONS, SMEARED_SHARE = 2, 0.5  # next regions given the smear passes when the edges show a plain smear
MODELLED_STRIPS = 2  # unread strips fitted with a data code's structure, strongest first
COSTLY_REGIONS = 1  # areal candidates that get the costly passes (evening out, deconvolution, finder, pyzbar)


def _decoded(symbol: Symbol, code: str, started: float, name: str, to_frame: ToFrame = lambda p: p) -> Decoded:
    elapsed = (time.perf_counter() - started) * 1000
    if symbol.format == "Retail":  # first_valid gives only QR codes and Code128s: a product's barcode is none
        raise ValueError("a product barcode is not a code")
    return Decoded(symbol.text, symbol.format, code, to_frame(symbol.points), elapsed, name)


def _read_linear(frame: Image, candidate: Candidate, started: float) -> tuple[Decoded | None, bool]:
    """The strip's first valid code, and whether the strip is explained: nothing more once a variant reads
    it as another Code128 (a product's label, a misprinted check digit), for a strip is one barcode and
    Code128's own checksum held for what was read."""
    for span in (linear.SPAN, linear.LONG_SPAN):
        for name, symbol in linear.read(frame, candidate, span):
            hit = first_valid([symbol])
            name = f"{name}-long" if span == linear.LONG_SPAN else name
            return (_decoded(*hit, started, name) if hit else None), True
    return None, False


def _modelled(frame: Image, strip: Candidate, started: float) -> Decoded | None:
    """The strip read by fitting a data code's known structure to it (``linear.modelled``)."""
    hit = first_valid([symbol]) if (symbol := linear.modelled(frame, strip)) else None
    return _decoded(*hit, started, "linear-model") if hit else None


def _read_region(region: _Region, started: float, *, cheap: bool, suffix: str = "", only: str = "") -> Decoded | None:
    """The cheap passes (``cheap``) or the costly ones over one areal region, those whose name holds
    ``only``; ``suffix`` ends the name of the pass that read it."""
    for name, prepare, engine in REGION_PASSES:
        if (name in CHEAP_PASSES) != cheap or only not in name:
            continue
        prepared = prepare(region)
        if prepared is None:
            continue
        variant, to_frame = prepared
        symbols = engine(variant)
        # a QR spans 21 modules at least: an outline smaller than that many px is a finder-like speck
        located = (to_frame(s.points) for s in symbols if s.damaged)
        region.located += [outline for outline in located if _size(outline) >= MIN_QR_PX]
        hit = first_valid(symbols)
        if hit:
            return _decoded(*hit, started, name + suffix, to_frame)
    return None


def _squarest(outlines: list[Points]) -> Points:
    """The located outline nearest a square (its shortest side over its longest), the first of equals:
    zxing-cpp also locates slivers, a finder pattern and a line of text beside it, before the QR itself."""

    def squareness(points: Points) -> float:
        corners = np.array(points, np.float32)
        sides = np.hypot(*(corners - np.roll(corners, 1, axis=0)).T)
        return float(sides.min() / max(float(sides.max()), 1e-6))

    return max(outlines, key=squareness)


def _size(points: Points) -> int:
    """The larger side of the box around an outline, px."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return max(max(xs) - min(xs), max(ys) - min(ys))


def _around(points: Points, shape: tuple[int, ...]) -> Box:
    """The box around an outline with a quiet zone of TIGHT_MARGIN of its size, inside the frame."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    margin = TIGHT_MARGIN * _size(points)
    return clipped(min(xs) - margin, min(ys) - margin, max(xs) + margin, max(ys) + margin, shape)


def _unexplained(candidates: list[Candidate], symbols: list[Symbol]) -> list[Candidate]:
    """The candidates not holding a symbol already read (a URL QR, a code with a wrong check digit, a
    product's barcode): those regions are explained, nothing more to find there."""
    return [c for c in candidates if not any(holds(c.box, s.points) for s in symbols)]


def decode_frame(image: Image) -> Decoded | None:
    """The first valid MyData code in ``image`` (BGR or grey), or None."""
    started = time.perf_counter()
    frame = grey(image)
    symbols = zxing(frame, formats=WITH_RETAIL)
    hit = first_valid(symbols)
    if hit:
        return _decoded(*hit, started, "zxing")
    noisy = sensor_noise(frame) > NOISY_FRAME
    with deblur.noisier(NOISY_GAIN if noisy else 1.0):  # dim light: every deconvolution regularised more
        return _searched(frame, symbols, noisy, started)


def _searched(frame: Image, symbols: list[Symbol], noisy: bool, started: float) -> Decoded | None:
    """The first valid code in the frame's candidate regions, or None (``decode_frame`` after its first
    pass: ``symbols`` are what that pass read, valid or not)."""
    candidates = _unexplained(find_candidates(frame), symbols)
    smoothed_searched = False  # whether the candidates were looked for on the copy smoothed at STRIP_SIGMA
    if not candidates and not symbols:  # sensor noise in dim light can drown a soft symbol's edges
        candidates = find_candidates(cv2.GaussianBlur(frame, (0, 0), NOISY_SIGMA))
    elif noisy:  # in dim light, noise specks can outrank a faint symbol's cells:
        # those looked for again on a lightly smoothed copy, after the ones found, where none was found
        smoothed = _unexplained(find_candidates(cv2.GaussianBlur(frame, (0, 0), STRIP_SIGMA)), symbols)
        candidates += [c for c in smoothed if not any(same_place(c, found) for found in candidates)]
        smoothed_searched = True
    regions: list[_Region] = []
    unread: list[Candidate] = []  # strips no variant read anything from
    for candidate in candidates:
        if candidate.linear:
            found, explained = _read_linear(frame, candidate, started)
            if found:
                return found
            if not explained:
                unread.append(candidate)
            continue
        region = _Region(frame, candidate.box)
        found = _read_region(region, started, cheap=True)
        if found:
            return found
        regions.append(region)
    # the costly passes where a QR is likeliest: one zxing-cpp located but could not decode, else the
    # first region inked like a symbol (a form full of text may outrank a small receipt)
    ranked = sorted(regions, key=lambda r: (not r.located, not r.inked_like_a_symbol()))
    for region in ranked[:COSTLY_REGIONS]:
        found = _read_region(region, started, cheap=False)
        if found:
            return found
        # a located QR read again cut close around it: a large region is shrunk to WORK_PX (a defocus disc
        # or a smear of a few pixels) and its text and desk weigh in the blur measured, the QR's own do not
        if region.located:
            tight = _Region(frame, _around(_squarest(region.located), frame.shape))
            found = _read_region(tight, started, cheap=True, suffix="-close") or _read_region(
                tight, started, cheap=False, suffix="-close"
            )
            if found:
                return found
    # the next regions, where plainly smeared: the smear passes only
    for region in ranked[COSTLY_REGIONS : COSTLY_REGIONS + SMEARED_REGIONS]:
        blur = _edge_smear(region)
        if blur is not None and deblur.smear_share(region.base, blur.angle) <= SMEARED_SHARE:
            found = _read_region(region, started, cheap=False, only="-motion")
            found = found or _read_region(region, started, cheap=False, only="-path")
            if found:
                return found
    # the strips no variant read, by fitting: after the areal passes, for a fit costs 20-150 ms a strip that
    # looks like a Code128, and a QR beside a smeared Code128 is often read first
    for strip in unread[:MODELLED_STRIPS]:
        found = _modelled(frame, strip, started)
        if found:
            return found
    # no strip: in dim light the noise can break a Code128's cells apart. Looked for again up to 720p:
    # at 1080p and 4K the search costs 30-65 ms a frame, and a module spans more pixels for its cells to average
    # (unless the candidates were looked for on that copy already: its strips are among them)
    if max(frame.shape) <= SMALL_FRAME_PX and not smoothed_searched and not any(c.linear for c in candidates):
        smoothed = find_candidates(cv2.GaussianBlur(frame, (0, 0), STRIP_SIGMA))
        for strip in (c for c in _unexplained(smoothed, symbols) if c.linear):
            found, _ = _read_linear(frame, strip, started)
            if found:
                return found
    if candidates or symbols:  # the frame's barcode-like texture was searched; the rest is plain
        return None
    for name, variant, engine in (("clahe", _CLAHE.apply(frame), zxing), ("zbar", frame, zbar)):
        hit = first_valid(engine(variant))
        if hit:
            return _decoded(*hit, started, name)
    return None
