"""A deterministic corpus of "photographed" receipts for tests and benchmarks.

Receipts are rendered as the kiosk prints them (``render_receipt_image``), laid on a desk, seen in
perspective by a 480p/720p/1080p camera, and degraded the ways counter cameras degrade them: motion
blur, defocus, glare, dim light, faded thermal print, JPEG compression, far away. Negative frames
(empty receipts, a product EAN-13, a URL QR, a MyData-looking QR with a wrong check digit) must yield
nothing. Same seed, same frames.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import barcode
import cv2
import numpy as np
import qrcode
from barcode.writer import ImageWriter
from PIL import Image as PILImage

from counter_core.datacode import CODE_LENGTH, QR_PREFIX, damm_check_digit
from hardware.decode.interface import Image
from hardware.printer.receipt import sample_receipt
from hardware.printer.render_raster import render_receipt_image

RESOLUTIONS = {"480p": (640, 480), "720p": (1280, 720), "1080p": (1920, 1080)}
CONDITIONS = (
    "clean",
    "perspective",
    "motion",
    "defocus",
    "glare",
    "dim",
    "faded",
    "jpeg",
    "far",
    "tiny",  # the QR at 1.5-1.9 px per module, slightly soft: the edge of what the resolution allows
    "code128",  # the QR torn off or covered: only the Code128 is there, at any orientation
    "mixed",
)
QR_ROWS, CODE128_ROWS = (236, 460), (480, 572)  # where render_receipt_image puts the symbols (576 px wide)
NEGATIVES = ("empty_receipt", "ean13", "url_qr", "bad_check_digit")


@dataclass
class Frame:
    name: str
    image: Image = field(repr=False)
    code: str | None  # the code a decoder must find, None for negative frames
    resolution: str
    condition: str
    detail: str = ""  # what was done to it (the two degradations of a "mixed" frame)


def _code(rng: random.Random) -> str:
    body = "".join(str(rng.randrange(10)) for _ in range(CODE_LENGTH - 1))
    return body + damm_check_digit(body)


def _receipt(code: str, *, hide_codes: bool = False, hide_qr: bool = False) -> Image:
    image = np.asarray(render_receipt_image(sample_receipt(datetime(2026, 11, 24, 16, 40), code), 576).convert("L"))
    if hide_codes or hide_qr:
        image = image.copy()
        image[QR_ROWS[0] : QR_ROWS[1], :] = 255
    if hide_codes:  # an "empty" receipt: everything but the symbols
        image[CODE128_ROWS[0] : CODE128_ROWS[1], :] = 255
    return image


def _desk(rng: random.Random, size: tuple[int, int]) -> Image:
    width, height = size
    base = rng.randrange(60, 170)
    gradient = np.linspace(rng.uniform(-30, 0), rng.uniform(0, 30), width, dtype=np.float32)[None, :]
    noise = cv2.GaussianBlur(
        np.random.default_rng(rng.randrange(2**31)).normal(0, 18, (height, width)).astype(np.float32), (0, 0), 6
    )
    return np.clip(base + gradient + noise, 0, 255).astype(np.uint8)


def _place(
    rng: random.Random, receipt: Image, size: tuple[int, int], fraction: float, tilt: float, turn: float = 0.0
) -> Image:
    """The receipt on the desk: scaled so it spans ``fraction`` of the frame height, rotated and in
    perspective (``tilt`` = how far the corners move, relative to the receipt's size)."""
    width, height = size
    desk = _desk(rng, size)
    target_h = height * fraction
    scale = target_h / receipt.shape[0]
    rw, rh = receipt.shape[1] * scale, receipt.shape[0] * scale
    cx = rng.uniform(rw / 2, max(rw / 2 + 1, width - rw / 2))
    cy = rng.uniform(min(rh / 2, height / 2), max(min(rh / 2, height / 2) + 1, height - rh / 2))
    angle = np.deg2rad(rng.uniform(-12, 12) + turn)
    corners = np.array([[-rw / 2, -rh / 2], [rw / 2, -rh / 2], [rw / 2, rh / 2], [-rw / 2, rh / 2]], np.float32)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    moved = corners @ rotation.T + np.array([cx, cy], np.float32)
    moved += np.array([[rng.uniform(-tilt, tilt) * rw, rng.uniform(-tilt, tilt) * rh] for _ in range(4)], np.float32)
    source = np.array(
        [[0, 0], [receipt.shape[1], 0], [receipt.shape[1], receipt.shape[0]], [0, receipt.shape[0]]], np.float32
    )
    matrix = cv2.getPerspectiveTransform(source, moved)
    paper = cv2.warpPerspective(receipt, matrix, size, flags=cv2.INTER_AREA, borderValue=0)
    mask = cv2.warpPerspective(np.full(receipt.shape, 255, np.uint8), matrix, size, flags=cv2.INTER_AREA)
    paper_tone = rng.uniform(0.88, 1.0)
    blended = desk.astype(np.float32) * (1 - mask / 255.0) + paper.astype(np.float32) * paper_tone * (mask / 255.0)
    return np.clip(blended, 0, 255).astype(np.uint8)


def _motion(rng: random.Random, image: Image, strength: float) -> Image:
    length = max(3, int(strength))
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0
    rotation = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), rng.uniform(0, 180), 1.0)
    kernel = cv2.warpAffine(kernel, rotation, (length, length))
    return cv2.filter2D(image, -1, kernel / max(kernel.sum(), 1e-6))  # type: ignore[no-any-return]


def _glare(rng: random.Random, image: Image) -> Image:
    height, width = image.shape
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    cx, cy = rng.uniform(0.3, 0.7) * width, rng.uniform(0.3, 0.7) * height
    radius = rng.uniform(0.12, 0.3) * max(width, height)
    blob = np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * radius**2))) * rng.uniform(140, 230)
    return np.clip(image.astype(np.float32) + blob, 0, 255).astype(np.uint8)


def _dim(rng: random.Random, image: Image) -> Image:
    noise = np.random.default_rng(rng.randrange(2**31)).normal(0, rng.uniform(3, 7), image.shape)
    return np.clip(image.astype(np.float32) * rng.uniform(0.15, 0.3) + noise, 0, 255).astype(np.uint8)


def _jpeg(rng: random.Random, image: Image, quality: int | None = None) -> Image:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality or rng.randrange(20, 45)])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)  # type: ignore[no-any-return]


def _fade(rng: random.Random, receipt: Image) -> Image:
    ink = rng.uniform(140, 195)  # worn thermal print: black turns grey
    return (ink + (receipt.astype(np.float32) / 255.0) * (255 - ink)).astype(np.uint8)


def _degrade(rng: random.Random, condition: str, receipt: Image, size: tuple[int, int]) -> tuple[Image, str]:
    scale = size[1] / 720
    fraction = rng.uniform(0.7, 0.98)
    tilt = 0.03
    steps: list[str] = [condition]
    if condition == "mixed":
        steps = rng.sample(["motion", "defocus", "glare", "dim", "faded", "jpeg"], 2)
    if "faded" in steps:
        receipt = _fade(rng, receipt)
    if condition == "perspective":
        tilt = rng.uniform(0.1, 0.16)
    if condition == "far":
        fraction = rng.uniform(0.3, 0.45) if size[1] >= 720 else rng.uniform(0.6, 0.75)
    turn = 0.0
    if condition == "tiny":  # a receipt far away: QR modules of ~1.5-1.9 px
        fraction = rng.uniform(1.5, 1.9) * 1040 / 8 / size[1]
    if condition == "code128":  # held closer so the bars (3 px on paper) are 1.6-2.4 px wide, any way up
        fraction = rng.uniform(1.6, 2.4) * 1040 / 3 / size[1]
        turn = rng.choice([0.0, 90.0, 180.0, 270.0]) + rng.uniform(-20, 20)
    frame = _place(rng, receipt, size, fraction, tilt, turn)
    if condition == "tiny":  # no lens is pixel-sharp: at 1.5 px per module that already matters
        frame = cv2.GaussianBlur(frame, (0, 0), rng.uniform(0.4, 0.8))
    for step in steps:
        if step == "motion":
            frame = _motion(rng, frame, rng.uniform(6, 14) * scale)
        elif step == "defocus":
            frame = cv2.GaussianBlur(frame, (0, 0), rng.uniform(1.6, 3.2) * scale)
        elif step == "glare":
            frame = _glare(rng, frame)
        elif step == "dim":
            frame = _dim(rng, frame)
    if "jpeg" in steps:
        frame = _jpeg(rng, frame)
    return _jpeg(rng, frame, 90), "+".join(steps)  # every camera frame arrives compressed


def _negative(rng: random.Random, kind: str, size: tuple[int, int]) -> Image:
    if kind == "empty_receipt":
        return _place(rng, _receipt(_code(rng), hide_codes=True), size, rng.uniform(0.7, 0.95), 0.04)
    if kind == "ean13":
        digits = "".join(str(rng.randrange(10)) for _ in range(12))
        pil = barcode.get("ean13", digits, writer=ImageWriter()).render({"module_width": 0.4, "dpi": 200})
    else:
        payload = "https://mydata.nat.gov.tw/" if kind == "url_qr" else None
        if payload is None:  # MYDATA1: + 16 digits whose check digit is wrong
            good = _code(rng)
            payload = QR_PREFIX + good[:-1] + str((int(good[-1]) + 1 + rng.randrange(9)) % 10)
        pil = qrcode.make(payload, box_size=8, border=4).get_image()
    label = np.asarray(pil.convert("L"))
    canvas = np.full((max(label.shape[0] * 2, 600), max(label.shape[1] + 80, 576)), 255, np.uint8)
    y, x = (canvas.shape[0] - label.shape[0]) // 3, (canvas.shape[1] - label.shape[1]) // 2
    canvas[y : y + label.shape[0], x : x + label.shape[1]] = label
    return _jpeg(rng, _place(rng, canvas, size, rng.uniform(0.55, 0.85), 0.04), 85)


def generate(seed: int = 20261124, per_cell: int = 1) -> Iterator[Frame]:
    """``per_cell`` frames for each (resolution, condition), then the negatives per resolution."""
    rng = random.Random(seed)
    for resolution, size in RESOLUTIONS.items():
        for condition in CONDITIONS:
            for index in range(per_cell):
                code = _code(rng)
                image, detail = _degrade(rng, condition, _receipt(code, hide_qr=condition == "code128"), size)
                yield Frame(f"{resolution}-{condition}-{index}", image, code, resolution, condition, detail)
        for kind in NEGATIVES:
            for index in range(max(1, per_cell // 2)):
                yield Frame(f"{resolution}-neg-{kind}-{index}", _negative(rng, kind, size), None, resolution, kind)


def write(folder: Path, seed: int = 20261124, per_cell: int = 1) -> list[Frame]:
    """Write the corpus as PNG files (lossless: the frames already went through JPEG)."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = list(generate(seed, per_cell))
    for frame in frames:
        PILImage.fromarray(frame.image).save(folder / f"{frame.name}.png")
    return frames
