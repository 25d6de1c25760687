"""A Code128 read by fitting what it must look like to what the camera saw: a deformable template.

A hand's smear of two modules or more across the bars leaves a one-module bar a grey ripple a third as
deep as a wide bar's: no threshold and no deconvolution gets every edge back, and zxing-cpp reads bars
and spaces from edges. But a data code's Code128 is nearly all known: START C, eight digit pairs, the
checksum symbol, STOP, 123 modules in all. So the profile across the bars is compared with the profile
each possible code would leave under the blur, and the code whose rendering fits best is read:

1. The profile as darkness: 0 paper, 1 ink, between the local lightest and darkest (glare, shadows).
2. The code's extent: the dark stretch between two quiet zones nearest the strip's middle.
3. Which way round, where it starts and ends, how wide a module is at each end: START and STOP, known
   patterns, fitted at either end, both ways round, over a grid of positions and module widths (a code
   seen at a slant has wider modules at its nearer end; between the ends they are taken to change evenly).
4. The blur: a family of shapes in modules (a lens's Gaussian or out-of-focus disc, a hand's box, even or
   heavier at one end), the ones whose rendering of the two ends fits best.
5. A curled receipt draws its middle modules away from where the ends put them: the middle is tried
   moved by up to two modules, and kept where the code reads with least left over.
6. The nine unknown symbols by dynamic programming (Viterbi): the profile from the middle of one symbol
   to the middle of the next depends on those two symbols only (for blurs under five modules), so the
   best sequence comes from 10 windows of at most 100 x 103 pair fits, each with its own gain and offset.
7. What drift is left (a hand speeding up, a crumple): each symbol's best local shift is measured against
   the sequence read, a smooth warp fitted through them, and the symbols read again.

A read counts only when Code128's checksum and the Damm digit hold and two blur shapes agree on it: a
forward model always finds *some* best sequence, and on a strip that is no code, two checks alone pass
one try in a thousand.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from hardware.decode.interface import Image
from hardware.printer.code128 import PATTERNS, START_C, STOP_WITH_BAR, checksum

MODULES = 123  # START C (11), 8 digit pairs (88), the checksum symbol (11), STOP and its final bar (13)
# the printer's own table of the standard's patterns, as 0/1 modules
_PATTERNS = np.array([[int(bit) for bit in pattern] for pattern in PATTERNS[:103]], np.float32)
START = np.array([int(bit) for bit in PATTERNS[START_C]], np.float32)
STOP = np.array([int(bit) for bit in STOP_WITH_BAR], np.float32)
DATA_VALUES, CHECK_VALUES = 100, 103  # a digit pair is 00-99; the checksum symbol any value mod 103
PAD = 10  # quiet modules rendered either side
FIT_MODULE_PX = 2.5  # the profile resampled to this many px a module: finer costs time, not reads
QUIET_MODULES = 8.0  # a gap this wide (in modules) below DARK_LEVEL ends the code (a quiet zone is 10)
DARK_LEVEL = 0.2
ENVELOPE_MODULES = 20  # the window of the local lightest and darkest
END_SHIFTS = np.arange(-0.5, 2.01, 0.2)  # modules: where an end is looked for, from the extent's edge inward
END_WIDTHS = np.arange(0.76, 1.241, 0.03)  # times the module width the extent gives: a slant widens one end
ROUGH_BLURS = (("gaussian", 0.5, 0.0), ("box", 1.8, 0.0), ("box", 2.6, 0.0))  # the blurs the ends are first placed with
NUDGES = np.arange(-0.5, 0.51, 0.1)  # modules: each blur's ends looked for around the rough placing
KEPT_BLURS = 3  # blur shapes, best fitting first, read with
BULGES = (-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0)  # modules the middle is tried moved by, before reading
WARPS = 4  # times the warp is refitted after a read with no valid checksum
SHIFTS = np.arange(-0.6, 0.61, 0.1)  # modules: each symbol's local shift looked for
NEAR_MODULES = 4  # modules either side of a symbol whose blurred ink reaches its window (blurs to 3 modules)
AGREEING = 2  # blur shapes that must read the same code
EXTENT_MODULES = (95.0, 135.0)  # the code's dark stretch, in modules of the strip measured (123 and its blur)
ENDS_FIT = 0.6  # START's and STOP's residuals (each over its window's variance) summed, at most


def _table(grid: Image, density: Image) -> Callable[[Image], Image]:
    cumulative = np.cumsum(density)
    cumulative /= cumulative[-1]
    return lambda u: np.interp(u, grid, cumulative)  # type: ignore[no-any-return]


def _gaussian(sigma: float) -> Callable[[Image], Image]:
    grid = np.linspace(-6 * sigma, 6 * sigma, 1201)
    return _table(grid, np.exp(-0.5 * (grid / sigma) ** 2))


def _box(width: float, soft: float = 0.25) -> Callable[[Image], Image]:
    """A hand's straight smear across the bars (``width`` modules), its ends softened by the lens."""
    grid = np.linspace(-width / 2 - 5 * soft, width / 2 + 5 * soft, 1201)
    edge = np.vectorize(math.erf)
    scale = soft * math.sqrt(2)
    return _table(grid, edge((grid + width / 2) / scale) - edge((grid - width / 2) / scale))


def _disc(radius: float) -> Callable[[Image], Image]:
    """A lens out of focus: a disc of ``radius`` modules seen across the bars (its chords: a half ellipse)."""
    grid = np.linspace(-radius, radius, 1201)
    return _table(grid, np.sqrt(np.maximum(radius * radius - grid * grid, 0.0)))


def _leaning_box(width: float, lean: float, soft: float = 0.25) -> Callable[[Image], Image]:
    """A hand speeding up or slowing down across the bars: a smear heavier at one end, by ``1 + lean * t``
    from end (t = -1) to end (t = 1), as ``deblur.line_kernel``."""
    grid = np.linspace(-width / 2 - 5 * soft, width / 2 + 5 * soft, 1201)
    inside = np.abs(grid) <= width / 2
    density = np.where(inside, 1 + lean * grid / (width / 2), 0.0)
    step = grid[1] - grid[0]
    taps = np.exp(-0.5 * (np.arange(-5 * soft, 5 * soft + step, step) / soft) ** 2)
    return _table(grid, np.convolve(density, taps / taps.sum(), "same"))


# each blur as the cumulative share of a point's ink at a distance, in modules
BLURS: dict[tuple[str, float, float], Callable[[Image], Image]] = {
    **{("gaussian", sigma, 0.0): _gaussian(sigma) for sigma in (0.3, 0.5, 0.7, 0.9, 1.1)},
    **{("box", width, 0.0): _box(width) for width in (1.0, 1.4, 1.8, 2.2, 2.6, 3.0)},
    **{("disc", radius, 0.0): _disc(radius) for radius in (0.8, 1.1, 1.4, 1.7)},
    **{("box", width, lean): _leaning_box(width, lean) for width in (1.8, 2.4, 3.0) for lean in (-0.6, 0.6)},
}


@dataclass(frozen=True)
class Fit:
    """Where a code was read along the profile (px of the profile given) and what it reads."""

    digits: str
    start: float
    end: float


def darkness(profile: Image, module_px: float) -> Image:
    """0 paper, 1 ink, between the local lightest and darkest; flat paper stays 0."""
    levels = profile.astype(np.float32).reshape(1, -1)
    reach = max(3, int(module_px * ENVELOPE_MODULES)) | 1
    kernel = np.ones((1, reach), np.uint8)
    high = cv2.GaussianBlur(cv2.dilate(levels, kernel), (0, 0), module_px * 4)
    low = cv2.GaussianBlur(cv2.erode(levels, kernel), (0, 0), module_px * 4)
    span = float(np.percentile(levels, 97) - np.percentile(levels, 3))
    return ((high - levels) / np.maximum(high - low, max(0.4 * span, 8.0))).ravel()  # type: ignore[no-any-return]


def extent(dark: Image, module_px: float) -> tuple[int, int] | None:
    """The first and last inked px of the code: the dark stretch, between gaps of QUIET_MODULES, longest
    and nearest the middle (the strip was cut around the code)."""
    inked = np.flatnonzero(dark > DARK_LEVEL)
    if not inked.size:
        return None
    gaps = np.flatnonzero(np.diff(inked) > QUIET_MODULES * module_px)
    firsts, lasts = np.concatenate([[0], gaps + 1]), np.concatenate([gaps, [inked.size - 1]])
    middle = len(dark) / 2

    def merit(run: int) -> float:
        first, last = inked[firsts[run]], inked[lasts[run]]
        off_centre = max(0.0, abs((first + last) / 2 - middle) - len(dark) / 6)
        return float(last - first - 2 * off_centre)

    best = max(range(len(firsts)), key=merit)
    return int(inked[firsts[best]]), int(inked[lasts[best]]) + 1


def _left_over(centred: Image, sums: Image, squares: Image, products: Image) -> Image:
    """The squared error left after fitting renderings to a profile (``centred``: about its mean) each
    with its own gain (ink darker: a negative gain fits nothing) and offset, from each rendering's sum, sum
    of squares and product with ``centred``."""
    variance = squares - sums * sums / len(centred)
    explained = np.where(products > 0, products * products / np.maximum(variance, 1e-9), 0.0)
    return float(centred @ centred) - explained  # type: ignore[no-any-return]


def _residuals(renderings: Image, seen: Image) -> Image:
    """Per rendering (rows), what ``_left_over`` leaves."""
    centred = seen - seen.mean()
    return _left_over(
        centred, renderings.sum(axis=-1), np.einsum("...i,...i->...", renderings, renderings), renderings @ centred
    )


def _pair_residuals(lefts: Image, rights: Image, seen: Image) -> Image:
    """``_residuals`` of every sum of a row of ``lefts`` and a row of ``rights`` (a symbol's ink and its
    neighbour's), (left, right), without drawing the sums: their sums, squares and products with ``seen``
    follow from each row's own and one product of the two."""
    centred = seen - seen.mean()
    sums = lefts.sum(axis=1)[:, None] + rights.sum(axis=1)[None, :]
    squares = (lefts * lefts).sum(axis=1)[:, None] + (rights * rights).sum(axis=1)[None, :] + 2 * lefts @ rights.T
    products = (lefts @ centred)[:, None] + (rights @ centred)[None, :]
    return _left_over(centred, sums, squares, products)


def _coverage(xs: Image, bounds: Image, module_px: float | Image, blur: Callable[[Image], Image]) -> Image:
    """Each module's ink, blurred, at each px: (px, modules) for module boundaries ``bounds`` (px)."""
    reach = blur((xs[..., :, None] - bounds[..., None, :]) / module_px)
    return reach[..., :-1] - reach[..., 1:]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class _End:
    score: float  # residual over the window's variance: 0 a perfect fit, 1 none
    position: float  # px of the code's first module (left) or of its 124th boundary (right)
    module_px: float


def _end(
    dark: Image, xs: Image, positions: Image, widths: Image, blur: Callable[[Image], Image], left: bool
) -> _End | None:
    """START (``left``) or STOP fitted at each position and module width of the grid, on one window."""
    middle, width = float(np.median(positions)), float(np.median(widths))
    if left:
        bits, first_module = np.concatenate([np.zeros(8, np.float32), START]), -8
        low, high = middle - 6 * width, middle + 9.5 * width  # stops short of the first digit pair's blur
    else:
        bits, first_module = np.concatenate([STOP, np.zeros(8, np.float32)]), MODULES - 13
        low, high = middle + (MODULES - 10.5) * width, middle + (MODULES + 6) * width
    window = (xs >= low) & (xs <= high)
    if window.sum() < 10:
        return None
    grid_positions, grid_widths = (axis.ravel() for axis in np.meshgrid(positions, widths, indexing="ij"))
    modules = np.arange(first_module, first_module + len(bits) + 1)
    bounds = grid_positions[:, None] + grid_widths[:, None] * modules[None, :]
    ink = np.einsum("gpm,m->gp", _coverage(xs[window][None, :], bounds, grid_widths[:, None, None], blur), bits)
    seen = dark[window]
    scores = _residuals(ink, seen) / window.sum() / max(float(seen.var()), 1e-6)
    best = int(np.argmin(scores))
    return _End(float(scores[best]), float(grid_positions[best]), float(grid_widths[best]))


def _viterbi(
    dark: Image, xs: Image, bounds: Image, module_px: float, blur: Callable[[Image], Image]
) -> tuple[list[int], float]:
    """The nine unknown symbols (digit pairs, then the checksum symbol) that render ``dark`` best, for
    module boundaries ``bounds`` (px, PAD modules either side), and what is left unexplained."""
    costs = []
    for boundary in range(10):  # between symbol ``boundary`` (0: START) and the next (10: STOP)
        module = PAD + 11 * boundary
        low = bounds[PAD] - 4 * module_px if boundary == 0 else bounds[module + 5] + 0.5 * module_px
        high = bounds[module + 16] + 0.5 * module_px if boundary < 9 else bounds[PAD + MODULES] + 4 * module_px
        window = (xs >= low) & (xs < high)
        width = 22 if boundary < 9 else 24
        near = _coverage(xs[window], bounds[module : module + width + 1], module_px, blur).astype(np.float32)
        left = START[None] if boundary == 0 else _PATTERNS[: CHECK_VALUES if boundary == 9 else DATA_VALUES]
        right = STOP[None] if boundary == 9 else _PATTERNS[: CHECK_VALUES if boundary == 8 else DATA_VALUES]
        costs.append(_pair_residuals(left @ near[:, :11].T, right @ near[:, 11:].T, dark[window]))
    total, back = costs[0][0], []
    for cost in costs[1:]:
        paths = total[:, None] + cost
        back.append(np.argmin(paths, axis=0))
        total = paths.min(axis=0)
    symbols = [int(np.argmin(total))]  # STOP's row: one
    for pointers in reversed(back):
        symbols.append(int(pointers[symbols[-1]]))
    return symbols[::-1][:9], float(total.min())


def _shifts(
    dark: Image, xs: Image, bounds: Image, module_px: float, blur: Callable[[Image], Image], symbols: list[int]
) -> Image:
    """Each symbol's (START, the nine, STOP) best local shift, in modules, against the code read."""
    bits = np.concatenate([np.zeros(PAD), START, *(_PATTERNS[s] for s in symbols), STOP, np.zeros(PAD)])
    found = []
    for index in range(11):
        first, last = PAD + 11 * index, PAD + 11 * index + (13 if index == 10 else 11)
        window = (xs >= bounds[first] - module_px) & (xs < bounds[last] + module_px)
        near = slice(first - NEAR_MODULES, last + NEAR_MODULES + 1)  # the modules whose blur reaches it
        moved = np.repeat(bounds[None, near], len(SHIFTS), axis=0)
        moved[:, NEAR_MODULES : NEAR_MODULES + last - first + 1] += SHIFTS[:, None] * module_px
        ink = _coverage(xs[window][None, :], moved, module_px, blur) @ bits[first - NEAR_MODULES : last + NEAR_MODULES]
        found.append(SHIFTS[int(np.argmin(_residuals(ink, dark[window])))])
    return np.array(found)


def checksum_holds(symbols: list[int]) -> bool:
    """Code128's checksum over START C and the eight digit pairs."""
    return checksum([START_C, *symbols[:8]]) == symbols[8]


def _spaced(start: _End, stop: _End) -> tuple[Image, float]:
    """Module boundaries (PAD either side) from the first module to the last, their width changing
    evenly from the START's to the STOP's (a code seen at a slant: the nearer end's modules are wider),
    and the mean module width."""
    begins, ends = start.position, stop.position + MODULES * stop.module_px
    mean = (ends - begins) / MODULES
    growth = (stop.module_px - start.module_px) / (2 * MODULES)  # px a module, per module along
    along = np.arange(-PAD, MODULES + PAD + 1, dtype=np.float64)
    return begins + (mean - MODULES * growth) * along + growth * along * along, mean


def _bulged(dark: Image, xs: Image, bounds: Image, module_px: float, blur: Callable[[Image], Image]) -> Image:
    """``bounds`` with the middle moved by the BULGES share of a module that reads with least left over: a
    receipt curled or seen at a slant draws its middle modules a little away from where the two ends put
    them, and half a module is enough to read every symbol wrong."""
    along = np.arange(-PAD, MODULES + PAD + 1) / MODULES
    shape = module_px * 4 * along * (1 - along)  # 0 at both ends, a module at the middle
    moved = [bounds + bulge * shape for bulge in BULGES]
    return min(moved, key=lambda candidate: _viterbi(dark, xs, candidate, module_px, blur)[1])


def _read(dark: Image, xs: Image, bounds: Image, module_px: float, blur: Callable[[Image], Image]) -> str | None:
    """The digits read from ``bounds`` whose checksum holds, else read again after fitting a smooth warp
    through each symbol's best local shift (up to WARPS times); None if it never holds."""
    middles = np.array([11 * index + 5.5 for index in range(10)] + [116.5])
    for attempt in range(WARPS + 1):
        symbols, _ = _viterbi(dark, xs, bounds, module_px, blur)
        if checksum_holds(symbols):
            return "".join(f"{value:02d}" for value in symbols[:8])
        if attempt < WARPS:
            warp = np.polyfit(middles, _shifts(dark, xs, bounds, module_px, blur, symbols), 2)
            bounds = bounds + module_px * np.polyval(warp, np.arange(-PAD, MODULES + PAD + 1))
    return None


def _placed(dark: Image, xs: Image, span: tuple[int, int]) -> tuple[bool, _End, _End] | None:
    """Which way round the code lies (reversed: STOP on the left) and its two ends, placed with the rough
    blurs: the way whose START and STOP fit better, if they fit at all (ENDS_FIT)."""
    best: tuple[float, bool, _End, _End] | None = None
    for reverse in (False, True):
        seen = dark[::-1] if reverse else dark
        first, last = (len(dark) - span[1], len(dark) - span[0]) if reverse else span
        width = (last - first) / MODULES
        widths = np.array(END_WIDTHS) * width
        for rough in ROUGH_BLURS:
            start = _end(seen, xs, first + END_SHIFTS * width, widths, BLURS[rough], left=True)
            stop = _end(seen, xs, last - (MODULES + END_SHIFTS) * width, widths, BLURS[rough], left=False)
            if start and stop and (best is None or start.score + stop.score < best[0]):
                best = (start.score + stop.score, reverse, start, stop)
    if best is None or best[0] > ENDS_FIT:
        return None
    return best[1], best[2], best[3]


def fit(profile: Image, module_px: float, valid: Callable[[str], bool]) -> Fit | None:
    """The code the profile across the bars (``module_px`` px a module, roughly) shows, read by fitting,
    when ``valid`` holds for the digits read (the Damm digit) under AGREEING blur shapes."""
    shrink = min(1.0, FIT_MODULE_PX / max(module_px, 1e-3))
    if shrink < 1.0:
        profile = cv2.resize(
            profile.astype(np.float32).reshape(1, -1), None, fx=shrink, fy=1, interpolation=cv2.INTER_AREA
        ).ravel()
    module_px *= shrink
    dark = darkness(profile, module_px)
    xs = np.arange(len(dark), dtype=np.float32) + 0.5
    span = extent(dark, module_px)
    # a stretch far shorter or longer than the strip measured is text, a rule or a label, not this code
    if span is None or not EXTENT_MODULES[0] <= (span[1] - span[0]) / module_px <= EXTENT_MODULES[1]:
        return None
    placed = _placed(dark, xs, span)
    if placed is None:
        return None
    reverse, start, stop = placed
    seen = np.ascontiguousarray(dark[::-1]) if reverse else dark
    nudges = NUDGES * start.module_px
    tried: list[tuple[float, Callable[[Image], Image], _End, _End]] = []
    for blur in BLURS.values():
        start_fit = _end(seen, xs, start.position + nudges, np.array([start.module_px]), blur, left=True)
        stop_fit = _end(seen, xs, stop.position + nudges, np.array([stop.module_px]), blur, left=False)
        if start_fit and stop_fit:
            tried.append((start_fit.score + stop_fit.score, blur, start_fit, stop_fit))
    tried.sort(key=lambda t: t[0])
    if not tried:
        return None
    _, blur, start_fit, stop_fit = tried[0]
    bounds, module_px = _spaced(start_fit, stop_fit)
    bulge = _bulged(seen, xs, bounds, module_px, blur) - bounds  # measured once, with the likeliest blur
    agreeing: dict[str, int] = {}
    for _, blur, start_fit, stop_fit in tried[:KEPT_BLURS]:
        bounds, module_px = _spaced(start_fit, stop_fit)
        digits = _read(seen, xs, bounds + bulge, module_px, blur)
        if digits is None or not valid(digits):
            continue
        agreeing[digits] = agreeing.get(digits, 0) + 1
        if agreeing[digits] >= AGREEING:
            begins, ends = float(bounds[PAD]), float(bounds[PAD + MODULES])
            if reverse:
                begins, ends = len(dark) - ends, len(dark) - begins
            return Fit(digits, begins / shrink, ends / shrink)
    return None
