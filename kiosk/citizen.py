"""The citizen's own, after the identity check: the contact notices go to (seen, registered, proved with a code
sent there, the main one chosen) and the records of use (使用紀錄). The broker keeps both; the kiosk only passes
them through — records are never stored here, and contacts only masked, in the session, until it ends."""

from __future__ import annotations

import re

from broker_client import BrokerClient, errors
from broker_client.models_citizen import ContactCodeSent, ContactKind, ContactStatus, UsageRecords
from counter_core.errors import CounterError
from kiosk.sessions import KioskSession

KINDS: tuple[ContactKind, ...] = ("phone", "email")


def _kind(value: str) -> ContactKind:
    for kind in KINDS:
        if value == kind:
            return kind
    raise CounterError("kiosk.contact.kind")


def _address(kind: ContactKind, typed: str) -> str:
    """Checked here first, with the broker's own messages, so a typo costs no code."""
    if kind == "phone":
        digits = "".join(ch for ch in typed if ch.isdigit())
        if not re.fullmatch(r"09\d{8}", digits):
            raise errors.ContactPhoneInvalid()
        return digits
    address = typed.strip()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address) or len(address) > 254:
        raise errors.ContactEmailInvalid()
    return address


class CitizenSteps:
    def __init__(self, broker: BrokerClient) -> None:
        self.broker = broker

    @staticmethod
    def _proved(state: KioskSession) -> None:
        if not state.verified:
            raise errors.IdentityRequired()

    def contact(self, state: KioskSession) -> ContactStatus:
        self._proved(state)
        state.contact = self.broker.contact_status(state.broker_session)
        return state.contact

    def send_code(self, state: KioskSession, kind: str, address: str) -> ContactCodeSent:
        self._proved(state)
        chosen = _kind(kind)
        return self.broker.contact_send_code(state.broker_session, chosen, _address(chosen, address))

    def verify(self, state: KioskSession, kind: str, code: str) -> ContactStatus:
        self._proved(state)
        digits = "".join(ch for ch in code if ch.isdigit())[:6]
        state.contact = self.broker.contact_verify(state.broker_session, _kind(kind), digits)
        return state.contact

    def primary(self, state: KioskSession, kind: str) -> ContactStatus:
        self._proved(state)
        state.contact = self.broker.contact_primary(state.broker_session, _kind(kind))
        return state.contact

    def records(self, state: KioskSession) -> UsageRecords:
        """Straight from the broker to the page: nothing of it is kept on the kiosk."""
        self._proved(state)
        return self.broker.usage_records(state.broker_session)
