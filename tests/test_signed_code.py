"""The signed data code's format (counter_core.signed_code): it verifies offline with the broker's public key,
every altered field or borrowed signature fails, and bad input of any kind is a typed error, never a crash."""

from __future__ import annotations

import base45
import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counter_core.datacode import code_from_symbol, damm_check_digit
from counter_core.signed_code import (
    CLAIM_MYDATA,
    CodeClaims,
    SignedCodeBadSignature,
    SignedCodeError,
    SignedCodeMalformed,
    SignedCodeWrongVersion,
    VerifyingKey,
    key_id,
    read_signed,
    sign_code,
)

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))  # a test key, trusted by nothing
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
CODE = "482109375516204" + damm_check_digit("482109375516204")
CLAIMS = CodeClaims(
    CODE,
    "hualien",
    "hualien-disabled-parking",
    ("household_personal", "disability", "vehicles"),
    1795999000,
    1795999600,
)


def _parts(text: str) -> list[object]:
    tag = cbor2.loads(base45.b45decode(text[len("MYDATA2:") :]))
    return list(tag.value)


def _text(parts: list[object]) -> str:
    encoded: bytes = base45.b45encode(cbor2.dumps(cbor2.CBORTag(18, parts)))
    return "MYDATA2:" + encoded.decode()


def test_a_signed_code_verifies_offline_with_the_brokers_public_key_alone() -> None:
    text = sign_code(CLAIMS, KEY)
    assert text.startswith("MYDATA2:") and len(text) < 330  # a QR of version 10 at most (ECC M)
    signed = read_signed(text)
    VerifyingKey(KEY.public_key()).verify(signed)
    assert signed.claims == CLAIMS and signed.kid == key_id(KEY)
    assert code_from_symbol(text, "QRCode") == CODE  # what a decoder reports: the 16 digits inside
    assert code_from_symbol(text, "Code128") is None


def test_signing_is_deterministic_so_a_code_asked_again_prints_the_same_qr() -> None:
    assert sign_code(CLAIMS, KEY) == sign_code(CLAIMS, KEY)


@pytest.mark.parametrize(
    "field,value",
    [
        (0, "482109375516206" + damm_check_digit("482109375516206")),
        (1, "bli"),
        (2, "hualien-other-service"),
        (3, ["household_personal"]),
    ],
    ids=["code", "agency", "service", "datasets"],
)
def test_each_altered_mydata_claim_fails_the_signature(field: int, value: object) -> None:
    parts = _parts(sign_code(CLAIMS, KEY))
    claims = cbor2.loads(parts[2])  # type: ignore[arg-type]
    mydata = list(claims[CLAIM_MYDATA])
    assert mydata[field] != value
    mydata[field] = value
    claims[CLAIM_MYDATA] = mydata
    parts[2] = cbor2.dumps(claims)
    altered = read_signed(_text(parts))  # still a well-formed code …
    with pytest.raises(SignedCodeBadSignature):  # … that the broker did not sign
        VerifyingKey(KEY.public_key()).verify(altered)


@pytest.mark.parametrize("claim,delta", [(4, 3600), (6, -60)], ids=["later-expiry", "earlier-issue"])
def test_altered_times_fail_the_signature(claim: int, delta: int) -> None:
    parts = _parts(sign_code(CLAIMS, KEY))
    claims = cbor2.loads(parts[2])  # type: ignore[arg-type]
    claims[claim] += delta
    parts[2] = cbor2.dumps(claims)
    with pytest.raises(SignedCodeBadSignature):
        VerifyingKey(KEY.public_key()).verify(read_signed(_text(parts)))


def test_another_key_id_or_another_key_fails() -> None:
    parts = _parts(sign_code(CLAIMS, KEY))
    parts[0] = cbor2.dumps({1: -8, 4: key_id(OTHER_KEY)})
    with pytest.raises(SignedCodeBadSignature):
        VerifyingKey(OTHER_KEY.public_key()).verify(read_signed(_text(parts)))
    with pytest.raises(SignedCodeBadSignature):  # the right bytes, checked with a key that did not sign them
        VerifyingKey(OTHER_KEY.public_key()).verify(read_signed(sign_code(CLAIMS, KEY)))


def test_the_signature_of_another_payload_is_refused() -> None:
    other = CodeClaims(
        CODE, "bli", "bli-unemployment", ("household_personal", "labour_insurance"), 1795999000, 1795999600
    )
    mine, theirs = _parts(sign_code(CLAIMS, KEY)), _parts(sign_code(other, KEY))
    mine[3] = theirs[3]
    with pytest.raises(SignedCodeBadSignature):
        VerifyingKey(KEY.public_key()).verify(read_signed(_text(mine)))


def test_every_truncation_of_a_code_is_a_typed_error() -> None:
    text = sign_code(CLAIMS, KEY)
    for end in range(len(text)):
        with pytest.raises(SignedCodeError):
            read_signed(text[:end])


@pytest.mark.parametrize(
    "text,error",
    [
        ("MYDATA3:ABC", SignedCodeWrongVersion),
        ("MYDATA12:ABC", SignedCodeWrongVersion),
        ("MYDATA1:" + CODE, SignedCodeMalformed),
        ("mydata2:ABC", SignedCodeMalformed),
        ("HC1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEMWK4MI6UOS03CR8", SignedCodeMalformed),
        ("MYDATA2:" + CODE, SignedCodeMalformed),
    ],
)
def test_wrong_prefixes_and_foreign_formats_are_typed_errors(text: str, error: type[SignedCodeError]) -> None:
    with pytest.raises(error):
        read_signed(text)


def test_trailing_bytes_or_a_trailing_newline_are_refused() -> None:
    text = sign_code(CLAIMS, KEY)
    message = base45.b45decode(text[8:])
    with pytest.raises(SignedCodeMalformed):
        read_signed("MYDATA2:" + base45.b45encode(message + b"\x00").decode())
    with pytest.raises(SignedCodeMalformed):
        read_signed(text + "\n")


def test_claims_of_the_wrong_shape_are_refused_before_any_signature_check() -> None:
    parts = _parts(sign_code(CLAIMS, KEY))
    for payload in (
        {4: 1, 6: 2},  # no MyData claims
        {4: 1795999600, 6: 1795999000, CLAIM_MYDATA: ["12", "a", "s", ["d"]]},  # not a 16-digit code
        {4: 1795999000, 6: 1795999600, CLAIM_MYDATA: [CODE, "a", "s", ["d"]]},  # expires before it was issued
        {4: 1795999600, 6: 1795999000, CLAIM_MYDATA: [CODE, "a", "s", []]},  # no datasets
        {4: True, 6: 1795999000, CLAIM_MYDATA: [CODE, "a", "s", ["d"]]},  # not a time
        [1, 2, 3],
    ):
        parts[2] = cbor2.dumps(payload)
        with pytest.raises(SignedCodeMalformed):
            read_signed(_text(parts))


_VALID = sign_code(CLAIMS, KEY)
_MESSAGE = base45.b45decode(_VALID[8:])
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def _verify_or_refuse(text: str) -> None:
    """What the clerk station does with a scanned text: a typed refusal or the genuine claims."""
    try:
        signed = read_signed(text)
        VerifyingKey(KEY.public_key()).verify(signed)
    except SignedCodeError:
        return
    assert signed.claims == CLAIMS  # only the untouched code may pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(alphabet=_ALPHABET, max_size=400).map(lambda t: "MYDATA2:" + t),
        st.binary(max_size=300).map(lambda b: "MYDATA2:" + base45.b45encode(b).decode()),
        st.tuples(st.integers(0, len(_MESSAGE) - 1), st.integers(1, 255)).map(
            lambda f: (
                "MYDATA2:"
                + base45.b45encode(_MESSAGE[: f[0]] + bytes([_MESSAGE[f[0]] ^ f[1]]) + _MESSAGE[f[0] + 1 :]).decode()
            )
        ),
        st.tuples(st.integers(0, len(_MESSAGE)), st.binary(min_size=1, max_size=8)).map(
            lambda f: "MYDATA2:" + base45.b45encode(_MESSAGE[: f[0]] + f[1] + _MESSAGE[f[0] :]).decode()
        ),
        st.text(max_size=60),
    )
)
def test_fuzzed_scans_are_refused_with_a_typed_error_never_a_crash(text: str) -> None:
    _verify_or_refuse(text)
    assert code_from_symbol(text, "QRCode") in (None, CODE)


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.binary(max_size=20) | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.integers(-70000, 10), inner, max_size=5),
        max_leaves=12,
    )
)
def test_any_cbor_in_a_cose_envelope_is_a_typed_error(payload: object) -> None:
    parts = _parts(_VALID)
    parts[2] = cbor2.dumps(payload)
    _verify_or_refuse(_text(parts))
    parts = _parts(_VALID)
    parts[0] = cbor2.dumps(payload)
    _verify_or_refuse(_text(parts))
