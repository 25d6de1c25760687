"""The broker client's transport policy: retries only on idempotent calls, timeouts, signing and the
mapping of broker answers to typed errors. Faults are forced through an injected transport (a
requests adapter answering with a plain function, as httpx's MockTransport does) or a real socket
that never answers; the happy paths run against the real sandbox in the other test modules."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from broker_client import BrokerClient, errors
from broker_client.signing import create_private_key
from counter_core.settings import BrokerSettings

Answer = tuple[int, object, dict[str, str]]  # status, JSON body (or raw bytes), headers
Handler = Callable[[requests.PreparedRequest], Answer]
Scripted = Callable[[list[int | None]], tuple["BrokerClient", "ScriptedBroker"]]


class HandlerAdapter(BaseAdapter):  # type: ignore[misc]
    """A transport that answers every request with ``handler(request)`` and records what was sent."""

    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler
        self.sent: list[tuple[requests.PreparedRequest, dict[str, object]]] = []

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        self.sent.append((request, {"timeout": timeout}))
        status, body, headers = self.handler(request)
        response = requests.Response()
        response.status_code = status
        response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response.headers = CaseInsensitiveDict({"Content-Type": "application/json", **headers})
        response.request = request
        response.url = request.url or ""
        return response

    def close(self) -> None:
        pass


@pytest.fixture
def settings(tmp_path: Path) -> BrokerSettings:
    key_file = tmp_path / "terminal.pem"
    create_private_key(key_file)
    return BrokerSettings(url="http://broker.test", terminal_id="kiosk-t1", key_file=key_file, timeout_s=1.5, retries=2)


def client_with(settings: BrokerSettings, handler: Handler) -> tuple[BrokerClient, HandlerAdapter]:
    adapter = HandlerAdapter(handler)
    session = requests.Session()
    session.mount("http://", adapter)
    return BrokerClient(settings, session=session), adapter


class ScriptedBroker:
    """A real HTTP server on loopback that answers each request with the next scripted answer (a status, or
    ``None`` to drop the connection without answering) and counts what reached it."""

    def __init__(self, answers: list[int | None]) -> None:
        self.answers = answers
        self.seen: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                outer.seen.append(self.command)
                status = outer.answers[min(len(outer.seen), len(outer.answers)) - 1]
                if status is None:  # the answer is lost: the broker may or may not have acted
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                body = b'{"state": "pending", "push_id": "p1"}' if status == 200 else b"upstream down"
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer  # noqa: N815 - http.server's names

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def scripted(settings: BrokerSettings) -> Iterator[Callable[[list[int | None]], tuple[BrokerClient, ScriptedBroker]]]:
    servers: list[ScriptedBroker] = []

    def start(answers: list[int | None]) -> tuple[BrokerClient, ScriptedBroker]:
        server = ScriptedBroker(answers)
        servers.append(server)
        return BrokerClient(settings.model_copy(update={"url": server.url})), server

    yield start
    for server in servers:
        server.close()


def test_idempotent_get_is_retried_then_reported_unavailable(scripted: Scripted) -> None:
    client, server = scripted([None])
    with pytest.raises(errors.BrokerUnavailable) as caught:
        client.catalogue()
    assert server.seen == ["GET"] * (1 + client.settings.retries)
    assert "無法連線" in caught.value.message("zh-TW") and "cannot be reached" in caught.value.message("en")


def test_redeem_and_code_issue_whose_answer_is_lost_are_never_sent_twice(scripted: Scripted) -> None:
    client, server = scripted([None])
    with pytest.raises(errors.BrokerUnavailable):
        client.redeem("token-" + "x" * 20, "1234567890123452")
    with pytest.raises(errors.BrokerUnavailable):
        client.issue_code("session-1")
    assert server.seen == ["POST", "POST"]


def test_a_gateway_error_on_a_post_is_answered_not_resent(scripted: Scripted) -> None:
    client, server = scripted([503])
    with pytest.raises(errors.BrokerUnavailable):
        client.redeem("token-" + "x" * 20, "1234567890123452")
    assert server.seen == ["POST"]


def test_get_recovers_after_gateway_errors(scripted: Scripted) -> None:
    client, server = scripted([503, 502, 200])
    state = client.push_status("s1", "p1")
    assert state.state == "pending" and server.seen == ["GET"] * 3


def test_a_refused_connection_is_unavailable_for_every_method(settings: BrokerSettings) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    client = BrokerClient(settings.model_copy(update={"url": f"http://127.0.0.1:{port}", "retries": 1}))
    with pytest.raises(errors.BrokerUnavailable):
        client.catalogue()
    with pytest.raises(errors.BrokerUnavailable):
        client.redeem("token-" + "x" * 20, "1234567890123452")


def test_every_request_is_signed_and_has_the_configured_timeout(settings: BrokerSettings) -> None:
    client, adapter = client_with(settings, lambda _request: (204, b"", {}))
    client.record_consent("s1", "2026-01", ["household_personal"])
    request, kwargs = adapter.sent[0]
    assert kwargs["timeout"] == settings.timeout_s
    assert 'keyid="kiosk-t1"' in request.headers["Signature-Input"]
    assert request.headers["Signature"].startswith("pyhms=:")  # the library's label
    assert request.headers["Content-Digest"].startswith("sha-256=:")


def test_rate_limit_answer_becomes_rate_limited_with_its_wait(settings: BrokerSettings) -> None:
    body: dict[str, object] = {"error": "broker.rate_limited", "message": {"zh-TW": "", "en": ""}, "retry_after_s": 37}
    client, _ = client_with(settings, lambda _request: (429, body, {"Retry-After": "37"}))
    with pytest.raises(errors.RateLimited) as caught:
        client.redeem("token-" + "x" * 20, "1234567890123452")
    assert caught.value.retry_after_s == 37
    assert "37" in caught.value.message("zh-TW") and "37" in caught.value.message("en")


@pytest.mark.parametrize(
    ("key", "error"),
    [
        ("broker.code.expired", errors.CodeExpired),
        ("broker.code.used", errors.CodeAlreadyUsed),
        ("broker.code.foreign_agency", errors.CodeForeignAgency),
        ("broker.code.unknown", errors.CodeUnknown),
        ("broker.auth_failed", errors.AuthFailed),
        ("broker.validation", errors.ValidationFailed),
    ],
)
def test_broker_error_keys_become_typed_errors_with_both_languages(
    settings: BrokerSettings, key: str, error: type[errors.BrokerError]
) -> None:
    body: dict[str, object] = {"error": key, "message": {"zh-TW": "x", "en": "x"}}
    client, _ = client_with(settings, lambda _request: (400, body, {}))
    with pytest.raises(error) as caught:
        client.redeem("token-" + "x" * 20, "1234567890123452")
    zh, en = caught.value.message("zh-TW"), caught.value.message("en")
    assert zh and en and zh != en and key not in (zh, en)


def test_garbled_answers_are_errors_not_crashes(settings: BrokerSettings) -> None:
    client, _ = client_with(settings, lambda _request: (200, b"<html>proxy login</html>", {}))
    with pytest.raises(errors.BrokerError):
        client.catalogue()
    client, _ = client_with(settings, lambda _request: (502, b"<html>bad gateway</html>", {}))
    with pytest.raises(errors.BrokerUnavailable):
        client.redeem("token-" + "x" * 20, "1234567890123452")


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A real TCP port that accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


def test_a_broker_that_never_answers_times_out_as_unavailable(settings: BrokerSettings, silent_port: int) -> None:
    client = BrokerClient(settings.model_copy(update={"url": f"http://127.0.0.1:{silent_port}", "timeout_s": 0.3}))
    with pytest.raises(errors.BrokerUnavailable):
        client.redeem("token-" + "x" * 20, "1234567890123452")


def test_a_missing_terminal_key_is_an_auth_error_naming_no_secret(tmp_path: Path) -> None:
    settings = BrokerSettings(url="http://broker.test", key_file=tmp_path / "absent.pem")
    client, adapter = client_with(settings, lambda _request: (200, {}, {}))
    with pytest.raises(errors.AuthFailed):
        client.catalogue()
    assert adapter.sent == []
