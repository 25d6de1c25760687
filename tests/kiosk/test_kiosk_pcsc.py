"""The kiosk with the real card path: pcscd, a virtual MOICA card (vpcd) whose keys live in a SoftHSM2
token reached through PKCS#11, and a virtual NHI card — first use, two methods, receipt printed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from broker_sandbox.ca import citizen_credentials
from counter_core.settings import Settings, load_settings
from hardware.cards.nhi_card import encode_basic_data
from hardware.cards.softhsm import MODULE, create_token
from hardware.cards.vpcd import VirtualCard, nhi_responder
from hardware.printer.capture import capture_printer
from mydata_counter.servicerunner import running_service
from mydata_counter.testing.sandbox import citizens, running_sandbox, sandbox_settings
from tests.cards.cards_rig import Pcscd
from tests.kiosk.kiosk_rig import agree, past_contact, type_keys

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
MOICA_ATR = bytes.fromhex("3BDF18008131FE7D006B150C0181011101434E53103180E8")


@pytest.fixture
def real_kiosk(pcscd: Pcscd, empty_reader: None, tmp_path: Path) -> Iterator[tuple[Settings, str]]:
    settings = sandbox_settings(load_settings(ROOT / "config" / "demo.toml"), tmp_path)
    citizen = citizens(settings)[200]
    key, certificate = citizen_credentials(settings.sandbox.seed, citizen.national_id)
    token = create_token(tmp_path / "hsm", "MOICA", "246810", key, certificate)
    with capture_printer() as printer, running_sandbox(settings):
        data = settings.model_dump()
        data["devices"]["reader"].update({"driver": "real", "reader_name": "Virtual PCD", "pkcs11_module": MODULE})
        data["devices"]["printer"].update({"driver": "real", "kind": "escpos-network", "port": printer.port})
        kiosk_settings = Settings(**data)
        with running_service("kiosk", kiosk_settings, env={"SOFTHSM2_CONF": str(token.config)}) as url:
            yield kiosk_settings, url


def test_first_use_with_moica_pkcs11_then_nhi_card_through_pcscd(page: Page, real_kiosk: tuple[Settings, str]) -> None:
    settings, url = real_kiosk
    citizen = citizens(settings)[200]
    page.goto(url + "/")
    expect(page.locator("html")).to_have_attribute("data-connection", "connected")
    page.click("#start")
    page.click('.service[data-service-id="hualien-disabled-parking"]')
    agree(page)
    page.click('.method[data-method="moica"]')
    with VirtualCard(lambda apdu: b"\x6d\x00", atr=MOICA_ATR):
        expect(page.locator("#moica-pin")).to_be_visible(timeout=10_000)  # the event came through pcscd
        type_keys(page, "pin", "246810")
        expect(page.locator("#identity-note")).to_contain_text("首次使用", timeout=10_000)
    page.click('.method[data-method="nhi_household"]')
    nhi = encode_basic_data(
        citizen.nhi_card_number, citizen.name, citizen.national_id, citizen.birth_date, citizen.sex, date(2021, 1, 1)
    )
    with VirtualCard(nhi_responder(nhi)):
        expect(page.locator("#nhi-card")).to_have_text("已讀到卡片", timeout=10_000)
        type_keys(page, "hh", citizen.household_number)
        past_contact(page)
        expect(page.locator("#screen-done")).to_be_visible(timeout=15_000)
    assert len(re.sub(r"\D", "", page.locator("#done-code").inner_text())) == 16


def test_pcscd_restart_mid_session_wipes_it_with_a_message_and_the_next_citizen_needs_no_kiosk_restart(
    page: Page, real_kiosk: tuple[Settings, str], pcscd: Pcscd
) -> None:
    if pcscd.process is None:
        pytest.skip("pcscd was started by someone else; not restarting it")
    _, url = real_kiosk
    page.goto(url + "/")
    expect(page.locator("html")).to_have_attribute("data-connection", "connected")

    def to_moica() -> None:
        page.click("#start")
        page.click('.service[data-service-id="hualien-disabled-parking"]')
        agree(page)
        page.click('.method[data-method="moica"]')

    to_moica()
    with VirtualCard(lambda apdu: b"\x6d\x00", atr=MOICA_ATR):
        expect(page.locator("#moica-pin")).to_be_visible(timeout=10_000)
        type_keys(page, "pin", "24")  # half-typed PIN when the card service goes away
        pcscd.stop()
        expect(page.locator("#screen-welcome")).to_be_visible(timeout=10_000)  # the session is wiped …
        expect(page.locator("#toast")).to_have_text("卡片已拔出")  # … and the citizen told why
        pcscd.start()
    to_moica()  # the same kiosk process, no restart: the reader is watched again
    with VirtualCard(lambda apdu: b"\x6d\x00", atr=MOICA_ATR):
        expect(page.locator("#moica-pin")).to_be_visible(timeout=15_000)
        expect(page.locator("#pin-display")).to_have_text("已輸入 0 位")  # nothing of the first session's PIN is left
        type_keys(page, "pin", "246810")
        expect(page.locator("#identity-note")).to_contain_text("首次使用", timeout=10_000)
