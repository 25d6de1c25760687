"""The citizen's protections in a real Chromium against the real sandbox broker: consent only once the terms were
shown to their end (scrolled, or read aloud by the audio guide) and asked again for a newer version; the contact for
notices registered with the keypad or the on-screen keyboard and proved, the notice going there only; the records
of use; the QR-started phone sign-in, and its expiry."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import requests
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, Route, expect

from broker_client import BrokerClient
from broker_sandbox.catalogue import BUILT_IN
from broker_sandbox.citizens import Citizen
from counter_core.settings import Settings, load_settings
from mydata_counter.servicerunner import running_service
from mydata_counter.testing import wait_for
from mydata_counter.testing.sandbox import advance_clock, running_sandbox, sandbox_settings, wait_for_code
from tests.kiosk.kiosk_rig import ROOT, KioskRig, agree, insert, kiosk, rig, to_identity, type_keys

pytestmark = pytest.mark.e2e
__all__ = ["kiosk", "rig"]
PARKING = "hualien-disabled-parking"


def _consent_row(rig: KioskRig) -> tuple[str, str, str]:
    with sqlite3.connect(rig.settings.sandbox.database) as db:
        query = "SELECT terms_version, terms_shown, released_fields FROM consents ORDER BY time DESC"
        row = db.execute(query).fetchone()
    return (str(row[0]), str(row[1]), str(row[2]))


def _first_use(page: Page, rig: KioskRig, citizen: Citizen) -> None:
    """The certificate card, then the NHI card with the household number: the contact screen follows."""
    to_identity(page)
    page.click('.method[data-method="moica"]')
    insert(page, rig, "moica", citizen)
    type_keys(page, "pin", "123456")
    expect(page.locator("#identity-note")).to_contain_text("首次使用")
    page.request.delete(rig.kiosk_url + "/demo/card")
    page.click('.method[data-method="nhi_household"]')
    insert(page, rig, "nhi", citizen)
    type_keys(page, "hh", citizen.household_number)
    expect(page.locator("#screen-contact")).to_be_visible(timeout=15_000)
    page.request.delete(rig.kiosk_url + "/demo/card")


def _returning(page: Page, rig: KioskRig, citizen: Citizen) -> None:
    to_identity(page)
    page.click('.method[data-method="moica"]')
    insert(page, rig, "moica", citizen)
    type_keys(page, "pin", "123456")
    expect(page.locator("#screen-contact")).to_be_visible(timeout=15_000)
    page.request.delete(rig.kiosk_url + "/demo/card")


def _redeem(rig: KioskRig, page: Page) -> str:
    code = re.sub(r"\D", "", page.locator("#done-code").inner_text())
    client = BrokerClient(rig.settings.broker)
    try:
        return client.redeem(client.clerk_login("clerk-hualien", "hualien-demo").token, code).transaction_id
    finally:
        client.close()


def _outbox(rig: KioskRig) -> list[dict[str, str]]:
    return list(requests.get(f"{rig.broker_url}/outbox.json", timeout=5).json()["messages"])


def test_agree_works_only_once_the_terms_were_scrolled_to_their_end(kiosk: Page, rig: KioskRig) -> None:
    kiosk.click("#start")
    kiosk.click(f'.service[data-service-id="{PARKING}"]')
    agree_button = kiosk.locator("#agree")
    expect(agree_button).to_be_disabled()
    expect(kiosk.locator("#terms-hint")).to_contain_text("捲動閱讀到最後")
    agree_button.click(force=True)  # pressed anyway: nothing happens
    expect(kiosk.locator("#screen-terms")).to_be_visible()
    expect(kiosk.locator("#consent-agency")).to_have_text("花蓮縣政府")
    expect(kiosk.locator("#consent-purpose")).to_contain_text("行動不便")
    expect(kiosk.locator("#consent-window")).to_contain_text("10 分鐘")
    expect(kiosk.locator("#consent-basis")).to_contain_text("第15條第2款")
    expect(kiosk.locator("#tos-title")).to_contain_text("2026-01")
    disability = kiosk.locator('#datasets table[data-dataset="disability"] tbody tr')
    expect(disability).to_have_count(3)  # only the fields the permit needs …
    withheld = kiosk.locator('#datasets table[data-dataset="disability"] + .withheld')
    expect(withheld).to_contain_text("障礙類別")  # … and what it does not get
    kiosk.locator("#terms-scroll").focus()
    kiosk.keyboard.press("End")  # scrolled to the end (a touch swipe or "scroll down" does the same)
    expect(agree_button).to_be_enabled()
    expect(kiosk.locator("#terms-hint")).to_contain_text("看完全部條款")
    agree_button.click()
    expect(kiosk.locator("#screen-identity")).to_be_visible()
    version, shown, fields = _consent_row(rig)
    assert (version, shown) == ("2026-01", "scrolled")
    assert json.loads(fields)["disability"] == ["holder", "valid_to", "mobility"]


def _silence() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\0\0" * 400)  # 50 ms
    return buffer.getvalue()


def test_the_audio_guide_reading_the_terms_to_their_end_lets_the_citizen_agree(kiosk: Page, rig: KioskRig) -> None:
    silence = _silence()
    read: list[str] = []

    def speak_quickly(route: Route) -> None:  # every sentence "spoken" in 50 ms: the test need not listen
        read.append(json.loads(route.request.post_data or "{}")["text"])
        route.fulfill(status=200, body=silence, headers={"Content-Type": "audio/wav"})

    kiosk.route("**/api/speech", speak_quickly)
    kiosk.keyboard.press(rig.settings.kiosk.audio_key)
    kiosk.click("#start")
    kiosk.click(f'.service[data-service-id="{PARKING}"]')
    expect(kiosk.locator("#agree")).to_be_enabled(timeout=30_000)
    heard = " ".join(read)
    assert "第15條第2款" in heard and "八、準據法" in heard and "隱私權保護政策修訂" in heard  # the whole text
    assert kiosk.locator("#terms-scroll").evaluate("el => el.scrollTop") == 0  # not scrolled: heard
    kiosk.click("#agree")
    expect(kiosk.locator("#screen-identity")).to_be_visible()
    assert _consent_row(rig)[1] == "read_aloud"


def test_first_use_registers_a_phone_proved_by_sms_and_the_notice_goes_there_only(kiosk: Page, rig: KioskRig) -> None:
    citizen = rig.citizen(120)
    _first_use(kiosk, rig, citizen)
    expect(kiosk.locator("#contact-lead")).to_contain_text("首次使用請登記")
    expect(kiosk.locator("#contact-skip")).to_be_visible()
    kiosk.click("#contact-add-phone")
    type_keys(kiosk, "cphone", "0212345678")
    expect(kiosk.locator("#contact-error")).to_contain_text("09 開頭")  # next to its field, with what to do
    kiosk.click('.keypad[data-target="cphone"] button[data-key="clear"]')
    type_keys(kiosk, "cphone", citizen.phone)
    masked = f"{citizen.phone[:4]}-***-{citizen.phone[-3:]}"
    expect(kiosk.locator("#contact-sent")).to_contain_text(masked)
    type_keys(kiosk, "ccode", "000000")
    expect(kiosk.locator("#contact-error")).to_contain_text("還可以再試 2 次")
    code = wait_for_code(rig.broker_url, citizen.phone)
    assert code is not None
    type_keys(kiosk, "ccode", code)
    expect(kiosk.locator("#contact-lead")).to_contain_text(masked)
    expect(kiosk.locator("#contact-list")).to_contain_text("（主要）")
    kiosk.click("#contact-continue")
    expect(kiosk.locator("#screen-done")).to_be_visible(timeout=15_000)
    expect(kiosk.locator("#done-notice")).to_have_text(f"機關查看您的資料時，通知將寄至 {masked}。")
    assert citizen.phone not in kiosk.content()  # masked everywhere on screen
    transaction = _redeem(rig, kiosk)
    assert wait_for(lambda: any(transaction in m["body"] and m["recipient"] == citizen.phone for m in _outbox(rig)))
    assert not any(m["recipient"] == citizen.email for m in _outbox(rig))  # never an address the citizen did not give


def test_an_email_typed_on_the_on_screen_keyboard_becomes_the_main_contact(kiosk: Page, rig: KioskRig) -> None:
    citizen = rig.citizen(120)  # registered a phone in the test before
    _returning(kiosk, rig, citizen)
    expect(kiosk.locator("#contact-lead")).to_contain_text(citizen.phone[-3:])
    kiosk.click("#contact-add-email")
    expect(kiosk.locator(".keyboard button[data-key='@']")).to_have_attribute("aria-label", "小老鼠 @")
    for key in [*"mei.lin", "_", "2", "@gmail.com"]:
        kiosk.click(f'.keyboard[data-target="cemail"] button[data-key="{key}"]')
    expect(kiosk.locator("#cemail-display")).to_have_text("mei.lin_2@gmail.com")
    kiosk.click('.keyboard[data-target="cemail"] button[data-key="ok"]')
    expect(kiosk.locator("#contact-sent")).to_contain_text("m***@gmail.com")
    code = wait_for_code(rig.broker_url, "mei.lin_2@gmail.com")  # over SMTP to the sandbox's mail sink
    assert code is not None
    type_keys(kiosk, "ccode", code)
    expect(kiosk.locator("#contact-list")).to_contain_text("m***@gmail.com")
    expect(kiosk.locator("#contact-lead")).to_contain_text(citizen.phone[-3:])  # the phone stays the main one …
    kiosk.click("#contact-switch")  # … until the citizen chooses the e-mail
    expect(kiosk.locator("#contact-lead")).to_contain_text("m***@gmail.com")
    kiosk.click("#contact-continue")
    expect(kiosk.locator("#done-notice")).to_contain_text("m***@gmail.com", timeout=15_000)


def test_records_of_use_list_the_redemption_with_its_transaction_id_and_no_values(kiosk: Page, rig: KioskRig) -> None:
    citizen = rig.citizen(121)
    _first_use(kiosk, rig, citizen)
    kiosk.click("#contact-skip")
    expect(kiosk.locator("#done-notice")).to_contain_text("不會通知您", timeout=15_000)
    transaction = _redeem(rig, kiosk)
    kiosk.click("#finish")
    _returning(kiosk, rig, citizen)
    kiosk.click("#contact-records")
    row = kiosk.locator(f'#records-list tr[data-transaction="{transaction}"]')
    expect(row).to_contain_text("花蓮縣政府")
    expect(row).to_contain_text("持證狀態、有效期限、行動不便")
    expect(row.locator("code")).to_have_text(transaction)
    text = kiosk.locator("#screen-records").inner_text()
    assert citizen.name not in text and citizen.address not in text and citizen.national_id not in text
    kiosk.click('.langbtn[data-lang="en"]')
    expect(row).to_contain_text("Hualien County Government: Disabled parking permit")
    expect(row).to_contain_text("Disability certificate (Certificate, Valid until, Reduced mobility)")  # English lists
    kiosk.click('.langbtn[data-lang="zh-TW"]')
    kiosk.click("#records-back")
    expect(kiosk.locator("#screen-contact")).to_be_visible()


def _qr_text(page: Page) -> str:
    picture = Image.open(io.BytesIO(page.locator("#qr-image").screenshot()))
    found = zxingcpp.read_barcodes(np.asarray(picture.convert("L")))
    assert found, "the kiosk's QR does not decode"
    return str(found[0].text)


def test_the_qr_on_screen_signs_in_by_number_matching_with_no_id_typed(kiosk: Page, rig: KioskRig) -> None:
    citizen = rig.citizen(121)  # returning: one method will do
    to_identity(kiosk)
    kiosk.click('.method[data-method="mobile"]')
    expect(kiosk.locator("#qr-image")).to_be_visible()
    expect(kiosk.locator("#mobile-id")).to_be_hidden()  # no ID keypad on the public screen
    expect(kiosk.locator("#qr-left")).to_contain_text("秒內有效")
    picture = kiosk.locator("#qr-image").screenshot()
    phone = kiosk.context.new_page()
    phone.goto(f"{rig.broker_url}/phone/{citizen.national_id}")
    phone.set_input_files("#scan-file", files={"name": "qr.png", "mimeType": "image/png", "buffer": picture})
    phone.click("#scan-image button")
    expect(phone.locator("#scan-result")).to_contain_text("已掃描")
    number = kiosk.locator("#match-number")
    expect(number).to_have_text(re.compile(r"^\d\d$"))
    choices = phone.locator(".push .choices button")
    assert choices.count() >= 3
    expect(phone.locator(".push .kiosk")).to_contain_text(rig.settings.broker.terminal_id)
    phone.click(f'.push button[data-choice="{number.inner_text()}"]')
    phone.click(".push button.approve")
    phone.close()  # back to the kiosk's tab (a background tab's frames run once a second)
    expect(kiosk.locator("#screen-contact")).to_be_visible(timeout=15_000)


def test_the_qr_expires_cannot_be_scanned_again_and_a_new_one_is_offered(kiosk: Page, rig: KioskRig) -> None:
    citizen = rig.citizen(121)
    to_identity(kiosk)
    kiosk.click('.method[data-method="mobile"]')
    expect(kiosk.locator("#qr-image")).to_be_visible()
    old = _qr_text(kiosk)
    advance_clock(rig.broker_url, 61)
    expect(kiosk.locator("#qr-expired")).to_be_visible(timeout=10_000)
    expect(kiosk.locator("#qr-image")).to_be_hidden()
    phone = kiosk.context.new_page()
    phone.goto(f"{rig.broker_url}/phone/{citizen.national_id}")
    phone.fill("#scan-paste", old)
    phone.click("#scan-text button")
    expect(phone.locator("#scan-result")).to_contain_text("已過期")
    phone.close()  # back to the kiosk's tab
    kiosk.click("#qr-renew")
    expect(kiosk.locator("#qr-image")).to_be_visible()
    assert _qr_text(kiosk) != old


@pytest.fixture
def restartable(tmp_path: Path) -> Iterator[tuple[Settings, str]]:
    settings = sandbox_settings(load_settings(ROOT / "config" / "demo.toml"), tmp_path)
    with running_service("kiosk", settings) as kiosk_url:
        yield settings, kiosk_url


def test_a_newer_terms_version_is_shown_and_asked_again(page: Page, restartable: tuple[Settings, str]) -> None:
    settings, kiosk_url = restartable
    newer = json.loads(BUILT_IN.read_text(encoding="utf-8"))
    newer["terms_version"] = newer["terms"]["version"] = "2026-07"
    catalogue = settings.sandbox.database.parent / "catalogue-2026-07.json"
    catalogue.write_text(json.dumps(newer, ensure_ascii=False), encoding="utf-8")
    with running_sandbox(settings):
        page.goto(kiosk_url + "/")
        expect(page.locator("html")).to_have_attribute("data-connection", "connected")
        page.click("#start")  # the page and the kiosk hold the 2026-01 terms
        expect(page.locator(f'.service[data-service-id="{PARKING}"]')).to_be_visible()
    updated = settings.model_copy(update={"sandbox": settings.sandbox.model_copy(update={"catalogue": catalogue})})
    with running_sandbox(updated):  # the broker publishes 2026-07 while the citizen chooses
        page.click(f'.service[data-service-id="{PARKING}"]')
        expect(page.locator("#terms-updated")).to_contain_text("2026-07")
        expect(page.locator("#tos-title")).to_contain_text("2026-07")
        expect(page.locator("#agree")).to_be_disabled()  # read again
        agree(page)
        expect(page.locator("#screen-identity")).to_be_visible()
