"""Benchmark of the serving stack every terminal shares: gunicorn gthread + Flask, /healthz on loopback."""

from __future__ import annotations

import statistics
import time

import requests

from counter_core.settings import Settings
from mydata_counter.bench import BenchResult, check
from mydata_counter.servicerunner import running_service

REQUESTS = 300


def bench_healthz(settings: Settings) -> BenchResult:
    """Kiosk cold start (process start to first /healthz) and /healthz latency on loopback."""
    started = time.perf_counter()
    with running_service("kiosk", settings) as url:
        cold_start = time.perf_counter() - started
        latencies = []
        with requests.Session() as session:
            for _ in range(REQUESTS):
                t0 = time.perf_counter()
                session.get(f"{url}/healthz", timeout=5).raise_for_status()
                latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    return BenchResult(
        "serving",
        {
            "kiosk_cold_start": check(cold_start, "s", at_most=3.0),
            "healthz_p50": check(statistics.median(latencies), "ms"),
            "healthz_p99": check(latencies[int(len(latencies) * 0.99) - 1], "ms"),
        },
        notes=f"{REQUESTS} sequential requests, one keep-alive connection",
    )


benchmarks = {"serving": bench_healthz}
