"""The sandbox certificate authority (stand-in for MOICA, 內政部憑證管理中心).

Keys are derived deterministically from (seed, national ID), so a virtual or SoftHSM card made for
a citizen and the sandbox agree without sharing files. Citizen keys are ECDSA P-256; a card signs the
broker's challenge with ECDSA-SHA256 (DER-encoded signature).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import cache

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_NOT_BEFORE = datetime(2024, 1, 1, tzinfo=UTC)
_NOT_AFTER = datetime(2036, 1, 1, tzinfo=UTC)


class CertificateRejected(Exception):
    """The certificate is not from the sandbox CA, is expired, or the signature does not verify."""


def _derive_key(seed: int, label: str) -> ec.EllipticCurvePrivateKey:
    digest = hashlib.sha512(f"mydata-sandbox/{seed}/{label}".encode()).digest()
    scalar = int.from_bytes(digest, "big") % (_P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def _serial(seed: int, label: str) -> int:
    return int.from_bytes(hashlib.sha256(f"serial/{seed}/{label}".encode()).digest()[:16], "big") >> 1


@cache
def ca_key(seed: int) -> ec.EllipticCurvePrivateKey:
    return _derive_key(seed, "ca")


@cache
def ca_certificate(seed: int) -> x509.Certificate:
    key = ca_key(seed)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "MyData Sandbox"),
        x509.NameAttribute(NameOID.COMMON_NAME, "MyData Sandbox Citizen CA"),
    ])  # fmt: skip
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(_serial(seed, "ca"))
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )


@cache
def citizen_credentials(seed: int, national_id: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """The citizen's card key and certificate. The certificate carries the national ID in its
    serialNumber attribute, as MOICA certificates carry an identifier (here: the ID itself)."""
    key = _derive_key(seed, f"citizen/{national_id}")
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
        x509.NameAttribute(NameOID.COMMON_NAME, "MyData Sandbox Citizen"),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, national_id),
    ])  # fmt: skip
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_certificate(seed).subject)
        .public_key(key.public_key())
        .serial_number(_serial(seed, national_id))
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(ca_key(seed), hashes.SHA256())
    )
    return key, certificate


def private_key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def sign_challenge(key: ec.EllipticCurvePrivateKey, challenge: bytes) -> bytes:
    return key.sign(challenge, ec.ECDSA(hashes.SHA256()))


def verify_citizen_signature(seed: int, certificate_der: bytes, challenge: bytes, signature: bytes) -> str:
    """Check the certificate chains to the sandbox CA and is valid now, and the signature over the
    challenge verifies with its key. Returns the national ID the certificate names."""
    try:
        certificate = x509.load_der_x509_certificate(certificate_der)
    except ValueError as exc:
        raise CertificateRejected("not a DER certificate") from exc
    ca = ca_certificate(seed)
    if certificate.issuer != ca.subject:
        raise CertificateRejected("issuer is not the sandbox CA")
    try:
        certificate.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise CertificateRejected("certificate not signed by the sandbox CA") from exc
    now = datetime.now(UTC)
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise CertificateRejected("certificate not valid now")
    public_key = certificate.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise CertificateRejected("unexpected key type")
    try:
        public_key.verify(signature, challenge, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise CertificateRejected("signature does not verify") from exc
    ids = certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    if not ids:
        raise CertificateRejected("certificate names no citizen")
    return str(ids[0].value)
