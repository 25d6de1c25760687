"""The clerk station's check of a signed data code, before and without any broker call.

``CodeVerifier`` keeps the broker's published code keys (``GET /code-keys``) in memory and checks a
``MYDATA2:`` text against them: shape, signature, the key's signing window, issue time, expiry and agency.
Keys are fetched in the background when the list is older than the broker's ``refresh_s`` (a failed fetch
keeps the list it has: keys only ever get added or retired); a code whose key id is not in the list makes it
ask once, right then (at most once per key id a minute, so a stream of forged ids cannot hammer the broker),
then it is refused as unknown. A station that fetched the list once verifies codes signed by ``next`` after a
rotation without asking again, and keeps verifying while the broker is down.
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from broker_client.errors import BrokerError
from broker_client.models import CodeKeys
from counter_core.clock import Clock, SystemClock
from counter_core.signed_code import (
    CodeClaims,
    SignedCodeExpired,
    SignedCodeForeignAgency,
    SignedCodeKeyRetired,
    SignedCodeKeysUnavailable,
    SignedCodeNotYetValid,
    SignedCodeUnknownKey,
    VerifyingKey,
    read_signed,
)

log = logging.getLogger(__name__)
CLOCK_SKEW_S = 60  # a station's clock may be this far from the broker's either way (as for request signatures)
ASK_AGAIN_S = 60.0  # the same unknown key id makes the station ask the broker at most this often
RETRY_FAILED_S = 30.0  # a background refresh that failed is tried again after this


@dataclass(frozen=True)
class TrustedKey:
    key: VerifyingKey
    state: str
    signs_from: float
    signs_until: float | None


@dataclass(frozen=True)
class VerifiedCode:
    """A code whose signature, key, times and agency checked out."""

    claims: CodeClaims
    key_id: str
    key_state: str

    @property
    def expires_local(self) -> str:
        """HH:MM of the expiry on this station's clock face (as the kiosk prints it)."""
        return local_time(self.claims.expires_at)


def local_time(epoch: int) -> str:
    return datetime.fromtimestamp(epoch).astimezone().strftime("%H:%M")


def trusted_keys(published: CodeKeys) -> dict[bytes, TrustedKey]:
    """The usable keys of a published list; an entry whose kid is not its key's id is dropped (logged)."""
    keys: dict[bytes, TrustedKey] = {}
    for entry in published.keys:
        try:
            key = VerifyingKey.from_raw(base64.urlsafe_b64decode(entry.x + "="))
        except (ValueError, binascii.Error):
            log.warning("code key %s: not an Ed25519 public key; ignored", entry.kid)
            continue
        if key.kid.hex() != entry.kid:
            log.warning("code key %s: kid does not match its key; ignored", entry.kid)
            continue
        until = entry.signs_until.timestamp() if entry.signs_until is not None else None
        keys[key.kid] = TrustedKey(key, entry.state, entry.signs_from.timestamp(), until)
    return keys


class CodeVerifier:
    def __init__(self, fetch: Callable[[], CodeKeys], clock: Clock | None = None) -> None:
        """``fetch``: the broker's key list (``BrokerClient.code_keys``); ``clock``: this station's time."""
        self._fetch = fetch
        self.clock: Clock = clock or SystemClock()
        self._keys: dict[bytes, TrustedKey] = {}
        self._fetched_at: float | None = None
        self._refresh_s = 3600.0
        self._failed_at: float | None = None
        self._asked_for: dict[bytes, float] = {}
        self._lock = threading.Lock()
        self.fetches = 0  # answered fetches (diagnostics, tests)

    # -- the key list -------------------------------------------------------------------------------
    def refresh(self) -> bool:
        """Fetch the list now; False (keeping the old list) when the broker cannot answer."""
        try:
            published = self._fetch()
        except BrokerError as error:
            log.warning("code keys not fetched: %s", error.key)
            self._failed_at = self.clock.now()
            return False
        keys = trusted_keys(published)
        with self._lock:
            self._keys, self._fetched_at = keys, self.clock.now()
            self._refresh_s, self._failed_at = float(published.refresh_s), None
            self.fetches += 1
        return True

    def refresh_if_stale(self) -> None:
        """For a background thread: fetch when the list is missing or old, not sooner after a failure."""
        now = self.clock.now()
        if self._failed_at is not None and now - self._failed_at < RETRY_FAILED_S:
            return
        if self._fetched_at is None or now - self._fetched_at >= self._refresh_s:
            self.refresh()

    @property
    def key_ids(self) -> list[str]:
        return sorted(kid.hex() for kid in self._keys)

    def _key(self, kid: bytes) -> TrustedKey:
        known = self._keys.get(kid)
        if known is not None:
            return known
        now = self.clock.now()
        with self._lock:
            asked = self._asked_for.get(kid)
            if asked is not None and now - asked < ASK_AGAIN_S:
                raise SignedCodeUnknownKey()
            self._asked_for = {**dict(list(self._asked_for.items())[-31:]), kid: now}
        if not self.refresh():
            raise SignedCodeKeysUnavailable()
        known = self._keys.get(kid)
        if known is None:
            raise SignedCodeUnknownKey()
        return known

    # -- the check ----------------------------------------------------------------------------------
    def verify(self, text: str, agency_id: str | None = None) -> VerifiedCode:
        """The verified claims of a ``MYDATA2:`` text, or a ``SignedCodeError`` saying what is wrong.

        ``agency_id``: the clerk's agency; a code for another agency's service is refused (its ids in the
        error's ``agency_id`` / ``service_id``, for the caller to name)."""
        signed = read_signed(text)
        trusted = self._key(signed.kid)
        trusted.key.verify(signed)
        claims = signed.claims
        if claims.issued_at < trusted.signs_from - CLOCK_SKEW_S or (
            trusted.signs_until is not None and claims.issued_at > trusted.signs_until + CLOCK_SKEW_S
        ):
            raise SignedCodeKeyRetired()
        now = self.clock.now()
        if claims.issued_at > now + CLOCK_SKEW_S:
            raise SignedCodeNotYetValid()
        if now >= claims.expires_at:
            raise SignedCodeExpired(until=local_time(claims.expires_at))
        if agency_id is not None and claims.agency_id != agency_id:
            raise SignedCodeForeignAgency(
                agency=claims.agency_id, service=claims.service_id,
                agency_id=claims.agency_id, service_id=claims.service_id,
            )  # fmt: skip
        return VerifiedCode(claims, signed.kid_hex, trusted.state)
