"""A real Chromium connects to the kiosk and clerk pages over Socket.IO (WebSocket under gunicorn)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("service_url", ["kiosk_url", "clerk_url"])
def test_page_connects_over_websocket(page: Page, service_url: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue(service_url)
    page.goto(url + "/")
    expect(page.locator("html")).to_have_attribute("data-connection", "connected", timeout=10_000)
    transport = page.evaluate("window.counterSocket.io.engine.transport.name")
    assert transport == "websocket"
