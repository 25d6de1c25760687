"""The hard-frame passes do what they claim: the blur is measured, undone, and a tilted Code128 is
straightened; the outline still lands on the symbol in frame coordinates."""

from __future__ import annotations

import random
from datetime import datetime

import cv2
import numpy as np
import pytest

from counter_core.datacode import damm_check_digit
from hardware.decode import deblur
from hardware.decode.corpus import _desk, _motion, _place, _receipt
from hardware.decode.pipeline import decode_frame
from hardware.decode.regions import deskewed, skew_degrees
from hardware.printer.receipt import sample_receipt
from hardware.printer.render_raster import render_receipt_image

BODY = "820517340962113"
CODE = BODY + damm_check_digit(BODY)


def _frame(*, turn: float = 0.0, fraction: float = 0.9, hide_qr: bool = False, seed: int = 5) -> np.ndarray:
    receipt = _receipt(CODE, hide_qr=hide_qr)
    return _place(random.Random(seed), receipt, (1280, 720), fraction, 0.02, turn)


def _line_blur(image: np.ndarray, length: int, angle: float) -> np.ndarray:
    return cv2.filter2D(image, -1, deblur.line_kernel(length, angle))


@pytest.mark.parametrize(("length", "angle"), [(9, 0.0), (12, 35.0), (15, 120.0)])
def test_motion_blur_length_and_direction_are_measured_from_the_cepstrum(length: int, angle: float) -> None:
    blurred = _line_blur(_frame(), length, angle)
    found = deblur.estimate_motion(blurred[100:700, 300:1000])
    assert found is not None
    assert abs(found.length - length) <= 1.5
    assert min(abs(found.angle - angle), 180 - abs(found.angle - angle)) <= 6


def test_a_sharp_frame_has_no_motion_blur_and_a_small_defocus() -> None:
    sharp = _frame()[100:700, 300:1000]
    assert deblur.estimate_motion(sharp) is None
    assert deblur.estimate_defocus(sharp) < 1.4
    assert deblur.estimate_defocus(cv2.GaussianBlur(sharp, (0, 0), 3.0)) > 2.0


def test_motion_blurred_receipt_that_zxing_cannot_read_is_read_after_deconvolution() -> None:
    frame = _line_blur(_frame(fraction=0.75), 13, 25.0)
    found = decode_frame(frame)
    assert found is not None and found.code == CODE
    assert found.pass_name == "region-motion"


def test_defocused_receipt_is_read_after_deconvolution() -> None:
    frame = cv2.GaussianBlur(_frame(fraction=0.9), (0, 0), 2.8)
    found = decode_frame(frame)
    assert found is not None and found.code == CODE
    assert found.pass_name.startswith("region-defocus")


@pytest.mark.parametrize("turn", [-25.0, 18.0, 90.0 + 22.0])
def test_tilted_code128_alone_is_straightened_and_read(turn: float) -> None:
    frame = _frame(turn=turn, fraction=1.3, hide_qr=True)
    found = decode_frame(frame)
    assert found is not None and found.text == CODE and found.format == "Code128"
    xs, ys = [p[0] for p in found.points], [p[1] for p in found.points]
    assert min(xs) >= 0 and max(xs) <= 1280 and min(ys) >= 0 and max(ys) <= 720
    crop = frame[min(ys) : max(ys) + 1, min(xs) : max(xs) + 1]
    assert crop.size and crop.std() > 40  # the outline lies on bars, not plain paper


def test_measured_skew_straightens_a_turned_receipt() -> None:
    straight = np.full((900, 900), 255, np.uint8)
    receipt = cv2.resize(_receipt(CODE), None, fx=0.8, fy=0.8, interpolation=cv2.INTER_AREA)
    straight[34 : 34 + receipt.shape[0], 220 : 220 + receipt.shape[1]] = receipt
    assert abs(skew_degrees(straight)) < 1
    for turn in (-30.0, 12.0, 90.0 + 20.0):
        turned, _ = deskewed(straight, turn)
        skew = skew_degrees(turned)
        assert abs(skew) > 8
        assert abs(skew_degrees(deskewed(turned, skew)[0])) < 3  # upright enough for a scan line


def test_dim_faded_receipt_is_read_after_denoising_and_local_contrast() -> None:
    rng = random.Random(3)
    image = np.asarray(render_receipt_image(sample_receipt(datetime(2026, 11, 24, 16, 40), CODE), 576).convert("L"))
    faded = (170 + image.astype(np.float32) / 255 * 85).astype(np.uint8)  # worn thermal print
    frame = _place(rng, faded, (1280, 720), 0.8, 0.02).astype(np.float32) * 0.18
    frame += np.random.default_rng(1).normal(0, 5, frame.shape)  # sensor noise in a dim room
    found = decode_frame(np.clip(frame, 0, 255).astype(np.uint8))
    assert found is not None and found.code == CODE


def test_plain_desk_yields_nothing() -> None:
    assert decode_frame(_desk(random.Random(2), (1280, 720))) is None


def test_motion_helper_blurs_like_the_kernel() -> None:
    frame = _frame()
    assert _motion(random.Random(1), frame, 10).std() < frame.std()
