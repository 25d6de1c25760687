"""SoftHSM2 tokens that stand in for MOICA cards in tests and the demo: a token per citizen holding the
sandbox CA's key and certificate for them, reached through the same PKCS#11 path as a real card."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import PyKCS11
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")
P256_OID_DER = bytes.fromhex("06082A8648CE3D030107")
SO_PIN = "87654321"


@dataclass(frozen=True)
class SoftToken:
    config: Path  # point SOFTHSM2_CONF here before loading the module
    label: str


def create_token(
    folder: Path, label: str, pin: str, key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate
) -> SoftToken:
    tokens = folder / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    config = folder / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    env = {**os.environ, "SOFTHSM2_CONF": str(config)}
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", SO_PIN],
        check=True,
        capture_output=True,
        env=env,
    )
    os.environ["SOFTHSM2_CONF"] = str(config)
    # SoftHSM2 reads its config once per process: import the objects in a fresh process, so a module loaded
    # earlier (with another token folder) is never the one we talk to.
    worker = multiprocessing.get_context("spawn").Process(
        target=_import_objects,
        args=(label, pin, key.private_numbers().private_value, certificate.public_bytes(Encoding.DER)),
    )
    worker.start()
    worker.join(60)
    if worker.exitcode != 0:
        raise RuntimeError(f"importing the key and certificate into token {label} failed")
    return SoftToken(config, label)


def _import_objects(label: str, pin: str, private_value: int, certificate_der: bytes) -> None:
    certificate = x509.load_der_x509_certificate(certificate_der)
    lib = PyKCS11.PyKCS11Lib()
    lib.load(str(MODULE))
    slot = next(s for s in lib.getSlotList(tokenPresent=True) if lib.getTokenInfo(s).label.strip() == label)
    session = lib.openSession(slot, PyKCS11.CKF_SERIAL_SESSION | PyKCS11.CKF_RW_SESSION)
    session.login(pin)
    scalar = private_value.to_bytes(32, "big")
    object_id = (1,)
    session.createObject([
        (PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY), (PyKCS11.CKA_KEY_TYPE, PyKCS11.CKK_EC),
        (PyKCS11.CKA_TOKEN, True), (PyKCS11.CKA_PRIVATE, True), (PyKCS11.CKA_SIGN, True),
        (PyKCS11.CKA_EC_PARAMS, P256_OID_DER), (PyKCS11.CKA_VALUE, scalar), (PyKCS11.CKA_ID, object_id),
        (PyKCS11.CKA_LABEL, "citizen key"),
    ])  # fmt: skip
    session.createObject([
        (PyKCS11.CKA_CLASS, PyKCS11.CKO_CERTIFICATE), (PyKCS11.CKA_CERTIFICATE_TYPE, PyKCS11.CKC_X_509),
        (PyKCS11.CKA_TOKEN, True), (PyKCS11.CKA_VALUE, certificate.public_bytes(Encoding.DER)),
        (PyKCS11.CKA_SUBJECT, certificate.subject.public_bytes()), (PyKCS11.CKA_ID, object_id),
        (PyKCS11.CKA_LABEL, "citizen certificate"),
    ])  # fmt: skip
    session.logout()
    session.closeSession()
