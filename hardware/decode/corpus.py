"""A deterministic corpus of camera frames of receipts, hard in the ways counters are, for tests and
benchmarks (``mydata-counter hw corpus``, ``bench scan``). Same seed, same frames.

A frame is made the way a camera makes it: the object (``scenes.py``: a thermal receipt, a phone, a
label) is posed in 3-D in front of a pinhole camera (70° field of view, held by hand: turned up to ±20° in
the plane, tilted out of it), lit (gradients, shadows, lamp glare), blurred by optics and movement and
integrated by a sensor (``optics.py``: disc defocus, hand-motion trajectories, auto-exposure, noise,
Bayer, sharpening, JPEG). The object's distance is set from the size of its finest module in pixels,
so every resolution (480p to 4K) sees codes from the edge of readability up.

Each (resolution, condition) cell cycles through three layouts: both symbols, the QR alone (the Code128
covered by a thumb, torn off or folded under) and the Code128 alone (likewise the QR). Negative frames
(an empty receipt, EAN-13/UPC-A labels, QR codes with other content, receipts whose code fails the Damm
check) go through the same camera under a random condition and must yield nothing.

``_receipt``/``_place``/``_desk`` are the simple flat placement the simulated camera and some tests use.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from counter_core.datacode import CODE_LENGTH, QR_PREFIX, damm_check_digit
from counter_core.signed_code import sample_signed_text
from hardware.decode import optics, scenes
from hardware.decode.interface import Image

RESOLUTIONS = {"480p": (640, 480), "720p": (1280, 720), "1080p": (1920, 1080), "4K": (3840, 2160)}
MIXABLE = ("motion", "defocus", "glare", "shadow", "dim", "overexposed", "faded", "crumpled", "jpeg")
CONDITIONS = ("clean", "tilted", *MIXABLE, "far", "mixed", "phone", "phone-dark")
LAYOUTS = ("both", "qr-only", "code128-only")
NEGATIVES = ("empty-receipt", "ean13", "upca", "url-qr", "other-qr", "bad-check-receipt", "bad-check-code128")
HIDE_HOW = ("thumb", "torn", "folded")
SIGNED_ISSUED_AT = 1795999000  # 2026-11-30: the signed corpus's claims (the signature is not checked here)
FOCAL = 0.714  # focal length / frame width: a 70° horizontal field of view
QR_MODULE_PX, CODE128_MODULE_PX = (2.4, 6.0), (1.8, 3.6)  # finest module on the frame, px
FAR_QR_MODULE_PX, FAR_CODE128_MODULE_PX = (1.7, 2.3), (1.4, 1.8)
# Blur in modules of the symbol's module. A disc wider than about one module puts the module's own
# frequency on the blur's first zero; a straight smear does so at two modules (a curved, uneven hand's path
# a little later). Past those the code's information is gone for any decoder, so the corpus stops there:
# motion frames generated up to 3 modules were read by a Wiener filter given the *true* kernel (which no
# decoder has) in 100 % of frames under 2 modules, 71 % at 2-2.5 and 58 % at 2.5-3 (docs/scanning.md).
DEFOCUS_MODULES, MOTION_MODULES = (0.4, 1.0), (1.0, 2.5)
QR_ROWS, CODE128_ROWS = scenes.QR_ROWS, scenes.CODE128_ROWS


@dataclass
class Frame:
    name: str
    image: Image = field(repr=False)  # BGR uint8, as a camera delivers it (decoded from its JPEG)
    code: str | None  # the code a decoder must find, None for negative frames
    resolution: str
    condition: str  # a CONDITIONS entry, or a NEGATIVES kind
    detail: str = ""  # what was done to it: layout, degradations, sizes
    layout: str = ""


def _code(rng: random.Random) -> str:
    body = "".join(str(rng.randrange(10)) for _ in range(CODE_LENGTH - 1))
    return body + damm_check_digit(body)


def _wrong_check(rng: random.Random) -> str:
    good = _code(rng)
    return good[:-1] + str((int(good[-1]) + 1 + rng.randrange(9)) % 10)


def _rotation(alpha: float, beta: float, gamma: float) -> Image:
    """Tilt about x (alpha), then about y (beta), then turn in the image plane (gamma), radians."""
    ca, sa, cb, sb, cg, sg = (
        math.cos(alpha),
        math.sin(alpha),
        math.cos(beta),
        math.sin(beta),
        math.cos(gamma),
        math.sin(gamma),
    )
    rx = np.array([[1, 0, 0], [0, ca, -sa], [0, sa, ca]])
    ry = np.array([[cb, 0, sb], [0, 1, 0], [-sb, 0, cb]])
    rz = np.array([[cg, -sg, 0], [sg, cg, 0], [0, 0, 1]])
    return rz @ ry @ rx


def _homography(
    rng: random.Random, sheet: scenes.Sheet, size: tuple[int, int], module_px: float, module_dots: float, tilted: bool
) -> Image:
    """Texture dots → frame pixels for a hand-held object, its symbols inside the frame."""
    width, height = size
    focal = FOCAL * width
    distance = focal * module_dots * sheet.mm_per_dot / module_px  # mm: the module spans module_px
    x0 = min(b[0] for b in sheet.symbols)
    y0 = min(b[1] for b in sheet.symbols)
    x1 = max(b[2] for b in sheet.symbols)
    y1 = max(b[3] for b in sheet.symbols)
    quiet = 10 * module_dots
    target = np.array(
        [[x0 - quiet, y0 - quiet], [x1 + quiet, y0 - quiet], [x1 + quiet, y1 + quiet], [x0 - quiet, y1 + quiet]],
        np.float64,
    )
    centre = target.mean(axis=0)
    turn = rng.choice([0.0, 0.0, 0.0, 90.0, 180.0, 270.0]) + rng.uniform(-20, 20)
    if tilted:  # a receipt held up to the camera, leaning away
        alpha, beta = rng.choice([-1, 1]) * rng.uniform(25, 45), rng.uniform(-12, 12)
    else:
        alpha, beta = rng.uniform(-12, 12), rng.uniform(-12, 12)
    rotation = _rotation(math.radians(alpha), math.radians(beta), math.radians(turn))
    texture_h, texture_w = sheet.mask.shape

    def project(points: Image) -> Image:
        plane = np.column_stack([(points - centre) * sheet.mm_per_dot, np.zeros(len(points))])
        camera = plane @ rotation.T + np.array([0.0, 0.0, distance])
        return focal * camera[:, :2] / camera[:, 2:3]

    corners = np.array([[0, 0], [texture_w, 0], [texture_w, texture_h], [0, texture_h]], np.float64)
    on_frame, symbols = project(corners), project(target)
    low, high = symbols.min(axis=0), symbols.max(axis=0)
    span = high - low
    room = np.array([width, height]) - span
    offset = np.array([rng.uniform(0, max(room[0], 0)), rng.uniform(0, max(room[1], 0))]) - low
    if (room < 0).any():  # too big to fit whole: centre it (the corpus shrinks it before this)
        offset = np.where(room < 0, np.array([width, height]) / 2 - (low + high) / 2, offset)
    return cv2.getPerspectiveTransform(corners.astype(np.float32), (on_frame + offset).astype(np.float32))


@dataclass
class _Shot:
    """What happens to one frame: the object, how big its modules are, and the degradations."""

    sheet: scenes.Sheet
    module_px: float
    module_dots: float
    steps: list[str]
    smear_modules: float = 0.0  # set by ``_render``: the hand's path, in modules of the finest symbol


def _receipt_shot(
    rng: random.Random, code: str, condition: str, layout: str, steps: list[str], qr_text: str = ""
) -> _Shot:
    sheet = scenes.thermal_receipt(rng, code, faded="faded" in steps, qr_text=qr_text)
    if layout == "qr-only":
        scenes.hide_symbol(rng, sheet, 1, rng.choice(HIDE_HOW))
    elif layout == "code128-only":
        scenes.hide_symbol(rng, sheet, 0, rng.choice(HIDE_HOW))
    if "crumpled" in steps:
        scenes.crumple(rng, sheet)
    far = condition == "far"
    if layout == "code128-only":
        module_px = rng.uniform(*(FAR_CODE128_MODULE_PX if far else CODE128_MODULE_PX))
        return _Shot(sheet, module_px, scenes.CODE128_DOTS_PER_MODULE, steps)
    module_px = rng.uniform(*(FAR_QR_MODULE_PX if far else QR_MODULE_PX))
    return _Shot(sheet, module_px, scenes.QR_DOTS_PER_MODULE, steps)


def _render(rng: random.Random, shot: _Shot, size: tuple[int, int], tilted: bool) -> Image:
    """The frame a camera of ``size`` sends of ``shot`` (BGR uint8, after JPEG)."""
    steps, sheet = shot.steps, shot.sheet
    supersample = 2 if size[1] <= 720 else 1
    scene_size = (size[0] * supersample, size[1] * supersample)
    module_px = shot.module_px
    for _ in range(6):  # shrink until the symbols and their quiet zones fit in the frame
        matrix = _homography(rng, sheet, size, module_px, shot.module_dots, tilted)
        boxes = np.array([[b[0], b[1]] for b in sheet.symbols] + [[b[2], b[3]] for b in sheet.symbols], np.float32)
        placed = cv2.perspectiveTransform(boxes[None], matrix)[0]
        if (placed.min(axis=0) >= 0).all() and (placed.max(axis=0) <= np.array(size)).all():
            break
        module_px *= 0.85
    scaled = np.diag([supersample, supersample, 1.0]) @ matrix
    texture, mask = sheet.texture, sheet.mask
    dots_per_px = 1 / max(abs(np.linalg.det(scaled[:2, :2])) ** 0.5, 1e-6)
    if sheet.emissive:  # a screen's sub-pixels: the lens and the pixel's area soften them, not all the way
        texture = cv2.GaussianBlur(texture, (0, 0), 0.35 * dots_per_px * supersample)
    elif dots_per_px > 1.5:  # pre-filter so the warp does not alias printed dots
        shrink = 1 / dots_per_px
        texture = cv2.resize(texture, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)
        mask = cv2.resize(mask, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)
        scaled = scaled @ np.diag([1 / shrink, 1 / shrink, 1.0])
    obj = cv2.warpPerspective(texture, scaled, scene_size, flags=cv2.INTER_LINEAR)
    cover = cv2.warpPerspective(mask, scaled, scene_size, flags=cv2.INTER_LINEAR)
    background = scenes.desk(rng, scene_size)
    light = cv2.resize(optics.light_field(rng, (64, 36), shadow="shadow" in steps), scene_size)
    light_colour = np.array([rng.uniform(0.8, 1.05), rng.uniform(0.95, 1.0), rng.uniform(0.95, 1.1)], np.float32)
    lit = light[..., None] * light_colour
    ambient = 0.02 if sheet.emissive else 1.0  # a phone gives its own light; the room still reflects
    radiance_obj = obj * lit * ambient
    if sheet.emissive:
        radiance_obj += obj * rng.uniform(0.5, 1.6)
    symbols_at = cv2.perspectiveTransform(
        np.array([[[(b[0] + b[2]) / 2, (b[1] + b[3]) / 2]] for b in sheet.symbols], np.float32).reshape(1, -1, 2),
        scaled,
    )[0]
    module_scene = module_px * supersample
    if "glare" in steps or (sheet.emissive and rng.random() < 0.7):  # lamp or window on paper / glass
        where = (
            symbols_at[rng.randrange(len(symbols_at))]
            + np.array([rng.uniform(-1, 1), rng.uniform(-1, 1)]) * 8 * module_scene
        )
        spot = optics.glare(rng, scene_size, (float(where[0]), float(where[1])), 12 * module_scene)
        strength = 1.0 if "glare" in steps else rng.uniform(0.1, 0.4)
        radiance_obj += (spot * strength * cover)[..., None] * light_colour
    kernel_obj = optics.gaussian_psf(rng.uniform(0.4, 0.7) * supersample)  # the lens is never perfect
    exposure_bias = rng.uniform(1.3, 2.3) if "overexposed" in steps else rng.uniform(-0.3, 0.3)
    light_level = rng.uniform(0.003, 0.012) if "dim" in steps else rng.uniform(0.4, 1.5)
    sample = (slice(None, None, 8), slice(None, None, 8))
    seen = radiance_obj[sample] * cover[sample][..., None] + (background * lit)[sample] * (1 - cover[sample][..., None])
    exposure, gain = optics.auto_exposure(float(seen.mean()), light_level, exposure_bias)
    # a hand is never still: the longer the exposure, the longer the smear
    smear = rng.uniform(0.0, 0.01) * exposure * module_scene
    if "motion" in steps:
        smear += rng.uniform(*MOTION_MODULES) * module_scene
    moved = optics.shake_psf(rng, smear) if smear > 0.7 else np.ones((1, 1), np.float32)
    shot.smear_modules = smear / module_scene
    defocus = optics.disc_psf(rng.uniform(*DEFOCUS_MODULES) * module_scene) if "defocus" in steps else None
    radiance_obj = optics.convolve(optics.convolve(radiance_obj * cover[..., None], moved), kernel_obj)
    cover = optics.convolve(optics.convolve(cover, moved), kernel_obj)
    scene = radiance_obj + background * lit * (1.0 - cover[..., None])
    if defocus is not None:
        scene = optics.convolve(scene, defocus)
    frame = optics.sensor(rng, scene, supersample, exposure * light_level * optics.SENSITIVITY, gain, light_colour)
    quality = rng.randrange(10, 30) if "jpeg" in steps else rng.randrange(70, 92)
    return optics.jpeg(frame, quality)


def _steps(rng: random.Random, condition: str) -> list[str]:
    if condition == "mixed":
        return rng.sample(list(MIXABLE), 2)
    return [condition] if condition in MIXABLE else []


def signed_text(code: str) -> str:
    """The signed QR text a kiosk prints for ``code`` (the corpus's fixed sample key and times: a signed
    corpus frame differs from its unsigned twin only in the QR)."""
    return sample_signed_text(code, SIGNED_ISSUED_AT, SIGNED_ISSUED_AT + 600)


def _positive(
    rng: random.Random, size: tuple[int, int], condition: str, layout: str, signed: bool = False
) -> tuple[Image, str, str]:
    code = _code(rng)
    steps = _steps(rng, condition)
    qr_text = signed_text(code) if signed else ""
    if condition.startswith("phone"):
        sheet = scenes.phone_screen(rng, qr_text or QR_PREFIX + code, dark=condition == "phone-dark")
        screen_module = sheet.module_mm / sheet.mm_per_dot
        shot = _Shot(sheet, rng.uniform(*QR_MODULE_PX), screen_module, steps)
        layout = "qr-only"
    else:
        shot = _receipt_shot(rng, code, condition, layout, steps, qr_text)
    image = _render(rng, shot, size, condition == "tilted")
    detail = f"{layout} {'+'.join(steps) or condition} module {shot.module_px:.1f}px smear {shot.smear_modules:.1f}"
    return image, code, detail


def _negative(rng: random.Random, size: tuple[int, int], kind: str) -> tuple[Image, str]:
    condition = rng.choice(["clean", *MIXABLE])
    steps = _steps(rng, condition)
    if kind in ("ean13", "upca", "url-qr", "other-qr"):
        payloads = {
            "url-qr": "https://mydata.nat.gov.tw/",
            "other-qr": rng.choice([_code(rng), "MYDATA2:" + _code(rng), QR_PREFIX + _code(rng)[:-1]]),
        }
        sheet = scenes.label(rng, payloads.get(kind, kind))
        dots = sheet.module_mm / sheet.mm_per_dot
        shot = _Shot(sheet, rng.uniform(*QR_MODULE_PX) * (0.6 if kind in ("ean13", "upca") else 1), dots, steps)
    else:
        sheet = scenes.thermal_receipt(rng, _wrong_check(rng), faded="faded" in steps, blank=kind == "empty-receipt")
        if kind == "empty-receipt":
            sheet.symbols = [(60, 200, 516, 600)]  # keep where the symbols were in view
        if kind == "bad-check-code128":
            scenes.hide_symbol(rng, sheet, 0, rng.choice(HIDE_HOW))
        dots = scenes.CODE128_DOTS_PER_MODULE if kind == "bad-check-code128" else scenes.QR_DOTS_PER_MODULE
        module_range = CODE128_MODULE_PX if kind == "bad-check-code128" else QR_MODULE_PX
        shot = _Shot(sheet, rng.uniform(*module_range), dots, steps)
    return _render(rng, shot, size, False), condition


def generate(
    seed: int = 20261124,
    per_cell: int = 3,
    resolutions: Iterable[str] = RESOLUTIONS,
    conditions: Iterable[str] = CONDITIONS,
    negatives: bool = True,
    signed: bool = False,
) -> Iterator[Frame]:
    """``per_cell`` frames for each (resolution, condition), the layouts taken in turn, then one of each
    negative kind per resolution (``per_cell // 3`` at least 1). A cell's frames depend only on the
    seed, the resolution and the condition, so a subset is the same frames as in the whole. ``signed``:
    the receipts (and phones) show the signed code's larger QR; codes, poses and conditions are the same as
    without it, so the two corpora compare the QRs alone."""
    wanted = set(conditions)
    for resolution in resolutions:
        size = RESOLUTIONS[resolution]
        for number, condition in enumerate(CONDITIONS):
            if condition not in wanted:
                continue
            rng = random.Random(f"{seed}-{resolution}-{condition}")
            for index in range(per_cell):
                layout = LAYOUTS[(index + number + seed) % len(LAYOUTS)]
                image, code, detail = _positive(rng, size, condition, layout, signed)
                name = f"{resolution}-{condition}-{index}"
                yield Frame(name, image, code, resolution, condition, detail, detail.split(" ")[0])
        rng = random.Random(f"{seed}-{resolution}-negatives")
        for kind in NEGATIVES if negatives else ():
            for index in range(max(1, per_cell // 3)):
                image, condition = _negative(rng, size, kind)
                yield Frame(f"{resolution}-neg-{kind}-{index}", image, None, resolution, kind, condition)


def write(folder: Path, seed: int = 20261124, per_cell: int = 3) -> list[Frame]:
    """Write the corpus as PNG files (lossless: the frames already went through JPEG)."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = list(generate(seed, per_cell))
    for frame in frames:
        cv2.imwrite(str(folder / f"{frame.name}.png"), frame.image)
    return frames


# The simple flat placement used by the simulated camera and some tests: a receipt on a plain desk.


def _receipt(code: str, *, hide_codes: bool = False, hide_qr: bool = False) -> Image:
    image = scenes.receipt_dots(code)
    if hide_codes or hide_qr:
        image = image.copy()
        image[QR_ROWS[0] : QR_ROWS[1], :] = 255
    if hide_codes:
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
    """The receipt flat on the desk, spanning ``fraction`` of the frame height, turned by ±12° + ``turn``
    and in slight perspective (``tilt``: how far the corners move, relative to the receipt's size)."""
    width, height = size
    desk = _desk(rng, size)
    scale = height * fraction / receipt.shape[0]
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
    tone = rng.uniform(0.88, 1.0)
    blended = desk.astype(np.float32) * (1 - mask / 255.0) + paper.astype(np.float32) * tone * (mask / 255.0)
    return np.clip(blended, 0, 255).astype(np.uint8)
