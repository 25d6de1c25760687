"""Where in a frame a code is likely: barcodes and QR codes are dense clusters of strong edges."""

from __future__ import annotations

import cv2
import numpy as np

from hardware.decode.interface import Image

MAX_REGIONS = 3
Box = tuple[int, int, int, int]  # x, y, w, h in frame coordinates


def candidate_regions(grey: Image, limit: int = MAX_REGIONS) -> list[Box]:
    """Boxes (x, y, w, h) where barcode-like texture is, largest first, each with a margin."""
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


def covered(box: Box, points: tuple[tuple[int, int], ...], share: float = 0.35) -> bool:
    """Whether the symbol outlined by ``points`` fills at least ``share`` of ``box``: a region whose
    texture is a symbol already read (a product QR) holds nothing more to find."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x, y, w, h = box
    overlap_w = max(0, min(x + w, max(xs)) - max(x, min(xs)))
    overlap_h = max(0, min(y + h, max(ys)) - max(y, min(ys)))
    return overlap_w * overlap_h >= share * w * h


def skew_degrees(grey: Image) -> float:
    """How far the region's strokes (bars, text, receipt edges) are turned from the image axes, in
    (-45, 45]: the angle of the strongest edges, averaged modulo 90° (quadrupled-angle mean)."""
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    magnitude, angle = cv2.cartToPolar(gx, gy)
    weight = magnitude * magnitude
    total = float(weight.sum())
    if total == 0:
        return 0.0
    quadrupled = 4 * angle
    x = float((weight * np.cos(quadrupled)).sum())
    y = float((weight * np.sin(quadrupled)).sum())
    return float(np.degrees(np.arctan2(y, x)) / 4)


def deskewed(grey: Image, degrees: float) -> tuple[Image, Image]:
    """``grey`` turned by ``degrees`` about its centre (canvas grown to fit), with the inverse 2×3
    transform that maps the result's points back."""
    height, width = grey.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(height * sin + width * cos), int(height * cos + width * sin)
    matrix[0, 2] += new_w / 2 - width / 2
    matrix[1, 2] += new_h / 2 - height / 2
    turned = cv2.warpAffine(grey, matrix, (new_w, new_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return turned, cv2.invertAffineTransform(matrix)
