"""``mydata-counter bench scan``: the decoding pipeline on the generated corpus vs a single pyzbar pass,
and live decoding speed on clean 720p frames on one core."""

from __future__ import annotations

import time

import cv2
from pyzbar import pyzbar

from hardware.decode.corpus import generate
from hardware.decode.pipeline import decode_frame
from mydata_counter.bench import BenchResult, check
from mydata_counter.settings import Settings

SEEDS = (1, 2)
LIVE_FRAMES = 120


def bench_scan(_settings: Settings) -> BenchResult:
    """Hit rate, false positives and time vs pyzbar on the corpus; live 720p frames/s on one core."""
    cv2.setNumThreads(1)
    frames = [frame for seed in SEEDS for frame in generate(seed, per_cell=2)]
    hits = false = 0
    ours = zbar = 0.0
    for frame in frames:
        started = time.perf_counter()
        found = decode_frame(frame.image)
        ours += time.perf_counter() - started
        started = time.perf_counter()
        pyzbar.decode(frame.image)
        zbar += time.perf_counter() - started
        if frame.code is None:
            false += found is not None
        else:
            hits += found is not None and found.code == frame.code
    positives = sum(frame.code is not None for frame in frames)
    clean = [f.image for f in generate(7, per_cell=1) if f.condition == "clean" and f.resolution == "720p"]
    started = time.perf_counter()
    decoded = 0
    for index in range(LIVE_FRAMES):
        decoded += decode_frame(clean[index % len(clean)]) is not None
    fps = LIVE_FRAMES / (time.perf_counter() - started)
    return BenchResult(
        "scan",
        {
            "hit_rate": check(100 * hits / positives, "%", at_least=92),
            "false_positives": check(false, "frames", at_most=0),
            "time_vs_pyzbar": check(ours / zbar, "x", at_most=1.0),
            "live_720p_fps": check(fps, "1/s", at_least=60),
            "live_720p_decoded": check(100 * decoded / LIVE_FRAMES, "%"),
        },
        notes=f"{positives} frames with a code, {len(frames) - positives} without (seeds {SEEDS}); "
        "pipeline total vs one pyzbar pass over the same frames; live: one thread",
    )


benchmarks = {"scan": bench_scan}
