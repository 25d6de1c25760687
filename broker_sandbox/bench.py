"""``mydata-counter bench broker``: redemptions per second and latency with 50 concurrent clerk clients
against the sandbox on loopback (real HTTP, signed requests, SQLite, audit, notification e-mail).

Two runs, because one cannot show both numbers: with 50 clients that redeem back to back (closed
loop), Little's law ties mean latency to throughput (W = 50 / X), so that run gives the maximum
throughput and its queueing latency; a paced run (50 clerks offering ``PACED_RATE`` redemptions/s in
all) gives the latency a clerk sees when the broker is not saturated. CPU seconds per redemption of
the sandbox process(es) and of the client process show where the time goes.
"""

from __future__ import annotations

import os
import queue
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from broker_client import BrokerClient
from broker_sandbox.testing import running_sandbox, sandbox_settings, seed_codes
from mydata_counter.bench import BenchResult, check
from mydata_counter.settings import Settings

CLIENTS = 50
CODES = 3000
WARMUP = 200
PACED_RATE = 100.0  # redemptions/s offered by all 50 clerks together (2/s each; a real clerk: ~1/min)
PACED_CODES = 800
SERVER_THREADS = 16


def serving_pids(port: int) -> dict[int, float]:
    """Every process serving ``port`` (gunicorn master and workers, found by ``--port`` on their command
    line) and their children (the mail server), each with its CPU seconds (user + system) so far."""
    marker = f"--port\0{port}\0".encode()
    stats: dict[int, tuple[int, float]] = {}  # pid -> (parent pid, CPU seconds)
    serving: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        # after the ")" of the name: state, ppid, …; utime and stime are fields 14 and 15 of stat
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
        if marker in cmdline:
            serving.add(int(entry.name))
    changed = True
    while changed:
        children = {pid for pid, (parent, _) in stats.items() if parent in serving} - serving
        serving |= children
        changed = bool(children)
    return {pid: stats[pid][1] for pid in serving}


def server_cpu_s(port: int) -> float:
    """CPU seconds so far of every process serving ``port`` and of their children."""
    return sum(serving_pids(port).values())


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


class _Clerks:
    """50 clerk threads sharing one login; each takes codes from a queue and may wait between them."""

    def __init__(self, settings: Settings, token: str) -> None:
        self.settings = settings
        self.token = token
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self._lock = threading.Lock()

    def run(self, codes: list[str], pause: Callable[[], float] | None = None) -> float:
        work: queue.Queue[str] = queue.Queue()
        for code in codes:
            work.put(code)
        self.latencies, self.failures = [], []

        def clerk() -> None:
            client = BrokerClient(self.settings.broker)
            mine: list[float] = []
            next_at = time.perf_counter() + (pause() if pause else 0.0)
            while True:
                if pause:
                    time.sleep(max(0.0, next_at - time.perf_counter()))
                    next_at += pause()
                try:
                    code = work.get_nowait()
                except queue.Empty:
                    break
                started = time.perf_counter()
                try:
                    client.redeem(self.token, code)
                except Exception as exc:  # counted, reported
                    with self._lock:
                        self.failures.append(type(exc).__name__)
                    continue
                mine.append((time.perf_counter() - started) * 1000)
            client.close()
            with self._lock:
                self.latencies.extend(mine)

        threads = [threading.Thread(target=clerk) for _ in range(CLIENTS)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started


def bench_broker(base: Settings) -> BenchResult:
    """Redemptions/s and p50/p95/p99 latency with 50 concurrent clerk clients on loopback."""
    with tempfile.TemporaryDirectory(prefix="mydata-bench-") as folder:
        settings = sandbox_settings(base, Path(folder), threads=SERVER_THREADS)
        with running_sandbox(settings):
            port = settings.sandbox.port
            codes = seed_codes(settings, CODES + WARMUP + PACED_CODES)
            token = BrokerClient(settings.broker).clerk_login("clerk-hualien", "hualien-demo").token
            clerks = _Clerks(settings, token)
            clerks.run(codes[:WARMUP])  # warm-up: connections, caches
            server_before, client_before = server_cpu_s(port), time.process_time()
            elapsed = clerks.run(codes[WARMUP : WARMUP + CODES])
            server_ms = (server_cpu_s(port) - server_before) * 1000 / CODES
            client_ms = (time.process_time() - client_before) * 1000 / CODES
            closed, failures = clerks.latencies, list(clerks.failures)
            rng = random.Random(1)
            clerks.run(codes[WARMUP + CODES :], pause=lambda: rng.expovariate(PACED_RATE / CLIENTS))
            paced, failures = clerks.latencies, failures + clerks.failures

    return BenchResult(
        "broker",
        {
            "redemptions_per_s": check(len(closed) / elapsed, "1/s", at_least=500),
            "p50": check(statistics.median(closed), "ms"),
            "p95": check(_percentile(closed, 0.95), "ms"),
            "p99": check(_percentile(closed, 0.99), "ms", at_most=50),
            "paced_p50": check(statistics.median(paced), "ms"),
            "paced_p99": check(_percentile(paced, 0.99), "ms", at_most=50),
            "server_cpu_per_redemption": check(server_ms, "ms"),
            "client_cpu_per_redemption": check(client_ms, "ms"),
            "errors": check(len(failures), "", at_most=0),
        },
        notes=f"{CLIENTS} clerk client threads in one process, {CODES} codes back to back (closed loop: p50/p95/p99), "
        f"then {PACED_CODES} codes offered at {PACED_RATE:g}/s in all (paced_*); sandbox: gunicorn gthread, 1 worker "
        f"× {SERVER_THREADS} threads; clients and sandbox share the machine's {os.cpu_count()} cores",
    )


benchmarks = {"broker": bench_broker}
