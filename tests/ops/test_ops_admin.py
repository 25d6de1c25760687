"""The technician admin page: locked without the password, shows devices and config, runs device tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from argon2 import PasswordHasher
from playwright.sync_api import Browser, expect

from counter_core.settings import Settings
from mydata_counter.servicerunner import running_service

PASSWORD = "tech-pass-2026"


@pytest.fixture(scope="module")
def admin_kiosk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from pathlib import Path

    from counter_core.settings import load_settings

    root = Path(__file__).resolve().parents[2]
    data = load_settings(root / "config" / "demo.toml").model_dump()
    data["kiosk"]["admin_password_hash"] = PasswordHasher().hash(PASSWORD)
    data["devices"]["printer"]["pdf_dir"] = tmp_path_factory.mktemp("receipts")
    data["broker"]["key_file"] = None
    with running_service("kiosk", Settings(**data)) as url:
        yield url


def test_admin_needs_the_technician_password(admin_kiosk: str) -> None:
    assert requests.get(f"{admin_kiosk}/admin/", timeout=5).status_code == 401
    assert requests.get(f"{admin_kiosk}/admin/", auth=("technician", "wrong"), timeout=5).status_code == 401
    assert requests.get(f"{admin_kiosk}/admin/", auth=("technician", PASSWORD), timeout=5).status_code == 200


def test_admin_actions_refuse_cross_site_posts(admin_kiosk: str) -> None:
    response = requests.post(f"{admin_kiosk}/admin/action/print-test", auth=("technician", PASSWORD), timeout=5)
    assert response.status_code == 403


def test_admin_is_off_without_a_configured_password(kiosk_url: str) -> None:
    assert requests.get(f"{kiosk_url}/admin/", auth=("technician", PASSWORD), timeout=5).status_code == 404


@pytest.mark.e2e
def test_technician_sees_devices_config_and_prints_a_test_receipt(browser: Browser, admin_kiosk: str) -> None:
    context = browser.new_context(http_credentials={"username": "technician", "password": PASSWORD})
    page = context.new_page()
    page.goto(admin_kiosk + "/admin/")
    expect(page.locator('#devices tr[data-kind="printer"]')).to_contain_text("simulated")
    expect(page.locator('#devices tr[data-kind="reader"]')).to_contain_text("ok")
    assert PASSWORD not in page.content() and "$argon2" not in page.content()
    page.click('button[data-action="print-test"]')
    expect(page.locator("#action-result")).to_contain_text('"printed": true')
    page.click('button[data-action="readers"]')
    expect(page.locator("#action-result")).to_contain_text("Simulated CCID Reader")
    context.close()
