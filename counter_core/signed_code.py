"""The signed data code: the receipt's QR proves by itself that the broker issued it, for which agency and
service, and until when (issue #21; like the EU digital COVID certificate's ``HC1:``).

Text in the QR: ``MYDATA2:`` + base45 (RFC 9285) of a COSE_Sign1 (RFC 9052, tag 18) signed with the broker's
Ed25519 key (alg EdDSA, -8), whose payload is a CWT claims set (RFC 8392)::

    18([ h'A2 01 27 04 48 <kid, 8 bytes>',   protected: {1 (alg): -8 (EdDSA), 4 (kid): kid}
         {},                                  unprotected: empty
         h'<claims>',                         {4 (exp): uint, 6 (iat): uint,
                                               -65537: [code (16-digit text), agency id, service id, [dataset ids]]}
         h'<64-byte Ed25519 signature>' ])    over ["Signature1", protected, h'', claims] (Sig_structure)

-65537 is the first private-use claim key (RFC 8392 §9.1: below -65536); one array under it keeps the
MyData claims small. ``kid`` = the first 8 bytes of SHA-256 over the raw 32-byte public key. base45 uses only
the QR code's alphanumeric characters, so the whole text is encoded in alphanumeric mode (5.5 bits a
character) — a receipt's QR stays at version 9-10 (53-57 modules). The broker's verification keys are one
operation of the protocol (``GET /code-keys``, docs/broker-api.yaml).

This module is pure: it builds, reads and checks the text, given keys. Which keys to trust, when to fetch them
and the rules of time and agency are the clerk's (``broker_client.code_keys``). The COSE layer (Sig_structure,
signing, signature checks) is python-cwt's; the structure is read here first, strictly, so anything a library
might trip on is refused before it gets there. Every malformed input is a ``SignedCodeError``, never a crash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Final

import base45
import cbor2
import cwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from counter_core.datacode import CODE_LENGTH, SIGNED_PREFIX, is_valid_code
from counter_core.errors import CounterError

VERSIONED_PREFIX: Final = "MYDATA"  # MYDATA<n>: — a version this station may not know yet
COSE_SIGN1_TAG: Final = 18
ALG_EDDSA: Final = -8
HEADER_ALG, HEADER_KID = 1, 4
CLAIM_EXP, CLAIM_IAT = 4, 6
CLAIM_MYDATA: Final = -65537  # first private-use CWT claim key
KID_BYTES: Final = 8
MAX_TEXT: Final = 1200  # far above any code (≈ 300 characters); longer text is refused unread
MAX_ID: Final = 64
MAX_DATASETS: Final = 32


class SignedCodeError(CounterError):
    """Why a signed code was refused. Each carries its message key; none is a crash."""

    key = "code.signed.malformed"


class SignedCodeMalformed(SignedCodeError):
    """Truncated, not base45, not a COSE_Sign1, or claims of the wrong shape."""

    key = "code.signed.malformed"


class SignedCodeWrongVersion(SignedCodeError):
    """``MYDATA<n>:`` with a version this station does not read."""

    key = "code.signed.version"


class SignedCodeBadSignature(SignedCodeError):
    """The signature is not the broker's over these bytes: altered or forged."""

    key = "code.signed.forged"


class SignedCodeUnknownKey(SignedCodeError):
    """Signed with a key the broker does not publish (after one refresh of the published keys)."""

    key = "code.signed.unknown_key"


class SignedCodeKeyRetired(SignedCodeError):
    """Signed with a published key, but at a time that key did not sign (before it was made, after it was
    retired): a retired key that leaked cannot make new receipts."""

    key = "code.signed.key_retired"


class SignedCodeKeysUnavailable(SignedCodeError):
    """The key is not known here yet and the broker cannot be asked for its keys now."""

    key = "code.signed.keys_unavailable"


class SignedCodeExpired(SignedCodeError):
    key = "code.signed.expired"


class SignedCodeNotYetValid(SignedCodeError):
    """Issued later than this station's clock allows: the station's clock is wrong, or the code is."""

    key = "code.signed.future"


class SignedCodeForeignAgency(SignedCodeError):
    key = "code.signed.foreign_agency"


@dataclass(frozen=True)
class CodeClaims:
    """What the broker signed. Times are seconds since the epoch (CWT NumericDate)."""

    code: str = field(repr=False)
    agency_id: str
    service_id: str
    dataset_ids: tuple[str, ...]
    issued_at: int
    expires_at: int


@dataclass(frozen=True)
class SignedCode:
    """A signed code read but not yet verified: its claims, the key id to verify it with and the COSE bytes."""

    claims: CodeClaims
    kid: bytes
    message: bytes = field(repr=False)

    @property
    def kid_hex(self) -> str:
        return self.kid.hex()


def raw_public_key(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    """The ``kid`` of a key: SHA-256 over its raw public bytes, first 8 bytes (the DCC's way)."""
    return hashlib.sha256(raw_public_key(key)).digest()[:KID_BYTES]


def _cose_key(key: Ed25519PublicKey | Ed25519PrivateKey) -> Any:
    # kty OKP, kid, alg EdDSA, crv Ed25519, x
    params: dict[int, Any] = {1: 1, 2: key_id(key), 3: ALG_EDDSA, -1: 6, -2: raw_public_key(key)}
    if isinstance(key, Ed25519PrivateKey):
        params[-4] = key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
    return cwt.COSEKey.new(params)


def _claims_payload(claims: CodeClaims) -> bytes:
    # the code as text: its leading zeros are part of it (an unsigned integer would save 8 bytes, not a version)
    mydata = [claims.code, claims.agency_id, claims.service_id, list(claims.dataset_ids)]
    return cbor2.dumps({CLAIM_EXP: claims.expires_at, CLAIM_IAT: claims.issued_at, CLAIM_MYDATA: mydata})


def sign_code(claims: CodeClaims, key: Ed25519PrivateKey) -> str:
    """The QR text for ``claims`` signed with ``key`` (deterministic: Ed25519 signs the same bytes the same)."""
    if not is_valid_code(claims.code):
        raise ValueError("not a valid data code")
    protected = {HEADER_ALG: ALG_EDDSA, HEADER_KID: key_id(key)}
    message = cwt.COSE.new().encode_and_sign(_claims_payload(claims), _cose_key(key), protected=protected)
    assert isinstance(message, bytes)
    encoded: bytes = base45.b45encode(message)
    return SIGNED_PREFIX + encoded.decode("ascii")


def is_signed_text(text: str) -> bool:
    """Does ``text`` claim to be a versioned MyData QR other than the unsigned ``MYDATA1:``?"""
    head, colon, _ = text.partition(":")
    return bool(colon) and head.startswith(VERSIONED_PREFIX) and head[6:].isdigit() and head != "MYDATA1"


def _text(value: Any, limit: int = MAX_ID) -> str:
    if not isinstance(value, str) or not value or len(value) > limit or not value.isprintable():
        raise SignedCodeMalformed()
    return value


def _time(value: Any) -> int:
    if type(value) is not int or not 0 < value < 2**40:  # bool is not a time; CWT NumericDate, whole seconds
        raise SignedCodeMalformed()
    return value


def _claims(payload: Any) -> CodeClaims:
    try:
        claims = cbor2.loads(payload)
    except Exception:  # cbor2 raises its own errors, ValueError, EOFError … on bad bytes
        raise SignedCodeMalformed() from None
    if not isinstance(claims, dict) or set(claims) != {CLAIM_EXP, CLAIM_IAT, CLAIM_MYDATA}:
        raise SignedCodeMalformed()
    mydata = claims[CLAIM_MYDATA]
    if not isinstance(mydata, list) or len(mydata) != 4 or not isinstance(mydata[3], list):
        raise SignedCodeMalformed()
    code = _text(mydata[0], CODE_LENGTH)
    if not is_valid_code(code):
        raise SignedCodeMalformed()
    datasets = mydata[3]
    if not 0 < len(datasets) <= MAX_DATASETS:
        raise SignedCodeMalformed()
    issued, expires = _time(claims[CLAIM_IAT]), _time(claims[CLAIM_EXP])
    if expires <= issued:
        raise SignedCodeMalformed()
    return CodeClaims(code, _text(mydata[1]), _text(mydata[2]), tuple(_text(d) for d in datasets), issued, expires)


def read_signed(text: str) -> SignedCode:
    """The claims and key id of a signed code's text, checked for shape only (not for its signature)."""
    if not text.startswith(SIGNED_PREFIX):
        raise SignedCodeWrongVersion() if is_signed_text(text) else SignedCodeMalformed()
    if len(text) > MAX_TEXT:
        raise SignedCodeMalformed()
    try:
        body = text[len(SIGNED_PREFIX) :]
        if body.endswith("\n"):  # base45 would drop a trailing newline; a symbol's text is taken exactly
            raise SignedCodeMalformed()
        message = base45.b45decode(body)
        decoded = cbor2.loads(message)
    except Exception:  # base45: ValueError; cbor2: its decode errors, EOFError …
        raise SignedCodeMalformed() from None
    if not isinstance(decoded, cbor2.CBORTag) or decoded.tag != COSE_SIGN1_TAG:
        raise SignedCodeMalformed()
    parts = decoded.value
    if not isinstance(parts, list) or len(parts) != 4:
        raise SignedCodeMalformed()
    protected, unprotected, payload, signature = parts
    if not (isinstance(protected, bytes) and isinstance(payload, bytes) and isinstance(signature, bytes)):
        raise SignedCodeMalformed()
    if unprotected != {} or len(signature) != 64:
        raise SignedCodeMalformed()
    try:
        header = cbor2.loads(protected)
    except Exception:
        raise SignedCodeMalformed() from None
    if not isinstance(header, dict) or set(header) != {HEADER_ALG, HEADER_KID} or header[HEADER_ALG] != ALG_EDDSA:
        raise SignedCodeMalformed()
    kid = header[HEADER_KID]
    if not isinstance(kid, bytes) or len(kid) != KID_BYTES:
        raise SignedCodeMalformed()
    if cbor2.dumps(decoded) != message:  # one encoding only: nothing trails it, no alternative forms
        raise SignedCodeMalformed()
    return SignedCode(_claims(payload), kid, message)


class VerifyingKey:
    """A broker public key ready to check codes with (its COSE key and context built once, not per code)."""

    def __init__(self, key: Ed25519PublicKey) -> None:
        self.public = key
        self.kid = key_id(key)
        self._cose = _cose_key(key)
        self._context = cwt.COSE.new()  # making one costs more than a verification; decoding keeps no state

    @classmethod
    def from_raw(cls, raw: bytes) -> VerifyingKey:
        return cls(Ed25519PublicKey.from_public_bytes(raw))

    def verify(self, signed: SignedCode) -> None:
        """Raises ``SignedCodeBadSignature`` unless this key signed exactly these bytes."""
        if self.kid != signed.kid:
            raise SignedCodeBadSignature()
        try:
            self._context.decode(signed.message, self._cose)
        except cwt.exceptions.VerifyError:
            raise SignedCodeBadSignature() from None
        except Exception:  # a message read_signed let through that the library still refuses
            raise SignedCodeMalformed() from None


def code_in_text(text: str) -> str | None:
    """The 16 digits a signed QR carries, if it is well formed (decoders: which code is this symbol?).

    Not a verification: whether the broker signed it is the clerk station's check, with the broker's keys."""
    try:
        return read_signed(text).claims.code
    except SignedCodeError:
        return None


SAMPLE_KEY_SEED: Final = hashlib.sha256(b"mydata-counter sample code key; trusted by no station").digest()


def sample_signed_text(code: str, issued_at: int, expires_at: int) -> str:
    """A signed code for sample receipts, test prints and benchmarks: the real format and size (the Hualien
    parking permit's claims), signed with a fixed key that no broker publishes, so no station accepts it."""
    claims = CodeClaims(
        code, "hualien", "hualien-disabled-parking", ("household_personal", "disability", "vehicles"),
        issued_at, expires_at,
    )  # fmt: skip
    return sign_code(claims, Ed25519PrivateKey.from_private_bytes(SAMPLE_KEY_SEED))
