"""``make screenshots``: every kiosk screen in zh-TW and en, from a real run (sandbox broker, simulated
card reader, capture printer), written to ``docs/screens/``.

Each language walks one first-time citizen through the whole flow: the terms read to their end, the citizen
certificate card's PIN pad, the QR that starts the phone sign-in and its number, the second method (SMS) of a
first use, the contact for notices (mobile number on the keypad, e-mail on the on-screen keyboard, each proved by
a code), a printer out of paper, the receipt; then, once a clerk has seen the data, the same citizen again at the
records of use."""

from __future__ import annotations

import io
import re
import sys
import tempfile
from pathlib import Path

import numpy as np
import requests
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, sync_playwright

from broker_client import BrokerClient
from broker_sandbox.citizens import Citizen
from counter_core.settings import Settings, load_settings
from hardware.printer.capture import CapturePrinter, capture_printer
from mydata_counter.servicerunner import running_service
from mydata_counter.testing.sandbox import citizens, running_sandbox, sandbox_settings, wait_for_code

CHROMIUM = "/usr/bin/chromium"
SERVICE = "hualien-disabled-parking"


def _shoot(page: Page, folder: Path, name: str, language: str) -> None:
    page.click(f'.langbtn[data-lang="{language}"]')
    page.wait_for_timeout(150)
    page.screenshot(path=str(folder / f"{name}-{language}.png"))


def _keys(page: Page, target: str, text: str, submit: bool = True) -> None:
    for char in text:
        page.click(
            f'.keypad[data-target="{target}"] button[data-key="{char}"], '
            f'.letters:has(+ .keypad[data-target="{target}"]) button[data-key="{char}"]'
        )
    if submit:
        page.click(f'.keypad[data-target="{target}"] button[data-key="ok"]')


def _to_terms(page: Page) -> None:
    page.click("#start")
    page.wait_for_selector(".service")
    page.click(f'.service[data-service-id="{SERVICE}"]')
    page.wait_for_selector("#datasets table")


def _agree(page: Page) -> None:
    page.locator("#terms-scroll").focus()
    page.keyboard.press("End")
    page.wait_for_selector("#agree:enabled")
    page.click("#agree")
    page.wait_for_selector(".method")


def _qr_sign_in(page: Page, broker_url: str, citizen: Citizen, shots: tuple[Path, str] | None = None) -> None:
    """The QR on screen, scanned by the citizen's app (the phone simulator), the number picked and approved."""
    page.click('.method[data-method="mobile"]')
    page.wait_for_selector("#qr-image:not([hidden])")
    page.wait_for_timeout(300)
    if shots:
        _shoot(page, *shots[:1], "4b-mobile-qr", shots[1])
    picture = Image.open(io.BytesIO(page.locator("#qr-image").screenshot())).convert("L")
    link = zxingcpp.read_barcodes(np.asarray(picture))[0].text
    phone = f"{broker_url}/phone/{citizen.national_id}"
    requests.post(f"{phone}/scan", json={"text": link}, timeout=5).raise_for_status()
    page.wait_for_selector("#mobile-wait:not([hidden])")
    if shots:
        _shoot(page, *shots[:1], "4c-mobile-wait", shots[1])
    push = requests.get(f"{phone}/pushes", timeout=5).json()["pushes"][0]
    number = page.locator("#match-number").inner_text()
    requests.post(f"{phone}/pushes/{push['push_id']}", json={"action": "approve", "choice": number}, timeout=5)


def _walk(page: Page, url: str, settings: Settings, printer: CapturePrinter, citizen: Citizen, out: Path,
          language: str) -> None:  # fmt: skip
    broker = settings.broker.url
    page.goto(url + "/")
    page.wait_for_selector("html[data-connection=connected]")
    _shoot(page, out, "1-welcome", language)
    page.click("#start")
    page.wait_for_selector(".service")
    _shoot(page, out, "2-services", language)
    page.click(f'.service[data-service-id="{SERVICE}"]')
    page.wait_for_selector("#datasets table")
    _shoot(page, out, "3-terms", language)
    _agree(page)
    _shoot(page, out, "4-identity", language)
    page.click('.method[data-method="moica"]')
    page.request.post(url + "/demo/card", data={"type": "moica", "national_id": citizen.national_id})
    page.wait_for_selector("#moica-pin:not([hidden])")
    _shoot(page, out, "4a-moica-pin", language)
    page.click("#identity-back")
    page.wait_for_selector(".method")
    page.request.delete(url + "/demo/card")
    _qr_sign_in(page, broker, citizen, (out, language))
    page.wait_for_selector("#identity-note:not([hidden])", timeout=10_000)
    _shoot(page, out, "4d-second-method", language)
    page.click('.method[data-method="otp"]')
    page.wait_for_selector("#otp-phone:not([hidden])")
    _keys(page, "otpphone", citizen.phone)
    page.wait_for_selector("#otp-code:not([hidden])")
    _keys(page, "otp", wait_for_code(broker, citizen.phone) or "")
    page.wait_for_selector("#screen-contact:not([hidden])", timeout=10_000)
    _shoot(page, out, "5-contact-first", language)
    page.click("#contact-add-phone")
    _keys(page, "cphone", citizen.phone, submit=False)
    _shoot(page, out, "5a-contact-phone", language)
    newest = max((m["id"] for m in requests.get(f"{broker}/outbox.json", timeout=5).json()["messages"]), default=0)
    page.click('.keypad[data-target="cphone"] button[data-key="ok"]')
    page.wait_for_selector("#contact-code:not([hidden])")
    _shoot(page, out, "5b-contact-code", language)
    _keys(page, "ccode", wait_for_code(broker, citizen.phone, after=newest) or "")
    page.wait_for_selector("#contact-continue")
    page.click("#contact-add-email")
    for key in [*citizen.email.split("@")[0], "@", *citizen.email.split("@")[1]]:
        page.click(f'.keyboard button[data-key="{key}"]')
    _shoot(page, out, "5c-contact-email", language)
    page.click('.keyboard button[data-key="ok"]')
    page.wait_for_selector("#contact-code:not([hidden])")
    _keys(page, "ccode", wait_for_code(broker, citizen.email) or "")
    page.wait_for_selector("#contact-switch")
    _shoot(page, out, "5d-contact", language)
    printer.state = "paper_out"
    page.click("#contact-continue")
    page.wait_for_selector("#print-failed:not([hidden])", timeout=15_000)
    _shoot(page, out, "6-print-failed", language)
    printer.state = "ready"
    page.click("#print-retry")
    page.wait_for_selector("#screen-done:not([hidden])", timeout=15_000)
    _shoot(page, out, "7-done", language)
    client = BrokerClient(settings.broker)  # the clerk scans the receipt: the citizen's data is seen
    code = re.sub(r"\D", "", page.locator("#done-code").inner_text())
    client.redeem(client.clerk_login("clerk-hualien", "hualien-demo").token, code)
    client.close()
    page.click("#finish")
    _to_terms(page)
    _agree(page)
    _qr_sign_in(page, broker, citizen)  # returning: one method will do
    page.wait_for_selector("#screen-contact:not([hidden])", timeout=10_000)
    page.click("#contact-records")
    page.wait_for_selector("#records-list tbody tr")
    _shoot(page, out, "5e-records", language)


def take(root: Path, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()  # screens renamed or gone do not linger
    with tempfile.TemporaryDirectory() as folder, capture_printer() as printer:
        settings = sandbox_settings(load_settings(root / "config" / "demo.toml"), Path(folder))
        data = settings.model_dump()
        data["devices"]["printer"].update({"driver": "real", "kind": "escpos-network", "port": printer.port})
        settings = Settings(**data)
        with running_sandbox(settings), running_service("kiosk", settings) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            for index, language in enumerate(("zh-TW", "en")):
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                _walk(page, url, settings, printer, citizens(settings)[7 + index], out, language)
                page.close()
            browser.close()
    return sorted(out.glob("*.png"))


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[2]
    shots = take(root, root / "docs" / "screens")
    print(f"{len(shots)} screenshots in docs/screens/", file=sys.stderr)
