"""A real sandbox broker, a kiosk (simulated card reader) printing to a capture ESC/POS printer on
loopback, and Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest
from playwright.sync_api import Page, expect

from broker_sandbox.citizens import Citizen
from counter_core.settings import Settings, load_settings
from hardware.printer.capture import CapturePrinter, capture_printer
from mydata_counter.servicerunner import running_service
from mydata_counter.testing.sandbox import citizens, running_sandbox, sandbox_settings

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class KioskRig:
    settings: Settings
    broker_url: str
    kiosk_url: str
    printer: CapturePrinter

    def citizen(self, index: int) -> Citizen:
        return citizens(self.settings)[index]


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KioskRig]:
    folder = tmp_path_factory.mktemp("kiosk")
    base = sandbox_settings(load_settings(ROOT / "config" / "demo.toml"), folder, push_ttl_s=6)
    with capture_printer() as printer, running_sandbox(base) as broker_url:
        data = base.model_dump()
        data["devices"]["printer"].update({"driver": "real", "kind": "escpos-network", "port": printer.port})
        data["kiosk"].update({"idle_warning_s": 10, "idle_wipe_s": 3, "done_return_s": 30})
        settings = Settings(**data)
        with running_service("kiosk", settings) as kiosk_url:
            yield KioskRig(settings, broker_url, kiosk_url, printer)


@pytest.fixture
def kiosk(page: Page, rig: KioskRig) -> Page:
    rig.printer.state = "ready"
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(rig.kiosk_url + "/")
    expect(page.locator("html")).to_have_attribute("data-connection", "connected")
    page.request.delete(rig.kiosk_url + "/demo/card")
    return page


def to_identity(page: Page, service: str = "hualien-disabled-parking") -> None:
    page.click("#start")
    page.click(f'.service[data-service-id="{service}"]')
    agree(page)
    expect(page.locator("#methods")).to_be_visible()


def agree(page: Page) -> None:
    """Read the terms to their end, as the citizen must before agreeing: "scroll down" until the end shows."""
    expect(page.locator("#screen-terms")).to_be_visible()
    for _ in range(60):
        if page.locator("#agree").is_enabled():
            break
        page.click("#terms-more")
    page.click("#agree")


def past_contact(page: Page) -> None:
    """After the identity check: keep the contact registered before, or skip registering one, and print."""
    expect(page.locator("#screen-contact")).to_be_visible(timeout=15_000)
    page.click("#contact-continue, #contact-skip")


def finish_with_nhi_household(page: Page, rig: HasKiosk, citizen: Citizen) -> None:
    """The first card out, the NHI card in with the household number as the second method, then on to the
    printed receipt."""
    page.request.delete(rig.kiosk_url + "/demo/card")
    page.click('.method[data-method="nhi_household"]')
    insert(page, rig, "nhi", citizen)
    expect(page.locator("#nhi-card")).to_have_text("已讀到卡片")
    type_keys(page, "hh", citizen.household_number)
    past_contact(page)
    expect(page.locator("#screen-done")).to_be_visible(timeout=15_000)


class HasKiosk(Protocol):
    kiosk_url: str


def insert(page: Page, rig: HasKiosk, card_type: str, citizen: Citizen, pin: str = "123456") -> None:
    page.request.post(
        rig.kiosk_url + "/demo/card", data={"type": card_type, "national_id": citizen.national_id, "pin": pin}
    )


def type_keys(page: Page, target: str, text: str, submit: bool = True) -> None:
    for char in text:
        page.click(
            f'.keypad[data-target="{target}"] button[data-key="{char}"], '
            f'.keypad[data-target="{target}"] ~ .letters button[data-key="{char}"], '
            f'.letters:has(+ .keypad[data-target="{target}"]) button[data-key="{char}"]'
        )
    if submit:
        page.click(f'.keypad[data-target="{target}"] button[data-key="ok"]')
