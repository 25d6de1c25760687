"""Fleet monitoring: the alert rules and the site dashboard in deploy/ use only series the running services
serve, promtool accepts the rules, and their unit tests (a printer out of paper, a reader gone, clock skew, a
certificate running out, broker errors, a full disk) fire and resolve as they say."""

from __future__ import annotations

import datetime
import ipaddress
import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requests
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from prometheus_client.parser import text_string_to_metric_families

from broker_client import BrokerClient
from broker_client.errors import BrokerUnavailable
from broker_client.signing import create_private_key
from counter_core.metrics import REGISTRY
from counter_core.settings import Settings, load_settings
from mydata_counter.servicerunner import running_service
from mydata_counter.testing.sandbox import running_sandbox, sandbox_settings

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "mydata-counter-alerts.yml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "mydata-counter-alerts.test.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "mydata-counter-site.json"
PROMETHEUS_OWN = {"up"}  # made by Prometheus itself for every scrape target
SERIES = re.compile(r"\b(mydata_[a-z0-9_]+)")


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing: make install adds Debian's prometheus package for the tests"
    return subprocess.run([promtool, *args], capture_output=True, text=True, check=False, cwd=RULES.parent)


def _rule_series() -> set[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    exprs = [rule["expr"] for group in groups for rule in group["rules"]]
    assert any(re.search(r"\bup\{", expr) for expr in exprs)
    return {name for expr in exprs for name in SERIES.findall(expr)}


def _dashboard_series() -> set[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return {name for panel in panels for target in panel["targets"] for name in SERIES.findall(target["expr"])}


def _certificate(folder: Path, days: int) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "station.test")])
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert, private = folder / f"cert-{days}.pem", folder / f"key-{days}.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    private.chmod(0o600)
    return cert, private


def _scrape(url: str, verify: bool | str = True) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Sample name → (labels, value) of every sample, and every family's name (HELP) with no sample yet."""
    response = requests.get(f"{url}/metrics", timeout=10, verify=verify)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.text):
        found.setdefault(family.name + ("_total" if family.type == "counter" else ""), [])
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def _value(scraped: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str) -> float | None:
    for sample_labels, value in scraped.get(name, []):
        if all(sample_labels.get(key) == wanted for key, wanted in labels.items()):
            return value
    return None


def test_alert_rules_pass_promtool_check() -> None:
    result = _promtool("check", "rules", RULES.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_alert_rules_fire_and_resolve_as_their_unit_tests_say() -> None:
    result = _promtool("test", "rules", RULE_TESTS.name)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_series_the_rules_and_the_dashboard_use_is_served_by_running_services(tmp_path: Path) -> None:
    """A kiosk and a clerk station (over HTTPS, with its own certificate) against the sandbox broker, scraped
    over real HTTP after the kiosk asked the broker for its catalogue."""
    settings = sandbox_settings(load_settings(ROOT / "config" / "demo.toml"), tmp_path)
    cert, key = _certificate(tmp_path, days=30)
    data = settings.model_dump()
    data["clerk"].update({"tls_cert_file": cert, "tls_key_file": key, "audit_db": tmp_path / "audit" / "clerk.db"})
    data["devices"]["printer"]["pdf_dir"] = tmp_path / "receipts"
    (tmp_path / "receipts").mkdir()
    with (
        running_sandbox(settings),
        running_service("kiosk", Settings(**data)) as kiosk,
        running_service("clerk", Settings(**data)) as clerk,
    ):
        assert requests.get(f"{kiosk}/api/catalogue", timeout=10).ok  # one signed request to the broker
        kiosk_series, clerk_series = _scrape(kiosk), _scrape(clerk, verify=str(cert))
    served = {name for name, samples in {**kiosk_series, **clerk_series}.items() if samples}
    defined = set(kiosk_series) | set(clerk_series)

    for name in _rule_series() - PROMETHEUS_OWN:
        assert {name, f"{name}_bucket", f"{name}_count"} & served, f"the rules use {name}, no service serves it"
    assert _dashboard_series() <= defined | {n.removesuffix("_bucket") for n in defined}, _dashboard_series() - defined

    assert _value(kiosk_series, "mydata_device_up", kind="reader") == 1.0
    assert _value(kiosk_series, "mydata_device_up", kind="printer") == 1.0
    assert _value(kiosk_series, "mydata_device_status", kind="printer", status="ready") == 1.0
    assert _value(clerk_series, "mydata_device_up", kind="camera") is not None
    assert _value(kiosk_series, "mydata_broker_request_seconds_count") >= 1  # type: ignore[operator]
    skew = _value(kiosk_series, "mydata_broker_clock_skew_seconds")
    assert skew is not None and not math.isnan(skew) and abs(skew) < 5  # one machine: one clock
    assert _value(kiosk_series, "mydata_broker_errors_total", kind="unreachable") == 0.0
    station = _value(clerk_series, "mydata_tls_certificate_expiry_timestamp_seconds", certificate="station")
    not_after = x509.load_pem_x509_certificate(cert.read_bytes()).not_valid_after_utc.timestamp()
    assert station == not_after
    free = _value(kiosk_series, "mydata_disk_free_bytes", path=str((tmp_path / "keys").resolve()))
    size = _value(kiosk_series, "mydata_disk_size_bytes", path=str((tmp_path / "keys").resolve()))
    assert free is not None and size is not None and 0 < free <= size
    assert _value(clerk_series, "mydata_disk_free_bytes", path=str((tmp_path / "audit").resolve())) is not None


def test_a_printer_out_of_paper_is_served_as_its_status_and_down(tmp_path: Path) -> None:
    settings = sandbox_settings(load_settings(ROOT / "config" / "demo.toml"), tmp_path)
    data = settings.model_dump()
    data["devices"]["printer"].update({"fault": "paper_out", "pdf_dir": tmp_path / "receipts"})
    with running_sandbox(settings), running_service("kiosk", Settings(**data)) as kiosk:
        scraped = _scrape(kiosk)
    assert _value(scraped, "mydata_device_status", kind="printer", status="paper_out") == 1.0
    assert _value(scraped, "mydata_device_up", kind="printer") == 0.0


def test_broker_errors_count_a_broker_that_cannot_be_reached(tmp_path: Path) -> None:
    settings = sandbox_settings(load_settings(ROOT / "config" / "demo.toml"), tmp_path)  # nothing runs there
    assert settings.broker.key_file is not None
    create_private_key(settings.broker.key_file)
    before = REGISTRY.get_sample_value("mydata_broker_errors_total", {"kind": "unreachable"}) or 0.0
    client = BrokerClient(settings.broker.model_copy(update={"retries": 0}))
    with pytest.raises(BrokerUnavailable):
        client.catalogue()
    client.close()
    assert REGISTRY.get_sample_value("mydata_broker_errors_total", {"kind": "unreachable"}) == before + 1


def test_the_broker_certificate_expiry_is_read_from_its_tls_answer(tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path, days=90)
    base = sandbox_settings(load_settings(ROOT / "config" / "demo.toml"), tmp_path)
    data = base.model_dump()
    data["sandbox"].update({"tls_cert_file": cert, "tls_key_file": key})
    data["broker"]["url"] = base.broker.url.replace("http://", "https://")
    settings = Settings(**data)
    session = requests.Session()
    session.verify = str(cert)
    session.trust_env = False
    with running_sandbox(settings):
        client = BrokerClient(settings.broker, session=session)
        client.catalogue()
        client.close()
    seen = REGISTRY.get_sample_value("mydata_tls_certificate_expiry_timestamp_seconds", {"certificate": "broker"})
    assert seen == x509.load_pem_x509_certificate(cert.read_bytes()).not_valid_after_utc.timestamp()
