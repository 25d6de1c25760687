"""The broker's rules hold across restarts, clock skew, concurrency and lost answers: a captured request is
refused after a restart, limits keep counting, a terminal's clock may be off by up to 60 s either way, one
session gets one code however often it asks, and a redemption asked again by its request id is the same one."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from broker_client import BrokerClient, errors
from broker_client.signing import RequestSigner, create_private_key, load_private_key, public_key_pem
from broker_sandbox.citizens import Citizen
from broker_sandbox.store import Store
from broker_sandbox.terminals import Terminals
from counter_core.datacode import damm_check_digit, new_code
from counter_core.settings import Settings, load_settings
from mydata_counter.testing.sandbox import advance_clock, citizens, issue_code, running_sandbox, sandbox_settings
from tests.broker.steps import consented, moica

ROOT = Path(__file__).resolve().parents[2]


def _wrong_code() -> str:
    body = new_code()[:15]
    return body + damm_check_digit(body)


def _signed_catalogue_request(settings: Settings, offset_s: float = 0.0) -> requests.PreparedRequest:
    assert settings.broker.key_file is not None
    signer = RequestSigner(
        settings.broker.terminal_id, load_private_key(settings.broker.key_file), clock=lambda: time.time() + offset_s
    )
    return requests.Request("GET", f"{settings.broker.url}/api/v1/catalogue", auth=signer).prepare()


def _second_station(settings: Settings, folder: Path, terminal_id: str) -> BrokerClient:
    """Another registered terminal (its own key), as a technician's ``terminal init`` leaves it."""
    key = create_private_key(folder / f"{terminal_id}.pem")
    Terminals(Store(settings.sandbox.database)).register(terminal_id, public_key_pem(key))
    return BrokerClient(
        settings.broker.model_copy(update={"key_file": folder / f"{terminal_id}.pem"}), terminal_id=terminal_id
    )


def _verified_session(client: BrokerClient, settings: Settings, citizen: Citizen) -> str:
    """A consented session the citizen verified in (card, plus NHI details on first use), its code not issued."""
    session_id = consented(client, "hualien-disabled-parking")
    if moica(client, settings, session_id, citizen).needs_another_method:
        client.nhi_household(session_id, citizen.nhi_card_number, citizen.household_number)
    return session_id


def _notices_to(url: str, email: str) -> int:
    """How many "your data was accessed" e-mails reached ``email`` (not the code that proved the address)."""
    messages = requests.get(f"{url}/outbox.json", timeout=5).json()["messages"]
    return sum(1 for m in messages if m["kind"] == "email" and m["recipient"] == email and "取用" in m["body"])


@pytest.fixture
def restartable(tmp_path: Path) -> Settings:
    return sandbox_settings(load_settings(ROOT / "config" / "demo.toml"), tmp_path)


def test_a_captured_request_replayed_after_the_broker_restarts_is_refused(restartable: Settings) -> None:
    with running_sandbox(restartable), requests.Session() as wire:  # demo mode: makes and trusts the key
        captured = _signed_catalogue_request(restartable)
        assert wire.send(captured, timeout=5).status_code == 200
        assert wire.send(captured, timeout=5).status_code == 401  # replayed while running
    with running_sandbox(restartable), requests.Session() as wire:
        replayed = wire.send(captured, timeout=5)
        assert replayed.status_code == 401
        assert replayed.json()["error"] == "broker.auth_failed"
        assert "replayed" in replayed.json()["message"]["en"]
        assert wire.send(_signed_catalogue_request(restartable), timeout=5).status_code == 200  # fresh ones pass


def test_wrong_code_limits_and_a_password_guessers_wait_survive_a_restart(restartable: Settings) -> None:
    with running_sandbox(restartable):
        client = BrokerClient(restartable.broker)
        token = client.clerk_login("clerk-taoyuan", "taoyuan-demo").token
        for _ in range(10):
            with pytest.raises(errors.CodeUnknown):
                client.redeem(token, _wrong_code())
        for _ in range(5):
            with pytest.raises(errors.ClerkLoginFailed):
                client.clerk_login("clerk-chiayi", "guess")
    with running_sandbox(restartable):
        client = BrokerClient(restartable.broker)
        with pytest.raises(errors.RateLimited) as limited:
            client.redeem(token, _wrong_code())  # the 11th wrong code this minute, counted before the restart
        assert 0 < limited.value.retry_after_s <= 61
        with pytest.raises(errors.RateLimited):
            client.clerk_login("clerk-chiayi", "chiayi-demo")  # the guesser's wait did not end with the restart


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, str]]:
    settings = sandbox_settings(load_settings(ROOT / "config" / "demo.toml"), tmp_path_factory.mktemp("durable"))
    with running_sandbox(settings) as url:
        yield settings, url


@pytest.mark.parametrize("offset_s", [-30, 30, -55, 55])
def test_a_terminal_clock_off_by_under_a_minute_either_way_is_accepted(
    broker: tuple[Settings, str], offset_s: float
) -> None:
    settings, _ = broker
    assert requests.Session().send(_signed_catalogue_request(settings, offset_s), timeout=5).status_code == 200


@pytest.mark.parametrize("offset_s", [-70, 70, -3600])
def test_a_terminal_clock_off_by_over_a_minute_is_refused_with_the_reason(
    broker: tuple[Settings, str], offset_s: float
) -> None:
    settings, _ = broker
    response = requests.Session().send(_signed_catalogue_request(settings, offset_s), timeout=5)
    assert response.status_code == 401
    assert response.json()["error"] == "broker.auth_failed"


def test_six_simultaneous_code_requests_for_one_session_get_one_code(broker: tuple[Settings, str]) -> None:
    settings, _ = broker
    client = BrokerClient(settings.broker)
    citizen = citizens(settings)[81]
    session_id = _verified_session(client, settings, citizen)
    clients = [BrokerClient(settings.broker) for _ in range(6)]
    with ThreadPoolExecutor(6) as pool:
        issued = list(pool.map(lambda c: c.issue_code(session_id), clients))
    assert len({i.code for i in issued}) == 1
    assert len({i.expires_at for i in issued}) == 1
    with sqlite3.connect(settings.sandbox.database) as db:
        assert db.execute("SELECT COUNT(*) FROM codes WHERE session_id = ?", [session_id]).fetchone() == (1,)
    assert client.issue_code(session_id).code == issued[0].code  # asked again later: still the same
    other = _second_station(settings, settings.sandbox.database.parent, "kiosk-other")
    with pytest.raises(errors.SessionExpired):
        other.issue_code(session_id)  # another terminal cannot fetch this session's code
    clerk = client.clerk_login("clerk-hualien", "hualien-demo")
    assert client.redeem(clerk.token, issued[0].code).transaction_id  # the one code is a working code


def test_a_redemption_asked_again_by_its_request_id_is_the_same_one_with_one_notice(
    broker: tuple[Settings, str],
) -> None:
    settings, url = broker
    client = BrokerClient(settings.broker)
    citizen = citizens(settings)[82]
    code = issue_code(client, settings, citizen, contact="email").code  # notices go to a proved contact only
    token = client.clerk_login("clerk-hualien", "hualien-demo").token
    first = client.redeem(token, code, "station-attempt-0001")
    again = client.redeem(token, code, "station-attempt-0001")  # the answer was lost: asked again
    assert again.transaction_id == first.transaction_id
    assert [d.id for d in again.datasets] == [d.id for d in first.datasets]
    assert client.redemption(token, "station-attempt-0001").transaction_id == first.transaction_id
    assert first.applicant is not None and first.applicant.name == citizen.name
    assert first.applicant.masked_id == citizen.national_id[:3] + "****" + citizen.national_id[-3:]
    with pytest.raises(errors.CodeAlreadyUsed):
        client.redeem(token, code, "station-attempt-0002")  # a new attempt is a second use
    with pytest.raises(errors.NotFound):
        client.redemption(token, "never-sent-0003")
    elsewhere = _second_station(settings, settings.sandbox.database.parent, "clerk-03")
    with pytest.raises(errors.CodeAlreadyUsed):  # another station cannot borrow the id
        elsewhere.redeem(elsewhere.clerk_login("clerk-hualien", "hualien-demo").token, code, "station-attempt-0001")
    with pytest.raises(errors.ValidationFailed):
        client.redeem(token, code, "bad id!")
    deadline = time.monotonic() + 10
    while _notices_to(url, citizen.email) < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # a second notice, if one were queued, would arrive as fast as the first
    assert _notices_to(url, citizen.email) == 1


def test_one_clerks_wrong_codes_do_not_stop_a_colleague_at_the_same_station(broker: tuple[Settings, str]) -> None:
    settings, _ = broker
    client = BrokerClient(settings.broker)
    careless = client.clerk_login("clerk-hakka", "hakka-demo").token
    colleague = client.clerk_login("clerk-chiayi", "chiayi-demo").token
    for _ in range(10):
        with pytest.raises(errors.CodeUnknown):
            client.redeem(careless, _wrong_code())
    with pytest.raises(errors.RateLimited):
        client.redeem(careless, _wrong_code())
    with pytest.raises(errors.CodeUnknown):
        client.redeem(colleague, _wrong_code())  # counted for the colleague alone


def test_password_guessing_at_one_station_does_not_lock_the_clerk_out_of_another(
    broker: tuple[Settings, str],
) -> None:
    settings, _ = broker
    guessed_at = BrokerClient(settings.broker)
    for _ in range(5):
        with pytest.raises(errors.ClerkLoginFailed):
            guessed_at.clerk_login("clerk-taoyuan", "guess")
    with pytest.raises(errors.RateLimited):
        guessed_at.clerk_login("clerk-taoyuan", "taoyuan-demo")
    elsewhere = _second_station(settings, settings.sandbox.database.parent, "clerk-02")
    assert elsewhere.clerk_login("clerk-taoyuan", "taoyuan-demo").agency_id == "taoyuan"


def test_a_guesser_spread_over_stations_still_locks_the_account(broker: tuple[Settings, str]) -> None:
    settings, _ = broker
    folder = settings.sandbox.database.parent
    stations = [_second_station(settings, folder, f"rogue-{i}") for i in range(5)]
    refused = 0
    for station in stations:
        for _ in range(5):
            try:
                station.clerk_login("clerk-hualien", "guess")
            except errors.ClerkLoginFailed:
                pass
            except errors.RateLimited:
                refused += 1
    assert refused >= 4  # after 20 wrong passwords from all stations together, the account waits everywhere
    with pytest.raises(errors.RateLimited):
        _second_station(settings, folder, "honest-1").clerk_login("clerk-hualien", "hualien-demo")


def test_a_code_asked_for_again_after_its_expiry_is_not_given_again(broker: tuple[Settings, str]) -> None:
    settings, url = broker
    client = BrokerClient(settings.broker)
    citizen = citizens(settings)[83]
    session_id = _verified_session(client, settings, citizen)
    client.issue_code(session_id)
    advance_clock(url, settings.sandbox.code_ttl_s + 1)  # last in this module: the clock only moves forward
    with pytest.raises(errors.SessionExpired):
        client.issue_code(session_id)
