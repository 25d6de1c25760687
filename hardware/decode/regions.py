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

MAX_WORK_PX = 2000  # gradients are taken at this size at most (a 4K frame: about half)
CELL_PX = 4  # structure-tensor cells, in work pixels
LINEAR_COHERENCE = 0.55  # above this a cell's edges all point one way: bars
MAX_LINEAR, MAX_AREAL = 2, 3
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
    height, width = grey.shape
    scale = min(1.0, MAX_WORK_PX / max(height, width))
    work = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else grey
    gx = cv2.Sobel(work, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(work, cv2.CV_32F, 0, 1, ksize=3)
    cells = (max(1, work.shape[1] // CELL_PX), max(1, work.shape[0] // CELL_PX))
    jxx = cv2.resize(gx * gx, cells, interpolation=cv2.INTER_AREA)
    jyy = cv2.resize(gy * gy, cells, interpolation=cv2.INTER_AREA)
    jxy = cv2.resize(gx * gy, cells, interpolation=cv2.INTER_AREA)
    energy = jxx + jyy
    coherence = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / np.maximum(energy, 1e-6)
    angle = 0.5 * np.arctan2(2 * jxy, jxx - jyy)
    return energy, coherence, angle, CELL_PX / scale


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
    return (scaled > max(otsu, floor)).astype(np.uint8)


def _components(mask: Image) -> list[Image]:
    count, labels = cv2.connectedComponents(mask, connectivity=8)
    return [labels == index for index in range(1, count)]


def _direction(weights: Image, angles: Image) -> float:
    doubled = 2 * angles
    return 0.5 * math.atan2(float((weights * np.sin(doubled)).sum()), float((weights * np.cos(doubled)).sum()))


def _linear_candidate(part: Image, energy: Image, angle: Image, cell: float, shape: tuple[int, int]) -> Candidate:
    """The strip's direction (energy-weighted, from the cells that agree with the majority: digits or a
    rule line beside the bars do not pull it) and its extent across and along the bars."""
    bins = np.bincount(((angle[part] % math.pi) / math.pi * 36).astype(int) % 36, energy[part], minlength=36)
    smoothed = bins + np.roll(bins, 1) + np.roll(bins, -1)
    direction = (int(np.argmax(smoothed)) + 0.5) * math.pi / 36  # the strongest direction, to within 5°
    turn = np.abs(((angle - direction) + math.pi / 2) % math.pi - math.pi / 2)
    part = part & (turn < math.radians(12))
    direction = _direction(energy[part], angle[part])
    weights = energy[part]
    ys, xs = np.nonzero(part)
    px, py = (xs + 0.5) * cell, (ys + 0.5) * cell
    across = px * math.cos(direction) + py * math.sin(direction)
    along = -px * math.sin(direction) + py * math.cos(direction)
    a0, a1 = np.percentile(across, 1) - cell, np.percentile(across, 99) + cell
    b0, b1 = np.percentile(along, 1) - cell, np.percentile(along, 99) + cell
    mid_a, mid_b = (a0 + a1) / 2, (b0 + b1) / 2
    centre = (mid_a * math.cos(direction) - mid_b * math.sin(direction),
              mid_a * math.sin(direction) + mid_b * math.cos(direction))  # fmt: skip
    length, height = a1 - a0, b1 - b0
    reach = math.hypot(length * 0.65, height * 0.6)
    box = _clipped(centre[0] - reach, centre[1] - reach, centre[0] + reach, centre[1] + reach, shape)
    return Candidate(box, True, math.degrees(direction) % 180, centre, length, height, float(weights.sum()))


def _clipped(x0: float, y0: float, x1: float, y1: float, shape: tuple[int, int]) -> Box:
    height, width = shape
    left, top = max(0, int(x0)), max(0, int(y0))
    return left, top, min(width, int(x1)) - left, min(height, int(y1)) - top


def find_candidates(grey: Image) -> list[Candidate]:
    """Linear (1-D) candidates first, strongest first, then areal ones (QR codes and anything else
    dense with edges), each list capped."""
    energy, coherence, angle, cell = _tensor_cells(grey)
    strong = _strong(energy)
    coherent = strong & (coherence > LINEAR_COHERENCE).astype(np.uint8)
    # opening drops thin coherent lines (paper edges, rules); closing joins a strip's cells
    coherent = cv2.morphologyEx(coherent, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    coherent = cv2.morphologyEx(coherent, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    linear = []
    for part in _components(coherent):
        if part.sum() < 12:
            continue
        found = _linear_candidate(part, energy, angle, cell, grey.shape)
        if found.length > 2.5 * found.height or found.length > 40:  # bars make a strip, not a speck
            linear.append(found)
    areal = []
    closed = cv2.morphologyEx(strong, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    for part in _components(closed):
        if part.sum() < 9:
            continue
        ys, xs = np.nonzero(part)
        x0, x1, y0, y1 = xs.min() * cell, (xs.max() + 1) * cell, ys.min() * cell, (ys.max() + 1) * cell
        margin_x, margin_y = (x1 - x0) * 0.15 + cell, (y1 - y0) * 0.15 + cell
        box = _clipped(x0 - margin_x, y0 - margin_y, x1 + margin_x, y1 + margin_y, grey.shape)
        density = float(energy[part].mean())
        score = density * math.sqrt(float(part.sum()))
        areal.append(Candidate(box, False, 0.0, ((x0 + x1) / 2, (y0 + y1) / 2), 0.0, 0.0, score))
    linear.sort(key=lambda c: -c.score)
    areal.sort(key=lambda c: -c.score)
    return linear[:MAX_LINEAR] + areal[:MAX_AREAL]


def covered(box: Box, points: tuple[tuple[int, int], ...], share: float = 0.35) -> bool:
    """Whether the symbol outlined by ``points`` fills at least ``share`` of ``box``: a region whose
    texture is a symbol already read (a product QR) holds nothing more to find."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x, y, w, h = box
    overlap_w = max(0, min(x + w, max(xs)) - max(x, min(xs)))
    overlap_h = max(0, min(y + h, max(ys)) - max(y, min(ys)))
    return overlap_w * overlap_h >= share * w * h
