"""Expired codes and rate limiting at the clerk terminal (own sandbox: the limits are per terminal)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from broker_client import BrokerClient
from counter_core.datacode import damm_check_digit
from counter_core.settings import Settings, load_settings
from mydata_counter.servicerunner import running_service
from mydata_counter.testing.sandbox import citizens, issue_code, running_sandbox, sandbox_settings
from tests.clerk.clerk_rig import login

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, str]]:
    settings = sandbox_settings(
        load_settings(ROOT / "config" / "demo.toml"), tmp_path_factory.mktemp("limits"), code_ttl_s=2
    )
    with running_sandbox(settings), running_service("clerk", settings) as url:
        yield settings, url


def test_expired_code_asks_the_citizen_for_a_new_one(page: Page, limited: tuple[Settings, str]) -> None:
    settings, url = limited
    code = issue_code(BrokerClient(settings.broker), settings, citizens(settings)[90]).code
    time.sleep(settings.sandbox.code_ttl_s + 0.5)
    login(page, url)
    page.fill("#code", code)
    page.click("#submit")
    expect(page.locator("#message")).to_contain_text("已逾期")
    expect(page.locator("#message")).to_contain_text("重新取得條碼")
    page.click('button[data-lang="en"]')


def test_brute_force_is_rate_limited_with_the_wait_shown(page: Page, limited: tuple[Settings, str]) -> None:
    _, url = limited
    login(page, url)
    for index in range(11):
        body = f"{900000000000000 + index * 7919:015d}"
        page.fill("#code", body + damm_check_digit(body))
        page.click("#submit")
        expect(page.locator("#message")).not_to_be_empty()
    expect(page.locator("#message")).to_contain_text("錯誤條碼次數過多")
    expect(page.locator("#message")).to_contain_text("秒後再試")
