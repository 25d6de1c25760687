"""The sandbox certificate authorities: the citizen CA (stand-in for MOICA, 內政部憑證管理中心) and the
bank-card issuer whose cards the third-party verification centre (第三方驗證中心) checks.

Keys are derived deterministically from (seed, label), so a virtual or SoftHSM card made for a citizen and
the sandbox agree without sharing files. Card keys are ECDSA P-256; a card signs the broker's challenge with
ECDSA-SHA256 (DER-encoded signature). A citizen certificate names the national ID (serialNumber); a bank
card's names only its account, and the verification centre knows whose account it is.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import cache

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_NOT_BEFORE = datetime(2024, 1, 1, tzinfo=UTC)
_NOT_AFTER = datetime(2036, 1, 1, tzinfo=UTC)
# issuer kind → (key label, common name)
_ISSUERS = {"citizen": ("ca", "MyData Sandbox Citizen CA"), "bank": ("bank-ca", "MyData Sandbox Bank Card Issuer")}


class CertificateRejected(Exception):
    """The certificate is not from the sandbox CA, is expired, or the signature does not verify."""


def _derive_key(seed: int, label: str) -> ec.EllipticCurvePrivateKey:
    digest = hashlib.sha512(f"mydata-sandbox/{seed}/{label}".encode()).digest()
    scalar = int.from_bytes(digest, "big") % (_P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def _serial(seed: int, label: str) -> int:
    return int.from_bytes(hashlib.sha256(f"serial/{seed}/{label}".encode()).digest()[:16], "big") >> 1


def _issuer_key(seed: int, kind: str) -> ec.EllipticCurvePrivateKey:
    return _derive_key(seed, _ISSUERS[kind][0])


@cache
def _issuer_certificate(seed: int, kind: str) -> x509.Certificate:
    label, common_name = _ISSUERS[kind]
    key = _issuer_key(seed, kind)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "MyData Sandbox"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])  # fmt: skip
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(_serial(seed, label))
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )


def ca_certificate(seed: int) -> x509.Certificate:
    """The citizen CA's certificate."""
    return _issuer_certificate(seed, "citizen")


def _card(
    seed: int, kind: str, label: str, common_name: str, serial_number: str
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = _derive_key(seed, label)
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, serial_number),
    ])  # fmt: skip
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(_issuer_certificate(seed, kind).subject)
        .public_key(key.public_key())
        .serial_number(_serial(seed, serial_number))
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(_issuer_key(seed, kind), hashes.SHA256())
    )
    return key, certificate


@cache
def citizen_credentials(seed: int, national_id: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """The citizen's card key and certificate. The certificate carries the national ID in its
    serialNumber attribute, as MOICA certificates carry an identifier (here: the ID itself)."""
    return _card(seed, "citizen", f"citizen/{national_id}", "MyData Sandbox Citizen", national_id)


@cache
def bank_card_credentials(seed: int, account: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A chip bank card's key and certificate, naming its account (bank code-account number)."""
    return _card(seed, "bank", f"bank/{account}", "MyData Sandbox Bank Card", account)


def sign_challenge(key: ec.EllipticCurvePrivateKey, challenge: bytes) -> bytes:
    return key.sign(challenge, ec.ECDSA(hashes.SHA256()))


def _verified_serial(
    seed: int, kind: str, certificate_der: bytes, challenge: bytes, signature: bytes, now: datetime | None
) -> str:
    try:
        certificate = x509.load_der_x509_certificate(certificate_der)
    except ValueError as exc:
        raise CertificateRejected("not a DER certificate") from exc
    issuer = _issuer_certificate(seed, kind)
    if certificate.issuer != issuer.subject:
        raise CertificateRejected("issuer is not the sandbox CA")
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise CertificateRejected("certificate not signed by the sandbox CA") from exc
    moment = now or datetime.now(UTC)
    if not certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc:
        raise CertificateRejected("certificate not valid now")
    public_key = certificate.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise CertificateRejected("unexpected key type")
    try:
        public_key.verify(signature, challenge, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise CertificateRejected("signature does not verify") from exc
    serials = certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    if not serials:
        raise CertificateRejected("certificate names no holder")
    return str(serials[0].value)


def verify_citizen_signature(
    seed: int, certificate_der: bytes, challenge: bytes, signature: bytes, now: datetime | None = None
) -> str:
    """Check the certificate chains to the citizen CA and is valid now, and the signature over the
    challenge verifies with its key. Returns the national ID the certificate names."""
    return _verified_serial(seed, "citizen", certificate_der, challenge, signature, now)


def verify_bank_card_signature(
    seed: int, certificate_der: bytes, challenge: bytes, signature: bytes, now: datetime | None = None
) -> str:
    """The verification centre's check of a chip bank card: the card's certificate from the sandbox card
    issuer, valid now, and its signature over the challenge. Returns the account the card names."""
    return _verified_serial(seed, "bank", certificate_der, challenge, signature, now)
