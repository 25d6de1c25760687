"""Signed receipts on the clerk page in a real Chromium: a 2-D hand scanner types the receipt's whole QR text;
the station shows at once that it is genuine, for which agency and service and until when, and with MyData
unreachable the clerk reads "genuine and valid until HH:MM; data cannot be fetched right now". A forged
receipt is refused at the scan with its reason."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import Page, expect

from broker_client import BrokerClient
from broker_client.code_keys import local_time
from counter_core.settings import Settings
from counter_core.signed_code import read_signed, sign_code
from mydata_counter.servicerunner import running_service
from mydata_counter.testing.faultproxy import fault_proxy
from mydata_counter.testing.sandbox import issue_code
from tests.clerk.clerk_rig import ClerkRig, login

pytestmark = pytest.mark.e2e


def _wedge_scan(page: Page, text: str) -> None:
    """A hand scanner's burst, dispatched in one go inside the page (see test_clerk_terminal.py)."""
    page.evaluate(
        """(text) => {
          for (const key of [...text, "Enter"]) {
            document.dispatchEvent(new KeyboardEvent("keydown", {key, bubbles: true, cancelable: true}));
          }
        }""",
        text,
    )


def _checked(page: Page, text: str) -> int:
    """The station's check of ``text`` (``/api/check``: no redemption), as the page would call it."""
    status: int = page.evaluate(
        """async (text) => {
          const csrf = document.querySelector('meta[name="csrf-token"]').content;
          const response = await fetch("/api/check", {method: "POST", body: JSON.stringify({text}),
            headers: {"Content-Type": "application/json", "X-CSRFToken": csrf}});
          return response.status;
        }""",
        text,
    )
    return status


def test_broker_down_the_clerk_still_reads_genuine_and_valid_until(page: Page, rig: ClerkRig) -> None:
    issued = issue_code(BrokerClient(rig.settings.broker), rig.settings, rig.citizen(160))
    forged = sign_code(read_signed(issued.qr_payload).claims, Ed25519PrivateKey.generate())
    until = local_time(int(issued.expires_at.timestamp()))
    with fault_proxy(rig.broker_url) as proxy:
        data = rig.settings.model_dump()
        data["broker"].update({"url": proxy.url, "retries": 0, "timeout_s": 2})
        with running_service("clerk", Settings(**data)) as url:
            login(page, url)
            assert _checked(page, issued.qr_payload) == 200  # the station has MyData's key list
            proxy.set_mode("refuse")  # MyData unreachable from here on
            page.click("h1")
            _wedge_scan(page, issued.qr_payload)
            expect(page.locator("#receipt")).to_contain_text(f"有效至 {until}")
            expect(page.locator("#receipt")).to_contain_text("花蓮縣政府")
            expect(page.locator("#message")).to_contain_text(f"此收據為真，有效至 {until}", timeout=15_000)
            expect(page.locator("#message")).to_contain_text("資料暫時無法取得")
            page.click('button[data-lang="en"]')
            expect(page.locator("#receipt")).to_contain_text(f"valid until {until}")
            page.click('button[data-lang="zh-TW"]')
            _wedge_scan(page, forged)  # another key: asking MyData's list is impossible now
            expect(page.locator("#message")).to_contain_text("無法連線", timeout=15_000)
            proxy.set_mode("pass")  # MyData back: the same receipt gives the data
            time.sleep(0.3)
            _wedge_scan(page, issued.qr_payload)
            expect(page.locator("#result")).to_be_visible(timeout=15_000)
            expect(page.locator("#receipt")).to_contain_text(f"有效至 {until}")
            page.click("#purge")
            _wedge_scan(page, forged)  # now MyData's list can be read: the key is not in it
            expect(page.locator("#message")).to_contain_text("金鑰", timeout=15_000)
