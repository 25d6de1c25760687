"""``make screenshots``: every kiosk screen in zh-TW and en, from a real run (sandbox broker, simulated
card reader, capture printer), written to ``docs/screens/``."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from counter_core.settings import Settings, load_settings
from hardware.printer.capture import capture_printer
from mydata_counter.servicerunner import running_service
from mydata_counter.testing.sandbox import citizens, running_sandbox, sandbox_settings

CHROMIUM = "/usr/bin/chromium"


def _shoot(page: Page, folder: Path, name: str, language: str) -> None:
    page.click(f'.langbtn[data-lang="{language}"]')
    page.wait_for_timeout(150)
    page.screenshot(path=str(folder / f"{name}-{language}.png"))


def take(root: Path, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, capture_printer() as printer:
        settings = sandbox_settings(load_settings(root / "config" / "demo.toml"), Path(folder))
        data = settings.model_dump()
        data["devices"]["printer"].update({"driver": "real", "kind": "escpos-network", "port": printer.port})
        settings = Settings(**data)
        citizen = citizens(settings)[7]
        with running_sandbox(settings), running_service("kiosk", settings) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            for language in ("zh-TW", "en"):
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                page.goto(url + "/")
                page.wait_for_selector("html[data-connection=connected]")
                _shoot(page, out, "1-welcome", language)
                page.click("#start")
                page.wait_for_selector(".service")
                _shoot(page, out, "2-services", language)
                page.click('.service[data-service-id="hualien-disabled-parking"]')
                page.wait_for_selector("#datasets table")
                _shoot(page, out, "3-terms", language)
                page.click("#agree")
                page.wait_for_selector(".method")
                _shoot(page, out, "4-identity", language)
                page.click('.method[data-method="moica"]')
                page.request.post(url + "/demo/card", data={"type": "moica", "national_id": citizen.national_id})
                page.wait_for_selector("#moica-pin:not([hidden])")
                _shoot(page, out, "4a-moica-pin", language)
                page.request.delete(url + "/demo/card")
                page.click("#identity-back")
                page.click('.method[data-method="mobile"]')
                for char in citizen.national_id:
                    page.click(f'#pane-mobile button[data-key="{char}"]')
                page.click('.keypad[data-target="nid"] button[data-key="ok"]')
                page.wait_for_selector("#mobile-wait:not([hidden])")
                _shoot(page, out, "4b-mobile-wait", language)
                page.click("#identity-back")
                page.click('.method[data-method="nhi_household"]')
                page.fill("#nhi-number", citizen.nhi_card_number) if page.is_visible("#nhi-number") else None
                page.click("#pane-nhi_household summary")
                page.fill("#nhi-number", citizen.nhi_card_number)
                for char in citizen.household_number:
                    page.click(f'#pane-nhi_household button[data-key="{char}"]')
                _shoot(page, out, "4c-nhi-household", language)
                printer.state = "paper_out"
                page.click('.keypad[data-target="hh"] button[data-key="ok"]')
                page.wait_for_selector("#identity-note:not([hidden])", timeout=10_000)
                _shoot(page, out, "4d-second-method", language)
                page.click('.method[data-method="otp"]')
                for char in citizen.national_id:
                    page.click(f'#pane-otp button[data-key="{char}"]')
                page.click('.keypad[data-target="otpid"] button[data-key="ok"]')
                page.wait_for_selector("#otp-code:not([hidden])")
                otp = _latest_otp(settings)
                for char in otp:
                    page.click(f'.keypad[data-target="otp"] button[data-key="{char}"]')
                page.click('.keypad[data-target="otp"] button[data-key="ok"]')
                page.wait_for_selector("#print-failed:not([hidden])", timeout=15_000)
                _shoot(page, out, "5-print-failed", language)
                printer.state = "ready"
                page.click("#print-retry")
                page.wait_for_selector("#screen-done:not([hidden])", timeout=15_000)
                _shoot(page, out, "6-done", language)
                page.click("#finish")
                page.close()
                citizen = citizens(settings)[8]
            browser.close()
    return sorted(out.glob("*.png"))


def _latest_otp(settings: Settings) -> str:
    import re

    import requests

    body = requests.get(f"{settings.broker.url}/outbox.json", timeout=5).json()["messages"][0]["body"]
    return str(re.findall(r"\b\d{6}\b", body)[0])


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[2]
    shots = take(root, root / "docs" / "screens")
    print(f"{len(shots)} screenshots in docs/screens/", file=sys.stderr)
