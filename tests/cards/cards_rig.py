"""A real pcscd with the vsmartcard vpcd reader driver for the card tests: started if none runs,
stopped afterwards."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from counter_core.settings import ReaderSettings
from hardware.cards.pcsc import PcscReader
from mydata_counter.testing import wait_for


@dataclass
class Pcscd:
    process: subprocess.Popen[bytes] | None  # None: a pcscd we did not start (not ours to stop)

    def stop(self) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=10)

    def start(self) -> None:
        self.process = _start()


def _running() -> bool:
    return subprocess.run(["pgrep", "-x", "pcscd"], capture_output=True, check=False).returncode == 0


def _start() -> subprocess.Popen[bytes]:
    process = subprocess.Popen(["pcscd", "--foreground"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    reader = PcscReader(ReaderSettings(driver="real"))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if reader.health().state == "ok":
            return process
        time.sleep(0.1)
    process.terminate()  # never leave a half-started daemon behind
    process.wait(timeout=10)
    raise RuntimeError("pcscd did not come up with the vpcd readers (is vsmartcard-vpcd installed?)")


@pytest.fixture(scope="session")
def pcscd() -> Iterator[Pcscd]:
    if shutil.which("pcscd") is None:
        pytest.skip("pcscd is not installed (make install installs it)")
    if _running():
        yield Pcscd(None)
        return
    daemon = Pcscd(_start())
    yield daemon
    if daemon.process is not None and daemon.process.poll() is None:
        daemon.stop()


@pytest.fixture
def empty_reader(pcscd: Pcscd) -> Iterator[None]:
    """Each test starts with pcscd having noticed the previous test's card is gone: vpcd mixes up a
    card inserted while the driver still holds the last one's connection."""
    reader = PcscReader(ReaderSettings(driver="real", reader_name="Virtual PCD 00 00"))
    wait_for(lambda: not any(r.card_present for r in reader.readers()), 5)
    time.sleep(0.5)
    yield
