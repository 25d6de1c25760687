"""``mydata-counter bench broker``: redemptions per second and latency with 50 concurrent clerk clients
against the sandbox on loopback (real HTTP, signed requests, SQLite, audit, notification e-mail)."""

from __future__ import annotations

import json
import queue
import statistics
import tempfile
import threading
import time
from pathlib import Path

from broker_client import BrokerClient
from broker_sandbox.audit import code_hash
from broker_sandbox.store import Store
from broker_sandbox.testing import citizens, running_sandbox, sandbox_settings
from mydata_counter.bench import BenchResult, check
from mydata_counter.datacode import new_code
from mydata_counter.settings import Settings

CLIENTS = 50
CODES = 3000
WARMUP = 200


def _seed_codes(settings: Settings, count: int) -> list[str]:
    """Codes as the kiosk flow leaves them (issuing each through HTTP would dominate the run)."""
    store = Store(settings.sandbox.database)
    people = citizens(settings)
    now = time.time()
    codes = [new_code() for _ in range(count)]
    datasets = json.dumps(["household_personal", "disability", "vehicles"])
    store.db.table("codes").insert_all(
        {"code_hash": code_hash(code), "session_id": f"bench-{i}", "agency_id": "hualien",
         "service_id": "hualien-disabled-parking", "national_id": people[i % len(people)].national_id,
         "dataset_ids": datasets, "methods": '["moica"]', "issued_at": now, "expires_at": now + 3600,
         "redeemed_at": 0.0, "redeemed_by": "", "transaction_id": ""}
        for i, code in enumerate(codes)
    )  # fmt: skip
    return codes


def bench_broker(base: Settings) -> BenchResult:
    """Redemptions/s and p50/p95/p99 latency with 50 concurrent clerk clients on loopback."""
    with tempfile.TemporaryDirectory(prefix="mydata-bench-") as folder:
        settings = sandbox_settings(base, Path(folder))
        data = settings.model_dump()
        data["sandbox"]["threads"] = 64
        settings = Settings(**data)
        with running_sandbox(settings):
            codes = _seed_codes(settings, CODES + WARMUP)
            token = BrokerClient(settings.broker).clerk_login("clerk-hualien", "hualien-demo").token
            work: queue.Queue[str] = queue.Queue()
            for code in codes[:WARMUP]:
                work.put(code)
            latencies: list[float] = []
            failures: list[str] = []
            lock = threading.Lock()

            def clerk() -> None:
                client = BrokerClient(settings.broker)
                mine: list[float] = []
                while True:
                    try:
                        code = work.get_nowait()
                    except queue.Empty:
                        break
                    started = time.perf_counter()
                    try:
                        client.redeem(token, code)
                    except Exception as exc:  # counted, reported
                        with lock:
                            failures.append(type(exc).__name__)
                        continue
                    mine.append((time.perf_counter() - started) * 1000)
                with lock:
                    latencies.extend(mine)

            def run() -> float:
                threads = [threading.Thread(target=clerk) for _ in range(CLIENTS)]
                started = time.perf_counter()
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                return time.perf_counter() - started

            run()  # warm-up: connections, caches
            latencies.clear()
            for code in codes[WARMUP:]:
                work.put(code)
            elapsed = run()
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))]

    return BenchResult(
        "broker",
        {
            "redemptions_per_s": check(len(latencies) / elapsed, "1/s", at_least=500),
            "p50": check(statistics.median(latencies), "ms"),
            "p95": check(pct(0.95), "ms"),
            "p99": check(pct(0.99), "ms", at_most=50),
            "errors": check(len(failures), "", at_most=0),
        },
        notes=f"{CLIENTS} client threads in one process, {CODES} codes, sandbox: gunicorn gthread 1 worker × 64 "
        "threads; clients and server share the machine's 2 cores",
    )


benchmarks = {"broker": bench_broker}
