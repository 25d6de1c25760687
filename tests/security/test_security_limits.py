"""Hardening every service the same way, over real HTTP to the services as they run: a body over the limit is
refused before it is read (a 400 MB upload never reaches memory), JSON nested past the parser's depth is a
JSON 4xx, not an HTML 500, and every page carries a strict Content-Security-Policy that forbids framing and
inline script — which the pages then run under in Chromium without a single violation."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import Page

from broker_client.signing import RequestSigner, load_private_key
from counter_core.settings import Settings, load_settings
from mydata_counter.servicerunner import running_service
from mydata_counter.testing.sandbox import running_sandbox, sandbox_settings

ROOT = Path(__file__).resolve().parents[2]
DEEP = "[" * 20_000 + "]" * 20_000  # 40 KB: under the body limit, far past the JSON parser's recursion limit


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, dict[str, str]]]:
    settings = sandbox_settings(load_settings(ROOT / "config" / "demo.toml"), tmp_path_factory.mktemp("limits"))
    with (
        running_sandbox(settings) as sandbox,
        running_service("kiosk", settings) as kiosk,
        running_service("clerk", settings) as clerk,
    ):
        yield settings, {"sandbox": sandbox, "kiosk": kiosk, "clerk": clerk}


def _declared_upload(url: str, path: str, declared: int) -> tuple[int, bytes]:
    """Start a POST declaring ``declared`` bytes, send 1 KiB of them, and read what the server answers."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {declared}\r\nConnection: close\r\n\r\n"
        )
        conn.sendall(head.encode() + b"{" * 1024)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    return status, answer.split(b"\r\n\r\n", 1)[-1]


@pytest.mark.parametrize(
    ("service", "path"),
    [("kiosk", "/api/start"), ("clerk", "/api/redeem"), ("sandbox", "/api/v1/kiosk/sessions"), ("clerk", "/login")],
)
def test_a_body_over_the_limit_is_refused_before_it_is_read(
    services: tuple[Settings, dict[str, str]], service: str, path: str
) -> None:
    status, body = _declared_upload(services[1][service], path, 400 * 1024 * 1024)
    assert status == 413
    if path.startswith("/api/"):
        assert json.loads(body)["error"] in ("web.too_large", "broker.validation")
    over = requests.post(services[1][service] + path, data=b"x" * (65 * 1024), timeout=10)
    assert over.status_code == 413


def test_json_nested_too_deep_is_a_json_client_error_everywhere(services: tuple[Settings, dict[str, str]]) -> None:
    settings, urls = services
    kiosk = requests.Session()
    kiosk.post(urls["kiosk"] + "/api/start", json={}, timeout=5)
    answer = kiosk.post(urls["kiosk"] + "/api/service", data=DEEP, headers={"Content-Type": "application/json"})
    assert 400 <= answer.status_code < 500 and answer.json()["error"]
    signer = RequestSigner(settings.broker.terminal_id, load_private_key(settings.broker.key_file))  # type: ignore[arg-type]
    signed = requests.post(
        urls["sandbox"] + "/api/v1/kiosk/sessions",
        data=DEEP,
        headers={"Content-Type": "application/json"},
        auth=signer,
        timeout=10,
    )
    assert signed.status_code == 422 and signed.json()["error"] == "broker.validation"
    phone = requests.post(
        urls["sandbox"] + "/phone/A123456789/pushes/p1", data=DEEP, headers={"Content-Type": "application/json"}
    )
    assert phone.status_code < 500


@pytest.mark.parametrize(("service", "path"), [("kiosk", "/"), ("clerk", "/login"), ("sandbox", "/")])
def test_every_page_forbids_framing_and_inline_script(
    services: tuple[Settings, dict[str, str]], service: str, path: str
) -> None:
    policy = requests.get(services[1][service] + path, timeout=5).headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["frame-ancestors"] == "'none'" and directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


@pytest.mark.e2e
def test_the_pages_run_under_their_policy_without_a_violation(
    page: Page, services: tuple[Settings, dict[str, str]]
) -> None:
    _, urls = services
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    for url in (
        urls["kiosk"] + "/",
        urls["clerk"] + "/login",
        urls["sandbox"] + "/",
        urls["sandbox"] + "/phone/A123456789",
    ):
        page.goto(url)
        page.wait_for_load_state("networkidle")
    page.goto(urls["kiosk"] + "/")
    page.click("#start")
    page.wait_for_selector("#screen-services:not([hidden])")
    assert violations == []
