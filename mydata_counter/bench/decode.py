"""``mydata-counter bench scan``: the decoding pipeline on the camera corpus (``hardware.decode.corpus``)
against one pyzbar pass and one plain zxing-cpp pass over the same frames, per condition, and live
decoding speed on clean 720p frames on one core.

Two sets, both reported: the tuning seeds (looked at while the pipeline was changed) and the held-apart
seeds (never looked at while tuning: their figures are the ones that say whether it generalises).
"""

from __future__ import annotations

import collections
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import cv2
import zxingcpp
from pyzbar import pyzbar

from counter_core.datacode import code_from_symbol
from counter_core.settings import Settings
from hardware.decode.corpus import CONDITIONS, Frame, generate
from hardware.decode.engines import FORMATS
from hardware.decode.pipeline import decode_frame
from mydata_counter.bench import BenchResult, Metric, check

TUNING_SEEDS = (1, 2)
HELD_APART_SEEDS = (101, 102)
PER_CELL = 3  # one frame per layout (both symbols, QR only, Code128 only) per resolution and condition
LIVE_FRAMES = 240
_ZBAR_TYPES = [pyzbar.ZBarSymbol.QRCODE, pyzbar.ZBarSymbol.CODE128]


@contextmanager
def one_core() -> Iterator[None]:
    """Pin this process to a single CPU (and OpenCV to one thread) while measuring."""
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    if affinity:
        os.sched_setaffinity(0, {min(affinity)})
    try:
        yield
    finally:
        if affinity:
            os.sched_setaffinity(0, affinity)
        cv2.setNumThreads(threads)


def _timed(frames: list[Frame], decode: Callable[[Any], Any]) -> tuple[float, list[Any]]:
    results = []
    started = time.perf_counter()
    for frame in frames:
        results.append(decode(frame.image))
    return time.perf_counter() - started, results


def _ours(image: Any) -> str | None:
    found = decode_frame(image)
    return found.code if found else None


def _pyzbar_alone(image: Any) -> str | None:
    """The reference: one pyzbar pass (QR and Code128, as our engines are asked), valid codes only."""
    for found in pyzbar.decode(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), symbols=_ZBAR_TYPES):
        code = code_from_symbol(found.data.decode("latin-1"), "QRCode" if found.type == "QRCODE" else "Code128")
        if code:
            return code
    return None


def _zxing_alone(image: Any) -> str | None:
    """The other reference: one zxing-cpp call with its defaults, valid codes only."""
    for found in zxingcpp.read_barcodes(image, formats=FORMATS):
        fmt = "QRCode" if found.format == zxingcpp.BarcodeFormat.QRCode else "Code128"
        code = code_from_symbol(found.text, fmt)
        if code:
            return code
    return None


def _rate(frames: list[Frame], results: list[str | None]) -> float:
    return 100 * sum(r == f.code for f, r in zip(frames, results, strict=True)) / max(len(frames), 1)


def _scored(prefix: str, frames: list[Frame], runs: dict[str, tuple[float, list[str | None]]]) -> dict[str, Metric]:
    """Hit rates overall and per condition (and layout), false positives, wrong codes, time vs pyzbar."""
    positives = [i for i, f in enumerate(frames) if f.code is not None]
    negatives = [i for i, f in enumerate(frames) if f.code is None]
    ours_s, ours = runs["ours"]
    zbar_s, _ = runs["pyzbar"]
    held = prefix == "held_apart"
    metrics = {
        f"{prefix}_hit_rate": check(
            _rate([frames[i] for i in positives], [ours[i] for i in positives]), "%", at_least=97 if held else None
        ),
        f"{prefix}_false_positives": check(sum(ours[i] is not None for i in negatives), "frames", at_most=0),
        f"{prefix}_wrong_codes": check(
            sum(ours[i] not in (None, frames[i].code) for i in positives), "frames", at_most=0
        ),
        f"{prefix}_time_vs_pyzbar": check(ours_s / zbar_s, "x", at_most=1.0),
        f"{prefix}_pyzbar_ms_per_frame": check(1000 * zbar_s / len(frames), "ms"),
    }
    for engine in ("pyzbar", "zxing"):
        results = runs[engine][1]
        metrics[f"{prefix}_{engine}_alone_hit_rate"] = check(
            _rate([frames[i] for i in positives], [results[i] for i in positives]), "%"
        )
        metrics[f"{prefix}_{engine}_alone_false_positives"] = check(
            sum(results[i] is not None for i in negatives), "frames"
        )
    metrics[f"{prefix}_zxing_alone_time_vs_pyzbar"] = check(runs["zxing"][0] / zbar_s, "x")
    groups: dict[str, list[int]] = collections.defaultdict(list)
    for i in positives:
        groups[frames[i].condition].append(i)
        groups[frames[i].layout].append(i)
    for group in (*CONDITIONS, "both", "qr-only", "code128-only"):
        members = groups.get(group, [])
        for engine in ("ours", "pyzbar", "zxing") if held else ("ours",):
            results = runs[engine][1]
            name = f"{prefix}_{group}" if engine == "ours" else f"{prefix}_{group}_{engine}_alone"
            metrics[name] = check(_rate([frames[i] for i in members], [results[i] for i in members]), "%")
    return metrics


def _run(frames: list[Frame]) -> dict[str, tuple[float, list[str | None]]]:
    """Each frame through the three decoders in turn, so that load from other processes on a shared
    machine falls on all three alike (run one after the other, a busy minute skews the ratio)."""
    engines = (("ours", _ours), ("pyzbar", _pyzbar_alone), ("zxing", _zxing_alone))
    seconds = dict.fromkeys((name for name, _ in engines), 0.0)
    results: dict[str, list[str | None]] = {name: [] for name, _ in engines}
    for frame in frames:
        for name, decode in engines:
            started = time.perf_counter()
            results[name].append(decode(frame.image))
            seconds[name] += time.perf_counter() - started
    return {name: (seconds[name], results[name]) for name, _ in engines}


def bench_scan(_settings: Settings) -> BenchResult:
    """Hit rates per condition, false positives and time vs pyzbar on the camera corpus (tuning and
    held-apart seeds); live 720p frames/s on one core."""
    metrics: dict[str, Metric] = {}
    notes = []
    for prefix, seeds in (("held_apart", HELD_APART_SEEDS), ("tuning", TUNING_SEEDS)):
        frames = [frame for seed in seeds for frame in generate(seed, per_cell=PER_CELL)]
        with one_core():
            runs = _run(frames)
        metrics.update(_scored(prefix, frames, runs))
        missed = collections.Counter(
            f"{f.resolution} {f.condition} {f.layout}"
            for f, r in zip(frames, runs["ours"][1], strict=True)
            if f.code and r != f.code
        )
        positives = sum(f.code is not None for f in frames)
        notes.append(
            f"{prefix} seeds {seeds}: {positives} frames with a code, {len(frames) - positives} without; "
            f"missed: {dict(missed) or 'none'}"
        )
    clean = [f for f in generate(9, per_cell=PER_CELL, resolutions=["720p"], conditions=["clean"], negatives=False)]
    with one_core():
        live_s, live = _timed([clean[i % len(clean)] for i in range(LIVE_FRAMES)], _ours)
    metrics["live_720p_fps"] = check(LIVE_FRAMES / live_s, "1/s", at_least=60)
    metrics["live_720p_decoded"] = check(100 * sum(r is not None for r in live) / LIVE_FRAMES, "%")
    notes.append("480p/720p/1080p/4K; all timings pinned to one core")
    return BenchResult("scan", metrics, notes="; ".join(notes))


benchmarks = {"scan": bench_scan}
