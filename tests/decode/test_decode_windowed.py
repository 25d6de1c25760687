"""QR codes whose contrast falls under zxing-cpp's floor are read thresholded against a window's mean:
zxing-cpp's local average calls a block whose grey levels span 24 or fewer all light, and glare, a
phone's glass or a deconvolution's soft edges put a QR's blocks under it."""

from __future__ import annotations

import barcode
import numpy as np
import pytest
import qrcode
from barcode.writer import ImageWriter

from counter_core.datacode import damm_check_digit, qr_payload
from hardware.decode import pipeline
from hardware.decode.corpus import generate
from hardware.decode.engines import Symbol, windowed, zxing
from hardware.decode.pipeline import decode_frame

BODY = "820517340962113"
CODE = BODY + damm_check_digit(BODY)


def _faint_qr_under_a_lamp() -> np.ndarray:
    """A QR printed 16 grey levels dark on paper lit from one side: every 8-px block spans less than
    zxing-cpp's floor, and the lamp's ramp is wider than the modules' contrast for one global threshold."""
    qr = np.asarray(qrcode.make(qr_payload(CODE), box_size=6, border=4).get_image().convert("L"), np.float32)
    ink = (255 - qr) / 255
    height, width = qr.shape
    lamp = np.linspace(120, 235, width, dtype=np.float32)[None, :].repeat(height, axis=0)
    grain = np.random.default_rng(7).normal(0, 1.0, qr.shape)
    return np.clip(lamp - 16 * ink + grain, 0, 255).astype(np.uint8)


def _no_windowed(image: np.ndarray, window: int, *, invert: bool = False) -> list[Symbol]:
    return []


def test_a_qr_fainter_than_zxing_cpp_s_contrast_floor_is_read_thresholded_in_a_window_mean() -> None:
    faint = _faint_qr_under_a_lamp()
    assert zxing(faint, invert=True) == []
    found = windowed(faint, 21)
    assert [s.text for s in found] == [qr_payload(CODE)]
    xs = [p[0] for p in found[0].points]
    assert 0 <= min(xs) < max(xs) <= faint.shape[1]  # outlined in the image's own pixels


def test_a_faint_qr_light_on_dark_is_read_windowed_only_inverted() -> None:
    faint = 255 - _faint_qr_under_a_lamp()
    assert windowed(faint, 21) == []
    assert [s.text for s in windowed(faint, 21, invert=True)] == [qr_payload(CODE)]


def test_windowed_reads_nothing_from_blank_grainy_paper_and_no_code128() -> None:
    paper = np.clip(np.random.default_rng(3).normal(200, 3, (480, 640)), 0, 255).astype(np.uint8)
    assert windowed(paper, 11) == [] and windowed(paper, 21, invert=True) == []
    writer = ImageWriter()
    drawn = barcode.get("code128", CODE, writer=writer).render({"module_width": 0.4, "write_text": False})
    bars = np.asarray(drawn.convert("L"))
    assert [s.format for s in zxing(bars)] == ["Code128"]  # plainly readable, but not by the QR-only try
    assert windowed(bars, 21) == []


@pytest.mark.parametrize(
    ("seed", "resolution", "condition", "index", "read_by"),
    [
        (21, "720p", "glare", 3, "region-global"),  # a lamp's reflection across the QR on paper
        (21, "720p", "phone-dark", 1, "region-global"),  # light modules on a dark phone's glass
        (14, "1080p", "mixed", 5, "region-defocus"),  # crumpled and out of focus: the restored disc's soft edges
    ],
)
def test_a_corpus_qr_under_the_contrast_floor_is_read_windowed_and_not_without(
    monkeypatch: pytest.MonkeyPatch, seed: int, resolution: str, condition: str, index: int, read_by: str
) -> None:
    cell = list(generate(seed, per_cell=6, resolutions=[resolution], conditions=[condition], negatives=False))
    shot = cell[index]
    assert shot.code is not None and shot.layout == "qr-only"
    found = decode_frame(shot.image)
    assert found is not None and found.code == shot.code and found.pass_name == read_by
    monkeypatch.setattr(pipeline, "windowed", _no_windowed)
    assert decode_frame(shot.image) is None


def test_a_pass_that_read_a_code_is_not_read_again_windowed(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def counted(image: np.ndarray, window: int, *, invert: bool = False) -> list[Symbol]:
        calls.append(window)
        return []

    monkeypatch.setattr(pipeline, "windowed", counted)
    printed = np.asarray(qrcode.make(qr_payload(CODE), box_size=6).get_image().convert("L"))
    engine = pipeline._or_windowed(zxing)
    assert [s.text for s in engine(printed)] == [qr_payload(CODE)]
    assert calls == []
    assert engine(np.full((200, 200), 255, np.uint8)) == [] and calls == [11]
