"""A Code128 too smeared for any edge to be found is read by fitting what a data code must look like:
START C, eight digit pairs, the checksum symbol and STOP, under the blur, either way round, with its
middle drifted; and nothing is read that is not a valid data code."""

from __future__ import annotations

import random

import barcode
import cv2
import numpy as np
import pytest
from barcode.writer import ImageWriter

from counter_core.datacode import code_from_symbol, damm_check_digit
from hardware.decode import code128_model, deblur, linear
from hardware.decode.corpus import _place, _receipt
from hardware.decode.engines import zxing_1d
from hardware.decode.regions import Candidate, find_candidates
from hardware.printer.code128 import code128_modules

BODY = "820517340962113"
CODE = BODY + damm_check_digit(BODY)


def _valid(digits: str) -> bool:
    return code_from_symbol(digits, "Code128") is not None


def _smeared(code: str, length: int, *, turn: float = 6.0, seed: int = 1) -> np.ndarray:
    """A receipt with only its Code128 showing, smeared ``length`` px across the bars, with sensor noise."""
    clean = _place(random.Random(5), _receipt(code, hide_qr=True), (1280, 720), 1.3, 0.02, turn)
    smeared = cv2.filter2D(clean, -1, deblur.line_kernel(length, turn)).astype(np.float32)
    noise = np.random.default_rng(seed).normal(0, 3, smeared.shape)
    return np.clip(smeared + noise, 0, 255).astype(np.uint8)  # type: ignore[no-any-return]


def _strip(frame: np.ndarray) -> Candidate:
    return next(c for c in find_candidates(frame) if c.linear)


def _profile(code: str, module_px: float, blur_modules: float, bulge_modules: float = 0.0) -> np.ndarray:
    """A Code128's profile across its bars (paper 220, ink 50), its middle moved by ``bulge_modules``,
    smeared by a box of ``blur_modules``, with 20 quiet modules either side."""
    modules = np.array([int(bit) for bit in code128_modules(code)], np.float32)
    fine = 8  # samples a px
    u = np.arange(int((len(modules) + 40) * module_px * fine)) / (module_px * fine) - 20  # modules from the start
    along = np.clip(u / len(modules), 0, 1)
    u = u - bulge_modules * 4 * along * (1 - along)  # a module's ink drawn further along in the middle
    ink = np.where((u >= 0) & (u < len(modules)), modules[np.clip(u.astype(int), 0, len(modules) - 1)], 0.0)
    box = np.ones(max(1, int(blur_modules * module_px * fine)))
    ink = np.convolve(ink, box / box.sum(), "same")
    seen = 220 - 170 * ink[: len(ink) // fine * fine].reshape(-1, fine).mean(axis=1)
    return seen + np.random.default_rng(3).normal(0, 2, seen.shape)  # type: ignore[no-any-return]


def test_a_code128_smeared_near_three_modules_across_its_bars_is_read_only_by_fitting_it() -> None:
    frame = _smeared(CODE, 10)  # ~2.7 modules: a one-module bar is a faint ripple
    strip = _strip(frame)
    upright = linear.Upright(frame, strip)
    for _, image in linear.variants(upright):  # every cut-out, normalised and deconvolved, fails zxing-cpp
        assert not [s for binarizer in linear.BINARIZERS for s in zxing_1d(image, binarizer) if s.text == CODE]
    symbol = linear.modelled(frame, strip)
    assert symbol is not None and symbol.text == CODE and symbol.format == "Code128"
    xs, ys = [p[0] for p in symbol.points], [p[1] for p in symbol.points]
    crop = frame[max(0, min(ys)) : max(ys) + 1, max(0, min(xs)) : max(xs) + 1]
    assert crop.size and crop.std() > 20  # the outline lies on the bars


def test_a_code128_upside_down_is_read_the_right_way_round() -> None:
    frame = cv2.rotate(_smeared(CODE, 6), cv2.ROTATE_180)
    symbol = linear.modelled(frame, _strip(frame))
    assert symbol is not None and symbol.text == CODE


def test_a_code128_with_a_wrong_check_digit_fits_but_is_never_reported() -> None:
    wrong = BODY + str((int(damm_check_digit(BODY)) + 1) % 10)
    frame = _smeared(wrong, 6)
    upright = linear.Upright(frame, _strip(frame), linear.MODEL_SPAN)
    profile = upright.image.astype(np.float32).mean(axis=0)
    anything = code128_model.fit(profile, upright.module_px, lambda digits: True)
    assert anything is not None and anything.digits == wrong  # the fit reads what is printed
    assert code128_model.fit(profile, upright.module_px, _valid) is None
    assert linear.modelled(frame, _strip(frame)) is None


@pytest.mark.parametrize(("kind", "data"), [("ean13", "471234567890"), ("itf", "8205173409621136")])
def test_another_kind_of_barcode_is_not_taken_for_a_code(kind: str, data: str) -> None:
    """A product's EAN-13, and an Interleaved 2 of 5 of sixteen digits (a shipping label)."""
    rendered = barcode.get(kind, data, writer=ImageWriter()).render({"module_width": 0.33, "dpi": 300})
    frame = _place(random.Random(2), np.asarray(rendered.convert("L")), (1280, 720), 0.9, 0.02, 4.0)
    frame = cv2.filter2D(frame, -1, deblur.line_kernel(7, 4.0))
    strips = [c for c in find_candidates(frame) if c.linear]
    assert strips
    for strip in strips:  # not even digits that fail the checks: no code's structure fits
        upright = linear.Upright(frame, strip, linear.MODEL_SPAN)
        profile = upright.image.astype(np.float32).mean(axis=0)
        assert code128_model.fit(profile, upright.module_px, lambda digits: True) is None


def test_a_code_whose_middle_drifted_a_module_is_read_once_the_bulge_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    profile = _profile(CODE, 3.0, 2.0, bulge_modules=1.0)
    found = code128_model.fit(profile, 3.0, _valid)
    assert found is not None and found.digits == CODE
    assert abs(found.start - 20 * 3.0) < 3.0 and abs(found.end - 143 * 3.0) < 3.0  # px, where it was drawn
    monkeypatch.setattr(code128_model, "BULGES", (0.0,))
    monkeypatch.setattr(code128_model, "WARPS", 0)
    assert code128_model.fit(profile, 3.0, _valid) is None  # even modules between the ends read it wrong


@pytest.mark.parametrize("blur_modules", [1.0, 2.0, 3.0])
def test_the_fit_reads_through_a_smear_of_up_to_three_modules(blur_modules: float) -> None:
    found = code128_model.fit(_profile(CODE, 2.5, blur_modules), 2.5, _valid)
    assert found is not None and found.digits == CODE


def test_the_codes_extent_is_the_dark_stretch_between_its_quiet_zones() -> None:
    profile = _profile(CODE, 3.0, 2.0)
    profile[: int(8 * 3.0)] = 60.0  # the desk's edge, beyond the quiet zone
    span = code128_model.extent(code128_model.darkness(profile, 3.0), 3.0)
    assert span is not None
    assert abs(span[0] - 20 * 3.0) <= 3.0 and abs(span[1] - 143 * 3.0) <= 3.0  # within a module of the ink


def test_one_blur_shape_alone_never_makes_a_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """A forward model always finds some best sequence: a read needs two blur shapes agreeing on it."""
    profile = _profile(CODE, 2.5, 2.0)
    assert code128_model.fit(profile, 2.5, _valid) is not None
    monkeypatch.setattr(code128_model, "KEPT_BLURS", 1)
    assert code128_model.fit(profile, 2.5, _valid) is None
