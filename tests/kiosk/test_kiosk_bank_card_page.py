"""晶片金融卡 in a real Chromium at the kiosk's portrait 1080x1920, against a real sandbox broker and the simulated
reader: offered only where the service's datasets allow it (and said why elsewhere), the card, the national ID on
its keypad, the PIN never shown, a wrong PIN said with the tries left, then the second method of a first use and
the receipt; and the same through pcscd with ``hw virtual-card bank`` in vpcd's reader and a real-driver kiosk."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from counter_core.settings import Settings, load_settings
from hardware.printer.capture import capture_printer
from mydata_counter.servicerunner import running_service, write_config
from mydata_counter.testing.sandbox import citizens, running_sandbox, sandbox_settings
from tests.cards.cards_rig import Pcscd
from tests.kiosk.kiosk_rig import (
    KioskRig,
    agree,
    finish_with_nhi_household,
    insert,
    to_identity,
    type_keys,
)

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
PIN = "80241357"


def test_a_citizen_walks_through_the_bank_card_pane_to_a_receipt_in_portrait(kiosk: Page, rig: KioskRig) -> None:
    kiosk.set_viewport_size({"width": 1080, "height": 1920})
    citizen = rig.citizen(120)
    to_identity(kiosk)  # the parking permit releases household data: the bank card may not
    expect(kiosk.locator('.method[data-method="bank_card"]')).to_have_count(0)
    expect(kiosk.locator("#methods-why")).to_contain_text("晶片金融卡")
    kiosk.click("#screen-identity .cancel")
    expect(kiosk.locator("#screen-welcome")).to_be_visible()

    to_identity(kiosk, "moe-tuition-waiver")  # low-income status: the bank card may release it
    kiosk.click('.method[data-method="bank_card"]')
    expect(kiosk.locator("#bank-card")).to_have_text("請將晶片金融卡插入讀卡機（晶片朝上、朝內）")
    expect(kiosk.locator("#bank-pin")).to_be_hidden()
    insert(kiosk, rig, "nhi", citizen)  # the wrong card first
    expect(kiosk.locator("#bank-card")).to_contain_text("這張不是晶片金融卡")
    expect(kiosk.locator("#bank-id")).to_be_hidden()
    kiosk.request.delete(rig.kiosk_url + "/demo/card")  # the wrong card out: the pane asks again, nothing lost
    expect(kiosk.locator("#bank-card")).to_have_text("請將晶片金融卡插入讀卡機（晶片朝上、朝內）")
    insert(kiosk, rig, "bank", citizen, PIN)
    expect(kiosk.locator("#bank-card")).to_have_text("已讀到卡片")
    expect(kiosk.locator("#bank-id")).to_be_visible()
    type_keys(kiosk, "bankid", citizen.national_id)
    expect(kiosk.locator("#bank-pin")).to_be_visible()
    expect(kiosk.locator("#bankid-display")).to_have_text("")  # off the screen once used
    type_keys(kiosk, "bankpin", "000000", submit=False)
    expect(kiosk.locator("#bankpin-display .sr-only")).to_have_text("已輸入 6 位")
    assert "000000" not in kiosk.locator("#bankpin-display").inner_text()
    kiosk.click('.keypad[data-target="bankpin"] button[data-key="ok"]')
    expect(kiosk.locator("#identity-error")).to_contain_text("還可以再試 2 次")
    expect(kiosk.locator("#bankpin-display [aria-hidden=true]")).to_have_text("")  # the wrong PIN is gone
    kiosk.click('.langbtn[data-lang="en"]')
    expect(kiosk.locator("#identity-error")).to_contain_text("2 tries left")
    kiosk.click('.langbtn[data-lang="zh-TW"]')
    type_keys(kiosk, "bankpin", PIN)
    expect(kiosk.locator("#identity-note")).to_contain_text("首次使用")  # first use: a second, different method
    expect(kiosk.locator('.method[data-method="bank_card"]')).to_have_count(0)

    finish_with_nhi_household(kiosk, rig, citizen)
    expect(kiosk.locator("#done-code")).to_have_text(re.compile(r"\d{4}"))


@contextmanager
def virtual_bank_card(config: Path, national_id: str, pin: str) -> Iterator[None]:
    """``hw virtual-card bank``, the technician's command: the citizen's card in vpcd's reader until Ctrl-C."""
    command = [sys.executable, "-m", "mydata_counter.cli", "hw", "virtual-card", "bank"]
    process = subprocess.Popen(
        [*command, "--citizen", national_id, "--pin", pin, "--config", str(config)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},  # its line as soon as the card is in
    )
    try:
        assert process.stdout is not None
        assert "chip bank card inserted" in process.stdout.readline()
        yield
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C
        out, _ = process.communicate(timeout=30)
        assert process.returncode == 0 and "card removed" in out


def test_the_bank_card_through_pcscd_signs_for_a_real_driver_kiosk(
    page: Page, pcscd: Pcscd, empty_reader: None, tmp_path: Path
) -> None:
    settings = sandbox_settings(load_settings(ROOT / "config" / "demo.toml"), tmp_path)
    citizen = citizens(settings)[202]
    config = write_config(settings, tmp_path / "config.toml")
    with capture_printer() as printer, running_sandbox(settings):
        data = settings.model_dump()
        data["devices"]["reader"].update({"driver": "real", "reader_name": "Virtual PCD 00 00"})
        data["devices"]["printer"].update({"driver": "real", "kind": "escpos-network", "port": printer.port})
        with running_service("kiosk", Settings(**data)) as url:
            page.set_viewport_size({"width": 1080, "height": 1920})
            page.goto(url + "/")
            expect(page.locator("html")).to_have_attribute("data-connection", "connected")
            page.click("#start")
            page.click('.service[data-service-id="moe-tuition-waiver"]')
            agree(page)
            page.click('.method[data-method="bank_card"]')
            with virtual_bank_card(config, citizen.national_id, PIN):
                expect(page.locator("#bank-id")).to_be_visible(timeout=15_000)  # pcscd named it a bank card
                type_keys(page, "bankid", citizen.national_id)
                type_keys(page, "bankpin", "13572468")
                expect(page.locator("#identity-error")).to_contain_text("還可以再試 2 次", timeout=15_000)
                type_keys(page, "bankpin", PIN)  # the card's own PIN check, then its signature the broker accepts
                expect(page.locator("#identity-note")).to_contain_text("首次使用", timeout=15_000)
