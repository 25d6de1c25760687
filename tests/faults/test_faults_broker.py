"""Broker faults seen from the terminals: refused, hung and slow broker (a TCP proxy between them),
each with a clear message, no code lost or duplicated, and recovery without a restart."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.serialization import Encoding
from playwright.sync_api import Page, expect

from broker_client import BrokerClient, errors
from broker_sandbox.ca import citizen_credentials, sign_challenge
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


def _mails_to(broker_url: str, email: str) -> int:
    messages = requests.get(f"{broker_url}/outbox.json", timeout=5).json()["messages"]
    return sum(1 for m in messages if m["kind"] == "email" and m["recipient"] == email and "取用" in m["body"])


def _one_notice(broker_url: str, email: str) -> int:
    """Notices sent to ``email`` once the first arrived (a second one would arrive as fast)."""
    deadline = time.monotonic() + 10
    while _mails_to(broker_url, email) == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    return _mails_to(broker_url, email)


def test_a_redemption_whose_answer_is_lost_is_asked_again_by_its_id_and_used_once(
    behind_proxy: tuple[Settings, Settings, FaultProxy],
) -> None:
    sandbox, terminal, proxy = behind_proxy
    citizen = citizens(sandbox)[72]
    code = issue_code(BrokerClient(sandbox.broker), sandbox, citizen, contact="email").code
    client = BrokerClient(terminal.broker)
    token = client.clerk_login("clerk-hualien", "hualien-demo").token
    lost_before = proxy.answers_lost
    proxy.set_mode("lose_answer", times=1)
    with pytest.raises(errors.BrokerOutcomeUnknown) as lost:
        client.redeem(token, code, "lost-answer-000001")
    assert "不會重複送出" in lost.value.message("zh-TW")
    assert proxy.answers_lost == lost_before + 1  # the broker redeemed it; only the answer was lost
    again = client.redeem(token, code, "lost-answer-000001")  # asked again by its name: the same redemption
    assert again.datasets
    with pytest.raises(errors.CodeAlreadyUsed):
        client.redeem(token, code, "a-new-attempt-0002")  # it was used once, by the lost one
    assert _one_notice(sandbox.broker.url, citizen.email) == 1


def test_a_code_whose_answer_is_lost_is_the_same_code_when_asked_again(
    behind_proxy: tuple[Settings, Settings, FaultProxy],
) -> None:
    sandbox, terminal, proxy = behind_proxy
    citizen = citizens(sandbox)[73]
    direct, client = BrokerClient(sandbox.broker), BrokerClient(terminal.broker)
    session = direct.start_session("hualien-disabled-parking")
    direct.record_consent(session.session_id, session.terms_version, session.dataset_ids)
    key, certificate = citizen_credentials(sandbox.sandbox.seed, citizen.national_id)
    challenge = direct.moica_challenge(session.session_id)
    status = direct.moica_verify(
        session.session_id, certificate.public_bytes(Encoding.DER), sign_challenge(key, challenge)
    )
    if status.needs_another_method:
        direct.nhi_household(session.session_id, citizen.nhi_card_number, citizen.household_number)
    proxy.set_mode("lose_answer", times=1)
    with pytest.raises(errors.BrokerOutcomeUnknown):
        client.issue_code(session.session_id)
    issued = client.issue_code(session.session_id)  # the broker made the code; asked again, it is that one
    token = direct.clerk_login("clerk-hualien", "hualien-demo").token
    assert direct.redeem(token, issued.code).transaction_id
    with sqlite3.connect(sandbox.sandbox.database) as db:
        assert db.execute("SELECT COUNT(*) FROM codes WHERE session_id = ?", [session.session_id]).fetchone() == (1,)


@pytest.mark.e2e
def test_clerk_page_keeps_checking_when_the_brokers_answer_is_lost_and_shows_the_record_once(
    page: Page, behind_proxy: tuple[Settings, Settings, FaultProxy]
) -> None:
    sandbox, terminal, proxy = behind_proxy
    citizen = citizens(sandbox)[74]
    code = issue_code(BrokerClient(sandbox.broker), sandbox, citizen, contact="email").code
    with running_service("clerk", terminal) as url:
        login(page, url)
        lost_before = proxy.answers_lost
        proxy.set_mode("lose_answer", times=1)
        page.fill("#code", code)
        page.click("#submit")
        expect(page.locator("#result")).to_be_visible(timeout=20_000)  # asked again by its id: the same record
        assert proxy.answers_lost == lost_before + 1
        metrics = requests.get(f"{url}/metrics", timeout=5).text
        assert 'mydata_redemptions_total{outcome="no_answer"} 1.0' in metrics
        assert 'mydata_redemptions_total{outcome="ok"} 1.0' in metrics
    assert _one_notice(sandbox.broker.url, citizen.email) == 1


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
