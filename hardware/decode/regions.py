"""Where in a frame a code is likely, and which kind: a cheap look at the whole frame so that the costly
passes run only where a symbol probably is.

The local structure tensor (the averaged outer product of the gradient) tells texture apart: a 1-D
barcode is strong *and* coherent (every edge points the same way, across the bars), a QR code is strong
in both directions, a plain desk or paper is weak. Coherent clusters become ``linear`` candidates with
the direction across their bars and their extent, so the 1-D reader can turn them upright and read
along the bars; the others are boxes for the 2-D passes. Energy is measured at (nearly) full
resolution and only then averaged into cells, so thin bars in a 4K frame still count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from hardware.decode.interface import Image

CELL_PX, CELL_GRID_PX = 4, 2000  # structure-tensor cells: 4 px, larger in frames over 2000 px
LINEAR_COHERENCE = 0.55  # above this a cell's edges all point one way: bars
MAX_LINEAR, MAX_AREAL = 2, 3
MAX_CLUSTERS = 8  # the largest clusters looked at closer, per kind
NOISE_STEP, NOISE_PX = 2, 1280  # sensor noise measured on every 2nd pixel or sparser, ~640-1280 px across
SECTORS = 6  # bar directions looked for separately
Box = tuple[int, int, int, int]  # x, y, w, h in frame coordinates


@dataclass(frozen=True)
class Candidate:
    box: Box  # axis-aligned, with a margin, in frame coordinates
    linear: bool  # a 1-D barcode: bars all one way
    angle: float  # degrees, the direction across the bars (linear candidates), image axes
    centre: tuple[float, float]  # frame coordinates
    length: float  # frame px across the bars (the code's length), linear candidates
    height: float  # frame px along the bars
    score: float  # texture energy held, for ranking


def _tensor_cells(grey: Image) -> tuple[Image, Image, Image, float]:
    """Per cell: energy, coherence, gradient angle (radians); and frame px per cell."""
    work, scale = grey, 1.0  # full resolution: a 4K frame's 1.5 px bars vanish from any smaller copy
    cell_px = max(CELL_PX, round(CELL_PX * max(grey.shape) / CELL_GRID_PX))
    dx, dy = cv2.spatialGradient(work)  # both 3x3 Sobel derivatives in one pass, 16-bit
    cells = (max(1, work.shape[1] // cell_px), max(1, work.shape[0] // cell_px))
    # averaged over ~20 px: a barcode's widest space (4 modules) must not split it in two
    window = (max(3, round(20 / cell_px)) | 1,) * 2

    def averaged(a: Image, b: Image) -> Image:  # products of 16-bit derivatives are exact in float32
        product = cv2.multiply(a, b, dtype=cv2.CV_32F)
        return cv2.blur(cv2.resize(product, cells, interpolation=cv2.INTER_AREA), window)  # type: ignore[no-any-return]

    jxx, jyy, jxy = averaged(dx, dx), averaged(dy, dy), averaged(dx, dy)
    energy = jxx + jyy
    coherence = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / np.maximum(energy, 1e-6)
    angle = 0.5 * np.arctan2(2 * jxy, jxx - jyy)
    return energy, coherence, angle, cell_px / scale


def _strong(energy: Image) -> Image:
    """Cells with edge energy well above the frame's typical texture (Otsu on the log energy, and at
    least 4x the median: a frame of plain desk has no strong cells)."""
    level = np.log1p(energy)
    top = float(level.max())
    if top <= 0:
        return np.zeros(energy.shape, np.uint8)
    scaled = (level * (255 / top)).astype(np.uint8)
    otsu, _ = cv2.threshold(scaled, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    floor = np.log1p(4 * float(np.median(energy))) * 255 / top
    strong: Image = (scaled > max(otsu, floor)).astype(np.uint8)
    return strong


def _components(mask: Image, min_cells: int) -> list[tuple[Image, Image]]:
    """The (rows, columns) of each connected cluster of at least ``min_cells`` cells (noisy frames have
    hundreds of specks: they are dropped before any per-cluster work)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    found = []
    largest = sorted(range(1, count), key=lambda i: -int(stats[i][4]))[:MAX_CLUSTERS]
    for index in largest:
        x, y, w, h, area = (int(v) for v in stats[index])
        if area >= min_cells:
            ys, xs = np.nonzero(labels[y : y + h, x : x + w] == index)
            found.append((ys + y, xs + x))
    return found


def _direction(weights: Image, angles: Image) -> float:
    doubled = 2 * angles
    return 0.5 * math.atan2(float((weights * np.sin(doubled)).sum()), float((weights * np.cos(doubled)).sum()))


def _linear_candidate(
    cells: tuple[Image, Image], energy: Image, angle: Image, cell: float, shape: tuple[int, int]
) -> Candidate:
    """The strip's direction (energy-weighted, from the cells that agree with the majority: digits or a
    rule line beside the bars do not pull it) and its extent across and along the bars."""
    ys, xs = cells
    weights, angles = energy[ys, xs], angle[ys, xs]
    bins = np.bincount(((angles % math.pi) / math.pi * 36).astype(int) % 36, weights, minlength=36)
    smoothed = bins + np.roll(bins, 1) + np.roll(bins, -1)
    direction = (int(np.argmax(smoothed)) + 0.5) * math.pi / 36  # the strongest direction, to within 5°
    agree = np.abs(((angles - direction) + math.pi / 2) % math.pi - math.pi / 2) < math.radians(12)
    ys, xs, weights = ys[agree], xs[agree], weights[agree]
    direction = _direction(weights, angles[agree])
    px, py = (xs + 0.5) * cell, (ys + 0.5) * cell
    across = px * math.cos(direction) + py * math.sin(direction)
    along = -px * math.sin(direction) + py * math.cos(direction)
    (a0, a1), (b0, b1) = np.percentile(np.stack([across, along]), (1, 99), axis=1).T + np.array([-cell, cell])
    mid_a, mid_b = (a0 + a1) / 2, (b0 + b1) / 2
    centre = (
        mid_a * math.cos(direction) - mid_b * math.sin(direction),
        mid_a * math.sin(direction) + mid_b * math.cos(direction),
    )
    length, height = a1 - a0, b1 - b0
    reach = math.hypot(length * 0.65, height * 0.6)
    box = clipped(centre[0] - reach, centre[1] - reach, centre[0] + reach, centre[1] + reach, shape)
    return Candidate(box, True, math.degrees(direction) % 180, centre, length, height, float(weights.sum()))


def clipped(x0: float, y0: float, x1: float, y1: float, shape: tuple[int, ...]) -> Box:
    """The box from (x0, y0) to (x1, y1), inside a frame of ``shape`` (height, width)."""
    height, width = shape[:2]
    left, top = max(0, int(x0)), max(0, int(y0))
    return left, top, min(width, int(x1)) - left, min(height, int(y1)) - top


def _boxes(mask: Image, energy: Image, cell: float, shape: tuple[int, int], margin: float) -> list[Candidate]:
    found = []
    closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    for ys, xs in _components(closed, 9):
        x0, x1, y0, y1 = xs.min() * cell, (xs.max() + 1) * cell, ys.min() * cell, (ys.max() + 1) * cell
        margin_x, margin_y = (x1 - x0) * margin + cell, (y1 - y0) * margin + cell
        box = clipped(x0 - margin_x, y0 - margin_y, x1 + margin_x, y1 + margin_y, shape)
        score = float(energy[ys, xs].mean()) * math.sqrt(float(len(ys)))
        found.append(Candidate(box, False, 0.0, ((x0 + x1) / 2, (y0 + y1) / 2), 0.0, 0.0, score))
    return sorted(found, key=lambda c: -c.score)


def _areal(strong: Image, energy: Image, cell: float, shape: tuple[int, int]) -> list[Candidate]:
    """Dense clusters first: edge magnitude averaged over a few cells and split by Otsu on its linear
    scale, which keeps only the densest texture (symbols rather than text); then the strong clusters
    they lie in (a faint or blurred symbol may not stand out from the text around it)."""
    magnitude = cv2.blur(np.sqrt(energy), (3, 3))
    top = float(magnitude.max())
    cores: list[Candidate] = []
    if top > 0:
        scaled = (magnitude * (255 / top)).astype(np.uint8)
        _, dense = cv2.threshold(scaled, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        dense = cv2.morphologyEx(dense & strong, cv2.MORPH_CLOSE, np.ones((3, 5), np.uint8))
        dense = cv2.dilate(cv2.erode(dense, np.ones((2, 2), np.uint8)), np.ones((3, 3), np.uint8))
        cores = _boxes(dense, energy, cell, shape, 0.25)
    wide = _boxes(strong, energy, cell, shape, 0.15)

    def same(a: Box, b: Box) -> bool:
        return abs(a[2] * a[3] - b[2] * b[3]) < 0.3 * max(a[2] * a[3], 1) and abs(a[0] - b[0]) < a[2] * 0.2

    return cores[:2] + [w for w in wide if not any(same(w.box, c.box) for c in cores[:2])]


def _sector_table(sector: int) -> Image:
    """Per half degree of bar direction: whether it lies within 30° of ``sector``'s middle."""
    middle = (sector + 0.5) * 180 / SECTORS
    turn = np.abs((np.arange(360) / 2 - middle + 90) % 180 - 90)
    return (turn < 180 / SECTORS).astype(np.uint8)


_SECTOR_TABLES = [_sector_table(sector) for sector in range(SECTORS)]


def find_candidates(grey: Image) -> list[Candidate]:
    """Linear (1-D) candidates first, strongest first, then areal ones (QR codes and anything else
    dense with edges), each list capped."""
    energy, coherence, angle, cell = _tensor_cells(grey)
    strong = _strong(energy)
    coherent = strong & (coherence > LINEAR_COHERENCE).astype(np.uint8)
    found: list[Candidate] = []
    # each cell's bar direction in half degrees, so a sector is a table lookup, not trigonometry
    half_degrees = np.rint((angle % math.pi) * (360 / math.pi)).astype(np.int32) % 360
    for sector in range(SECTORS):  # 30° wide, overlapping: bars apart from text smeared another way
        in_sector: Image = coherent & _SECTOR_TABLES[sector][half_degrees]
        # opening drops thin coherent lines (paper edges, rules); closing joins a strip's cells
        opened = cv2.morphologyEx(in_sector, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        for cells in _components(cv2.morphologyEx(opened, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)), 12):
            strip = _linear_candidate(cells, energy, angle, cell, grey.shape)
            if strip.length > 1.5 * strip.height:  # bars make a strip along the code (4.6:1 for ours)
                found.append(strip)
    linear: list[Candidate] = []
    for strip in sorted(found, key=lambda c: -c.score):  # a strip seen from two sectors counts once
        if not any(_same_strip(strip, kept) for kept in linear):
            linear.append(strip)
    areal = _areal(strong, energy, cell, grey.shape)
    return linear[:MAX_LINEAR] + areal[:MAX_AREAL]


def _same_strip(a: Candidate, b: Candidate) -> bool:
    apart = math.hypot(a.centre[0] - b.centre[0], a.centre[1] - b.centre[1])
    turn = abs((a.angle - b.angle + 90) % 180 - 90)
    return apart < 0.5 * max(a.length, b.length) and turn < 15


# zero on any plane and on any linear ramp: what it leaves of a smooth scene is the sensor's noise, and its
# response to white noise of sigma s has a sigma of 6 s (the square root of the sum of its squared weights)
_NOISE_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
_MEDIAN_TO_SIGMA = 1 / (0.6745 * 6)  # a Gaussian's median absolute value is 0.6745 sigma


def sensor_noise(grey: Image) -> float:
    """The frame's noise, grey levels: Immerkaer's kernel blind to planes, the **median** of its absolute
    response (paper and desk are most of a frame; the mean would count every edge of crisp print as
    noise), scaled to a Gaussian's sigma. Measured on every second pixel or sparser: a camera spreads its
    noise over neighbouring pixels (demosaicing, its own smoothing), and at that spacing dim light's
    gain stands well apart (dim frames of the looked-at sets 3.5 and up, every other condition at most 2.2)."""
    step = max(NOISE_STEP, -(-max(grey.shape) // NOISE_PX))
    response = cv2.filter2D(np.ascontiguousarray(grey[::step, ::step]), cv2.CV_16S, _NOISE_KERNEL)
    magnitude = cv2.convertScaleAbs(response[1:-1, 1:-1])  # saturates at 255, far above any median here
    counts = np.cumsum(np.bincount(magnitude.ravel(), minlength=256))
    return int(np.searchsorted(counts, magnitude.size / 2)) * _MEDIAN_TO_SIGMA


def same_place(a: Candidate, b: Candidate) -> bool:
    """Whether two candidates of one kind are the same: ``a``'s centre lies in ``b``'s box."""
    return a.linear == b.linear and holds(b.box, ((round(a.centre[0]), round(a.centre[1])),))


def holds(box: Box, points: tuple[tuple[int, int], ...]) -> bool:
    """Whether ``box`` holds the middle of the symbol outlined by ``points``: a region holding a symbol
    already read (a URL QR, a receipt whose code fails its check digit) is explained, nothing more to
    find there."""
    x, y, w, h = box
    cx, cy = sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)
    return x <= cx < x + w and y <= cy < y + h
