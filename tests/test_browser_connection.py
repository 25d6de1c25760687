"""A real Chromium connects to the kiosk over Socket.IO, upgraded to WebSocket under gunicorn.
(The clerk page needs a login; its e2e tests wait for the same connected state.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_kiosk_page_connects_over_websocket(page: Page, kiosk_url: str) -> None:
    page.goto(kiosk_url + "/")
    expect(page.locator("html")).to_have_attribute("data-connection", "connected", timeout=10_000)
    assert page.evaluate("window.counterSocket.io.engine.transport.name") == "websocket"
