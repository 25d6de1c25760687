"""``mydata-counter bench kiosk``: consent → receipt printed (real sandbox, capture ESC/POS printer),
kiosk cold start and the worker's memory."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from broker_client import BrokerClient
from counter_core.settings import Settings
from hardware.printer.capture import capture_printer
from mydata_counter.bench import BenchResult, check
from mydata_counter.servicerunner import free_port, wait_healthy, write_config
from mydata_counter.testing.sandbox import citizens, issue_code, running_sandbox, sandbox_settings

RUNS = 20


def _memory_mb(master_pid: int) -> float:
    """Proportional set size (PSS) of the gunicorn master and its worker: their real memory, with the pages
    they share after the fork counted once."""
    total = 0
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    for pid in [str(master_pid), *children]:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1])
    return total / 1024


def bench_kiosk(base: Settings) -> BenchResult:
    """Consent → receipt printed p50/p95, kiosk cold start, kiosk RSS."""
    with tempfile.TemporaryDirectory(prefix="mydata-bench-kiosk-") as folder, capture_printer() as printer:
        settings = sandbox_settings(base, Path(folder))
        data = settings.model_dump()
        data["devices"]["printer"].update({"driver": "real", "kind": "escpos-network", "port": printer.port})
        data["kiosk"]["port"] = free_port()
        settings = Settings(**data)
        with running_sandbox(settings):
            people = citizens(settings)[:RUNS]
            broker = BrokerClient(settings.broker)
            for citizen in people:  # not first use: one method is enough, as for most visits
                issue_code(broker, settings, citizen)
            config = write_config(settings, Path(folder) / "kiosk.toml")
            started = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "-m", "mydata_counter.cli", "kiosk", "--config", str(config)], env=dict(os.environ)
            )
            url = f"http://127.0.0.1:{settings.kiosk.port}"
            try:
                wait_healthy(url, process, 30)
                cold_start = time.perf_counter() - started
                times = []
                for citizen in people:
                    with requests.Session() as page:
                        page.post(f"{url}/api/start", json={"language": "zh-TW"}).raise_for_status()
                        page.post(  # a service NHI card + household number may release (依驗證強度)
                            f"{url}/api/service", json={"service_id": "moe-tuition-waiver"}
                        ).raise_for_status()
                        t0 = time.perf_counter()
                        page.post(f"{url}/api/consent", json={"accepted": True, "shown": "scrolled"}).raise_for_status()
                        page.post(f"{url}/api/method", json={"method": "nhi_household"}).raise_for_status()
                        page.post(
                            f"{url}/api/identity/nhi",
                            json={
                                "nhi_card_number": citizen.nhi_card_number,
                                "household_number": citizen.household_number,
                            },
                        ).raise_for_status()
                        printed = page.post(f"{url}/api/print").json()
                        times.append((time.perf_counter() - t0) * 1000)
                        assert printed["printed"], printed
                        page.post(f"{url}/api/cancel")
                rss = _memory_mb(process.pid)
            finally:
                process.terminate()
                process.wait(timeout=10)
    times.sort()
    return BenchResult(
        "kiosk",
        {
            "consent_to_receipt_p50": check(statistics.median(times), "ms", at_most=1500),
            "consent_to_receipt_p95": check(times[int(len(times) * 0.95) - 1], "ms", at_most=1500),
            "cold_start": check(cold_start, "s", at_most=3),
            "memory_pss": check(rss, "MB", at_most=150),
        },
        notes=f"{RUNS} citizens, NHI card number + household number, 80 mm ESC/POS raster receipt to the capture "
        "printer on loopback (status queries included); memory = PSS of gunicorn master + worker",
    )


benchmarks = {"kiosk": bench_kiosk}
