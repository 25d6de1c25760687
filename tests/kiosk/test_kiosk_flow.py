"""The citizen's whole flow in a real Chromium against a real sandbox broker, a simulated card reader
and a capture ESC/POS printer on loopback."""

from __future__ import annotations

import re

import numpy as np
import pytest
import zxingcpp
from playwright.sync_api import Page, Route, ViewportSize, expect

from broker_client import BrokerClient
from broker_sandbox.citizens import Citizen
from counter_core.datacode import code_from_symbol
from mydata_counter.testing.sandbox import advance_clock, issue_code
from tests.kiosk.kiosk_rig import (
    KioskRig,
    agree,
    finish_with_nhi_household,
    insert,
    past_contact,
    to_identity,
    type_keys,
)

pytestmark = pytest.mark.e2e


def _screen_code(page: Page) -> str:
    return re.sub(r"\D", "", page.locator("#done-code").inner_text())


def _sms_code(page: Page, rig: KioskRig, citizen: Citizen) -> None:
    """Verify a citizen who used MyData before with the SMS code: the parking permit releases household data,
    which only the citizen certificate or the SMS code may (依驗證強度)."""
    page.click('.method[data-method="otp"]')
    type_keys(page, "otpid", citizen.national_id)
    type_keys(page, "otpphone", citizen.phone)  # the citizen gives their number; the code goes only to the one on file
    expect(page.locator("#otp-sent")).to_contain_text(citizen.phone[:4])
    body = page.request.get(rig.broker_url + "/outbox.json").json()["messages"][0]["body"]
    type_keys(page, "otp", re.findall(r"\b\d{6}\b", body)[0])


def _printed_codes(rig: KioskRig, count: int) -> set[str | None]:
    """The code each printed symbol carries: the QR is the broker's signed text (MYDATA2:), the Code128 the
    16 digits."""
    job = [job for job in rig.printer.wait_for_jobs(count) if job.images][-1]
    assert job.image is not None
    found = zxingcpp.read_barcodes(np.asarray(job.image))
    assert sorted(r.format.name for r in found) == ["Code128", "QRCode"]
    assert next(r.text for r in found if r.format.name == "QRCode").startswith("MYDATA2:")
    return {code_from_symbol(r.text, r.format.name) for r in found}


def test_first_use_moica_then_nhi_household_prints_a_decodable_receipt(kiosk: Page, rig: KioskRig) -> None:
    citizen = rig.citizen(100)
    to_identity(kiosk)
    kiosk.click('.method[data-method="moica"]')
    expect(kiosk.locator("#moica-card")).to_have_text("請將自然人憑證插入讀卡機")
    insert(kiosk, rig, "moica", citizen)
    expect(kiosk.locator("#moica-pin")).to_be_visible()
    type_keys(kiosk, "pin", "123456")
    expect(kiosk.locator("#identity-note")).to_contain_text("首次使用")  # first use: a second method, and why
    expect(kiosk.locator('.method[data-method="moica"]')).to_have_count(0)
    finish_with_nhi_household(kiosk, rig, citizen)
    code = _screen_code(kiosk)
    assert len(code) == 16
    expect(kiosk.locator("#done-valid")).to_contain_text("此條碼於")
    jobs = len([job for job in rig.printer.jobs if job.images])
    assert _printed_codes(rig, jobs) == {code}


def test_mobile_push_approved_on_the_phone_page(kiosk: Page, rig: KioskRig) -> None:
    citizen = rig.citizen(100)  # not first use any more (previous test)
    to_identity(kiosk)
    kiosk.click('.method[data-method="mobile"]')
    kiosk.click("#mobile-typed")  # the fallback: the ID typed, pushed to the phone
    type_keys(kiosk, "nid", citizen.national_id)
    number = kiosk.locator("#match-number")
    expect(number).to_have_text(re.compile(r"^\d\d$"))
    phone = kiosk.context.new_page()
    phone.goto(f"{rig.broker_url}/phone/{citizen.national_id}")
    phone.click(f'button[data-choice="{number.inner_text()}"]')
    phone.click("button.approve")
    phone.close()  # back to the kiosk's tab
    past_contact(kiosk)
    expect(kiosk.locator("#screen-done")).to_be_visible(timeout=15_000)
    assert len(_screen_code(kiosk)) == 16


def test_push_denied_then_expired(kiosk: Page, rig: KioskRig) -> None:
    citizen = rig.citizen(101)
    to_identity(kiosk)
    kiosk.click('.method[data-method="mobile"]')
    kiosk.click("#mobile-typed")
    type_keys(kiosk, "nid", citizen.national_id)
    expect(kiosk.locator("#match-number")).to_have_text(re.compile(r"^\d\d$"))
    phone = kiosk.context.new_page()
    phone.goto(f"{rig.broker_url}/phone/{citizen.national_id}")
    phone.click("button.deny")
    phone.close()  # back to the kiosk's tab (a background tab's frames run once a second)
    expect(kiosk.locator("#identity-error")).to_have_text("您已在手機上拒絕這次驗證。")
    kiosk.click('.langbtn[data-lang="en"]')
    type_keys(kiosk, "nid", citizen.national_id)
    expect(kiosk.locator("#mobile-countdown")).to_contain_text("Waiting for your phone")
    advance_clock(rig.broker_url, 7)  # past the push's 6 s at the broker, instead of waiting for it
    expect(kiosk.locator("#identity-error")).to_have_text(re.compile("timed out"), timeout=15_000)


def test_wrong_pin_counts_down_then_locks(kiosk: Page, rig: KioskRig) -> None:
    to_identity(kiosk)
    kiosk.click('.method[data-method="moica"]')
    insert(kiosk, rig, "moica", rig.citizen(102))
    expect(kiosk.locator("#moica-pin")).to_be_visible()
    type_keys(kiosk, "pin", "000000")
    expect(kiosk.locator("#identity-error")).to_have_text("PIN 碼錯誤，還可以再試 2 次。")
    type_keys(kiosk, "pin", "111111")
    expect(kiosk.locator("#identity-error")).to_contain_text("再錯 1 次將鎖卡")  # warned before the last try
    type_keys(kiosk, "pin", "222222")
    expect(kiosk.locator("#identity-error")).to_contain_text("卡片已鎖住")
    # locked: the PIN pad is gone and every other way in is offered instead
    expect(kiosk.locator("#pane-moica")).to_be_hidden()
    expect(kiosk.locator('.method[data-method="moica"]')).to_have_count(0)
    expect(kiosk.locator('.method[data-method="mobile"]')).to_be_visible()
    expect(kiosk.locator("#methods-why")).to_contain_text("已鎖住")


def test_a_reader_unplugged_mid_step_greys_the_card_methods_with_the_reason_and_back_when_plugged_in(
    kiosk: Page, rig: KioskRig
) -> None:
    to_identity(kiosk)
    kiosk.click('.method[data-method="moica"]')
    expect(kiosk.locator("#moica-card")).to_be_visible()  # "insert your card", which would now wait forever
    kiosk.request.post(rig.kiosk_url + "/demo/reader", data={"plugged": False})
    expect(kiosk.locator("#pane-moica")).to_be_hidden()  # back at the methods, told why
    expect(kiosk.locator('.method[data-method="moica"]')).to_be_disabled()
    expect(kiosk.locator('.method[data-method="mobile"]')).to_be_enabled()  # the others are offered
    expect(kiosk.locator("#methods-why")).to_contain_text("讀卡機目前無法使用")
    expect(kiosk.locator("#methods-why")).to_contain_text("自然人憑證")
    kiosk.click('.langbtn[data-lang="en"]')
    expect(kiosk.locator("#methods-why")).to_contain_text("The card reader is not working right now")
    kiosk.request.post(rig.kiosk_url + "/demo/reader", data={"plugged": True})
    expect(kiosk.locator('.method[data-method="moica"]')).to_be_enabled()
    expect(kiosk.locator("#methods-why")).not_to_contain_text("card reader")


@pytest.mark.parametrize("viewport", [ViewportSize(width=1280, height=1024), ViewportSize(width=1920, height=1080)])
@pytest.mark.parametrize(
    ("method", "card", "target"),
    [("bank_card", "bank", "bankid"), ("nhi_card", "nhi", "nhipw"), ("nhi_household", "", "hh")],
)
def test_a_card_panes_keypad_keeps_its_ok_key_above_the_bar_on_landscape_screens(
    kiosk: Page, rig: KioskRig, viewport: ViewportSize, method: str, card: str, target: str
) -> None:
    """A card's insert picture gives way to a keypad with letters: its OK key is reachable without scrolling."""
    kiosk.set_viewport_size(viewport)
    to_identity(kiosk, "moe-tuition-waiver")
    kiosk.click(f'.method[data-method="{method}"]')
    if card:
        insert(kiosk, rig, card, rig.citizen(121))
    ok = kiosk.locator(f'.keypad[data-target="{target}"] button[data-key="ok"]')
    expect(ok).to_be_visible()
    box, bar = ok.bounding_box(), kiosk.locator("#screen-identity .actions").bounding_box()
    assert box is not None and bar is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= bar["y"], (viewport, box, bar)


def test_paper_out_shows_the_code_on_screen_and_retry_prints(kiosk: Page, rig: KioskRig) -> None:
    citizen = rig.citizen(100)
    rig.printer.state = "paper_out"
    to_identity(kiosk)
    _sms_code(kiosk, rig, citizen)
    past_contact(kiosk)
    expect(kiosk.locator("#print-failed")).to_be_visible(timeout=15_000)
    expect(kiosk.locator("#print-error")).to_have_text("印表機缺紙，無法列印收據")
    shown = re.sub(r"\D", "", kiosk.locator("#fallback-code").inner_text())
    assert len(shown) == 16
    rig.printer.state = "ready"
    before = len([job for job in rig.printer.jobs if job.images])
    kiosk.click("#print-retry")
    expect(kiosk.locator("#screen-done")).to_be_visible(timeout=15_000)
    assert _screen_code(kiosk) == shown
    assert _printed_codes(rig, before + 1) == {shown}


def test_a_lost_print_answer_is_asked_again_and_shows_the_code_printed_once(kiosk: Page, rig: KioskRig) -> None:
    citizen = rig.citizen(100)
    lost: list[str] = []

    def lose_first_answer(route: Route) -> None:
        if lost:
            route.continue_()
            return
        route.fetch()  # the kiosk prints; its answer never reaches the page
        lost.append(route.request.post_data or "")
        route.abort("connectionreset")

    kiosk.route("**/api/print", lose_first_answer)
    before = len([job for job in rig.printer.jobs if job.images])
    to_identity(kiosk)
    _sms_code(kiosk, rig, citizen)
    past_contact(kiosk)
    expect(kiosk.locator("#screen-done")).to_be_visible(timeout=20_000)
    assert lost and "request_id" in lost[0]
    code = _screen_code(kiosk)
    assert _printed_codes(rig, before + 1) == {code}
    kiosk.wait_for_timeout(500)
    assert len([job for job in rig.printer.jobs if job.images]) == before + 1  # printed once, not twice


def test_demo_kiosk_opens_the_demo_card_panel_when_a_card_method_waits_for_a_card(kiosk: Page, rig: KioskRig) -> None:
    expect(kiosk.locator("#demo")).not_to_have_attribute("open", "")
    to_identity(kiosk)
    kiosk.click('.method[data-method="moica"]')
    expect(kiosk.locator("#moica-card")).to_have_text("請將自然人憑證插入讀卡機")
    expect(kiosk.locator("#demo")).to_have_attribute("open", "")  # a first-time visitor sees where cards come from
    expect(kiosk.locator("#demo-pin")).to_contain_text("123456")  # and the demo card's PIN
    kiosk.click("#demo-moica")
    expect(kiosk.locator("#moica-pin")).to_be_visible()
    expect(kiosk.locator("#demo")).not_to_have_attribute("open", "")  # and out of the way once the card is in
    kiosk.request.delete(rig.kiosk_url + "/demo/card")  # leave no card behind: its removal would wipe the next test
    expect(kiosk.locator("#screen-welcome")).to_be_visible(timeout=10_000)


def test_card_pulled_mid_flow_wipes_the_session(kiosk: Page, rig: KioskRig) -> None:
    to_identity(kiosk)
    kiosk.click('.method[data-method="moica"]')
    insert(kiosk, rig, "moica", rig.citizen(103))
    expect(kiosk.locator("#moica-pin")).to_be_visible()
    kiosk.request.delete(rig.kiosk_url + "/demo/card")
    expect(kiosk.locator("#screen-welcome")).to_be_visible(timeout=10_000)
    expect(kiosk.locator("#toast")).to_have_text("卡片已拔出")


def test_idle_warning_then_wipe(kiosk: Page, rig: KioskRig) -> None:
    kiosk.click("#start")
    expect(kiosk.locator("#screen-services")).to_be_visible()
    expect(kiosk.locator("#idle")).to_be_visible(timeout=15_000)
    expect(kiosk.locator("#idle-body")).to_contain_text("秒後將清除畫面")
    expect(kiosk.locator("#screen-welcome")).to_be_visible(timeout=10_000)
    response = kiosk.request.post(rig.kiosk_url + "/api/consent", data={"accepted": True})
    assert response.status == 409  # the server-side session is gone too


@pytest.mark.parametrize("viewport", [{"width": 1920, "height": 1080}, {"width": 1080, "height": 1920}])
def test_language_switch_on_every_screen(kiosk: Page, rig: KioskRig, viewport: dict[str, int]) -> None:
    kiosk.set_viewport_size(viewport)  # type: ignore[arg-type]
    checks = [("#screen-welcome h1", "MyData 臨櫃核驗免檢據", "MyData counter verification")]
    for selector, zh, en in checks:
        _switch(kiosk, selector, zh, en)
    kiosk.click("#start")
    _switch(kiosk, "#screen-services h1", "請選擇要辦理的服務", "Choose the service")
    kiosk.click('.service[data-service-id="hualien-disabled-parking"]')
    _switch(kiosk, "#screen-terms h1", "服務條款與資料提供範圍", "Terms and the data to be released")
    _switch(kiosk, "#datasets caption >> nth=0", "個人戶籍資料", "Personal household registration")
    agree(kiosk)
    _switch(kiosk, "#screen-identity h1", "請驗證身分", "Verify your identity")
    _switch(kiosk, '.method[data-method="otp"] strong', "手機簡訊驗證碼", "SMS code")
    small = kiosk.locator("#agree").bounding_box()
    assert small is None or small["height"] >= 48  # touch targets
    for button in kiosk.locator("#screen-identity button:visible").all():
        box = button.bounding_box()
        assert box is not None and box["height"] >= 48


def _switch(page: Page, selector: str, zh: str, en: str) -> None:
    page.click('.langbtn[data-lang="en"]')
    expect(page.locator(selector)).to_contain_text(en)
    page.click('.langbtn[data-lang="zh-TW"]')
    expect(page.locator(selector)).to_contain_text(zh)


def test_sms_otp_method_and_language_switch_on_the_last_screens(kiosk: Page, rig: KioskRig) -> None:
    citizen = rig.citizen(110)
    issue_code(BrokerClient(rig.settings.broker), rig.settings, citizen)  # used MyData before: one method will do
    to_identity(kiosk)
    kiosk.click('.method[data-method="otp"]')
    type_keys(kiosk, "otpid", citizen.national_id)
    expect(kiosk.locator("#otp-phone")).to_be_visible()
    type_keys(kiosk, "otpphone", citizen.phone)
    expect(kiosk.locator("#otp-sent")).to_contain_text(citizen.phone[:4])
    assert citizen.phone not in kiosk.content()  # only the masked number is shown
    body = kiosk.request.get(rig.broker_url + "/outbox.json").json()["messages"][0]["body"]
    otp = re.findall(r"\b\d{6}\b", body)[0]
    type_keys(kiosk, "otp", otp)
    past_contact(kiosk)
    expect(kiosk.locator("#screen-done")).to_be_visible(timeout=15_000)
    _switch(kiosk, "#screen-done h1", "請取收據，到櫃台辦理", "Take your receipt and go to the counter")
    _switch(kiosk, "#done-valid", "此條碼於", "Valid until")
