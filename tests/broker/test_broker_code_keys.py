"""Signed codes against a real sandbox over HTTP: the kiosk's code carries the broker's signature, the station
verifies it with the published keys (fetched once, asked again once for an unknown key id), and key rotation
keeps every printed receipt valid until its own expiry."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from broker_client import BrokerClient, errors
from broker_client.code_keys import CodeVerifier
from broker_client.models import CodeKeys
from broker_sandbox.store import Store
from counter_core.clock import AdjustableClock
from counter_core.settings import Settings
from counter_core.signed_code import (
    CodeClaims,
    SignedCodeExpired,
    SignedCodeForeignAgency,
    SignedCodeKeyRetired,
    SignedCodeKeysUnavailable,
    SignedCodeUnknownKey,
    key_id,
    read_signed,
    sign_code,
)
from mydata_counter.testing.sandbox import advance_clock, citizens, issue_code


class CountedFetch:
    """``BrokerClient.code_keys`` over real HTTP, counting the times the station asks."""

    def __init__(self, client: BrokerClient) -> None:
        self.client, self.calls = client, 0

    def __call__(self) -> CodeKeys:
        self.calls += 1
        return self.client.code_keys()


def _signed_now(key: Ed25519PrivateKey, at: float | None = None) -> str:
    """A well-formed code for hualien signed with ``key`` (issued ``at``, or now)."""
    issued = int(at if at is not None else AdjustableClock().now())
    claims = CodeClaims("0000000000000000", "hualien", "hualien-disabled-parking", ("vehicles",), issued, issued + 600)
    return sign_code(claims, key)


def _rotate(url: str) -> CodeKeys:
    import requests

    response = requests.post(f"{url}/testing/code-keys/rotate", timeout=5)
    response.raise_for_status()
    return CodeKeys.model_validate(response.json())


def test_the_broker_publishes_current_and_next_keys_with_ids_that_match_them(client: BrokerClient) -> None:
    published = client.code_keys()
    assert sorted(k.state for k in published.keys) == ["current", "next"]
    for key in published.keys:
        raw = base64.urlsafe_b64decode(key.x + "=")
        assert len(raw) == 32 and key_id(Ed25519PublicKey.from_public_bytes(raw)).hex() == key.kid
    assert published.max_code_ttl_s > 0 and published.refresh_s >= 60


def test_a_kiosk_code_verifies_offline_at_the_station(client: BrokerClient, broker: tuple[Settings, str]) -> None:
    settings, _ = broker
    fetch = CountedFetch(client)
    verifier = CodeVerifier(fetch)
    verifier.refresh()
    issued = issue_code(client, settings, citizens(settings)[60])
    assert issued.qr_payload.startswith("MYDATA2:")
    verified = verifier.verify(issued.qr_payload, "hualien")
    assert fetch.calls == 1  # the list fetched once; the check itself asked nothing
    claims = verified.claims
    assert (claims.code, claims.agency_id, claims.service_id) == (issued.code, "hualien", "hualien-disabled-parking")
    assert list(claims.dataset_ids) == ["household_personal", "disability", "vehicles"]
    assert claims.expires_at == int(issued.expires_at.timestamp())
    assert claims.expires_at - claims.issued_at == settings.sandbox.code_ttl_s
    assert verified.key_state == "current"
    with pytest.raises(SignedCodeForeignAgency):
        verifier.verify(issued.qr_payload, "bli")
    assert fetch.calls == 1


def test_an_unknown_key_id_makes_one_refresh_then_fails(client: BrokerClient) -> None:
    fetch = CountedFetch(client)
    verifier = CodeVerifier(fetch)
    verifier.refresh()
    forged = _signed_now(Ed25519PrivateKey.generate())
    with pytest.raises(SignedCodeUnknownKey):
        verifier.verify(forged, "hualien")
    assert fetch.calls == 2  # the first fetch, then exactly one more for the unknown key id
    with pytest.raises(SignedCodeUnknownKey):
        verifier.verify(forged, "hualien")
    assert fetch.calls == 2  # the same unknown key again within a minute: no further fetch


def test_a_retired_key_cannot_sign_new_receipts(client: BrokerClient, broker: tuple[Settings, str]) -> None:
    """A retired key that leaked later: codes dated after its retirement are refused even though it is listed."""
    settings, url = broker
    published = _rotate(url)
    retired = next(k for k in published.keys if k.state == "retired")
    assert retired.signs_until is not None
    station = CodeVerifier(client.code_keys)
    station.refresh()
    kid = bytes.fromhex(retired.kid)
    assert kid in {bytes.fromhex(k) for k in station.key_ids}
    # a forger holding the retired key's private half (read from the sandbox's store, as from a stolen backup)
    pem = (
        Store(settings.sandbox.database)
        .db.execute("SELECT private_pem FROM code_keys WHERE kid = ?", [retired.kid])
        .fetchone()[0]
    )
    leaked = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(leaked, Ed25519PrivateKey)
    late = retired.signs_until.timestamp() + 300
    text = _signed_now(leaked, late)
    with pytest.raises(SignedCodeKeyRetired):
        CodeVerifier(client.code_keys, _clock_at(late + 1)).verify(text, "hualien")


def _clock_at(epoch: float) -> AdjustableClock:
    clock = AdjustableClock()
    clock.advance(max(0.0, epoch - clock.now()))
    return clock


def test_with_the_broker_unreachable_known_keys_still_verify_and_new_ones_cannot(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, _ = broker
    broker_up = True

    def fetch() -> CodeKeys:
        if broker_up:
            return client.code_keys()
        raise errors.BrokerUnavailable()  # what the client raises when nothing answers (tests/faults)

    station = CodeVerifier(fetch)
    station.refresh()
    issued = issue_code(client, settings, citizens(settings)[63])
    broker_up = False  # the broker goes away after the station fetched its list
    assert station.verify(issued.qr_payload, "hualien").claims.code == issued.code
    with pytest.raises(SignedCodeKeysUnavailable):
        station.verify(_signed_now(Ed25519PrivateKey.generate()), "hualien")


def test_rotation_keeps_old_receipts_valid_until_their_expiry(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, url = broker
    clock = AdjustableClock()
    fetch = CountedFetch(client)
    station = CodeVerifier(fetch, clock)
    station.refresh()  # the station's list: current K1 and next K2
    before = issue_code(client, settings, citizens(settings)[61])  # signed by K1
    rotated = _rotate(url)  # K1 retired, K2 current, K3 next
    after = issue_code(client, settings, citizens(settings)[62])  # signed by K2
    k1, k2 = read_signed(before.qr_payload).kid_hex, read_signed(after.qr_payload).kid_hex
    assert k1 != k2
    states = {k.kid: k.state for k in rotated.keys}
    assert states[k1] == "retired" and states[k2] == "current" and list(states.values()).count("next") == 1
    # K2 was published as `next` before it signed: the station verifies the new receipt without asking again
    assert station.verify(after.qr_payload, "hualien").key_state == "next"
    assert station.verify(before.qr_payload, "hualien").key_state == "current"
    assert fetch.calls == 1
    station.refresh()
    assert station.verify(before.qr_payload, "hualien").key_state == "retired"  # still valid: not expired
    assert station.verify(after.qr_payload, "hualien").key_state == "current"
    clock.advance(settings.sandbox.code_ttl_s + 1)
    with pytest.raises(SignedCodeExpired):
        station.verify(before.qr_payload, "hualien")
    # once every code K1 signed has expired, the broker stops publishing it
    advance_clock(url, settings.sandbox.code_ttl_s + 61)
    assert k1 not in {k.kid for k in client.code_keys().keys}
