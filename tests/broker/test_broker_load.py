"""Load: 50 clerk sessions redeem for a while (``MYDATA_LOAD_SECONDS``, 20 s in ``make test``; ``make
soak`` runs minutes) while two kiosks issue codes through the full kiosk flow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from counter_core.settings import Settings, load_settings
from mydata_counter.bench.load import MEMORY_SLACK_MB, LoadReport, run_load
from mydata_counter.testing.sandbox import running_sandbox, sandbox_settings

ROOT = Path(__file__).resolve().parents[2]
DEMO_CONFIG = ROOT / "config" / "demo.toml"

SECONDS = float(os.environ.get("MYDATA_LOAD_SECONDS", "20"))


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    settings = sandbox_settings(load_settings(DEMO_CONFIG), tmp_path_factory.mktemp("load"))
    with running_sandbox(settings):
        yield settings


def test_fifty_clerk_sessions_redeem_without_errors_lost_or_duplicate_codes_or_memory_growth(
    sandbox: Settings,
) -> None:
    report = run_load(sandbox, SECONDS, clerks=50, kiosks=2, rate=100.0)
    print(report.summary())
    assert report.errors == {}
    assert report.reused == 0 and report.lost == 0
    assert report.redeemed >= 0.5 * 100.0 * SECONDS  # the clerks really got through (half the offered rate)
    assert report.issued_by_kiosks >= 1  # and the kiosk flow ran beside them
    assert report.audit_ok and report.audit_records > report.redeemed
    assert len(report.rss_mb) >= SECONDS * 0.8
    assert report.memory_growth_mb <= MEMORY_SLACK_MB, report.rss_mb


def test_load_report_fails_on_memory_growth_errors_or_duplicates() -> None:
    flat = LoadReport(duration_s=10, clerks=1, kiosks=0, redeemed=5, audit_ok=True)
    flat.rss_mb = [(float(t), 100.0) for t in range(10)]
    assert flat.ok
    growing = LoadReport(duration_s=10, clerks=1, kiosks=0, redeemed=5, audit_ok=True)
    growing.rss_mb = [(float(t), 100.0 + 5 * t) for t in range(10)]
    assert growing.memory_growth_mb > MEMORY_SLACK_MB and not growing.ok
    broken = [
        LoadReport(duration_s=10, clerks=1, kiosks=0, redeemed=5, audit_ok=True, errors={"BrokerUnavailable": 1}),
        LoadReport(duration_s=10, clerks=1, kiosks=0, redeemed=5, audit_ok=True, reused=1),
        LoadReport(duration_s=10, clerks=1, kiosks=0, redeemed=5, audit_ok=True, lost=1),
        LoadReport(duration_s=10, clerks=1, kiosks=0, redeemed=5, audit_ok=False),
        LoadReport(duration_s=10, clerks=1, kiosks=0, redeemed=0, audit_ok=True),
    ]
    assert not any(report.ok for report in broken)


def test_soak_command_runs_a_fresh_sandbox_and_reports_json() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mydata_counter.cli", "sandbox", "--config", str(DEMO_CONFIG), "soak",
         "--minutes", "0.1", "--clerks", "5", "--kiosks", "1", "--rate", "20", "--json"],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["redeemed"] > 0 and report["lost"] == 0 and report["audit_ok"]
