"""Load and soak: many clerk sessions redeem codes against a running sandbox for a while, kiosks issue
new codes through the full kiosk flow at the same time, and the run checks what a broker must never do
under load: fail a request, lose a code, redeem one twice, break the audit chain or grow its memory.

``run_load`` is called by ``make test`` (about 20 s) and by ``mydata-counter sandbox soak`` /
``make soak`` (minutes). Everything is real: HTTP on loopback, signed requests, SQLite, audit, mail.
"""

from __future__ import annotations

import queue
import random
import statistics
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from broker_client import BrokerClient, errors
from broker_sandbox.audit import verify
from broker_sandbox.store import Store
from counter_core.settings import Settings
from mydata_counter.testing.processes import rss_mb, serving_pids
from mydata_counter.testing.sandbox import citizens, issue_code, running_sandbox, sandbox_settings, seed_codes

SAMPLE_EVERY_S = 1.0
MEMORY_SLACK_MB = 15.0  # growth allowed between the first and the last fifth of the run


@dataclass
class LoadReport:
    duration_s: float
    clerks: int
    kiosks: int
    redeemed: int = 0
    issued_by_kiosks: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    reused: int = 0  # a code answered "already used" to the clerk who first took it: a duplicate
    lost: int = 0  # a code issued or handed out that the broker did not record as redeemed
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    warmup_s: float = 0.0
    rss_mb: list[tuple[float, float]] = field(default_factory=list)  # (seconds after warm-up, sandbox RSS)
    audit_ok: bool = False
    audit_records: int = 0

    @property
    def rate(self) -> float:
        return self.redeemed / self.duration_s if self.duration_s else 0.0

    @property
    def memory_growth_mb(self) -> float:
        """Median RSS of the last fifth of the run minus that of the first fifth (after warm-up)."""
        if len(self.rss_mb) < 5:
            return 0.0
        fifth = max(1, len(self.rss_mb) // 5)
        first = statistics.median(mb for _, mb in self.rss_mb[:fifth])
        last = statistics.median(mb for _, mb in self.rss_mb[-fifth:])
        return last - first

    @property
    def ok(self) -> bool:
        return (
            not self.errors
            and self.reused == 0
            and self.lost == 0
            and self.audit_ok
            and self.redeemed > 0
            and self.memory_growth_mb <= MEMORY_SLACK_MB
        )

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rate": self.rate, "memory_growth_mb": self.memory_growth_mb, "ok": self.ok}

    def summary(self) -> str:
        return (
            f"{'OK' if self.ok else 'FAILED'}: {self.redeemed} redemptions in {self.duration_s:.0f} s "
            f"(memory measured after {self.warmup_s:.0f} s) "
            f"({self.rate:.0f}/s) by {self.clerks} clerk sessions, {self.issued_by_kiosks} codes issued by "
            f"{self.kiosks} kiosks; p50 {self.p50_ms:.0f} ms, p99 {self.p99_ms:.0f} ms; errors {self.errors or 0}, "
            f"duplicates {self.reused}, lost {self.lost}; sandbox memory {self.memory_growth_mb:+.1f} MB; "
            f"audit {'intact' if self.audit_ok else 'BROKEN'} ({self.audit_records} records)"
        )


class _Run:
    def __init__(self, settings: Settings, duration_s: float, clerks: int, kiosks: int, rate: float) -> None:
        self.settings = settings
        self.duration_s = duration_s
        self.clerks = clerks
        self.kiosks = kiosks
        self.rate = rate
        self.seeded: queue.Queue[str] = queue.Queue()
        self.fresh: queue.Queue[str] = queue.Queue()  # issued by the kiosks during the run: redeemed first
        self.issued: list[str] = []
        self.redeemed: set[str] = set()
        self.latencies: list[float] = []
        self.errors: Counter[str] = Counter()
        self.reused = 0
        self.lock = threading.Lock()
        self.deadline = 0.0

    def _next_code(self) -> str | None:
        for source in (self.fresh, self.seeded):
            try:
                return source.get_nowait()
            except queue.Empty:
                continue
        return None

    def clerk(self, index: int) -> None:
        client = BrokerClient(self.settings.broker)
        token = client.clerk_login("clerk-hualien", "hualien-demo").token
        rng = random.Random(index)
        mean_pause = self.clerks / self.rate
        next_at = time.monotonic() + rng.expovariate(1 / mean_pause)
        while True:
            time.sleep(max(0.0, next_at - time.monotonic()))
            next_at += rng.expovariate(1 / mean_pause)
            if time.monotonic() >= self.deadline:
                break
            code = self._next_code()
            if code is None:
                continue
            started = time.perf_counter()
            try:
                client.redeem(token, code)
            except errors.CodeAlreadyUsed:
                with self.lock:
                    self.reused += 1
                continue
            except Exception as exc:  # counted and reported: the run must have none
                with self.lock:
                    self.errors[type(exc).__name__] += 1
                continue
            elapsed_ms = (time.perf_counter() - started) * 1000
            with self.lock:
                self.latencies.append(elapsed_ms)
                self.redeemed.add(code)
        client.close()

    def kiosk(self, index: int) -> None:
        client = BrokerClient(self.settings.broker)
        people = citizens(self.settings)
        turn = index
        while time.monotonic() < self.deadline - 1:
            citizen = people[turn % len(people)]
            turn += self.kiosks
            try:
                code = issue_code(client, self.settings, citizen).code
            except Exception as exc:
                with self.lock:
                    self.errors[f"kiosk:{type(exc).__name__}"] += 1
                continue
            with self.lock:
                self.issued.append(code)
            self.fresh.put(code)
        client.close()


def _warm_up(settings: Settings, code: str) -> None:
    """One redemption before measuring: connections, caches and the mail server (started by the first
    mail) are up, so the memory samples compare like with like."""
    client = BrokerClient(settings.broker)
    client.redeem(client.clerk_login("clerk-hualien", "hualien-demo").token, code)
    client.close()
    deadline = time.monotonic() + 10
    while len(serving_pids(settings.sandbox.port)) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)  # gunicorn master + worker + mail server


def soak(base: Settings, duration_s: float, **options: Any) -> LoadReport:
    """``run_load`` against a fresh sandbox on a free port, its files in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="mydata-soak-") as folder:
        settings = sandbox_settings(base, Path(folder))
        with running_sandbox(settings):
            return run_load(settings, duration_s, **options)


def run_load(
    settings: Settings,
    duration_s: float,
    *,
    clerks: int = 50,
    kiosks: int = 2,
    rate: float = 100.0,
    warmup_s: float | None = None,
) -> LoadReport:
    """Run against the sandbox of ``settings`` (already serving) for ``duration_s``: ``clerks`` sessions
    offering ``rate`` redemptions/s in all, ``kiosks`` issuing codes back to back through the kiosk flow.
    Then every code a kiosk issued or a clerk was told is redeemed must be redeemed in the database, and
    the audit chain must verify. Memory is sampled
    after ``warmup_s`` under the same load (default a quarter of the run, at most 30 s): server threads,
    their database connections and caches fill up first, and only growth after that is a leak."""
    warmup = min(30.0, duration_s / 4) if warmup_s is None else warmup_s
    run = _Run(settings, duration_s, clerks, kiosks, rate)
    for code in seed_codes(settings, int(rate * (warmup + duration_s) * 1.3) + 100):
        run.seeded.put(code)
    report = LoadReport(duration_s=duration_s, clerks=clerks, kiosks=kiosks, warmup_s=warmup)
    _warm_up(settings, run.seeded.get_nowait())
    run.deadline = time.monotonic() + warmup + duration_s
    threads = [threading.Thread(target=run.clerk, args=(i,), name=f"clerk-{i}") for i in range(clerks)]
    threads += [threading.Thread(target=run.kiosk, args=(i,), name=f"kiosk-{i}") for i in range(kiosks)]
    begun = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(warmup)
    started = time.monotonic()
    while time.monotonic() < run.deadline:
        time.sleep(SAMPLE_EVERY_S)
        report.rss_mb.append(
            (round(time.monotonic() - started, 1), round(rss_mb(list(serving_pids(settings.sandbox.port))), 1))
        )
    for thread in threads:
        thread.join()
    report.duration_s = time.monotonic() - begun

    # Codes the kiosks issued in the last moments are redeemed now: none may be lost.
    client = BrokerClient(settings.broker)
    token = client.clerk_login("clerk-hualien", "hualien-demo").token
    while not run.fresh.empty():
        code = run.fresh.get_nowait()
        client.redeem(token, code)
        run.redeemed.add(code)
    client.close()
    store = Store(settings.sandbox.database)
    in_database = int(store.db.execute("SELECT count(*) FROM codes WHERE redeemed_at > 0").fetchone()[0])
    # lost: issued but never redeemed, or consumed by the broker without the clerk getting the data
    report.lost = len(set(run.issued) - run.redeemed) + abs(in_database - 1 - len(run.redeemed))  # 1: warm-up
    report.redeemed = len(run.latencies)
    report.issued_by_kiosks = len(run.issued)
    report.errors = dict(run.errors)
    report.reused = run.reused
    if run.latencies:
        ordered = sorted(run.latencies)
        report.p50_ms = statistics.median(ordered)
        report.p99_ms = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    verdict = verify(store)
    report.audit_ok, report.audit_records = verdict.ok, verdict.records
    return report
