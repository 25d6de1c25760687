"""Identity methods with a card in the kiosk's reader: the citizen certificate (MOICA), the chip bank card
checked by the third-party verification centre, and the NHI card with its network-service password.

The challenge a card signs is bound to its method (``moica:`` / ``bank_card:`` in the session row) and
works once.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from broker_client import errors
from broker_client.models import IdentityMethod, IdentityStatus
from broker_sandbox.ca import CertificateRejected, verify_bank_card_signature, verify_citizen_signature
from broker_sandbox.citizens import find_by_nhi_card
from broker_sandbox.kiosk_flow import KioskFlow

# The NHI network password is locked like a PIN: NHI_PASSWORD_TRIES wrong in a row → locked for
# NHI_PASSWORD_LOCK_S (or until `sandbox reset`); the right password resets the count.
NHI_PASSWORD_TRIES, NHI_PASSWORD_LOCK_S = 3, 24 * 3600


class CardMethods:
    def __init__(self, flow: KioskFlow) -> None:
        self.flow = flow

    # -- challenges ----------------------------------------------------------------------------------
    def _challenge(self, terminal: str, session_id: str, method: IdentityMethod) -> str:
        self.flow.begin(terminal, session_id, method)
        encoded = base64.b64encode(secrets.token_bytes(32)).decode()
        self.flow.update(session_id, challenge=f"{method}:{encoded}")
        return encoded

    def _take_challenge(self, session: dict[str, Any], method: IdentityMethod) -> bytes:
        stored: str = session["challenge"] or ""
        if not stored.startswith(f"{method}:"):
            raise errors.ChallengeRequired()
        self.flow.update(session["id"], challenge="")  # one signature per challenge
        return base64.b64decode(stored.removeprefix(f"{method}:"))

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.flow.clock.now(), UTC)

    def _signed(
        self,
        terminal: str,
        session: dict[str, Any],
        method: IdentityMethod,
        verify: Callable[[int, bytes, bytes, bytes, datetime], str],
        certificate_b64: str,
        signature_b64: str,
        claimed: str = "",
    ) -> str:
        """What the card's certificate names (national ID, or account), once its signature over this session's
        challenge for ``method`` checks out; a refusal is audited, counted and ``IdentityFailed``."""
        challenge = self._take_challenge(session, method)
        try:
            return verify(
                self.flow.settings.seed,
                base64.b64decode(certificate_b64, validate=True),
                challenge,
                base64.b64decode(signature_b64, validate=True),
                self._now(),
            )
        except (CertificateRejected, ValueError) as exc:
            self.flow.audit.append(f"identity.{method}.failed", terminal=terminal)
            self.flow.attempts.failed(terminal, method, claimed)
            raise errors.IdentityFailed() from exc

    # -- MOICA card ----------------------------------------------------------------------------------
    def moica_challenge(self, terminal: str, session_id: str) -> str:
        return self._challenge(terminal, session_id, "moica")

    def moica_verify(self, terminal: str, session_id: str, certificate_b64: str, signature_b64: str) -> IdentityStatus:
        session = self.flow.begin(terminal, session_id, "moica")
        # the card counts its own PIN tries; a refused signature counts here
        national_id = self._signed(terminal, session, "moica", verify_citizen_signature, certificate_b64, signature_b64)
        if self.flow.citizen(national_id) is None:
            raise errors.UnknownCitizen()
        return self.flow.pass_method(session, "moica", national_id)

    # -- chip bank card (晶片金融卡), the sandbox as the verification centre -----------------------------
    def bank_card_challenge(self, terminal: str, session_id: str) -> str:
        return self._challenge(terminal, session_id, "bank_card")

    def bank_card_verify(
        self, terminal: str, session_id: str, national_id: str, certificate_b64: str, signature_b64: str
    ) -> IdentityStatus:
        # "": the ID this session's first method proved (a second method never asks for it again)
        claimed = national_id.strip().upper() or self.flow.session(session_id, terminal)["national_id"]
        session = self.flow.begin(terminal, session_id, "bank_card", claimed)
        account = self._signed(
            terminal, session, "bank_card", verify_bank_card_signature, certificate_b64, signature_b64, claimed
        )
        citizen = self.flow.citizen(claimed)
        if citizen is None or not hmac.compare_digest(citizen.bank_card_account, account):
            self.flow.audit.append("identity.bank_card.failed", terminal=terminal)
            raise errors.IdentityDetailsWrong(tries_left=self.flow.attempts.failed(terminal, "bank_card", claimed))
        return self.flow.pass_method(session, "bank_card", citizen.national_id)

    # -- NHI card + network-service password (健保卡網路服務註冊) ------------------------------------------
    def nhi_card(self, terminal: str, session_id: str, card_number: str, password: str) -> IdentityStatus:
        card = card_number.strip()
        session = self.flow.begin(terminal, session_id, "nhi_card")
        citizen = find_by_nhi_card(self.flow.settings.seed, self.flow.settings.citizens, card)
        if citizen is None:  # not a card the NHI issued
            self.flow.attempts.failed(terminal, "nhi_card")
            raise errors.IdentityFailed()
        if citizen.nhi_password is None:
            self.flow.attempts.failed(terminal, "nhi_card")
            raise errors.NhiCardNotRegistered()
        table = self.flow.store.db.table("nhi_passwords")
        rows = list(
            self.flow.store.db.query("SELECT * FROM nhi_passwords WHERE national_id = ?", [citizen.national_id])
        )
        failures, locked_until = (rows[0]["failures"], rows[0]["locked_until"]) if rows else (0, 0.0)
        now = self.flow.clock.now()
        if locked_until > now:
            raise errors.NhiPasswordLocked(retry_after_s=int(locked_until - now) + 1)
        if hmac.compare_digest(password.encode(), citizen.nhi_password.encode()):
            table.upsert({"national_id": citizen.national_id, "failures": 0, "locked_until": 0.0}, pk="national_id")
            return self.flow.pass_method(session, "nhi_card", citizen.national_id)
        self.flow.audit.append("identity.nhi_card.failed", terminal=terminal)
        self.flow.attempts.failed(terminal, "nhi_card")
        failures += 1
        if failures >= NHI_PASSWORD_TRIES:
            table.upsert(
                {"national_id": citizen.national_id, "failures": 0, "locked_until": now + NHI_PASSWORD_LOCK_S},
                pk="national_id",
            )
            raise errors.NhiPasswordLocked(retry_after_s=NHI_PASSWORD_LOCK_S)
        table.upsert({"national_id": citizen.national_id, "failures": failures, "locked_until": 0.0}, pk="national_id")
        raise errors.NhiPasswordWrong(tries_left=NHI_PASSWORD_TRIES - failures)
