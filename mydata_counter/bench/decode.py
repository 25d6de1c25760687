"""``mydata-counter bench scan``: the decoding pipeline on the generated corpus against one pyzbar pass
and one zxing-cpp pass over the same frames, and live decoding speed on clean 720p frames on one core.

The corpus seeds here were never looked at while tuning the pipeline (tuning used seeds 1-8), so the hit
rate is a held-out figure for this generator.
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

from counter_core.settings import Settings
from hardware.decode.corpus import Frame, generate
from hardware.decode.engines import FORMATS
from hardware.decode.pipeline import decode_frame
from mydata_counter.bench import BenchResult, check

SEEDS = (12, 13)
PER_CELL = 2
LIVE_FRAMES = 240


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


def _timed(frames: list[Frame], decode: Callable[[Any], object]) -> tuple[float, list[object]]:
    results = []
    started = time.perf_counter()
    for frame in frames:
        results.append(decode(frame.image))
    return time.perf_counter() - started, results


def _zxing_alone(image: Any) -> str | None:
    """The reference: one zxing-cpp call with its defaults, valid codes only."""
    from counter_core.datacode import code_from_symbol

    for found in zxingcpp.read_barcodes(image, formats=FORMATS):
        fmt = "QRCode" if found.format == zxingcpp.BarcodeFormat.QRCode else "Code128"
        code = code_from_symbol(found.text, fmt)
        if code:
            return code
    return None


def bench_scan(_settings: Settings) -> BenchResult:
    """Hit rate, false positives and time vs pyzbar on the corpus; live 720p frames/s on one core."""
    frames = [frame for seed in SEEDS for frame in generate(seed, per_cell=PER_CELL)]
    with one_core():
        ours_s, ours = _timed(frames, decode_frame)
        zbar_s, _ = _timed(frames, pyzbar.decode)
        zxing_s, alone = _timed(frames, _zxing_alone)
        clean = [f.image for f in generate(9, per_cell=1) if f.condition == "clean" and f.resolution == "720p"]
        live_s, live = _timed(
            [Frame("live", clean[i % len(clean)], None, "720p", "clean") for i in range(LIVE_FRAMES)], decode_frame
        )
    positives = [i for i, frame in enumerate(frames) if frame.code is not None]
    hits = [i for i in positives if getattr(ours[i], "code", None) == frames[i].code]
    false = [i for i, frame in enumerate(frames) if frame.code is None and ours[i] is not None]
    missed = collections.Counter(frames[i].condition for i in set(positives) - set(hits))
    return BenchResult(
        "scan",
        {
            "hit_rate": check(100 * len(hits) / len(positives), "%", at_least=92),
            "false_positives": check(len(false), "frames", at_most=0),
            "time_vs_pyzbar": check(ours_s / zbar_s, "x", at_most=1.0),
            "pyzbar_ms_per_frame": check(1000 * zbar_s / len(frames), "ms"),
            "zxing_alone_hit_rate": check(
                100 * sum(alone[i] == frames[i].code for i in positives) / len(positives), "%"
            ),
            "zxing_alone_time_vs_pyzbar": check(zxing_s / zbar_s, "x"),
            "live_720p_fps": check(LIVE_FRAMES / live_s, "1/s", at_least=60),
            "live_720p_decoded": check(100 * sum(r is not None for r in live) / LIVE_FRAMES, "%"),
        },
        notes=f"{len(positives)} frames with a code, {len(frames) - len(positives)} without (seeds {SEEDS}, "
        f"480p/720p/1080p); misses by condition: {dict(missed) or 'none'}; all timings pinned to one core",
    )


benchmarks = {"scan": bench_scan}
