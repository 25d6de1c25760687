"""The decoding pipeline finds MyData codes in photographed receipts and nothing else."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import qrcode
from hypothesis import given
from hypothesis import strategies as st

from counter_core.datacode import code_from_symbol, damm_check_digit, qr_payload
from hardware.decode.corpus import NEGATIVES, generate
from hardware.decode.pipeline import decode_frame

# 36 camera frames with a code (each layout: both symbols, QR alone, Code128 alone) and 14 without
CONDITIONS = ["clean", "tilted", "glare", "dim", "faded", "phone-dark"]
CORPUS = list(generate(seed=11, per_cell=3, resolutions=["480p", "720p"], conditions=CONDITIONS))


def test_corpus_frames_with_a_code_are_decoded_to_that_code() -> None:
    positives = [frame for frame in CORPUS if frame.code]
    found = {frame.name: decode_frame(frame.image) for frame in positives}
    right = [name for name, hit in found.items() if hit is not None]
    assert all(found[f.name].code == f.code for f in positives if found[f.name])  # type: ignore[union-attr]
    assert len(right) >= int(0.9 * len(positives)), sorted(set(found) - set(right))


def test_frames_without_a_valid_code_yield_nothing() -> None:
    negatives = [frame for frame in CORPUS if frame.code is None]
    assert {f.condition for f in negatives} == set(NEGATIVES)
    assert [f.name for f in negatives if decode_frame(f.image) is not None] == []


def test_outline_points_lie_on_the_symbol() -> None:
    frame = next(f for f in CORPUS if f.condition == "clean" and f.resolution == "720p")
    found = decode_frame(frame.image)
    assert found is not None
    xs, ys = [p[0] for p in found.points], [p[1] for p in found.points]
    height, width = frame.image.shape[:2]
    assert 0 <= min(xs) < max(xs) <= width and 0 <= min(ys) < max(ys) <= height
    crop = frame.image[min(ys) : max(ys), min(xs) : max(xs)]
    assert crop.std() > 2 * frame.image.std() or crop.std() > 30  # modules, not plain paper or desk


def test_a_mydata_code_beside_a_product_barcode_is_still_found() -> None:
    body = "123412341234123"
    code = body + damm_check_digit(body)
    product = np.asarray(qrcode.make("https://example.com/product", box_size=6).get_image().convert("L"))
    ours = np.asarray(qrcode.make(qr_payload(code), box_size=6).get_image().convert("L"))
    frame = np.full((480, 900), 255, np.uint8)
    frame[20 : 20 + product.shape[0], 20 : 20 + product.shape[1]] = product
    frame[20 : 20 + ours.shape[0], 480 : 480 + ours.shape[1]] = ours
    found = decode_frame(frame)
    assert found is not None and found.code == code and found.format == "QRCode"


@given(st.text(max_size=40), st.sampled_from(["QRCode", "Code128", "EAN13"]))
def test_symbol_validation_accepts_only_valid_mydata_payloads(text: str, symbology: str) -> None:
    code = code_from_symbol(text, symbology)
    if code is not None:
        assert len(code) == 16 and code.isdigit()
        assert text in (code, qr_payload(code))


def test_hw_decode_prints_one_json_line_per_file(tmp_path: Path) -> None:
    with_code = next(f for f in CORPUS if f.condition == "clean" and f.resolution == "720p")
    cv2.imwrite(str(tmp_path / "a.png"), with_code.image)
    cv2.imwrite(str(tmp_path / "b.png"), next(f for f in CORPUS if f.condition == "ean13").image)
    (tmp_path / "c.png").write_bytes(b"not an image")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mydata_counter.cli",
            "hw",
            "decode",
            *(str(tmp_path / n) for n in ("a.png", "b.png", "c.png")),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(tmp_path / n) for n in ("a.png", "b.png", "c.png")]
    assert lines[0]["text"] in (with_code.code, qr_payload(with_code.code or ""))
    assert lines[0]["format"] in ("QRCode", "Code128") and lines[0]["ms"] > 0
    assert lines[1]["text"] is None and lines[1]["format"] is None
    assert lines[2]["text"] is None and "error" in lines[2]


@pytest.mark.parametrize("resolution", ["480p", "720p", "1080p", "4K"])
def test_every_resolution_decodes_a_clean_receipt(resolution: str) -> None:
    frame = next(generate(seed=12, per_cell=1, resolutions=[resolution], conditions=["clean"], negatives=False))
    found = decode_frame(frame.image)
    assert found is not None and found.code == frame.code


def test_corpus_is_deterministic_and_a_subset_is_the_same_frames() -> None:
    again = list(generate(seed=11, per_cell=3, resolutions=["480p"], conditions=["glare"], negatives=False))
    first = [f for f in CORPUS if f.resolution == "480p" and f.condition == "glare"]
    assert [f.name for f in again] == [f.name for f in first]
    assert all(np.array_equal(a.image, b.image) for a, b in zip(again, first, strict=True))
    assert {f.layout for f in first} == {"both", "qr-only", "code128-only"}


def test_signed_receipts_larger_qr_decodes_to_its_code_with_the_signed_text_exactly() -> None:
    from hardware.decode.corpus import signed_text

    frames = list(
        generate(seed=12, per_cell=3, resolutions=["720p"], conditions=["clean"], negatives=False, signed=True)
    )
    for frame in frames:
        found = decode_frame(frame.image)
        assert found is not None and found.code == frame.code, frame.name
        if found.format == "QRCode":
            assert frame.code is not None and found.text == signed_text(frame.code)
    assert any(frame.layout == "qr-only" for frame in frames)
