"""The kiosk for everyone, in Chromium against real services: axe-core finds no WCAG 2.2 A/AA violation on any
screen or state at 1080x1920, 1280x1024 and 1920x1080; errors stay in view above the action bar at every
viewport and text size; a card left in the reader is asked out; waits hold the idle clock; the audio guide
speaks every screen offline; a screen reader is told what it needs; and a clerk can be called."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page, Request, ViewportSize, expect

from broker_client import BrokerClient
from mydata_counter.testing.sandbox import issue_code, wait_for_code
from tests.a11y.a11y_rig import (
    VIEWPORTS,
    Counter,
    agree,
    axe_violations,
    counter,
    insert,
    open_kiosk,
    to_identity,
    type_keys,
)

pytestmark = pytest.mark.e2e
__all__ = ["counter"]
INVALID_ID = "A123456788"  # the check digit is wrong: refused before any broker call


def _clean(page: Page, state: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{state}: {json.dumps(violations, ensure_ascii=False)}"


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v['width']}x{v['height']}")
def test_axe_finds_nothing_on_any_kiosk_screen(page: Page, counter: Counter, viewport: ViewportSize) -> None:
    open_kiosk(page, counter, viewport)
    _clean(page, "welcome")
    page.click("#start")
    expect(page.locator("#screen-services")).to_be_visible()
    _clean(page, "services")
    page.click('.service[data-service-id="hualien-disabled-parking"]')
    _clean(page, "terms")
    agree(page)
    expect(page.locator("#methods-why")).to_contain_text("健保卡")  # why the NHI card ways are not offered here
    _clean(page, "identity: the methods")
    page.click('.method[data-method="moica"]')
    _clean(page, "identity: insert the card")
    insert(page, counter, "moica", counter.citizen(30))
    expect(page.locator("#moica-pin")).to_be_visible()
    type_keys(page, "pin", "000000")
    expect(page.locator("#identity-error")).to_be_visible()
    _clean(page, "identity: PIN pad with an error")
    page.request.delete(counter.kiosk_url + "/demo/card")
    expect(page.locator("#screen-welcome")).to_be_visible()  # pulled at its own step: the session ends
    to_identity(page)
    page.click('.method[data-method="mobile"]')
    expect(page.locator("#qr-image")).to_be_visible()
    _clean(page, "identity: the sign-in QR")
    page.click("#mobile-typed")
    type_keys(page, "nid", counter.citizen(31).national_id)
    expect(page.locator("#match-number")).to_have_text(re.compile(r"^\d\d$"))
    _clean(page, "identity: waiting for the phone")
    page.click("#identity-back")
    page.click('.method[data-method="otp"]')
    _clean(page, "identity: SMS, the ID")
    type_keys(page, "otpid", counter.citizen(31).national_id)
    expect(page.locator("#otp-phone")).to_be_visible()
    _clean(page, "identity: SMS, the phone number")
    expect(page.locator("#methods-why")).to_be_hidden()
    page.click("#screen-identity .cancel")
    to_identity(page, "moe-tuition-waiver")  # low-income status: the NHI card and no-card ways may release it
    page.click('.method[data-method="nhi_household"]')
    page.click("#nhi-no-card")
    _clean(page, "identity: NHI number without the card")
    page.click("#identity-back")
    page.click('.method[data-method="nhi_card"]')
    insert(page, counter, "nhi", counter.citizen(37))
    expect(page.locator("#nhicard-password")).to_be_visible()
    _clean(page, "identity: NHI card password")
    page.click("#identity-back")
    page.request.delete(counter.kiosk_url + "/demo/card")
    page.click('.method[data-method="bank_card"]')
    _clean(page, "identity: bank card, insert the card")
    insert(page, counter, "bank", counter.citizen(38))
    expect(page.locator("#bank-id")).to_be_visible()
    _clean(page, "identity: bank card, the national ID")
    type_keys(page, "bankid", counter.citizen(38).national_id)
    type_keys(page, "bankpin", "000000")
    expect(page.locator("#identity-error")).to_contain_text("2")
    _clean(page, "identity: bank card PIN pad with an error")
    page.click("#identity-back")
    page.request.delete(counter.kiosk_url + "/demo/card")
    page.click('.method[data-method="multi_factor"]')
    type_keys(page, "multiid", counter.citizen(37).national_id)
    expect(page.locator("#multi-birth")).to_be_visible()
    _clean(page, "identity: multi-factor, the birthday")
    page.click('[data-size="2"]')
    _clean(page, "identity: text x2")
    page.evaluate("() => { document.getElementById('idle').hidden = false; }")
    _clean(page, "idle warning dialog")


def test_errors_stay_in_view_above_the_bar_at_every_viewport_and_text_size(page: Page, counter: Counter) -> None:
    for viewport in VIEWPORTS:
        for scale in ("1", "1.5", "2"):
            open_kiosk(page, counter, viewport)
            page.click(f'[data-size="{scale}"]')
            to_identity(page)
            page.click('.method[data-method="otp"]')
            type_keys(page, "otpid", INVALID_ID)
            error = page.locator("#identity-error")
            expect(error).to_contain_text("檢查碼不正確")
            box, bar = error.bounding_box(), page.locator("#screen-identity .actions").bounding_box()
            assert box is not None and bar is not None
            where = f"{viewport['width']}x{viewport['height']} x{scale}"
            assert box["y"] >= 0 and box["y"] + box["height"] <= bar["y"], where  # in view, above the bar
            page.click('.langbtn[data-lang="en"]')  # errors are re-rendered in the new language
            expect(error).to_contain_text("national ID is not valid")
            page.click('.langbtn[data-lang="zh-TW"]')
            page.click("#screen-identity .cancel")


def test_a_card_left_in_the_reader_is_asked_out_before_and_after(page: Page, counter: Counter) -> None:
    open_kiosk(page, counter)
    insert(page, counter, "nhi", counter.citizen(32))  # the previous citizen's card
    page.click("#start")
    expect(page.locator("#screen-takecard")).to_be_visible()
    expect(page.locator("#takecard-body")).to_contain_text("請先取出")
    page.request.delete(counter.kiosk_url + "/demo/card")
    expect(page.locator("#screen-services")).to_be_visible()  # out: the citizen goes on
    page.click('.service[data-service-id="moe-tuition-waiver"]')
    agree(page)
    page.click('.method[data-method="nhi_household"]')
    insert(page, counter, "nhi", counter.citizen(32))
    expect(page.locator("#nhi-card")).to_have_text("已讀到卡片")
    page.click("#screen-identity .cancel")  # gives up with the card still in
    expect(page.locator("#screen-takecard")).to_be_visible()
    expect(page.locator("#h-takecard")).to_have_text("請取回您的卡片")
    page.request.delete(counter.kiosk_url + "/demo/card")
    expect(page.locator("#screen-welcome")).to_be_visible()


def test_waiting_for_the_phone_holds_the_idle_clock_and_more_time_is_a_dialog(page: Page, counter: Counter) -> None:
    open_kiosk(page, counter)
    to_identity(page)
    page.click('.method[data-method="mobile"]')
    page.click("#mobile-typed")
    type_keys(page, "nid", counter.citizen(33).national_id)
    expect(page.locator("#match-number")).to_be_visible()
    settings = counter.settings.kiosk
    page.wait_for_timeout((settings.idle_warning_s + settings.idle_wipe_s + 2) * 1000)
    expect(page.locator("#idle")).to_be_hidden()  # no warning, no wipe while the phone is awaited
    expect(page.locator("#mobile-wait")).to_be_visible()
    page.click("#identity-back")  # the citizen stops waiting: the clock runs again
    dialog = page.locator("#idle [role=alertdialog]")
    expect(dialog).to_be_visible(timeout=(settings.idle_warning_s + 3) * 1000)
    expect(page.locator("#idle-continue")).to_be_focused()
    expect(page.locator("#idle-continue")).to_have_text("我需要更多時間")
    page.click("#idle-continue")
    expect(page.locator("#idle")).to_be_hidden()
    expect(page.locator("#screen-identity")).to_be_visible()


def test_a_screen_reader_hears_each_heading_the_pin_count_and_the_match_number(page: Page, counter: Counter) -> None:
    open_kiosk(page, counter)
    page.click("#start")
    expect(page.locator("#h-services")).to_be_focused()
    page.click('.service[data-service-id="hualien-disabled-parking"]')
    expect(page.locator("#h-terms")).to_be_focused()
    agree(page)
    expect(page.locator("#h-identity")).to_be_focused()
    page.click('.method[data-method="moica"]')
    insert(page, counter, "moica", counter.citizen(34))
    type_keys(page, "pin", "123", submit=False)
    expect(page.locator("#pin-display .sr-only")).to_have_text("已輸入 3 位")
    expect(page.locator("#pin-display [aria-hidden=true]")).to_have_text("●●●")
    assert "123" not in page.locator("#pin-display").inner_text()
    page.click("#identity-back")
    page.request.delete(counter.kiosk_url + "/demo/card")
    page.click('.method[data-method="mobile"]')
    page.click("#mobile-typed")
    type_keys(page, "nid", counter.citizen(35).national_id)
    number = page.locator("#match-number")
    expect(number).to_have_attribute("aria-live", "assertive")
    expect(page.locator("#announce")).to_contain_text(" ".join(number.inner_text()))  # said digit by digit
    meter = page.locator("#mobile-progress")
    expect(meter).to_have_attribute("role", "progressbar")
    expect(meter).to_have_attribute("aria-valuetext", re.compile(r"剩 \d+ 秒"))
    assert page.locator("main input").count() == 0  # touch only: nothing needs a keyboard the kiosk lacks
    assert page.evaluate("document.querySelector('meta[name=viewport]').content").find("user-scalable") < 0


def test_text_size_is_on_every_screen_and_reset_for_the_next_citizen(page: Page, counter: Counter) -> None:
    open_kiosk(page, counter)
    root_size = "parseFloat(getComputedStyle(document.body).fontSize)"
    normal = page.evaluate(root_size)
    page.click('[data-size="2"]')
    assert page.evaluate(root_size) == pytest.approx(2 * normal)
    to_identity(page)
    expect(page.locator('[data-size="2"]')).to_have_attribute("aria-pressed", "true")
    page.click('[data-size="1.5"]')
    assert page.evaluate(root_size) == pytest.approx(1.5 * normal)
    page.click("#screen-identity .cancel")
    expect(page.locator("#screen-welcome")).to_be_visible()
    assert page.evaluate(root_size) == pytest.approx(normal)  # the next citizen starts at the normal size


def test_the_audio_guide_speaks_every_screen_offline(page: Page, counter: Counter) -> None:
    spoken: list[dict[str, Any]] = []
    elsewhere: list[str] = []

    def listen(request: Request) -> None:
        if not request.url.startswith((counter.kiosk_url, "blob:" + counter.kiosk_url)):
            elsewhere.append(request.url)
        if request.url.endswith("/api/speech"):
            spoken.append(json.loads(request.post_data or "{}"))

    page.on("request", listen)
    answers: list[tuple[int, str]] = []
    page.on(
        "response",
        lambda r: (
            answers.append((r.status, r.headers.get("content-type", ""))) if r.url.endswith("/api/speech") else None
        ),
    )
    open_kiosk(page, counter)
    page.keyboard.press(counter.settings.kiosk.audio_key)  # the marked key on the kiosk's keypad
    expect(page.locator("#audio")).to_have_attribute("aria-pressed", "true")
    page.click("#start")
    page.click('.service[data-service-id="hualien-disabled-parking"]')
    agree(page)
    page.click('.method[data-method="moica"]')
    insert(page, counter, "moica", counter.citizen(36))
    type_keys(page, "pin", "12", submit=False)
    page.wait_for_timeout(1500)
    texts = " ".join(item["text"] for item in spoken)
    for heading in (
        "MyData 臨櫃核驗免檢據",
        "請選擇要辦理的服務",
        "服務條款與資料提供範圍",
        "請驗證身分",
        "已輸入 2 位",
    ):
        assert heading in texts, heading
    assert "身心障礙者專用停車位識別證" in texts  # the choices are read out
    assert not re.search(r"\b12\b", texts)  # a PIN is counted, never spoken
    assert answers and all(answer == (200, "audio/wav") for answer in answers)
    wav = page.request.post(counter.kiosk_url + "/api/speech", data={"language": "zh-TW", "text": spoken[0]["text"]})
    assert wav.body()[:4] == b"RIFF" and wav.body()[8:12] == b"WAVE"
    assert elsewhere == []  # nothing leaves the kiosk


def test_calling_a_clerk_reaches_the_clerk_station_and_the_answer_comes_back(page: Page, counter: Counter) -> None:
    clerk = page.context.new_page()
    clerk.goto(counter.clerk_url + "/login")
    clerk.fill("#username", "clerk-hualien")
    clerk.fill("#password", "hualien-demo")
    clerk.click("#login")
    expect(clerk.locator("html")).to_have_attribute("data-connection", "connected")
    page.bring_to_front()  # the kiosk's tab in front (a background tab's frames run once a second)
    open_kiosk(page, counter)
    to_identity(page)
    page.click("#help")
    expect(page.locator("#help-status")).to_contain_text("已通知櫃台人員")
    call = clerk.locator(".helpcall")
    expect(call).to_contain_text("身分驗證")  # which screen, never who
    expect(call).to_contain_text(counter.settings.kiosk.name)
    call.locator("button").click()
    expect(page.locator("#help-status")).to_contain_text("正前來協助", timeout=10_000)
    expect(clerk.locator(".helpcall")).to_have_count(0)
    _clean(clerk, "clerk: after a help call")


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v['width']}x{v['height']}")
def test_axe_finds_nothing_on_the_consent_contact_and_records_screens(
    page: Page, counter: Counter, viewport: ViewportSize
) -> None:
    citizen = counter.citizen(40 + VIEWPORTS.index(viewport))
    client = BrokerClient(counter.settings.broker)
    issued = issue_code(client, counter.settings, citizen)  # used MyData before, and an agency saw the data
    client.redeem(client.clerk_login("clerk-hualien", "hualien-demo").token, issued.code)
    client.close()
    open_kiosk(page, counter, viewport)
    page.click("#start")
    page.click('.service[data-service-id="hualien-disabled-parking"]')
    expect(page.locator("#agree")).to_be_disabled()
    _clean(page, "terms: not yet read to the end")
    page.locator("#terms-scroll").focus()
    page.keyboard.press("End")
    expect(page.locator("#agree")).to_be_enabled()
    _clean(page, "terms: read to the end")
    page.click("#agree")
    page.click('.method[data-method="moica"]')
    insert(page, counter, "moica", citizen)
    type_keys(page, "pin", "123456")
    expect(page.locator("#screen-contact")).to_be_visible(timeout=15_000)
    page.request.delete(counter.kiosk_url + "/demo/card")
    _clean(page, "contact: first registration")
    page.click("#contact-add-phone")
    type_keys(page, "cphone", "0212345678")
    expect(page.locator("#contact-error")).to_be_visible()
    _clean(page, "contact: the phone keypad with an error")
    page.click('.keypad[data-target="cphone"] button[data-key="clear"]')
    type_keys(page, "cphone", citizen.phone)
    type_keys(page, "ccode", "000000")
    expect(page.locator("#contact-error")).to_be_visible()
    _clean(page, "contact: the code with an error")
    code = wait_for_code(counter.broker_url, citizen.phone)
    assert code is not None
    type_keys(page, "ccode", code)
    expect(page.locator("#contact-continue")).to_be_visible()
    _clean(page, "contact: a verified phone")
    page.click("#contact-add-email")
    _clean(page, "contact: the e-mail keyboard")
    page.click('[data-size="2"]')
    _clean(page, "contact: the e-mail keyboard at text x2")
    page.click('[data-size="1"]')
    page.click("#contact-back")
    page.click("#contact-records")
    expect(page.locator("#records-list tbody tr")).to_have_count(1)
    _clean(page, "records of use")
    page.click("#records-back")
    page.click("#contact-continue")
    expect(page.locator("#done-notice")).to_contain_text(citizen.phone[-3:], timeout=15_000)
    _clean(page, "done: where the notice goes")
