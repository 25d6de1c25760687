"""Shared fixtures: real services on free ports, Debian's Chromium for Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from counter_core.settings import Settings, load_settings
from mydata_counter.servicerunner import running_service
from tests.cards.cards_rig import empty_reader, pcscd

# One definition of the session-wide pcscd for every folder (cards, kiosk): a fixture imported into two
# modules is two fixtures, and the second would find the first one's daemon and refuse to restart it.
__all__ = ["empty_reader", "pcscd"]

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = ROOT / "config" / "demo.toml"
CHROMIUM = "/usr/bin/chromium"


def pytest_configure(config: pytest.Config) -> None:
    """Every service a test starts logs into one folder; the last test scans it for personal data."""
    import os
    import tempfile

    from mydata_counter.servicerunner import LOG_DIR_VARIABLE
    from mydata_counter.testing.inprocess import keep_log

    if LOG_DIR_VARIABLE not in os.environ:
        os.environ[LOG_DIR_VARIABLE] = tempfile.mkdtemp(prefix="mydata-test-logs-")
    keep_log(Path(os.environ[LOG_DIR_VARIABLE]))


@pytest.fixture
def demo_settings(tmp_path: Path) -> Settings:
    """The demo config with every writable path moved into the test's temp folder."""
    base = load_settings(DEMO_CONFIG)
    data = base.model_dump()
    data["sandbox"]["database"] = tmp_path / "sandbox.db"
    data["devices"]["printer"]["pdf_dir"] = tmp_path / "receipts"
    data["broker"]["key_file"] = tmp_path / "keys" / "terminal.pem"
    return Settings(**data)


@pytest.fixture
def kiosk_url(demo_settings: Settings) -> Iterator[str]:
    with running_service("kiosk", demo_settings) as url:
        yield url


@pytest.fixture
def clerk_url(demo_settings: Settings) -> Iterator[str]:
    with running_service("clerk", demo_settings) as url:
        yield url


@pytest.fixture
def sandbox_url(demo_settings: Settings) -> Iterator[str]:
    with running_service("sandbox", demo_settings) as url:
        yield url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium, never a Playwright download (no internet on kiosks or CI)."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
        ],
    }
