"""A QR code with one finder pattern covered (a thumb on its corner, a fold, a torn edge) read again with
that finder drawn back in.

A QR decoder needs all three finder patterns to find the symbol at all; the data modules under a thumb
are then restored by the code's error correction, but a missing finder is not. The finder is the same
known pattern in every QR code (7x7 modules: dark ring, light ring, dark 3x3 core), and two visible
finders fix where the third must be: the symbol is square, so the third lies as many modules from one
of them, along the other side. Each visible finder's outline (a quadrilateral) gives the module's two
edge vectors, perspective and shear included, so the pattern is drawn with the symbol's own geometry.
Every guess is only a guess: a wrong one yields nothing, a right one a code whose error correction and
check digit (``first_valid``) still have to hold.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from hardware.decode.engines import Symbol, first_valid, zxing
from hardware.decode.interface import Image

MAX_FINDERS = 6  # the largest finder-like marks looked at (CJK text has some: 回)
MAX_GUESSES = 12  # drawn and decoded, per region
FINDER = np.pad(np.pad(np.zeros((3, 3), np.uint8), 1, constant_values=255), 1, constant_values=0)
# grey levels below the local mean that count as dark: print, then faded print (a ring a few levels from
# the paper; at 10 its outline shrinks and the drawn finder misses the modules, or it is not seen at all)
OFFSETS = (10, 5)
PAINT_PX = 8  # pixels per module of the drawn pattern before it is warped into place


@dataclass(frozen=True)
class Finder:
    centre: Image  # (x, y) of its core
    across: Image  # one module along one side of its outline, px (x, y)
    down: Image  # one module along the other side


def find(image: Image, offset: float = OFFSETS[0]) -> list[Finder]:
    """Finder-like marks: a dark outline holding a light one holding a dark core (contour nesting),
    about 49:9 in area, four-sided, convex, its sides within 2:1. Dark is ``offset`` grey levels below
    the local mean."""
    binary = cv2.adaptiveThreshold(image, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 51, offset)
    contours, hierarchy = cv2.findContours(binary, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    marks: list[tuple[float, Finder]] = []
    for contour, core in _nested(contours, hierarchy[0]):
        mark = _finder(contour, core)
        if mark is not None and not any(
            float(np.hypot(*(mark.centre - f.centre))) < 3 * _module(mark) for _, f in marks
        ):
            marks.append((cv2.contourArea(contour), mark))
    return [f for _, f in sorted(marks, key=lambda m: -m[0])[:MAX_FINDERS]]


def _nested(contours: Sequence[Image], nesting: Image) -> list[tuple[Image, Image]]:
    """Each contour holding one that holds another (a ring, a ring, a core), with its core."""
    found = []
    for index, contour in enumerate(contours):
        child = nesting[index][2]
        core = nesting[child][2] if child >= 0 else -1
        if core >= 0:
            found.append((contour, contours[core]))
    return found


def _module(mark: Finder) -> float:
    return float(np.hypot(*mark.across))


def _finder(contour: Image, core: Image) -> Finder | None:
    """The mark ``contour`` and its ``core`` make, if they are shaped like a finder pattern."""
    outer, inner = cv2.contourArea(contour), cv2.contourArea(core)
    if outer < 30 or inner <= 0 or not 2.5 < outer / inner < 10:
        return None
    corners = cv2.approxPolyDP(contour, 0.08 * cv2.arcLength(contour, True), True).reshape(-1, 2)
    if len(corners) != 4 or not cv2.isContourConvex(corners):
        return None
    corners = corners.astype(np.float32)
    across, down = (corners[1] - corners[0]) / 7, (corners[2] - corners[1]) / 7
    sides = float(np.hypot(*across)), float(np.hypot(*down))
    moments = cv2.moments(core)
    if min(sides) < 1 or max(sides) > 2 * min(sides) or moments["m00"] == 0:
        return None
    centre = np.array([moments["m10"] / moments["m00"], moments["m01"] / moments["m00"]], np.float32)
    return Finder(centre, across, down)


def _aligned(vector: Image, other: Finder) -> Image:
    """``other``'s side vector that points most nearly the way ``vector`` does."""
    sides = (other.across, other.down, -other.across, -other.down)
    return max(sides, key=lambda side: float(side @ vector))


def _modules_apart(count: float) -> float:
    """Finder centres of a QR code are 4 x version + 10 modules apart (versions 1-10)."""
    return float(min(range(14, 51, 4), key=lambda n: abs(n - abs(count))) * np.sign(count))


def third_finder_guesses(a: Finder, b: Finder) -> list[Image]:
    """Where the third finder may be, given two: ``b - a`` in modules along the two finders' mean sides
    says whether they share a side (one count near zero) or sit on the diagonal (both counts alike).
    Each count is tried as measured and rounded to what a QR version allows: in perspective the far
    side's modules are not the size of the near finder's."""
    across = (a.across + _aligned(a.across, b)) / 2
    down = (a.down + _aligned(a.down, b)) / 2
    along_across, along_down = np.linalg.solve(np.stack([across, down], axis=1), b.centre - a.centre)
    if abs(abs(along_across) - abs(along_down)) < 0.25 * max(abs(along_across), abs(along_down)):
        return [
            a.centre + count * side
            for raw, side in ((along_across, across), (along_down, down))
            for count in dict.fromkeys((float(raw), _modules_apart(raw)))
        ]
    raw, other = (along_across, down) if abs(along_across) > abs(along_down) else (along_down, across)
    return [
        start + sign * count * other
        for count in dict.fromkeys((float(raw), _modules_apart(raw)))
        for sign in (1, -1)
        for start in (a.centre, b.centre)
    ]


def drawn_in(image: Image, centre: Image, like: Finder, levels: tuple[float, float]) -> Image:
    """``image`` with a finder pattern (and its light separator) drawn at ``centre`` with ``like``'s
    module vectors, in the image's own darkest and lightest grey (``levels``). Only the pattern's own
    box is warped: a guess must stay cheap."""
    pattern = cv2.resize(
        np.pad(FINDER, 1, constant_values=255), None, fx=PAINT_PX, fy=PAINT_PX, interpolation=cv2.INTER_NEAREST
    )
    reach = 5 * (np.abs(like.across) + np.abs(like.down))  # half the drawn pattern's box, and a little
    low = np.maximum(centre - reach, 0).astype(int)
    high = np.minimum(centre + reach, (image.shape[1], image.shape[0])).astype(int)
    if (high <= low).any():
        return image
    matrix = np.zeros((2, 3), np.float32)
    matrix[:, 0], matrix[:, 1] = like.across / PAINT_PX, like.down / PAINT_PX
    matrix[:, 2] = centre - low - matrix[:, :2] @ np.full(2, 4.5 * PAINT_PX, np.float32)
    size = (int(high[0] - low[0]), int(high[1] - low[1]))
    drawn = cv2.warpAffine(pattern, matrix, size, flags=cv2.INTER_LINEAR, borderValue=0)
    inside = cv2.warpAffine(np.full_like(pattern, 255), matrix, size, flags=cv2.INTER_NEAREST, borderValue=0) > 0
    dark, light = levels
    repaired = image.copy()
    window = repaired[low[1] : high[1], low[0] : high[0]]
    window[inside] = (dark + drawn[inside].astype(np.float32) / 255 * (light - dark)).astype(np.uint8)
    return repaired


def read_with_third_finder(image: Image) -> list[Symbol]:
    """The QR read with a missing finder drawn back in, from the finder-like marks seen at each of
    ``OFFSETS`` in turn."""
    levels = tuple(float(level) for level in np.percentile(image, (3, 97)))
    for offset in OFFSETS:
        symbols = _read_with_marks(image, find(image, offset), (levels[0], levels[1]))
        if symbols:
            return symbols
    return []


def _read_with_marks(image: Image, marks: list[Finder], levels: tuple[float, float]) -> list[Symbol]:
    """Each pair of ``marks`` of a size and at a distance that fit one symbol (versions 1-10: 14 to 50
    modules apart), the third finder drawn where it may be, at most ``MAX_GUESSES`` times."""
    guesses = 0
    for a, b in itertools.combinations(marks, 2):
        module_a, module_b = _module(a), _module(b)
        apart = float(np.hypot(*(a.centre - b.centre)))
        if not 0.6 < module_a / module_b < 1.6 or not 13 * module_a < apart < 60 * module_a:
            continue
        for centre in third_finder_guesses(a, b):
            if not (0 <= centre[0] < image.shape[1] and 0 <= centre[1] < image.shape[0]):
                continue  # off the picture: nothing to draw it on
            if guesses == MAX_GUESSES:
                return []
            guesses += 1
            symbols = _read_around(drawn_in(image, centre, a, levels), (a.centre, b.centre, centre), module_a)
            if first_valid(symbols):
                return symbols
    return []


def _read_around(image: Image, centres: tuple[Image, ...], module: float) -> list[Symbol]:
    """zxing-cpp on the symbol the three finder centres span (with its quiet zone), not the whole
    region: a guess costs a few milliseconds, not twenty. Points come back in ``image`` coordinates."""
    corners = np.array(centres)
    low = np.maximum(corners.min(axis=0) - 12 * module, 0).astype(int)
    high = np.minimum(corners.max(axis=0) + 12 * module, (image.shape[1], image.shape[0])).astype(int)
    symbols = zxing(image[low[1] : high[1], low[0] : high[0]], downscale=False)
    return [s.shifted(int(low[0]), int(low[1])) for s in symbols]
