"""Broker faults seen from the terminals: refused, hung and slow broker (a TCP proxy between them),
each with a clear message, no code lost or duplicated, and recovery without a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from broker_client import BrokerClient, errors
from counter_core.settings import Settings, load_settings
from mydata_counter.servicerunner import running_service
from mydata_counter.testing.faultproxy import FaultProxy, fault_proxy
from mydata_counter.testing.sandbox import citizens, issue_code, running_sandbox, sandbox_settings
from tests.clerk.clerk_rig import login

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def behind_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Settings, FaultProxy]]:
    """(sandbox settings, terminal settings whose broker URL goes through the proxy, the proxy)."""
    settings = sandbox_settings(load_settings(ROOT / "config" / "demo.toml"), tmp_path_factory.mktemp("faults"))
    with running_sandbox(settings) as url, fault_proxy(url) as proxy:
        data = settings.model_dump()
        data["broker"].update({"url": proxy.url, "timeout_s": 1.0, "retries": 1})
        yield settings, Settings(**data), proxy


def test_client_reports_unavailable_for_refused_and_hung_broker_then_recovers(
    behind_proxy: tuple[Settings, Settings, FaultProxy],
) -> None:
    _, terminal, proxy = behind_proxy
    client = BrokerClient(terminal.broker)
    for mode in ("refuse", "drop", "blackhole"):
        proxy.set_mode(mode)  # type: ignore[arg-type]
        with pytest.raises(errors.BrokerUnavailable) as raised:
            client.catalogue()
        assert "中介平台" in raised.value.message("zh-TW")
    proxy.set_mode("delay", delay_s=0.3)  # slow but within the timeout: works
    assert client.catalogue().agencies
    proxy.set_mode("pass")


def test_redeem_is_never_retried_so_a_code_is_not_used_twice(
    behind_proxy: tuple[Settings, Settings, FaultProxy],
) -> None:
    sandbox, terminal, proxy = behind_proxy
    direct = BrokerClient(sandbox.broker)
    code = issue_code(direct, sandbox, citizens(sandbox)[70]).code
    token = direct.clerk_login("clerk-hualien", "hualien-demo").token
    proxy.set_mode("refuse")
    with pytest.raises(errors.BrokerUnavailable):
        BrokerClient(terminal.broker).redeem(token, code)
    proxy.set_mode("pass")
    assert BrokerClient(terminal.broker).redeem(token, code).transaction_id  # the code was not consumed


@pytest.mark.e2e
def test_clerk_shows_broker_unreachable_then_the_same_code_works_when_it_is_back(
    page: Page, behind_proxy: tuple[Settings, Settings, FaultProxy]
) -> None:
    sandbox, terminal, proxy = behind_proxy
    code = issue_code(BrokerClient(sandbox.broker), sandbox, citizens(sandbox)[71]).code
    with running_service("clerk", terminal) as url:
        login(page, url)
        proxy.set_mode("refuse")
        page.fill("#code", code)
        page.click("#submit")
        expect(page.locator("#message")).to_contain_text("暫時無法連線", timeout=20_000)  # definite: not resent
        proxy.set_mode("pass")
        page.fill("#code", code)
        page.click("#submit")  # the code was not used: looking it up again works at once
        expect(page.locator("#result")).to_be_visible(timeout=10_000)


@pytest.mark.e2e
def test_kiosk_tells_the_citizen_when_the_broker_is_down_and_recovers(
    page: Page, behind_proxy: tuple[Settings, Settings, FaultProxy]
) -> None:
    _, terminal, proxy = behind_proxy
    with running_service("kiosk", terminal) as url:
        page.goto(url + "/")
        expect(page.locator("html")).to_have_attribute("data-connection", "connected")
        proxy.set_mode("refuse")
        page.click("#start")
        expect(page.locator("#toast")).to_contain_text("暫時無法連線")
        expect(page.locator("#screen-welcome")).to_be_visible()
        proxy.set_mode("pass")
        page.click("#start")
        expect(page.locator(".service").first).to_be_visible()
