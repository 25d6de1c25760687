"""Frames the plain passes give up on and the later ones read: a one-module bar printed faint, a lamp's
reflection over a QR (on paper and on a phone in dark mode), a thumb over one of a QR's finder patterns,
and a small receipt beside a form full of text that outranks it. Each frame is built so that one
zxing-cpp pass cannot read it."""

from __future__ import annotations

import dataclasses
import math
import random
from typing import Any

import barcode
import cv2
import numpy as np
import pytest
import zxingcpp
from barcode.writer import ImageWriter

from counter_core.datacode import damm_check_digit
from hardware.decode import deblur, linear, optics, pipeline
from hardware.decode.corpus import CODE128_ROWS, _place, _receipt, generate
from hardware.decode.engines import WITH_RETAIL, Symbol, grey, zxing, zxing_1d
from hardware.decode.pipeline import decode_frame
from hardware.decode.regions import Box, find_candidates, holds, sensor_noise

BODY = "820517340962113"
CODE = BODY + damm_check_digit(BODY)
SIZE = (1280, 720)


def _qr_only() -> np.ndarray:
    receipt = _receipt(CODE).copy()
    receipt[CODE128_ROWS[0] : CODE128_ROWS[1], :] = 255  # the Code128 torn off
    return receipt


def _read_by_zxing_alone(frame: np.ndarray) -> bool:
    return any(s.text.endswith(CODE) for s in zxing(frame, invert=True))


def _lamp(frame: np.ndarray, strength: float, radius: float) -> np.ndarray:
    """A dim room and a lamp's reflection beside the middle of the QR."""
    qr = next(s for s in zxing(np.clip(frame, 0, 255).astype(np.uint8), invert=True) if s.format == "QRCode")
    cx, cy = sum(p[0] for p in qr.points) / 4, sum(p[1] for p in qr.points) / 4
    yy, xx = np.mgrid[0 : SIZE[1], 0 : SIZE[0]]
    reach = radius * SIZE[1]
    spot = strength * np.exp(-((xx - cx - 0.5 * reach) ** 2 + (yy - cy) ** 2) / (2 * reach**2))
    lit = np.clip(frame.astype(np.float32) * 0.6 + spot, 0, 255).astype(np.uint8)
    return cv2.GaussianBlur(lit, (0, 0), 0.8)  # type: ignore[no-any-return]


def test_a_one_module_bar_printed_faint_is_cut_at_its_own_edges() -> None:
    # a thermal head under-burns a lone thin line: one-module bars print at a fifth of the ink
    receipt = _receipt(CODE, hide_qr=True)
    wide = cv2.morphologyEx(receipt, cv2.MORPH_CLOSE, np.ones((1, 5), np.uint8))  # only bars of 2+ modules
    ink = (255 - receipt.astype(np.float32)) / 255
    printed = (255 - np.where(wide < 128, ink, 0.2 * ink) * 255).astype(np.uint8)
    frame = cv2.GaussianBlur(_place(random.Random(3), printed, SIZE, 1.2, 0.02, 4.0), (0, 0), 0.8)
    assert not _read_by_zxing_alone(frame)
    strip = next(c for c in find_candidates(frame) if c.linear)
    read_by = {name for name, image in linear.variants(linear.Upright(frame, strip)) if _code128_in(image)}
    assert read_by == {"linear-edges"}  # averaging, normalising and deblurring all lose the faint bars
    found = decode_frame(frame)
    assert found is not None and found.code == CODE and found.pass_name == "linear-edges"


def _code128_in(image: np.ndarray) -> bool:
    return any(s.text == CODE for binarizer in linear.BINARIZERS for s in zxing_1d(image, binarizer))


def test_a_lamp_reflection_over_a_qr_is_evened_out() -> None:
    frame = _lamp(_place(random.Random(4), _qr_only(), SIZE, 0.9, 0.02), 260, 0.09)
    assert not _read_by_zxing_alone(frame)
    found = decode_frame(frame)
    assert found is not None and found.code == CODE and found.format == "QRCode"
    # under zxing-cpp's contrast floor where the lamp washes it out: the cheap global pass reads it
    # thresholded in a window's mean; warped square and equalised, or evened out, it is read too
    assert found.pass_name == "region-global"
    assert _read_by_pass(frame, "region-rectified") and _read_by_pass(frame, "region-evened")
    assert not _read_by_pass(frame, "region")


def _read_by_pass(frame: np.ndarray, name: str) -> bool:
    """Whether the region pass ``name`` alone reads CODE in any areal candidate of ``frame``."""
    _, prepare, engine = next(p for p in pipeline.REGION_PASSES if p[0] == name)
    for candidate in find_candidates(frame):
        if candidate.linear:
            continue
        region = pipeline._Region(frame, candidate.box)
        pipeline._read_region(region, 0.0, cheap=True)  # what the cheap passes learn (a located QR)
        prepared = prepare(region)
        if prepared is not None and any(s.text.endswith(CODE) for s in engine(prepared[0])):
            return True
    return False


def test_a_reflection_on_a_phone_in_dark_mode_is_read_light_on_dark_windowed_or_evened_out() -> None:
    dark_mode = cv2.bitwise_not(_place(random.Random(4), _qr_only(), SIZE, 0.9, 0.02))
    frame = _lamp(dark_mode, 250, 0.06)
    assert not _read_by_zxing_alone(frame)
    found = decode_frame(frame)
    # the cheap global pass reads it thresholded in a window's mean, inverted; evening out reads it too
    assert found is not None and found.code == CODE and found.pass_name == "region-global"
    assert _read_by_pass(frame, "region-evened") and not _read_by_pass(frame, "region")


def test_a_form_full_of_text_does_not_take_the_costly_passes_from_a_located_qr() -> None:
    frame = cv2.filter2D(_place(random.Random(7), _qr_only(), SIZE, 0.4, 0.02), -1, deblur.disc_kernel(2.0))
    cv2.rectangle(frame, (560, 20), (1260, 700), 235, -1)
    for line in range(28):
        cv2.putText(
            frame, "Form 12-A  name / date  ID 0123", (575, 45 + 24 * line), cv2.FONT_HERSHEY_SIMPLEX, 0.7, 40, 2
        )
    first = next(c for c in find_candidates(frame) if not c.linear)
    assert first.box[0] > 400  # the form's texture outranks the small, soft receipt
    assert not _read_by_zxing_alone(frame)
    found = decode_frame(frame)
    assert found is not None and found.code == CODE
    assert found.pass_name == "region-defocus" and max(p[0] for p in found.points) < 400  # read on the receipt


@pytest.mark.parametrize(("seed", "corner"), [(4, 0), (5, 1), (6, 3)])
def test_a_thumb_over_a_finder_pattern_is_drawn_back_in(seed: int, corner: int) -> None:
    frame = _thumb_on_finder(_place(random.Random(seed), _qr_only(), SIZE, 0.9, 0.04), corner, 120, 1.0)
    assert not _read_by_zxing_alone(frame)
    found = decode_frame(frame)
    assert found is not None and found.code == CODE and found.pass_name == "region-finder"


def _thumb_on_finder(frame: np.ndarray, corner: int, grey: int, blur: float) -> np.ndarray:
    """``frame`` with a thumb (an ellipse of ``grey``) on the finder pattern at the QR's ``corner``, then
    softened by ``blur``."""
    qr = next(s for s in zxing(frame) if s.format == "QRCode")
    points = np.array(qr.points, np.float32)
    middle = points.mean(axis=0)
    x, y = middle + (points[corner] - middle) * 0.85  # on the finder pattern at that corner
    side = float(np.linalg.norm(points[1] - points[0]))
    cv2.ellipse(frame, (int(x), int(y)), (int(side * 0.22), int(side * 0.16)), 30, 0, 360, grey, -1)
    return cv2.GaussianBlur(frame, (0, 0), blur)  # type: ignore[no-any-return]


def test_a_form_of_thin_text_does_not_take_the_costly_passes_from_a_smeared_receipt() -> None:
    # zxing-cpp locates nothing in the smear: the costly passes go to the region inked like a symbol
    frame = cv2.filter2D(_place(random.Random(7), _qr_only(), SIZE, 0.5, 0.02), -1, deblur.line_kernel(9, 30))
    cv2.rectangle(frame, (560, 20), (1260, 700), 235, -1)
    for line in range(28):
        cv2.putText(
            frame, "Form 12-A  name / date  ID 0123", (575, 45 + 24 * line), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 60, 1
        )
    first = next(c for c in find_candidates(frame) if not c.linear)
    assert first.box[0] > 300  # the form outranks the receipt
    assert not zxing(frame, invert=True, damaged=True)
    found = decode_frame(frame)
    assert found is not None and found.code == CODE
    assert found.pass_name.startswith("region-motion") and max(p[0] for p in found.points) < 400


def test_a_receipt_whose_code_fails_its_check_digit_is_not_searched_again(monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = BODY + str((int(damm_check_digit(BODY)) + 3) % 10)  # a misprint or a forgery
    frame = cv2.GaussianBlur(_place(random.Random(4), _receipt(wrong), SIZE, 0.9, 0.02), (0, 0), 0.8)
    assert any(s.text.endswith(wrong) for s in zxing(frame))  # read, but not a valid MyData code
    searched: list[object] = []
    real = pipeline._read_region

    def read_region(*args: Any, **kwargs: Any) -> Any:
        searched.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_read_region", read_region)
    assert decode_frame(frame) is None
    assert not searched  # the regions holding it are explained: no pass spent on them


def test_a_soft_receipt_in_a_dim_noisy_frame_is_found_on_a_smoothed_copy() -> None:
    # dim light: the sensor's gain makes noise whose edges outweigh a soft receipt's in every cell
    soft = cv2.filter2D(
        _place(random.Random(5), _qr_only(), SIZE, 0.6, 0.02).astype(np.float32), -1, deblur.disc_kernel(1.0)
    )
    noise = np.random.default_rng(5).normal(0, 14, soft.shape)
    frame = np.clip(soft * 0.2 + noise, 0, 255).astype(np.uint8)
    assert find_candidates(frame) == []
    assert not _read_by_zxing_alone(frame)
    found = decode_frame(frame)
    assert found is not None and found.code == CODE and found.format == "QRCode"


def test_a_thumb_over_a_finder_of_faded_print_is_drawn_back_in_from_the_faint_rings() -> None:
    # worn thermal print: the finder rings lie a few grey levels under the paper, and a thumb covers one
    faded = (255 - (255 - _qr_only().astype(np.float32)) * 0.18).astype(np.uint8)
    frame = _thumb_on_finder(_place(random.Random(8), faded, (640, 480), 0.9, 0.04), 0, 150, 1.2)
    assert not _read_by_zxing_alone(frame)
    found = decode_frame(frame)
    assert found is not None and found.code == CODE and found.pass_name == "region-finder"


def _far_in_perspective(shear: float, blur: float) -> tuple[np.ndarray, np.ndarray]:
    """A receipt 170 px wide on a 1080p frame, its far edge 15 % shorter and leaning ``shear``: modules
    of ~2 px in a keystone. Returns the sharp frame and the frame as the camera sends it (soft, JPEG)."""
    receipt = _qr_only()
    height, width = receipt.shape
    side, top, left, y0 = 170.0, 170.0 * 0.85, 800.0, 400.0
    tall = side * height / width
    corners = [
        [left + (side - top) / 2 + shear * tall, y0],
        [left + (side + top) / 2 + shear * tall, y0],
        [left + side, y0 + tall],
        [left, y0 + tall],
    ]
    paper = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    matrix = cv2.getPerspectiveTransform(paper, np.array(corners, np.float32))
    sharp = cv2.warpPerspective(receipt, matrix, (1920, 1080), flags=cv2.INTER_AREA, borderValue=110)
    _, jpeg = cv2.imencode(".jpg", cv2.GaussianBlur(sharp, (0, 0), blur), [cv2.IMWRITE_JPEG_QUALITY, 75])
    return sharp, cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE)  # type: ignore[return-value]


@pytest.mark.parametrize("shear", [-0.3, 0.3])
def test_a_far_qr_in_perspective_that_zxing_locates_is_read_warped_square(shear: float) -> None:
    sharp, frame = _far_in_perspective(shear, 1.0)
    assert not _read_by_zxing_alone(frame)
    found = decode_frame(frame)  # only a QR zxing-cpp located is warped square: the pass says it was
    assert found is not None and found.code == CODE and found.pass_name == "region-rectified"
    truth = next(s for s in zxing(sharp) if s.format == "QRCode")  # where the QR is on the sharp frame
    assert np.abs(np.array(found.points) - np.array(truth.points)).max() <= 4  # mapped back through the warp


@pytest.mark.parametrize(("kind", "digits"), [("ean13", "471000012345"), ("upca", "03600029145")])
def test_a_product_barcode_is_read_only_to_explain_its_region(
    kind: str, digits: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a tin of tea on the counter: its barcode is no code, and the 1-D passes need not try to make it one
    label = np.asarray(barcode.get(kind, digits, writer=ImageWriter()).render({"dpi": 300}).convert("L"))
    frame = cv2.GaussianBlur(_place(random.Random(1), label, SIZE, 0.3, 0.02), (0, 0), 0.8)
    assert [s.format for s in zxing(frame, formats=WITH_RETAIL)] == ["Retail"]
    assert find_candidates(frame)  # the bars and digits look like a code to the candidate search
    searched: list[str] = []
    monkeypatch.setattr(pipeline, "_read_linear", lambda *args: searched.append("linear"))
    monkeypatch.setattr(pipeline, "_read_region", lambda *args, **kwargs: searched.append("region"))
    assert decode_frame(frame) is None
    assert not searched


def test_a_strip_measured_over_part_of_its_code_is_read_again_cut_twice_as_long(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a shadow's edge or glare across the bars can split their cells: the strip found covers 60 % of the code
    frame = cv2.GaussianBlur(_place(random.Random(3), _receipt(CODE, hide_qr=True), SIZE, 0.9, 0.02), (0, 0), 0.8)
    strip = next(c for c in find_candidates(frame) if c.linear)
    turn, shift = math.radians(strip.angle), 0.2 * strip.length
    part = dataclasses.replace(
        strip,
        length=0.6 * strip.length,
        centre=(strip.centre[0] + shift * math.cos(turn), strip.centre[1] + shift * math.sin(turn)),
    )
    assert not any(s.text == CODE for _, s in linear.read(frame, part))  # cut 1.35 lengths: half the code
    monkeypatch.setattr(pipeline, "find_candidates", lambda _: [part])
    monkeypatch.setattr(pipeline, "zxing", lambda *args, **kwargs: [])  # as if the whole frame gave nothing
    found = decode_frame(frame)
    assert found is not None and found.code == CODE and found.pass_name.endswith("-long")


def test_a_strip_read_as_another_code128_is_left_at_its_first_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = BODY + str((int(damm_check_digit(BODY)) + 3) % 10)  # a misprinted check digit
    frame = cv2.GaussianBlur(_place(random.Random(4), _receipt(wrong, hide_qr=True), SIZE, 0.9, 0.02), (0, 0), 0.8)
    monkeypatch.setattr(pipeline, "zxing", lambda *args, **kwargs: [])  # as if the whole frame gave nothing
    readings: list[tuple[float, str]] = []
    real = linear.read

    def read(grey: np.ndarray, candidate: Any, span: float = linear.SPAN) -> Any:
        for name, symbol in real(grey, candidate, span):
            readings.append((span, symbol.text))
            yield name, symbol

    monkeypatch.setattr(linear, "read", read)
    assert decode_frame(frame) is None
    assert readings == [(linear.SPAN, wrong)]  # Code128's own checksum held: no other variant, no longer cut


@pytest.mark.parametrize(("seed", "gain", "noise", "fraction"), [(1, 0.06, 5, 1.3), (2, 0.1, 8, 0.9)])
def test_a_code128_in_dim_light_whose_bars_noise_breaks_up_is_found_on_a_smoothed_copy(
    seed: int, gain: float, noise: float, fraction: float
) -> None:
    # a dim room: the bars sit a few grey levels apart under the sensor's noise, and JPEG on top
    receipt = _place(random.Random(seed), _receipt(CODE, hide_qr=True), (640, 480), fraction, 0.02)
    dim = receipt.astype(np.float32) * gain + 10 + np.random.default_rng(seed).normal(0, noise, receipt.shape)
    _, jpeg = cv2.imencode(".jpg", np.clip(dim, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 80])
    frame: np.ndarray = cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE)  # type: ignore[assignment]
    candidates = find_candidates(frame)
    assert candidates and not any(c.linear for c in candidates)  # boxes of noise and text, no strip
    assert not _read_by_zxing_alone(frame)
    found = decode_frame(frame)
    assert found is not None and found.code == CODE and found.pass_name.startswith("linear")


def _arc_kernel(radius: float, sweep: float) -> np.ndarray:
    """A hand's path bending through ``sweep`` degrees on a circle of ``radius`` px, as a kernel."""
    size = int(2 * radius) + 5
    kernel = np.zeros((size, size), np.float32)
    middle = math.radians(20 + sweep / 2)
    for t in np.linspace(0.0, 1.0, 400):
        turn = math.radians(20 + sweep * t)
        x = size // 2 + radius * (math.cos(turn) - math.cos(middle))
        y = size // 2 + radius * (math.sin(turn) - math.sin(middle))
        x0, y0 = int(x), int(y)
        for dy, dx, weight in ((0, 0, (1 - x + x0) * (1 - y + y0)), (0, 1, (x - x0) * (1 - y + y0))):
            kernel[y0 + dy, x0 + dx] += weight
        for dy, dx, weight in ((1, 0, (1 - x + x0) * (y - y0)), (1, 1, (x - x0) * (y - y0))):
            kernel[y0 + dy, x0 + dx] += weight
    return kernel / kernel.sum()  # type: ignore[no-any-return]


def _curved_smear() -> tuple[np.ndarray, np.ndarray]:
    kernel = _arc_kernel(6, 90)
    smeared = cv2.filter2D(_place(random.Random(3), _qr_only(), SIZE, 0.75, 0.02), -1, kernel)
    noise = np.random.default_rng(1).normal(0, 2, smeared.shape)
    return np.clip(smeared.astype(np.float32) + noise, 0, 255).astype(np.uint8), kernel


def test_a_qr_smeared_along_a_curved_path_is_read_once_the_path_is_fitted() -> None:
    frame, _ = _curved_smear()
    straight = [name for name, *_ in pipeline.REGION_PASSES if name.startswith("region-motion")]
    assert len(straight) == 4 and not any(_read_by_pass(frame, name) for name in straight)
    found = decode_frame(frame)
    assert found is not None and found.code == CODE and found.pass_name.startswith("region-path")


def test_a_straight_smear_refitted_from_a_binary_guess_restores_the_print_more_faithfully() -> None:
    frame, _ = _curved_smear()
    sharp = _place(random.Random(3), _qr_only(), SIZE, 0.75, 0.02)[150:650, 350:950].astype(np.float32)
    crop = frame[150:650, 350:950]
    blur = deblur.estimate_motion(crop)
    assert blur is not None
    kernel = deblur.line_kernel(blur.length + pipeline.MOTION_BIAS, blur.angle)
    deconvolver = deblur.Deconvolver(crop)

    def likeness(kernel: np.ndarray) -> float:  # to the print, however shifted: borders left out (they ring)
        restored = deconvolver.wiener_f(kernel, pipeline.PATH_NOISE)[40:-40, 40:-40]
        return float(cv2.matchTemplate(sharp, restored, cv2.TM_CCOEFF_NORMED).max())

    straight = likeness(kernel)
    for _ in range(2):
        fitted = deblur.refit(deconvolver, deconvolver.wiener_f(kernel, pipeline.PATH_NOISE), 2 * max(kernel.shape) | 1)
        assert fitted is not None and abs(float(fitted.sum()) - 1) < 1e-4 and fitted.min() >= 0
        kernel = fitted
    assert likeness(kernel) > straight + 0.005


def test_a_smear_flattens_the_edges_along_it_and_a_sharp_frame_has_edges_every_way() -> None:
    sharp = _place(random.Random(3), _qr_only(), SIZE, 0.75, 0.02)[150:650, 350:950]
    smeared = cv2.filter2D(sharp, -1, deblur.line_kernel(12, 30.0))
    assert deblur.smear_share(smeared, 30.0) < 0.5 * deblur.smear_share(smeared, 120.0)
    assert 0.7 < deblur.smear_share(sharp, 30.0) < 1.4
    assert deblur.smear_share(smeared, 30.0) < pipeline.PATH_SMEARED < deblur.smear_share(sharp, 30.0)


def test_a_qr_located_in_a_large_region_is_read_again_cut_close_around_it() -> None:
    # a defocused, faded receipt beside a form: their region is shrunk to the working size, where the
    # defocus disc is a pixel or two; around the QR zxing-cpp located, the camera's own pixels show it
    shot = list(generate(11, per_cell=3, resolutions=["720p"], conditions=["mixed"], negatives=False))[2]
    assert "defocus" in shot.detail and shot.code is not None
    frame = cv2.cvtColor(shot.image, cv2.COLOR_BGR2GRAY)
    region = pipeline._Region(frame, next(c for c in find_candidates(frame) if not c.linear).box)
    assert pipeline._read_region(region, 0.0, cheap=True) is None and region.located
    assert pipeline._read_region(region, 0.0, cheap=False) is None and region.base_factor < 1
    found = decode_frame(shot.image)
    assert found is not None and found.code == shot.code and found.pass_name == "region-defocus-close"


def _code128_smeared(kernel: np.ndarray) -> np.ndarray:
    frame = cv2.filter2D(_place(random.Random(3), _receipt(CODE, hide_qr=True), SIZE, 0.75, 0.02), -1, kernel)
    noise = np.random.default_rng(1).normal(0, 2, frame.shape)
    return np.clip(frame.astype(np.float32) + noise, 0, 255).astype(np.uint8)  # type: ignore[no-any-return]


def test_a_code128_smeared_along_an_uneven_path_is_read_once_the_path_across_its_bars_is_fitted() -> None:
    rng = random.Random(9)  # a hand's path of 10-16 px that drifts, turns and changes speed
    length = rng.uniform(10, 16)
    frame = _code128_smeared(optics.shake_psf(rng, length))
    found = decode_frame(frame)
    assert found is not None and found.code == CODE and found.pass_name.startswith("linear-path")


def test_a_smear_across_the_bars_is_looked_for_only_as_long_as_a_bar_survives() -> None:
    frame = _code128_smeared(deblur.line_kernel(3, 0.0))
    strip = next(c for c in find_candidates(frame) if c.linear)
    upright = linear.Upright(frame, strip)
    profile = upright.averaged().astype(np.float32).mean(axis=0)
    across = 3 * abs(math.cos(math.radians(strip.angle))) * upright.enlarge  # the smear where the code is cut
    longest = linear.SMEAR_MODULES * upright.module_px
    assert (deblur.box_across(profile) or 0) > longest  # unbounded, the code's own rhythm wins
    smear = deblur.box_across(profile, longest)
    assert smear is not None and abs(smear - across) <= 2.5


@pytest.mark.parametrize(("length", "angle"), [(9, 30.0), (11, 60.0)])
def test_a_plainly_smeared_receipt_behind_a_form_that_took_the_costly_passes_gets_the_smear_passes(
    monkeypatch: pytest.MonkeyPatch, length: int, angle: float
) -> None:
    frame = cv2.filter2D(_place(random.Random(7), _qr_only(), SIZE, 0.5, 0.02), -1, deblur.line_kernel(length, angle))
    cv2.rectangle(frame, (560, 20), (1260, 700), 235, -1)
    for line in range(28):  # a form of bold text: inked like a symbol, it outranks the receipt
        cv2.putText(frame, "Form 12-A  name / date  ID 0123", (575, 45 + 24 * line), 0, 0.7, 40, 2)
    assert next(c for c in find_candidates(frame) if not c.linear).box[0] > 400
    found = decode_frame(frame)
    assert found is not None and found.code == CODE and max(p[0] for p in found.points) < 400
    assert found.pass_name.startswith(("region-motion", "region-path"))
    monkeypatch.setattr(pipeline, "SMEARED_REGIONS", 0)  # the costly passes on the form alone
    assert decode_frame(frame) is None


def test_a_qr_located_as_a_speck_is_not_cut_close_around(monkeypatch: pytest.MonkeyPatch) -> None:
    # a phone's glass in 4K (corpus seed 23, 4K-phone-0): zxing-cpp reported a damaged QR whose four
    # corners were one point; the close cut around it was a 1x1 box, and evening it out raised
    speck = Symbol("", "QRCode", ((40, 40),) * 4, damaged=True)
    name, prepare, _ = pipeline.REGION_PASSES[0]
    passes = ((name, prepare, lambda image: [speck]), *pipeline.REGION_PASSES[1:])
    monkeypatch.setattr(pipeline, "REGION_PASSES", passes)
    cut: list[tuple[tuple[int, int], ...]] = []

    def around(points: tuple[tuple[int, int], ...], shape: tuple[int, ...]) -> Box:
        cut.append(points)
        return 0, 0, 1, 1

    monkeypatch.setattr(pipeline, "_around", around)
    frame = _place(random.Random(3), _receipt(CODE, hide_codes=True), SIZE, 0.75, 0.02)  # text, no code
    assert [c for c in find_candidates(frame) if not c.linear]  # a region to locate the speck in
    assert decode_frame(frame) is None
    assert not cut


def test_a_micro_qr_is_no_symbol_here_and_explains_no_region() -> None:
    # zxing-cpp asked for QR codes reads Micro QR too; under glare it read a receipt's own QR modules as a
    # Micro QR "225641" (corpus seed 22, 720p-glare-2), which marked the QR's region as explained, unsearched
    micro = np.asarray(zxingcpp.create_barcode("225641", zxingcpp.BarcodeFormat.MicroQRCode).to_image(scale=6))
    assert [r.format for r in zxingcpp.read_barcodes(micro)] == [zxingcpp.BarcodeFormat.MicroQRCode]
    assert zxing(micro) == [] and zxing(micro, formats=WITH_RETAIL) == []
    frame = _place(random.Random(3), _qr_only(), SIZE, 0.75, 0.02)
    frame[40 : 40 + micro.shape[0], 40 : 40 + micro.shape[1]] = micro
    found = decode_frame(frame)
    assert found is not None and found.code == CODE


def test_a_dark_mode_phone_with_a_reflection_is_read_evened_out_in_a_narrow_window_light_on_dark() -> None:
    # the lamp's streak on the glass lifts the dark screen between light modules: a window of two modules
    # evens it out, and the modules are light on dark (corpus seed 22, 480p-phone-dark-4)
    shot = list(generate(22, per_cell=6, resolutions=["480p"], conditions=["phone-dark"], negatives=False))[4]
    assert shot.code is not None and not _read_by_zxing_alone(shot.image)
    found = decode_frame(shot.image)
    assert found is not None and found.code == shot.code and found.pass_name == "region-evened-narrow"


def test_a_defocused_qr_in_dim_light_is_undone_with_more_of_the_noise_allowed_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # dim light's sensor gain: the disc undone at the usual noise-to-signal ratio lifts the noise over the
    # modules (corpus seed 34, 720p-mixed-0: dim + defocus). The frame's noise is measured, so the disc
    # pass allows for it; were it not, the pass at five times the ratio would still read it. (The cheap
    # global pass reads it first, thresholded in a window's mean: that try is left out here)
    monkeypatch.setattr(pipeline, "windowed", lambda image, window, *, invert=False: [])
    shot = next(generate(34, per_cell=12, resolutions=["720p"], conditions=["mixed"], negatives=False))
    assert shot.code is not None and "dim" in shot.detail and "defocus" in shot.detail
    found = decode_frame(shot.image)
    assert found is not None and found.code == shot.code and found.pass_name == "region-defocus"
    monkeypatch.setattr(pipeline, "NOISY_GAIN", 1.0)
    found = decode_frame(shot.image)
    assert found is not None and found.code == shot.code and found.pass_name == "region-defocus-noisy"


def test_sensor_noise_is_measured_as_its_sigma_and_a_sharp_receipt_s_print_is_not_taken_for_it() -> None:
    flat = np.full((720, 1280), 128.0)
    noisy = np.clip(flat + np.random.default_rng(1).normal(0, 6, flat.shape), 0, 255).astype(np.uint8)
    assert sensor_noise(flat.astype(np.uint8)) == 0
    assert 5 < sensor_noise(noisy) < 7
    receipt = _place(random.Random(3), _receipt(CODE), SIZE, 0.75, 0.02)  # bars, modules and text, no noise
    assert sensor_noise(grey(receipt)) < pipeline.NOISY_FRAME


def test_a_faint_qr_in_a_dim_frame_whose_noise_outranks_it_is_found_on_a_smoothed_copy() -> None:
    # dim light on faded print: the noise's specks outrank the QR's cells and only a form's text is found;
    # on a lightly smoothed copy the QR stands out (corpus seed 13, 720p-mixed-3: dim + faded, 2.5 px modules)
    shot = list(generate(13, per_cell=12, resolutions=["720p"], conditions=["mixed"], negatives=False))[3]
    frame = grey(shot.image)
    assert shot.code is not None and "dim" in shot.detail and sensor_noise(frame) > pipeline.NOISY_FRAME
    found = decode_frame(shot.image)
    assert found is not None and found.code == shot.code
    assert not any(holds(c.box, found.points) for c in find_candidates(frame))  # not where the frame's own were


def test_in_a_dim_frame_every_wiener_filter_allows_for_more_noise_and_only_there() -> None:
    image = np.random.default_rng(2).uniform(0, 255, (64, 64)).astype(np.float32)
    kernel = deblur.line_kernel(7, 30)
    usual = deblur.Deconvolver(image).wiener_f(kernel, 0.01)
    with deblur.noisier(3.0):
        noisier = deblur.Deconvolver(image).wiener_f(kernel, 0.01)
    assert np.allclose(noisier, deblur.Deconvolver(image).wiener_f(kernel, 0.03))
    assert not np.allclose(noisier, usual)
    assert np.allclose(deblur.Deconvolver(image).wiener_f(kernel, 0.01), usual)  # the block's end restores it


def test_a_smeared_qr_in_dim_light_is_read_once_its_deconvolution_allows_for_the_noise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # dim light's gain under a hand's smear: at the usual noise-to-signal ratios the deconvolved noise
    # breaks the modules up (corpus seed 15, 720p-mixed-4: motion + dim, a 2.6-module smear)
    shot = list(generate(15, per_cell=12, resolutions=["720p"], conditions=["mixed"], negatives=False))[4]
    assert shot.code is not None and "motion" in shot.detail and "dim" in shot.detail
    found = decode_frame(shot.image)
    assert found is not None and found.code == shot.code
    monkeypatch.setattr(pipeline, "NOISY_GAIN", 1.0)
    assert decode_frame(shot.image) is None


def test_of_the_outlines_zxing_located_the_one_nearest_a_square_is_warped_square(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # zxing-cpp located this QR three times over, first as a smaller square (a finder and the alignment
    # pattern); warped from that one the grid is wrong (corpus seed 33, 720p-mixed-10: dim + motion)
    shot = list(generate(33, per_cell=12, resolutions=["720p"], conditions=["mixed"], negatives=False))[10]
    found = decode_frame(shot.image)
    assert found is not None and found.code == shot.code and found.pass_name == "region-rectified"
    monkeypatch.setattr(pipeline, "_squarest", lambda outlines: outlines[0])
    assert decode_frame(shot.image) is None


def test_a_sliver_a_finder_and_a_line_of_text_make_is_not_taken_for_the_qr() -> None:
    sliver = ((1561, 305), (1611, 472), (1597, 484), (1546, 309))  # located in a 4K frame (seed 4, 4K-far-0)
    square = ((1549, 309), (1592, 295), (1607, 338), (1563, 351))
    assert pipeline._squarest([sliver, square]) == square
    assert pipeline._squarest([square, sliver]) == square
