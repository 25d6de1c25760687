"""The MOICA citizen-certificate card through its vendor's PKCS#11 module (PyKCS11).

Log in with the PIN, read the certificate, sign the broker's challenge. ECDSA keys sign a SHA-256
digest with CKM_ECDSA (raw r||s, converted to DER); RSA keys use CKM_SHA256_RSA_PKCS. The PIN is used
once and wiped; it is never logged.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import PyKCS11
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from counter_core.personal import Personal
from hardware.cards.interface import CardServiceDown, MoicaSignature, NoCard, PinLocked, PinWrong, UnknownCard

_PIN_ERRORS = {PyKCS11.CKR_PIN_INCORRECT, PyKCS11.CKR_PIN_INVALID, PyKCS11.CKR_PIN_LEN_RANGE}


def _tries_left(lib: Any, slot: int) -> int | None:
    flags = lib.getTokenInfo(slot).flags
    if flags & PyKCS11.CKF_USER_PIN_LOCKED:
        return 0
    if flags & PyKCS11.CKF_USER_PIN_FINAL_TRY:
        return 1
    return None  # the token does not say (CKF_USER_PIN_COUNT_LOW only says "some")


def sign_with_token(module: Path, pin: Personal[str], challenge: bytes, token_label: str = "") -> MoicaSignature:
    """Raise ``NoCard``, ``PinWrong`` (tries left when the token tells), ``PinLocked``, ``UnknownCard``.
    The PIN is wiped whatever happens."""
    try:
        return _sign(module, pin, challenge, token_label)
    finally:
        pin.wipe()


def _sign(module: Path, pin: Personal[str], challenge: bytes, token_label: str) -> MoicaSignature:
    lib = PyKCS11.PyKCS11Lib()
    try:
        lib.load(str(module))
    except PyKCS11.PyKCS11Error as exc:
        pin.wipe()
        raise CardServiceDown(detail=f"PKCS#11 module {module}") from exc
    try:
        slots = lib.getSlotList(tokenPresent=True)
        if token_label:
            slots = [s for s in slots if lib.getTokenInfo(s).label.strip() == token_label]
        if not slots:
            raise NoCard()
        slot = slots[0]
        if lib.getTokenInfo(slot).flags & PyKCS11.CKF_USER_PIN_LOCKED:
            raise PinLocked()
        session = lib.openSession(slot, PyKCS11.CKF_SERIAL_SESSION)
        try:
            try:
                session.login(pin.reveal())
            except PyKCS11.PyKCS11Error as exc:
                if exc.value == PyKCS11.CKR_PIN_LOCKED:
                    raise PinLocked() from None
                if exc.value in _PIN_ERRORS:
                    left = _tries_left(lib, slot)
                    if left == 0:
                        raise PinLocked() from None
                    if left is None:
                        raise PinWrong("card.pin_wrong_uncounted") from None
                    raise PinWrong(tries_left=left) from None
                raise
            finally:
                pin.wipe()
            certificates = session.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_CERTIFICATE)])
            keys = session.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY)])
            if not certificates or not keys:
                raise UnknownCard()
            certificate = bytes(session.getAttributeValue(certificates[0], [PyKCS11.CKA_VALUE])[0])
            key_type = session.getAttributeValue(keys[0], [PyKCS11.CKA_KEY_TYPE])[0]
            if key_type == PyKCS11.CKK_EC:
                raw = bytes(
                    session.sign(keys[0], hashlib.sha256(challenge).digest(), PyKCS11.Mechanism(PyKCS11.CKM_ECDSA))
                )
                half = len(raw) // 2
                signature = encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))
            else:
                signature = bytes(session.sign(keys[0], challenge, PyKCS11.Mechanism(PyKCS11.CKM_SHA256_RSA_PKCS)))
            session.logout()
            return MoicaSignature(certificate, signature)
        finally:
            session.closeSession()
    except PyKCS11.PyKCS11Error as exc:
        raise UnknownCard(detail=str(exc.value)) from None
