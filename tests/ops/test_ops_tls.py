"""A clerk station reached over the LAN serves HTTPS itself (tls_cert_file/tls_key_file): TLS 1.2 or newer,
no plain HTTP on its port, and the login cookie is Secure. The certificate here is made as docs/deploy.md
tells a technician to (one for the station's name and address), by the cryptography library."""

from __future__ import annotations

import datetime
import ipaddress
import re
import socket
import ssl
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from counter_core.settings import Settings, load_settings
from mydata_counter.serve import tls_context
from mydata_counter.servicerunner import running_service
from mydata_counter.testing.sandbox import running_sandbox, sandbox_settings

ROOT = Path(__file__).resolve().parents[2]


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "clerk-station.test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("clerk-station.test"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert, private = folder / "station.pem", folder / "station.key"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    private.chmod(0o600)
    return cert, private


def test_the_clerk_serves_https_only_with_a_secure_login_cookie(tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path)
    settings = sandbox_settings(load_settings(ROOT / "config" / "demo.toml"), tmp_path)
    data = settings.model_dump()
    data["clerk"].update({"tls_cert_file": cert, "tls_key_file": key})
    with running_sandbox(settings), running_service("clerk", Settings(**data)) as url:
        assert url.startswith("https://")
        http = requests.Session()
        http.trust_env = False  # the station's own certificate is the trust anchor, not the environment's bundle
        http.verify = str(cert)
        form = http.get(f"{url}/login", timeout=5)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert form.ok and token is not None
        login = {"username": "clerk-hualien", "password": "hualien-demo", "csrf_token": token.group(1)}
        referer = {"Referer": f"{url}/login"}  # as the browser sends it (Referrer-Policy: same-origin)
        answer = http.post(f"{url}/login", data=login, headers=referer, allow_redirects=False, timeout=10)
        assert answer.status_code == 302 and "secure" in answer.headers["Set-Cookie"].lower()
        with pytest.raises(requests.ConnectionError):
            requests.get(url.replace("https://", "http://") + "/login", timeout=5)
        client = ssl.create_default_context(cafile=str(cert))
        host, port = url.removeprefix("https://").split(":")
        with (
            socket.create_connection((host, int(port)), timeout=5) as raw,
            client.wrap_socket(raw, server_hostname=host) as tls,
        ):
            assert tls.version() in ("TLSv1.2", "TLSv1.3")
    server = tls_context(None, lambda: ssl.create_default_context(ssl.Purpose.CLIENT_AUTH))
    assert server.minimum_version == ssl.TLSVersion.TLSv1_2


def test_a_certificate_without_its_key_is_a_config_error() -> None:
    data = load_settings(ROOT / "config" / "demo.toml").model_dump()
    data["clerk"]["tls_cert_file"] = "/etc/ssl/station.pem"
    with pytest.raises(ValueError, match="tls_cert_file and tls_key_file go together"):
        Settings(**data)
