"""``hw virtual-card moica`` tells the truth: the card it inserts is seen by the real pcscd as a MOICA card,
and a kiosk started with exactly the settings it prints (reader driver real, reader name, PKCS#11 module,
SOFTHSM2_CONF) reaches the PIN pad and signs the broker's challenge with the citizen's key."""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from counter_core.settings import ReaderSettings, Settings, load_settings
from hardware.cards.pcsc import PcscReader
from hardware.printer.capture import capture_printer
from mydata_counter.servicerunner import running_service, write_config
from mydata_counter.testing import wait_for
from mydata_counter.testing.sandbox import citizens, running_sandbox, sandbox_settings
from tests.cards.cards_rig import Pcscd
from tests.kiosk.kiosk_rig import agree, type_keys

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
PIN = "246810"


class Tool:
    """The technician's command, running: its printed settings, and Enter to pull the card out or put it in."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.exports: dict[str, str] = {}
        assert process.stdout is not None
        for line in process.stdout:  # until it has said what the kiosk needs
            words = shlex.split(line)
            if words[:1] == ["export"]:
                name, _, value = words[1].partition("=")
                self.exports[name] = value
            if line.lstrip().startswith("(or in [devices.reader]"):
                break
        assert self.exports, "the tool printed no settings (is pcscd running with vpcd?)"

    def press_enter(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("\n")
        self.process.stdin.flush()

    def reader(self) -> PcscReader:
        return PcscReader(
            ReaderSettings(driver="real", reader_name=self.exports["MYDATA_COUNTER_DEVICES__READER__READER_NAME"])
        )


@contextmanager
def virtual_moica(config: Path, national_id: str) -> Iterator[Tool]:
    command = [sys.executable, "-m", "mydata_counter.cli", "hw", "virtual-card", "moica"]
    process = subprocess.Popen(
        [*command, "--citizen", national_id, "--pin", PIN, "--config", str(config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield Tool(process)
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C
        out, _ = process.communicate(timeout=30)
        assert process.returncode == 0 and "card removed" in out


def _card_type(reader: PcscReader) -> str | None:
    return next((r.card_type for r in reader.readers() if r.card_present), None)


def test_the_virtual_moica_card_and_the_printed_settings_get_a_real_driver_kiosk_to_sign(
    page: Page, pcscd: Pcscd, empty_reader: None, tmp_path: Path
) -> None:
    settings = sandbox_settings(load_settings(ROOT / "config" / "demo.toml"), tmp_path)
    citizen = citizens(settings)[201]
    config = write_config(settings, tmp_path / "config.toml")
    with capture_printer() as printer, running_sandbox(settings), virtual_moica(config, citizen.national_id) as tool:
        reader = tool.reader()
        assert wait_for(lambda: _card_type(reader) == "moica", 10)  # pcscd sees a MOICA card in that reader
        softhsm_conf = Path(tool.exports["SOFTHSM2_CONF"])
        assert softhsm_conf.is_file()
        tool.press_enter()  # out: the citizen inserts it at the MOICA step, not before the session
        assert wait_for(lambda: _card_type(reader) is None, 10)
        data = settings.model_dump()  # the demo config: simulated reader, until the printed variables say otherwise
        data["devices"]["printer"].update({"driver": "real", "kind": "escpos-network", "port": printer.port})
        with running_service("kiosk", Settings(**data), env=tool.exports) as url:
            page.goto(url + "/")
            expect(page.locator("html")).to_have_attribute("data-connection", "connected")
            page.click("#start")
            page.click('.service[data-service-id="hualien-disabled-parking"]')
            agree(page)
            page.click('.method[data-method="moica"]')
            tool.press_enter()  # in
            expect(page.locator("#moica-pin")).to_be_visible(timeout=15_000)  # the insert came through pcscd
            type_keys(page, "pin", PIN)
            # the broker verified the signature made with the citizen's key in the SoftHSM2 token
            expect(page.locator("#identity-note")).to_contain_text("首次使用", timeout=15_000)
    assert not softhsm_conf.exists()  # a token made in a temporary folder goes with the card
