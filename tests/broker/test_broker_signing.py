"""Properties of the RFC 9421 signing between terminals and broker: whatever the body, a signed request
verifies once and names its terminal; changing any byte of the body, the method or the target, or
replaying it, is refused."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from broker_client.signing import RequestSigner, RequestVerifier, SignatureRejected

KEY = Ed25519PrivateKey.generate()


@dataclass
class Incoming:
    """What the broker sees of a request (the parts the verifier reads, as Flask's request has them)."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


def _signed(body: bytes, path: str = "/api/v1/clerk/redeem") -> tuple[Incoming, bytes]:
    prepared = requests.Request("POST", f"http://broker.test{path}", data=body).prepare()
    RequestSigner("clerk-01", KEY)(prepared)
    return Incoming("POST", str(prepared.url), dict(prepared.headers)), body


def _verifier() -> RequestVerifier:
    return RequestVerifier(lambda terminal: KEY.public_key() if terminal == "clerk-01" else None)


@settings(max_examples=60, deadline=None)
@given(body=st.binary(min_size=1, max_size=512), data=st.data())
def test_any_changed_body_byte_is_refused_and_the_original_verifies_once(body: bytes, data: st.DataObject) -> None:
    request, original = _signed(body)
    index = data.draw(st.integers(min_value=0, max_value=len(body) - 1))
    flip = data.draw(st.integers(min_value=1, max_value=255))
    tampered = original[:index] + bytes([original[index] ^ flip]) + original[index + 1 :]
    verifier = _verifier()
    with pytest.raises(SignatureRejected, match="digest"):
        verifier.verify(request, tampered)
    assert verifier.verify(request, original) == "clerk-01"
    with pytest.raises(SignatureRejected, match="replayed"):
        verifier.verify(request, original)


@settings(max_examples=30, deadline=None)
@given(method=st.sampled_from(["GET", "PUT", "DELETE"]), path=st.sampled_from(["/api/v1/clerk/purge", "/x"]))
def test_a_signature_does_not_carry_over_to_another_method_or_target(method: str, path: str) -> None:
    request, body = _signed(b'{"code": "1234567890123452"}')
    moved = Incoming(method, request.url, request.headers)
    with pytest.raises(SignatureRejected, match="invalid signature"):
        _verifier().verify(moved, body)
    retargeted = Incoming("POST", f"http://broker.test{path}", request.headers)
    with pytest.raises(SignatureRejected, match="invalid signature"):
        _verifier().verify(retargeted, body)


def test_a_second_signature_naming_another_terminal_cannot_borrow_the_first_ones_key() -> None:
    """A terminal signs twice with its own key, the second signature labelled as another terminal: the
    broker looks the key up once per request, so it must refuse rather than name the other terminal."""
    other = Ed25519PrivateKey.generate()
    body = b'{"code": "1234567890123452"}'
    first = requests.Request("POST", "http://broker.test/api/v1/clerk/redeem", data=body).prepare()
    RequestSigner("clerk-01", KEY)(first)
    second = requests.Request("POST", "http://broker.test/api/v1/clerk/redeem", data=body).prepare()
    RequestSigner("clerk-02", KEY)(second)  # clerk-01's key, clerk-02's name
    headers = dict(first.headers)
    headers["Signature-Input"] = f"{first.headers['Signature-Input']}, " + second.headers["Signature-Input"].replace(
        "pyhms=", "second=", 1
    )
    headers["Signature"] = f"{first.headers['Signature']}, " + second.headers["Signature"].replace(
        "pyhms=", "second=", 1
    )
    assert headers["Signature-Input"].count("pyhms=") == 1 and "second=" in headers["Signature"]
    keys = {"clerk-01": KEY.public_key(), "clerk-02": other.public_key()}
    with pytest.raises(SignatureRejected, match="invalid signature"):
        RequestVerifier(keys.get).verify(Incoming("POST", str(first.url), headers), body)
    alone = Incoming("POST", str(second.url), dict(second.headers))
    with pytest.raises(SignatureRejected, match="invalid signature"):
        RequestVerifier(keys.get).verify(alone, body)  # and alone it fails: wrong key for its name
