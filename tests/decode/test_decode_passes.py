"""The hard-frame passes do what they claim: a lone Code128 is found as a strip with its bar direction and
read upright; blur is measured and undone; a dark-mode QR is read; the outline lands on the symbol."""

from __future__ import annotations

import random

import cv2
import numpy as np
import pytest

from counter_core.datacode import damm_check_digit
from hardware.decode import deblur, linear, optics
from hardware.decode.corpus import _desk, _place, _receipt
from hardware.decode.engines import zxing, zxing_1d
from hardware.decode.pipeline import decode_frame
from hardware.decode.regions import find_candidates

BODY = "820517340962113"
CODE = BODY + damm_check_digit(BODY)


def _frame(*, turn: float = 0.0, fraction: float = 0.9, hide_qr: bool = False, seed: int = 5) -> np.ndarray:
    receipt = _receipt(CODE, hide_qr=hide_qr)
    return _place(random.Random(seed), receipt, (1280, 720), fraction, 0.02, turn)


def _line_blur(image: np.ndarray, length: int, angle: float) -> np.ndarray:
    return cv2.filter2D(image, -1, deblur.line_kernel(length, angle))


def _noisy(image: np.ndarray, sigma: float, seed: int = 1) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0, sigma, image.shape)
    return np.clip(image.astype(np.float32) + noise, 0, 255).astype(np.uint8)


@pytest.mark.parametrize(("length", "angle"), [(9, 0.0), (12, 35.0), (15, 120.0)])
def test_motion_blur_length_and_direction_are_measured_from_the_cepstrum(length: int, angle: float) -> None:
    blurred = _line_blur(_frame(), length, angle)
    found = deblur.estimate_motion(blurred[100:700, 300:1000])
    assert found is not None
    assert abs(found.length - length) <= 1.5
    assert min(abs(found.angle - angle), 180 - abs(found.angle - angle)) <= 6


def test_a_sharp_frame_has_at_most_a_faint_smear() -> None:
    sharp = _frame()[100:700, 300:1000]
    faint = deblur.estimate_motion(sharp)  # print structure (module pitch, text lines) makes weak peaks
    smeared = deblur.estimate_motion(_line_blur(_frame(), 11, 60.0)[100:700, 300:1000])
    assert smeared is not None
    assert smeared.strength < 2 * (faint.strength if faint else deblur.MOTION_PEAK)


def test_motion_blurred_receipt_that_zxing_cannot_read_is_read_after_deconvolution() -> None:
    frame = _line_blur(_frame(fraction=0.75), 13, 25.0)
    assert not zxing(frame)
    found = decode_frame(frame)
    assert found is not None and found.code == CODE


@pytest.mark.parametrize("lean", [0.8, -0.8])
def test_a_smear_heavier_at_one_end_is_undone_whichever_end(lean: float) -> None:
    # a hand slowing down (or speeding up) leaves more of the image where it lingered: the cepstrum sees
    # the smear's length and direction but not which end is heavier, and a uniform kernel leaves echoes
    frame = _noisy(cv2.filter2D(_frame(fraction=0.75), -1, deblur.line_kernel(17, 25.0, lean)), 2.0)
    assert not zxing(frame)
    found = decode_frame(frame)
    assert found is not None and found.code == CODE


def test_one_spectrum_serves_every_kernel_tried() -> None:
    crop = _line_blur(_frame(), 11, 60.0)[100:400, 300:620]
    once = deblur.Deconvolver(crop)
    for kernel in (deblur.line_kernel(11, 60.0), deblur.line_kernel(11, 60.0, 0.6), deblur.disc_kernel(3.0)):
        fresh = deblur.wiener_f(crop, kernel, 0.02)
        assert np.abs(once.wiener_f(kernel, 0.02) - fresh).max() < 0.01
    assert deblur.estimate_disc(crop, deblur.cepstrum(crop)) == deblur.estimate_disc(crop)


def test_the_taper_blurs_only_the_border_bands_it_blends() -> None:
    image = _noisy(_frame()[100:400, 300:700], 20.0)
    tapered = deblur._taper(image, 16)
    whole = cv2.GaussianBlur(image.astype(np.float32), (0, 0), 8.0)  # the blend's definition, all pixels
    assert np.array_equal(tapered[16:-16, 16:-16], image[16:-16, 16:-16].astype(np.float32))
    assert np.allclose(tapered[0, :], whole[0, :], atol=1e-3)  # the very edge: the blurred copy alone
    assert np.allclose(tapered[:, -1], whole[:, -1], atol=1e-3)


def test_two_equal_peaks_at_right_angles_are_a_grid_not_a_smear() -> None:
    # JPEG's 8-px blocks (or a symbol's module pitch) dip the cepstrum the same both ways; a hand's
    # smear (here 9 px right, 5 px down: 10.3 px at 29 degrees) dips it one way only, even when fainter
    full = np.zeros((256, 256), np.float32)
    for (dy, dx), dip in (((0, 8), -0.05), ((8, 0), -0.05), ((5, 9), -0.03)):
        full[dy, dx] = full[-dy, -dx] = dip
    found = deblur.estimate_motions(np.zeros((256, 256), np.uint8), 2, full)
    assert len(found) == 1
    assert found[0].length == pytest.approx(10.3, abs=0.1) and found[0].angle == pytest.approx(29.1, abs=0.5)


def test_a_leaning_line_kernel_is_heavier_at_one_end() -> None:
    kernel = deblur.line_kernel(11, 0.0, 0.6)
    row = kernel.sum(axis=0)
    assert kernel.sum() == pytest.approx(1.0)
    assert row[row > 0][-1] > 2 * row[row > 0][0]  # 1 + 0.6 at the far end, 1 - 0.6 at the near one
    assert np.allclose(deblur.line_kernel(11, 0.0, -0.6), kernel[:, ::-1], atol=1e-6)


@pytest.mark.parametrize("turn", [-19.0, 8.0, 90.0 + 14.0])
def test_a_lone_code128_is_found_as_a_strip_and_turned_with_its_bars_upright(turn: float) -> None:
    frame = _frame(turn=turn, fraction=1.3, hide_qr=True)
    strips = [c for c in find_candidates(frame) if c.linear]
    assert strips
    assert 300 < strips[0].length < 700  # the 123-module symbol at ~3.9 px a module
    upright = linear.Upright(frame, strips[0]).image.astype(np.float32)
    middle = upright[upright.shape[0] // 4 : 3 * upright.shape[0] // 4]
    across = float(np.abs(np.diff(middle, axis=1)).mean())
    along = float(np.abs(np.diff(middle, axis=0)).mean())
    assert along < 0.25 * across  # bars now run straight down: rows agree with each other


@pytest.mark.parametrize("turn", [-15.0, 11.0, 90.0 + 7.0])
def test_tilted_soft_noisy_code128_alone_is_read_upright_and_outlined(turn: float) -> None:
    frame = _noisy(cv2.GaussianBlur(_frame(turn=turn, fraction=0.95, hide_qr=True), (0, 0), 1.4), 6)
    assert not [s for s in zxing(frame) if s.text == CODE]  # one zxing-cpp pass cannot
    found = decode_frame(frame)
    assert found is not None and found.text == CODE and found.format == "Code128"
    assert found.pass_name.startswith("linear")
    xs, ys = [p[0] for p in found.points], [p[1] for p in found.points]
    assert min(xs) >= 0 and max(xs) <= 1280 and min(ys) >= 0 and max(ys) <= 720
    crop = frame[min(ys) : max(ys) + 1, min(xs) : max(xs) + 1]
    assert crop.size and crop.std() > 30  # the outline lies on bars, not plain paper


def test_blur_across_bars_is_measured_and_undone_along_the_code_only() -> None:
    strip = next(c for c in find_candidates(_frame(turn=6.0, fraction=1.3, hide_qr=True)) if c.linear)
    sharp = linear.Upright(_frame(turn=6.0, fraction=1.3, hide_qr=True), strip)
    soft_frame = cv2.GaussianBlur(_frame(turn=6.0, fraction=1.3, hide_qr=True), (0, 0), 2.2)
    soft = linear.Upright(soft_frame, strip)
    assert linear.blur_across(soft.averaged(), soft.module_px) > 1.5 * linear.blur_across(
        sharp.averaged(), sharp.module_px
    )
    names = [name for name, _ in linear.variants(soft)]
    assert "linear-deblurred" in names and "linear-deblurred" not in [n for n, _ in linear.variants(sharp)]


def test_a_code128_smeared_across_its_bars_by_a_slowing_hand_is_undone_with_a_leaning_box() -> None:
    clean = _frame(turn=6.0, fraction=1.3, hide_qr=True)
    strip = next(c for c in find_candidates(clean) if c.linear)
    smeared = _noisy(cv2.filter2D(clean, -1, deblur.line_kernel(11, strip.angle, 0.8)), 3.0)
    read = [
        name
        for name, image in linear.variants(linear.Upright(smeared, strip))
        if any(s.text == CODE for binarizer in linear.BINARIZERS for s in zxing_1d(image, binarizer))
    ]
    assert read and set(read) == {"linear-motion-lean"}  # a uniform box or a Gaussian leaves it unreadable


def test_glare_gradient_across_a_faded_code128_is_normalised_away() -> None:
    faded = (150 + _receipt(CODE, hide_qr=True).astype(np.float32) / 255 * 105).astype(np.uint8)
    frame = _place(random.Random(2), faded, (1280, 720), 1.2, 0.02, 5.0).astype(np.float32)
    frame += np.linspace(0, 120, 1280, dtype=np.float32)[None, :]  # a lamp to one side
    found = decode_frame(np.clip(frame, 0, 255).astype(np.uint8))
    assert found is not None and found.code == CODE


def test_dark_mode_qr_light_on_dark_is_read() -> None:
    frame = cv2.bitwise_not(_frame(fraction=0.8))  # light modules on a dark ground, as a phone shows it
    frame = cv2.GaussianBlur(frame, (0, 0), 1.0)
    found = decode_frame(frame)
    assert found is not None and found.code == CODE


@pytest.mark.parametrize("radius", [3.0, 5.0])
def test_defocus_disc_radius_is_measured_from_the_ring_cepstrum(radius: float) -> None:
    frame = _noisy(cv2.filter2D(_frame(fraction=0.8), -1, deblur.disc_kernel(radius)), 2)
    found = deblur.estimate_disc(frame[100:620, 350:950])
    assert found is not None and abs(found - radius) <= 0.75


def test_disc_psf_and_hand_trajectory_are_normalised_kernels() -> None:
    disc = optics.disc_psf(3.0)
    assert abs(float(disc.sum()) - 1) < 1e-5 and disc[disc.shape[0] // 2, disc.shape[1] // 2] > 0
    shake = optics.shake_psf(random.Random(4), 12.0)
    assert abs(float(shake.sum()) - 1) < 1e-5
    assert max(shake.shape) >= 7  # a 12 px path needs room


def test_plain_desk_yields_nothing() -> None:
    assert decode_frame(_desk(random.Random(2), (1280, 720))) is None


def _turn(a: float, b: float) -> float:
    return abs((a - b + 90) % 180 - 90)


@pytest.mark.parametrize(("length", "angle"), [(7, 50.0), (9, 130.0), (8, 70.0)])
def test_a_smear_is_measured_from_the_edges_as_well(length: int, angle: float) -> None:
    sharp = _frame(fraction=0.75, seed=3)[150:650, 350:950]
    found = deblur.edge_motion(cv2.filter2D(sharp, -1, deblur.line_kernel(length, angle)))
    # a start for the path's fit, rougher than the cepstrum's: the print's own edges lean one way too
    assert found is not None and abs(found.length - length) <= 1.5 and _turn(found.angle, angle) <= 15
    assert deblur.edge_motion(sharp) is None  # its edges go every way: no smear


@pytest.mark.parametrize(("length", "angle"), [(7, 50.0), (9, 130.0)])
def test_the_edges_show_a_smear_where_the_cepstrum_hears_the_rhythm_of_text(length: int, angle: float) -> None:
    form = np.full((720, 1280), 235, np.uint8)
    for line in range(28):
        cv2.putText(form, "Form 12-A  name / date  ID 0123 / 4567", (15, 45 + 24 * line), 0, 0.7, 40, 2)
    smeared = cv2.filter2D(form, -1, deblur.line_kernel(length, angle))[100:600, 100:800]
    first = deblur.estimate_motions(smeared, 2)[0]
    assert _turn(first.angle, angle) > 30  # the strokes' rhythm along the lines outweighs the smear
    found = deblur.edge_motion(smeared)
    assert found is not None and abs(found.length - length) <= 1.5 and _turn(found.angle, angle) <= 10


def test_a_defocus_disc_on_faded_print_is_measured_from_its_fainter_ring_dip() -> None:
    faded = 235 - (235 - _frame(fraction=0.8).astype(np.float32)) * 0.5  # worn thermal print: half the contrast
    frame = _noisy(cv2.filter2D(faded, -1, deblur.disc_kernel(4.0)).astype(np.uint8), 2)
    found = deblur.estimate_disc(frame[100:620, 350:950])
    assert found is not None and abs(found - 4.0) <= 0.75
    assert deblur.estimate_disc(_noisy(_frame(fraction=0.8), 2)[100:620, 350:950]) is None  # in focus: no disc
