"""The terminal talks to the real broker over HTTPS: a private CA named in ``[broker] ca_bundle`` or the system
trust store, TLS 1.2 or newer; a certificate problem is an error of its own with its own message (never "broker
unreachable"); signatures stay valid through a TLS-terminating proxy, whose forwarded headers the broker
believes only from a configured proxy address. Everything over real sockets: the sandbox, a TLS proxy in front
of it (mydata_counter.testing.tls), certificates from a private CA made in the test."""

from __future__ import annotations

import fcntl
import os
import shutil
import ssl
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from broker_client import BrokerClient, errors
from counter_core.settings import Settings, load_settings
from mydata_counter.testing.sandbox import running_sandbox, sandbox_settings
from mydata_counter.testing.tls import Authority, private_ca, tls_proxy

ROOT = Path(__file__).resolve().parents[2]
PROXY = "127.0.0.2"  # the only address the sandbox takes X-Forwarded-* from
LOCAL_CAS = Path("/usr/local/share/ca-certificates")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, str]]:
    base = load_settings(ROOT / "config" / "demo.toml")
    settings = sandbox_settings(base, tmp_path_factory.mktemp("sandbox"), trusted_proxies=[f"{PROXY}/32"])
    with running_sandbox(settings) as url:
        yield settings, url


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    return private_ca(tmp_path_factory.mktemp("ca"), "Hualien Test Broker CA")


def _client(settings: Settings, url: str, ca_bundle: Path | None) -> BrokerClient:
    return BrokerClient(settings.broker.model_copy(update={"url": url, "ca_bundle": ca_bundle, "retries": 0}))


def _refused(settings: Settings, url: str, ca_bundle: Path | None) -> errors.BrokerError:
    client = _client(settings, url, ca_bundle)
    try:
        with pytest.raises(errors.BrokerError) as raised:
            client.terminal_info()
    finally:
        client.close()
    return raised.value


def test_signed_requests_pass_a_tls_proxy_to_a_broker_whose_private_ca_is_in_ca_bundle(
    sandbox: tuple[Settings, str], ca: Authority, tmp_path: Path
) -> None:
    settings, url = sandbox
    chain, key = ca.issue(tmp_path, ("localhost", "127.0.0.1"))
    with tls_proxy(url, chain, key, source=PROXY) as port:
        client = _client(settings, f"https://localhost:{port}", ca.pem)
        try:
            info = client.terminal_info()  # a signed GET
            session = client.start_session("hualien-disabled-parking")  # a signed POST with a body
            client.cancel_session(session.session_id)  # a signed DELETE
        finally:
            client.close()
    assert info.terminal_id == settings.broker.terminal_id and info.registered


def test_forwarded_headers_from_an_address_not_configured_as_a_proxy_are_ignored(
    sandbox: tuple[Settings, str], ca: Authority, tmp_path: Path
) -> None:
    settings, url = sandbox
    chain, key = ca.issue(tmp_path)
    with tls_proxy(url, chain, key, source="127.0.0.1") as port:  # not in [sandbox] trusted_proxies
        refused = _refused(settings, f"https://localhost:{port}", ca.pem)
    # The sandbox checked the signature against the URL it was really reached at, not the one claimed.
    assert isinstance(refused, errors.AuthFailed) and refused.params["cause"] == "bad_signature"


def test_a_certificate_from_another_ca_is_not_trusted_with_its_own_message(
    sandbox: tuple[Settings, str], ca: Authority, tmp_path: Path
) -> None:
    settings, url = sandbox
    other = private_ca(tmp_path / "other", "Some Other CA")
    chain, key = ca.issue(tmp_path)
    with tls_proxy(url, chain, key, source=PROXY) as port:
        refused = _refused(settings, f"https://localhost:{port}", other.pem)
    assert type(refused) is errors.CertificateUntrusted
    assert refused.message("zh-TW").startswith("憑證不受信任")
    assert refused.message("en").startswith("Certificate not trusted")
    assert "cannot be reached" not in refused.message("en")


def test_without_ca_bundle_the_system_store_is_used_and_a_private_ca_is_not_in_it(
    sandbox: tuple[Settings, str], ca: Authority, tmp_path: Path
) -> None:
    settings, url = sandbox
    chain, key = ca.issue(tmp_path)
    with tls_proxy(url, chain, key, source=PROXY) as port:
        refused = _refused(settings, f"https://localhost:{port}", None)
    assert type(refused) is errors.CertificateUntrusted


def test_a_certificate_for_another_name_says_so(sandbox: tuple[Settings, str], ca: Authority, tmp_path: Path) -> None:
    settings, url = sandbox
    chain, key = ca.issue(tmp_path, ("broker.hualien.example",))
    with tls_proxy(url, chain, key, source=PROXY) as port:
        refused = _refused(settings, f"https://localhost:{port}", ca.pem)
    assert type(refused) is errors.CertificateWrongName
    assert refused.message("zh-TW").startswith("憑證名稱不符")


def test_an_expired_certificate_says_so(sandbox: tuple[Settings, str], ca: Authority, tmp_path: Path) -> None:
    settings, url = sandbox
    chain, key = ca.issue(tmp_path, days=(-30, -1))
    with tls_proxy(url, chain, key, source=PROXY) as port:
        refused = _refused(settings, f"https://localhost:{port}", ca.pem)
    assert type(refused) is errors.CertificateExpired
    assert refused.message("en").startswith("Certificate expired")


def test_a_certificate_not_valid_yet_says_so(sandbox: tuple[Settings, str], ca: Authority, tmp_path: Path) -> None:
    settings, url = sandbox
    chain, key = ca.issue(tmp_path, days=(2, 30))
    with tls_proxy(url, chain, key, source=PROXY) as port:
        refused = _refused(settings, f"https://localhost:{port}", ca.pem)
    assert type(refused) is errors.CertificateNotYetValid


def test_a_broker_offering_only_tls_1_1_is_refused(
    sandbox: tuple[Settings, str], ca: Authority, tmp_path: Path
) -> None:
    settings, url = sandbox
    chain, key = ca.issue(tmp_path)
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    old_client = ssl.create_default_context(cafile=str(ca.pem))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.1 is deprecated: that is the point
        for context in (old, old_client):
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
            context.minimum_version = ssl.TLSVersion.TLSv1_1
        old.maximum_version = ssl.TLSVersion.TLSv1_1
    with tls_proxy(url, chain, key, source=PROXY, context=old) as port:
        # the server does speak TLS 1.1: a client that allows it gets through …
        legacy = requests.Session()
        adapter = requests.adapters.HTTPAdapter()
        adapter.init_poolmanager(1, 1, ssl_context=old_client)
        legacy.mount("https://", adapter)
        assert legacy.get(f"https://localhost:{port}/healthz", timeout=10).ok
        legacy.close()
        # … and the terminal does not
        refused = _refused(settings, f"https://localhost:{port}", ca.pem)
    assert type(refused) is errors.BrokerTlsFailed


def test_an_https_url_to_a_plain_http_port_is_a_tls_failure_not_unreachable(sandbox: tuple[Settings, str]) -> None:
    settings, url = sandbox
    refused = _refused(settings, url.replace("http://", "https://"), None)
    assert type(refused) is errors.BrokerTlsFailed


def test_an_unreadable_ca_bundle_trusts_nothing(sandbox: tuple[Settings, str], ca: Authority, tmp_path: Path) -> None:
    settings, url = sandbox
    chain, key = ca.issue(tmp_path)
    (tmp_path / "broken.pem").write_text("not a certificate")
    with tls_proxy(url, chain, key, source=PROXY) as port:
        refused = _refused(settings, f"https://localhost:{port}", tmp_path / "broken.pem")
    assert type(refused) is errors.CertificateUntrusted


def _update_ca_certificates() -> None:
    subprocess.run(["update-ca-certificates"], check=True, capture_output=True, timeout=120)


@pytest.fixture
def system_store_ca(ca: Authority) -> Iterator[Path]:
    """The test CA added to the system trust store as a technician would (update-ca-certificates), and
    removed again however the test ends; one test at a time on the machine touches the store."""
    if os.geteuid() != 0 or shutil.which("update-ca-certificates") is None or not LOCAL_CAS.is_dir():
        pytest.skip("needs root and ca-certificates' update-ca-certificates")
    placed = LOCAL_CAS / f"mydata-counter-test-{os.getpid()}.crt"
    with open("/tmp/mydata-ca-store.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        shutil.copyfile(ca.pem, placed)
        try:
            _update_ca_certificates()
            yield placed
        finally:
            placed.unlink(missing_ok=True)
            _update_ca_certificates()


def test_a_private_ca_added_to_the_system_store_is_trusted_without_ca_bundle_and_not_after_removal(
    sandbox: tuple[Settings, str], ca: Authority, tmp_path: Path, system_store_ca: Path
) -> None:
    settings, url = sandbox
    chain, key = ca.issue(tmp_path)
    with tls_proxy(url, chain, key, source=PROXY) as port:
        client = _client(settings, f"https://localhost:{port}", None)
        try:
            assert client.terminal_info().terminal_id == settings.broker.terminal_id
        finally:
            client.close()
        system_store_ca.unlink()
        _update_ca_certificates()
        assert type(_refused(settings, f"https://localhost:{port}", None)) is errors.CertificateUntrusted
