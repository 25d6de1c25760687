"""Reading a 1-D candidate (a Code128) the way its geometry asks for.

A barcode carries its information across the bars only; along the bars every row says the same. So the
candidate is turned until its bars stand upright (the direction the structure tensor measured), cut out
with room for its quiet zones, enlarged across the bars when they are thin (a 1.5 px module becomes
~4 px, where zxing-cpp's edge finding is sure of itself), and averaged *along* the bars, which removes
sensor noise, JPEG blocks and crumples without softening a single edge. What blurs a barcode matters
only across the bars too, so deblurring is one-dimensional: cheap enough to try a few blur widths.
Variants, cheapest first: as cut; contrast normalised along the code (glare, shadows, faded print);
deconvolved for the smear measured across the bars (straight, heavier at one end, then its path refitted
from what a barcode must look like); then for wider blurs.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import cv2
import numpy as np
import zxingcpp

from counter_core.datacode import code_from_symbol
from hardware.decode import code128_model, deblur
from hardware.decode.engines import Symbol, zxing_1d
from hardware.decode.interface import Image
from hardware.decode.regions import Candidate

CODE128_MODULES = 123 + 20  # a 16-digit Code128 (set C) and its two quiet zones, in modules
TARGET_MODULE_PX = 4.0  # module width after enlarging
MAX_ENLARGE = 4.0
MAX_WIDTH_PX = 1800
# the cut, in lengths of the strip measured: its quiet zones; then twice that, when a shadow's edge or glare
# across the bars split their cells and the strip measured covers only part of the code
SPAN, LONG_SPAN = 1.35, 2.7
MODEL_SPAN = 1.6  # the model finds the code's ends itself: room for a strip measured short
ROWS, REPEAT = 8, 3  # bands kept after averaging along the bars, and rows per band
DEBLUR_STRETCH = (1.0, 1.2, 0.85)
PATH_FITS, PATH_NOISE = 2, 0.005  # the smear's path across the bars refitted twice; the Wiener filter's noise
SMEAR_MODULES = 3.0  # the longest smear across the bars looked for
MOTION_LEAN = 0.6  # see ``deblur.line_kernel``: the cepstrum cannot tell which end is heavier, so both
LOCAL_THRESHOLDS = ((3.0, 0.3), (4.5, 0.4))  # (window in modules, depth below the local lightest)
SHEARS = tuple(np.tan(np.radians(np.arange(-3.0, 3.01, 0.75))))  # bar direction corrections tried
Points = tuple[tuple[int, int], ...]
# zxing-cpp's local-average binariser, then a fixed mid-grey threshold: the variants are already
# normalised or deconvolved, where a local threshold can split a wide bar smeared by glare or blur
BINARIZERS = (zxingcpp.Binarizer.LocalAverage, zxingcpp.Binarizer.FixedThreshold)


class Upright:
    """A linear candidate cut out with its bars vertical, enlarged across them, and the map back."""

    def __init__(self, grey: Image, candidate: Candidate, span: float = SPAN) -> None:
        module = candidate.length / 123  # the coherent strip is the symbol without its quiet zones
        self.enlarge = min(MAX_ENLARGE, max(1.0, TARGET_MODULE_PX / max(module, 0.5)))
        width = min(MAX_WIDTH_PX, int(candidate.length * span * self.enlarge) + 40)
        self.enlarge = min(self.enlarge, (width - 40) / max(candidate.length * span, 1))
        height = max(8, int(candidate.height * 0.9))  # along the bars: native pixels, averaged later
        angle = math.radians(candidate.angle)
        cos, sin = math.cos(angle), math.sin(angle)
        # frame → upright: x along the code (across the bars, enlarged), y along the bars
        self.matrix = np.array([[cos * self.enlarge, sin * self.enlarge, 0.0], [-sin, cos, 0.0]])
        cx, cy = candidate.centre
        self.matrix[0, 2] = width / 2 - (self.matrix[0, 0] * cx + self.matrix[0, 1] * cy)
        self.matrix[1, 2] = height / 2 - (self.matrix[1, 0] * cx + self.matrix[1, 1] * cy)
        self.module_px = module * self.enlarge
        self.matrix = self._sheared(grey, (width, height))
        self.image = cv2.warpAffine(
            grey, self.matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
        )

    def _sheared(self, grey: Image, size: tuple[int, int]) -> Image:
        """The measured direction is good to a degree or two; averaging a whole bar's height wants
        better. Shear the cut-out by a few small steps and keep the one whose averaged profile has the
        steepest edges (the bars line up)."""
        width, height = size
        best, best_sharpness = self.matrix, -1.0
        for shear in SHEARS:
            skew = np.array([[1.0, shear * self.enlarge, -shear * self.enlarge * height / 2], [0, 1, 0], [0, 0, 1]])
            matrix = (skew @ np.vstack([self.matrix, [0, 0, 1]]))[:2]
            cut = cv2.warpAffine(grey, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            profile = cut[height // 8 : height - height // 8].astype(np.float32).mean(axis=0)
            sharpness = float(np.square(np.diff(profile)).sum())
            if sharpness > best_sharpness:
                best, best_sharpness = matrix, sharpness
        return best

    def averaged(self) -> Image:
        """Rows averaged along the bars in ``ROWS`` bands (perspective leaves bars slightly fanned, so a
        band, not the whole height), each repeated: zxing-cpp wants several rows that agree."""
        bands = cv2.resize(self.image, (self.image.shape[1], ROWS), interpolation=cv2.INTER_AREA)
        return np.repeat(bands, REPEAT, axis=0)

    def to_frame(self, points: Points, rows: int) -> Points:
        inverse = cv2.invertAffineTransform(self.matrix)
        scale_y = self.image.shape[0] / rows
        return tuple(
            (
                int(inverse[0, 0] * x + inverse[0, 1] * y * scale_y + inverse[0, 2]),
                int(inverse[1, 0] * x + inverse[1, 1] * y * scale_y + inverse[1, 2]),
            )
            for x, y in points
        )


def normalised(rows: Image, module_px: float) -> Image:
    """Each pixel placed between the local darkest and lightest along the code (a window of ~12
    modules): a glare gradient or a shadow edge across the symbol no longer moves the threshold."""
    reach = max(3, int(module_px * 12)) | 1
    # eroding uint8, then converting, gives the same floats as converting first: min and max are exact
    levels = rows.astype(np.float32)
    low, high = deblur.envelopes(levels, (reach, 1))
    span = float(np.percentile(high - low, 90))  # the symbol's own contrast: flat quiet zones stay flat
    stretched = (levels - low) / np.maximum(high - low, max(0.4 * span, 8.0))
    return np.clip(stretched * 255, 0, 255).astype(np.uint8)  # type: ignore[no-any-return]


def _extrema(profile: Image, rise: float) -> list[int]:
    """Alternating peaks and valleys of ``profile`` (indices), each at least ``rise`` above or below its
    neighbours: the zigzag that smaller wiggles (sensor noise, print dots) do not break."""
    turns: list[int] = []
    best, rising = 0, profile[1] > profile[0] if len(profile) > 1 else True
    for index in range(1, len(profile)):
        value = profile[index]
        if (value > profile[best]) == rising and value != profile[best]:
            best = index  # the extreme so far keeps moving
        elif abs(value - profile[best]) >= rise:
            turns.append(best)  # moved back far enough: the extreme is a real peak or valley
            best, rising = index, not rising
    turns.append(best)
    return turns


def cut_at_midpoints(rows: Image, module_px: float) -> Image:
    """The code's profile cut into bars and spaces at the midpoint between each valley and the peak
    beside it, drawn again as a clean strip. A lone one-module bar on faded thermal print or at the
    edge of resolution dips a fifth as deep as a wide bar: a threshold set by the wide bars (a local
    mean, a global level) passes it as white; an edge between its own valley and peaks does not."""
    profile = cv2.GaussianBlur(rows.astype(np.float32).mean(axis=0).reshape(1, -1), (0, 0), 0.25 * module_px).ravel()
    span = float(np.percentile(profile, 98) - np.percentile(profile, 2))
    turns = _extrema(profile, max(2.0, 0.04 * span))
    dark = np.zeros(len(profile), bool)
    for left, right in itertools.pairwise(turns):
        level = (profile[left] + profile[right]) / 2
        if profile[left] > profile[right]:  # a peak, then a valley: dark from the midpoint on
            dark[left + int(np.argmax(profile[left : right + 1] < level)) : right + 1] = True
        else:  # a valley, then a peak: dark up to the midpoint
            dark[left : left + int(np.argmax(profile[left : right + 1] > level))] = True
    strip = np.where(dark, 0, 255).astype(np.uint8).reshape(1, -1)
    return np.repeat(strip, ROWS * REPEAT, axis=0)  # type: ignore[no-any-return]


def thresholded_locally(rows: Image, module_px: float, reach_modules: float, depth: float) -> Image:
    """The code's profile cut into bars and spaces by a threshold that follows the local lightest and
    darkest (a window of ``reach_modules``), drawn again as a clean strip: the faint bars of
    ``cut_at_midpoints`` again, where its zigzag is broken (a space smeared between two wide bars)."""
    profile = rows.astype(np.float32).mean(axis=0).reshape(1, -1)
    low, high = deblur.envelopes(profile, (max(3, int(module_px * reach_modules)) | 1, 1), smooth=False)
    span = float(np.percentile(high - low, 90))
    dark = (profile < high - depth * (high - low)) & (high - low > max(4.0, 0.12 * span))
    return np.repeat(np.where(dark, 0, 255).astype(np.uint8), ROWS * REPEAT, axis=0)  # type: ignore[no-any-return]


def blur_across(rows: Image, module_px: float) -> float:
    """The blur across the bars (Gaussian sigma, px) from the steepest edges along the code."""
    profile = rows.astype(np.float32).mean(axis=0)
    slope = np.abs(np.diff(cv2.GaussianBlur(profile.reshape(1, -1), (0, 0), 0.7).ravel()))
    steep = float(np.percentile(slope, 99.5)) if slope.size else 0.0
    span = float(np.percentile(profile, 97) - np.percentile(profile, 3))
    return span / max(steep * math.sqrt(2 * math.pi), 1e-3)


def variants(upright: Upright) -> Iterator[tuple[str, Image]]:
    rows = upright.averaged()
    yield "linear", rows
    flat = normalised(rows, upright.module_px)
    yield "linear-normalised", flat
    yield "linear-edges", cut_at_midpoints(rows, upright.module_px)
    for reach_modules, depth in LOCAL_THRESHOLDS:
        yield "linear-local", thresholded_locally(rows, upright.module_px, reach_modules, depth)
    sigma = blur_across(rows, upright.module_px)
    # past 3 modules no bar survives a smear; longer lags are the code's own rhythm
    smear = deblur.box_across(rows.astype(np.float32).mean(axis=0), SMEAR_MODULES * upright.module_px)
    if smear is not None:  # a hand's movement across the bars: a box along the code
        yield "linear-motion", normalised(deblur.wiener(rows, deblur.box_kernel_1d(smear), 0.005), upright.module_px)
        for lean in (MOTION_LEAN, -MOTION_LEAN):  # a hand slowing down or speeding up: heavier at one end
            kernel = deblur.line_kernel(smear, 0.0, lean).sum(axis=0, keepdims=True)
            kernel = np.ascontiguousarray(kernel[:, kernel[0] > 0])
            yield "linear-motion-lean", normalised(deblur.wiener(rows, kernel, 0.02), upright.module_px)
        yield from _path_fitted(rows, deblur.box_kernel_1d(smear), upright.module_px)
    if sigma > 0.35 * upright.module_px:  # soft edges: undo the blur along the code only
        for stretch in DEBLUR_STRETCH:  # the slope estimate is good to ~15 %; deconvolution wants better
            kernel = deblur.gaussian_kernel_1d(min(sigma * stretch, 2.5 * upright.module_px))
            yield "linear-deblurred", normalised(deblur.wiener(rows, kernel, 0.003), upright.module_px)
        # noise or print dots amplified by the weakly regularised filter: the measured blur once more,
        # regularised more
        kernel = deblur.gaussian_kernel_1d(min(sigma, 2.5 * upright.module_px))
        yield "linear-deblurred", normalised(deblur.wiener(rows, kernel, 0.01), upright.module_px)


def _path_fitted(rows: Image, kernel: Image, module_px: float) -> Iterator[tuple[str, Image]]:
    """The smear across the bars refitted from what a barcode must look like (``deblur.refit``, in one
    dimension): a hand's curved or uneven path leaves, across the bars, a smear heavier in places."""
    deconvolver = deblur.Deconvolver(rows)
    latent = deconvolver.wiener_f(kernel, PATH_NOISE)
    for _ in range(PATH_FITS):
        fitted = deblur.refit(deconvolver, latent, 2 * kernel.shape[1] | 1, 1)
        if fitted is None:
            return
        kernel, latent = fitted, deconvolver.wiener_f(fitted, PATH_NOISE)
        yield "linear-path", normalised(np.clip(latent, 0, 255).astype(np.uint8), module_px)


def read(grey: Image, candidate: Candidate, span: float = SPAN) -> Iterator[tuple[str, Symbol]]:
    """Symbols read from ``candidate`` cut ``span`` times its measured length, pass by pass, with points in
    frame coordinates."""
    upright = Upright(grey, candidate, span)
    for name, image in variants(upright):
        for binarizer in BINARIZERS:  # a 24-row strip: each binariser costs about a millisecond
            for symbol in zxing_1d(image, binarizer):
                points = upright.to_frame(symbol.points, image.shape[0])
                yield name, Symbol(symbol.text, symbol.format, points)


def modelled(grey: Image, candidate: Candidate, span: float = MODEL_SPAN) -> Symbol | None:
    """The code read by fitting what a data code's Code128 must look like to the strip's profile
    (``code128_model``): where a smear of two modules or more across the bars leaves thin bars too faint
    for any edge to be found, the profile still fits one code far better than any other."""
    upright = Upright(grey, candidate, span)
    profile = upright.image.astype(np.float32).mean(axis=0)
    found = code128_model.fit(
        profile, upright.module_px, lambda digits: code_from_symbol(digits, "Code128") is not None
    )
    if found is None:
        return None
    height = upright.image.shape[0]
    start, end = int(found.start), int(found.end)
    return Symbol(
        found.digits, "Code128", upright.to_frame(((start, 0), (end, 0), (end, height), (start, height)), height)
    )
