"""The clerk terminal in a real Chromium: the three ways in, the 欄位/資料/說明 tables, every error,
purge and countdown leaving nothing behind."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
import requests
from playwright.sync_api import Page, expect

from counter_core.datacode import grouped
from counter_core.settings import Settings
from hardware.decode.corpus import _desk, _place
from hardware.printer.receipt import sample_receipt
from hardware.printer.render_raster import render_receipt_image
from mydata_counter.servicerunner import running_service
from tests.clerk.clerk_rig import ClerkRig, login

pytestmark = pytest.mark.e2e


def _household_name(page: Page) -> str:
    return page.locator('table[data-dataset="household_personal"] tr[data-field="name"] td >> nth=1').inner_text()


def test_login_refuses_a_wrong_password_then_shows_agency_and_clerk(page: Page, rig: ClerkRig) -> None:
    page.goto(rig.clerk_url + "/")
    expect(page).to_have_url(rig.clerk_url + "/login")
    page.fill("#username", "clerk-hualien")
    page.fill("#password", "nope")
    page.click("#login")
    expect(page.locator("#login-error")).to_contain_text("帳號或密碼錯誤")
    expect(page.locator("#demo-hint")).to_contain_text("clerk-hualien")  # demo config: the demo account is named
    login(page, rig.clerk_url)
    expect(page.locator("#who")).to_contain_text("花蓮縣政府")


def test_keypad_entry_shows_the_right_citizens_data_then_purge_leaves_nothing(clerk: Page, rig: ClerkRig) -> None:
    citizen = rig.citizen(150)
    code = rig.code(150)
    clerk.click("#code")
    clerk.keyboard.type(code, delay=80)  # a person typing
    expect(clerk.locator("#code")).to_have_value(grouped(code))
    clerk.click("#submit")
    expect(clerk.locator("#result")).to_be_visible()
    assert _household_name(clerk) == citizen.name
    headers = clerk.locator('table[data-dataset="household_personal"] th').all_inner_texts()
    assert headers == ["欄位", "資料", "說明"]
    expect(clerk.locator("#result-methods")).to_contain_text("自然人憑證")
    masked_id = citizen.national_id[:3] + "****" + citizen.national_id[-3:]  # to match the person, not more
    expect(clerk.locator("#result-applicant")).to_have_text(
        f"申請人：{citizen.name}（{masked_id}）— 請核對是否為臨櫃民眾本人"
    )
    expect(clerk.locator("#countdown")).to_contain_text("自動清除")
    clerk.click("#purge")
    expect(clerk.locator("#result")).to_be_hidden()
    assert citizen.name not in clerk.content()
    clerk.go_back()
    clerk.go_forward()
    assert citizen.name not in clerk.content()


def test_hand_scanner_burst_is_a_scan(clerk: Page, rig: ClerkRig) -> None:
    citizen = rig.citizen(151)
    code = rig.code(151)
    clerk.click("h1")  # focus is not in the input: a wedge scanner types wherever the page is
    # A scanner's keystrokes arrive within a few ms of each other. Dispatched in one go inside the page, their
    # gaps stay that small even when the test machine is loaded (typing through CDP can be delayed by load).
    clerk.evaluate(
        """(code) => {
          for (const key of [...code, "Enter"]) {
            document.dispatchEvent(new KeyboardEvent("keydown", {key, bubbles: true, cancelable: true}));
          }
        }""",
        code,
    )
    expect(clerk.locator("#result")).to_be_visible()
    assert _household_name(clerk) == citizen.name
    clerk.click("#purge")


def _wedge_scan(page: Page, code: str) -> None:
    page.evaluate(
        """(code) => {
          for (const key of [...code, "Enter"]) {
            document.dispatchEvent(new KeyboardEvent("keydown", {key, bubbles: true, cancelable: true}));
          }
        }""",
        code,
    )


def test_scanning_the_next_receipt_finishes_the_shown_citizen_and_shows_the_next(clerk: Page, rig: ClerkRig) -> None:
    first, second = rig.citizen(152), rig.citizen(153)
    first_code, second_code = rig.code(152), rig.code(153)
    _wedge_scan(clerk, first_code)
    expect(clerk.locator("#result")).to_be_visible()
    assert _household_name(clerk) == first.name
    _wedge_scan(clerk, first_code)  # the same receipt again: a double scan changes nothing
    clerk.wait_for_timeout(300)
    assert _household_name(clerk) == first.name
    _wedge_scan(clerk, second_code)
    expect(clerk.locator('table[data-dataset="household_personal"] tr[data-field="name"] td >> nth=1')).to_have_text(
        second.name
    )
    assert first.name not in clerk.content()
    with sqlite3.connect(rig.settings.clerk.audit_db) as db:  # type: ignore[arg-type]
        events = [row[0] for row in db.execute("SELECT event FROM events ORDER BY id DESC LIMIT 3")]
    assert events == ["viewed", "purged.done", "viewed"], events  # first viewed, finished, second viewed
    clerk.click("#purge")


def test_typo_is_caught_before_any_broker_call(clerk: Page, rig: ClerkRig) -> None:
    code = rig.code(152)
    typo = code[:5] + str((int(code[5]) + 1) % 10) + code[6:]
    swapped = next(code[:i] + code[i + 1] + code[i] + code[i + 2 :] for i in range(15) if code[i] != code[i + 1])
    for wrong in (typo, swapped):
        clerk.fill("#code", wrong)
        clerk.click("#submit")
        expect(clerk.locator("#message")).to_contain_text("檢查碼不符")
    with sqlite3.connect(rig.settings.clerk.audit_db) as db:  # type: ignore[arg-type]
        sources = [row[0] for row in db.execute("SELECT event FROM events")]
    assert not any(event.startswith("refused") for event in sources)


@pytest.mark.parametrize(
    "case,expected",
    [("used", "已使用過"), ("foreign", "其他機關"), ("unknown", "查無此資料條碼")],
)
def test_errors_have_a_clear_message_and_next_step(clerk: Page, rig: ClerkRig, case: str, expected: str) -> None:
    if case == "used":
        code = rig.code(153)
        clerk.fill("#code", code)
        clerk.click("#submit")
        expect(clerk.locator("#result")).to_be_visible()
        clerk.keyboard.press("Escape")  # one key finishes and clears
        expect(clerk.locator("#scan")).to_be_visible()
    elif case == "foreign":
        code = rig.code(154, "bli-unemployment")
    else:
        body = "999999999999999"
        from counter_core.datacode import damm_check_digit

        code = body + damm_check_digit(body)
    clerk.fill("#code", code)
    clerk.click("#submit")
    expect(clerk.locator("#message")).to_contain_text(expected)
    clerk.click('button[data-lang="en"]')


def test_countdown_expiry_purges_the_page_and_the_server(page: Page, rig: ClerkRig) -> None:
    with running_service("clerk", rig.clerk_settings(purge_after_s=3)) as url:
        login(page, url)
        citizen = rig.citizen(155)
        page.fill("#code", rig.code(155))
        page.click("#submit")
        expect(page.locator("#result")).to_be_visible()
        assert _household_name(page) == citizen.name
        expect(page.locator("#result")).to_be_hidden(timeout=8000)
        assert citizen.name not in page.content()
        viewing = page.request.get(url + "/api/viewing").json()
        assert viewing == {"viewing": False}


def test_camera_reads_a_photographed_receipt(page: Page, rig: ClerkRig, tmp_path: Path) -> None:
    citizen = rig.citizen(156)
    code = rig.code(156)
    receipt = np.asarray(render_receipt_image(sample_receipt(datetime(2026, 11, 24, 16, 40), code), 576).convert("L"))
    import random

    frame = _place(random.Random(5), receipt, (1280, 720), 0.85, 0.05)
    folder = tmp_path / "camera"
    folder.mkdir()
    cv2.imwrite(str(folder / "frame.jpg"), frame)
    data = rig.settings.model_dump()
    data["devices"]["camera"].update({"driver": "real", "source": str(folder), "fps": 5})
    from counter_core.settings import Settings

    with running_service("clerk", Settings(**data)) as url:
        login(page, url)
        expect(page.locator("#result")).to_be_visible(timeout=15_000)
        assert _household_name(page) == citizen.name
        page.click("#purge")
    assert _desk is not None


def test_json_api_refuses_requests_without_the_csrf_token(clerk: Page, rig: ClerkRig) -> None:
    response = clerk.request.post(rig.clerk_url + "/api/redeem", data={"code": rig.code(157)})
    assert response.status == 400
    assert "CSRF" in response.text()


def test_a_station_outside_the_demo_never_names_the_demo_account(rig: ClerkRig) -> None:
    data = rig.settings.model_dump()
    data["sandbox"]["demo_mode"] = False
    with running_service("clerk", Settings(**data)) as url:
        page = requests.get(url + "/login", timeout=10).text
    assert "demo-hint" not in page and "hualien-demo" not in page
