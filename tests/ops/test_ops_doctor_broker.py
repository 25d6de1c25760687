"""``hw doctor`` and the broker: the key is always checked here; one signed request through the protocol's
``GET /terminal`` tells a registered terminal from an unknown id or another key; the clock is judged at the
broker's own ±60 s; each way of not reaching it (refused, DNS, timeout, each certificate problem) has its
own message and hint. A real sandbox, a real TLS proxy, and a stand-in broker where a fault must be forced."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from broker_client.keys import fingerprint
from broker_client.signing import create_private_key, load_private_key
from counter_core.settings import Settings, load_settings
from mydata_counter.servicerunner import free_port
from mydata_counter.testing.sandbox import running_sandbox, sandbox_settings
from mydata_counter.testing.tls import Authority, private_ca, tls_proxy
from tests.ops.doctor_rig import Answer, configured, run_doctor, stand_in_broker

ROOT = Path(__file__).resolve().parents[2]
PROXY = "127.0.0.2"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A sandbox that registered the demo terminal's key (demo mode), reached through a trusted proxy too."""
    base = load_settings(ROOT / "config" / "demo.toml")
    settings = sandbox_settings(base, tmp_path_factory.mktemp("sandbox"), trusted_proxies=[f"{PROXY}/32"])
    with running_sandbox(settings):
        yield settings


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    return private_ca(tmp_path_factory.mktemp("ca"))


def test_a_registered_terminal_passes_key_broker_terminal_and_clock_and_exits_0(
    sandbox: Settings, tmp_path: Path
) -> None:
    report = run_doctor(configured(sandbox, tmp_path), "--role", "clerk")
    key = report.checks["terminal key"]
    assert key["status"] == "OK" and "mode 0600" in key["message"]
    assert fingerprint(load_private_key(sandbox.broker.key_file or Path())) in key["message"]
    assert report.checks["broker"]["status"] == "OK"
    assert (
        report.checks["terminal"]["status"] == "OK"
        and sandbox.broker.terminal_id in report.checks["terminal"]["message"]
    )
    assert report.checks["clock"]["status"] == "OK"
    assert report.status == 0 and report.document["ok"] is True


def test_an_unregistered_terminal_id_fails_with_the_registration_hint(sandbox: Settings, tmp_path: Path) -> None:
    report = run_doctor(configured(sandbox, tmp_path, terminal_id="kiosk-never-registered"), "--role", "clerk")
    terminal = report.checks["terminal"]
    assert report.status == 1
    assert terminal["status"] == "FAIL" and terminal["key"] == "doctor.terminal.unknown"
    assert "kiosk-never-registered" in terminal["message"] and "terminal show" in terminal["hint"]
    assert report.checks["broker"]["status"] == "OK"  # reached: the refusal is about the terminal


def test_a_key_other_than_the_registered_one_fails_as_the_wrong_key(sandbox: Settings, tmp_path: Path) -> None:
    other = create_private_key(tmp_path / "other.pem")
    report = run_doctor(configured(sandbox, tmp_path, key_file=tmp_path / "other.pem"), "--role", "clerk")
    assert (
        report.checks["terminal key"]["status"] == "OK"
        and fingerprint(other) in report.checks["terminal key"]["message"]
    )
    terminal = report.checks["terminal"]
    assert terminal["status"] == "FAIL" and terminal["key"] == "doctor.terminal.wrong_key"
    assert "fingerprint" in terminal["hint"] and report.status == 1


def test_a_garbage_key_fails_here_and_the_broker_is_still_checked(sandbox: Settings, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    garbage.chmod(0o600)
    report = run_doctor(configured(sandbox, tmp_path, key_file=garbage), "--role", "clerk")
    assert report.checks["terminal key"]["key"] == "doctor.key.invalid"
    assert "terminal init" in report.checks["terminal key"]["hint"]
    assert report.checks["broker"]["status"] == "OK"
    assert report.checks["terminal"]["key"] == "doctor.terminal.no_key" and report.status == 1


def test_a_key_others_can_read_fails_with_chmod(sandbox: Settings, tmp_path: Path) -> None:
    key = tmp_path / "open.pem"
    create_private_key(key)
    key.chmod(0o644)
    report = run_doctor(configured(sandbox, tmp_path, key_file=key), "--role", "clerk")
    check = report.checks["terminal key"]
    assert check["status"] == "FAIL" and "0644" in check["message"] and f"chmod 600 {key}" in check["hint"]


def test_a_key_not_owned_by_the_service_user_fails_with_chown(sandbox: Settings, tmp_path: Path) -> None:
    report = run_doctor(configured(sandbox, tmp_path), "--role", "clerk", service_user="nobody")
    check = report.checks["terminal key"]
    assert check["status"] == "FAIL" and check["key"] == "doctor.key.owner" and "chown nobody:" in check["hint"]


def test_with_the_broker_down_the_key_is_still_checked_and_refused_has_its_own_hint(
    sandbox: Settings, tmp_path: Path
) -> None:
    port = free_port()
    report = run_doctor(configured(sandbox, tmp_path, url=f"http://127.0.0.1:{port}"), "--role", "clerk")
    assert report.checks["terminal key"]["status"] == "OK" and "SHA256:" in report.checks["terminal key"]["message"]
    broker = report.checks["broker"]
    assert broker["key"] == "doctor.broker.refused" and f"127.0.0.1:{port} refused" in broker["message"]
    assert "port" in broker["hint"] and "cable" not in broker["hint"]
    assert "terminal" not in report.checks and report.status == 1


def test_an_unknown_broker_name_fails_as_dns(sandbox: Settings, tmp_path: Path) -> None:
    report = run_doctor(configured(sandbox, tmp_path, url="https://broker.invalid"), "--role", "clerk")
    broker = report.checks["broker"]
    assert broker["key"] == "doctor.broker.dns" and "broker.invalid" in broker["message"] and "DNS" in broker["hint"]


def test_a_broker_that_accepts_but_never_answers_fails_as_a_timeout(sandbox: Settings, tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # connections queue in the backlog, never answered
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        report = run_doctor(configured(sandbox, tmp_path, url=url), "--role", "clerk")
        took = time.monotonic() - started
    assert report.checks["broker"]["key"] == "doctor.broker.timeout" and "firewall" in report.checks["broker"]["hint"]
    print(f"doctor with a silent broker: {took:.1f} s (report says {report.document['seconds']} s)")


def test_a_web_server_that_is_not_the_broker_is_named_as_a_wrong_url(sandbox: Settings, tmp_path: Path) -> None:
    with stand_in_broker(lambda _path: (404, {"detail": "Not Found"}, {})) as url:
        report = run_doctor(configured(sandbox, tmp_path, url=url), "--role", "clerk")
    assert report.checks["broker"]["key"] == "doctor.broker.path" and "/api/v1" in report.checks["broker"]["hint"]


def _skewed(terminal_id: str, skew_s: float) -> Answer:
    """What a broker whose clock is ``skew_s`` ahead answers: who the terminal is, or (past ±60 s) a refusal."""
    if abs(skew_s) > 60:
        refusal = {"error": "broker.auth_failed", "message": {"zh-TW": "…", "en": "…"}, "reason": "stale"}
        return 401, refusal, {}
    now = datetime.now(UTC) + timedelta(seconds=skew_s)
    return 200, {"terminal_id": terminal_id, "registered": True, "server_time": now.isoformat()}, {}


@pytest.mark.parametrize(
    ("skew_s", "status"), [(5, "OK"), (-5, "OK"), (45, "WARN"), (-45, "WARN"), (90, "FAIL"), (-90, "FAIL")]
)
def test_clock_skew_warns_past_30_s_and_fails_past_the_brokers_60_s_either_way(
    sandbox: Settings, tmp_path: Path, skew_s: float, status: str
) -> None:
    terminal_id = sandbox.broker.terminal_id
    with stand_in_broker(lambda _path: _skewed(terminal_id, skew_s), skew_s=skew_s) as url:
        report = run_doctor(configured(sandbox, tmp_path, url=url), "--role", "clerk")
    clock = report.checks["clock"]
    assert clock["status"] == status
    measured = float(clock["message"].split(" by ")[1].split(" s")[0])
    assert measured == pytest.approx(-skew_s, abs=2)  # this machine is behind a broker that is ahead
    if status == "FAIL":
        assert report.checks["terminal"]["key"] == "doctor.terminal.stale" and "set-ntp" in clock["hint"]
    if status == "WARN":
        assert "60" in clock["hint"] and report.status == 0


# -- TLS ----------------------------------------------------------------------------------------------------


def _through_proxy(
    sandbox: Settings, tmp_path: Path, chain: Path, key: Path, ca_bundle: Path | None
) -> dict[str, dict[str, str]]:
    with tls_proxy(sandbox.broker.url, chain, key, source=PROXY) as port:
        config = configured(sandbox, tmp_path, url=f"https://localhost:{port}", ca_bundle=ca_bundle)
        return run_doctor(config, "--role", "clerk").checks


def test_a_trusted_certificate_is_shown_with_its_expiry_and_the_signed_check_passes_through_the_proxy(
    sandbox: Settings, ca: Authority, tmp_path: Path
) -> None:
    checks = _through_proxy(sandbox, tmp_path, *ca.issue(tmp_path, days=(-1, 200)), ca.pem)
    assert checks["tls"]["status"] == "OK" and "(199 days)" in checks["tls"]["message"]  # whole days left
    assert checks["terminal"]["status"] == "OK" and checks["clock"]["status"] == "OK"


def test_a_certificate_expiring_within_30_days_warns(sandbox: Settings, ca: Authority, tmp_path: Path) -> None:
    checks = _through_proxy(sandbox, tmp_path, *ca.issue(tmp_path, days=(-300, 10)), ca.pem)
    assert checks["tls"]["status"] == "WARN" and "renew" in checks["tls"]["hint"]


@pytest.mark.parametrize(
    ("case", "key", "hint_word"),
    [
        ("other CA in ca_bundle", "doctor.tls.untrusted", "ca_bundle"),
        ("system store", "doctor.tls.untrusted", "update-ca-certificates"),
        ("wrong name", "doctor.tls.wrong_name", "name"),
        ("expired", "doctor.tls.expired", "renew"),
    ],
)
def test_each_certificate_problem_fails_with_its_own_message_and_hint(
    sandbox: Settings, ca: Authority, tmp_path: Path, case: str, key: str, hint_word: str
) -> None:
    names = ("broker.hualien.example",) if case == "wrong name" else ("localhost",)
    chain, private = ca.issue(tmp_path, names, days=(-30, -1) if case == "expired" else (-1, 90))
    bundle = {"other CA in ca_bundle": private_ca(tmp_path / "other", "Other CA").pem, "system store": None}
    checks = _through_proxy(sandbox, tmp_path, chain, private, bundle.get(case, ca.pem))
    assert checks["broker"]["status"] == "FAIL" and checks["broker"]["key"] == key
    assert hint_word in checks["broker"]["hint"]
    assert "terminal" not in checks  # nothing was sent over a connection that was not trusted


def test_json_comes_out_for_a_config_that_cannot_be_read(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[broker\n")
    report = run_doctor(tmp_path / "config.toml")
    assert report.status == 1 and report.checks["config"]["status"] == "FAIL"
    assert json.loads(report.stdout)["ok"] is False


def test_a_ca_bundle_that_is_not_pem_is_named(sandbox: Settings, ca: Authority, tmp_path: Path) -> None:
    (tmp_path / "broker-ca.pem").write_text("this is not a certificate\n")
    checks = _through_proxy(sandbox, tmp_path, *ca.issue(tmp_path), tmp_path / "broker-ca.pem")
    assert checks["broker"]["key"] == "doctor.tls.ca_bundle" and "PEM" in checks["broker"]["hint"]
