"""Web hardening: untrusted dataset values are shown as text, static paths cannot escape, a cookie from
before login grants nothing."""

from __future__ import annotations

import json

import pytest
import requests
from playwright.sync_api import Page, Route, expect

from tests.clerk.clerk_rig import ClerkRig, login

HOSTILE = '<img src=x onerror="window.__xss=1">'


@pytest.mark.e2e
def test_hostile_dataset_values_are_shown_as_text_not_run(page: Page, rig: ClerkRig) -> None:
    login(page, rig.clerk_url)

    def poison(route: Route) -> None:
        response = route.fetch()
        body = response.json()
        body["redemption"]["datasets"][0]["fields"][1]["value"] = HOSTILE
        body["redemption"]["datasets"][0]["name"]["zh-TW"] = HOSTILE
        route.fulfill(response=response, body=json.dumps(body))

    page.route("**/api/redeem", poison)
    page.fill("#code", rig.code(170))
    page.click("#submit")
    expect(page.locator("#result")).to_be_visible()
    expect(page.locator("#datasets")).to_contain_text(HOSTILE)  # literally, as text
    assert page.evaluate("window.__xss") is None
    assert page.locator("#datasets img").count() == 0
    page.click("#purge")


@pytest.mark.parametrize(
    "path",
    [
        "/static/../../../../etc/passwd",
        "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%2f..%2f..%2fetc%2fpasswd",
        "/static/vendor/../../pyproject.toml",
    ],
)
def test_static_paths_cannot_leave_the_static_folder(kiosk_url: str, path: str) -> None:
    response = requests.get(kiosk_url + path, timeout=5)
    assert response.status_code == 404
    assert "root:" not in response.text and "[project]" not in response.text


def test_a_cookie_from_before_login_grants_nothing(rig: ClerkRig) -> None:
    with requests.Session() as attacker:
        attacker.get(rig.clerk_url + "/login", timeout=5)
        planted = attacker.cookies.get_dict()
        assert planted, "the login page sets a session cookie"
    with requests.Session() as victim:
        for name, value in planted.items():  # the attacker made the victim's browser use this cookie
            victim.cookies.set(name, value, domain="127.0.0.1", path="/")
        form = victim.get(rig.clerk_url + "/login", timeout=5).text
        token = form.split('name="csrf_token" value="')[1].split('"')[0]
        victim.post(
            rig.clerk_url + "/login",
            data={"csrf_token": token, "username": "clerk-hualien", "password": "hualien-demo"},
            timeout=5,
        )
        assert victim.get(rig.clerk_url + "/", timeout=5, allow_redirects=False).status_code == 200
        assert victim.cookies.get_dict() != planted  # a fresh session after login
    with requests.Session() as attacker:
        for name, value in planted.items():
            attacker.cookies.set(name, value, domain="127.0.0.1", path="/")
        assert attacker.get(rig.clerk_url + "/", timeout=5, allow_redirects=False).status_code == 302
