"""Damm check digits and national-ID checksums: properties over generated inputs."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from counter_core.datacode import (
    code_from_symbol,
    damm_check_digit,
    damm_valid,
    grouped,
    is_valid_code,
    new_code,
    normalise_typed,
    qr_payload,
)
from counter_core.national_id import complete_national_id, is_valid_national_id, masked, random_national_id
from counter_core.personal import Personal

digits = st.text(alphabet="0123456789", min_size=1, max_size=30)


@given(digits)
def test_appending_the_check_digit_always_validates(body: str) -> None:
    assert damm_valid(body + damm_check_digit(body))


@given(digits, st.data())
def test_any_single_digit_typo_is_caught(body: str, data: st.DataObject) -> None:
    code = body + damm_check_digit(body)
    position = data.draw(st.integers(0, len(code) - 1))
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != code[position]]))
    assert not damm_valid(code[:position] + wrong + code[position + 1 :])


@given(digits, st.data())
def test_any_adjacent_swap_of_different_digits_is_caught(body: str, data: st.DataObject) -> None:
    code = body + damm_check_digit(body)
    position = data.draw(st.integers(0, len(code) - 2))
    a, b = code[position], code[position + 1]
    if a != b:
        assert not damm_valid(code[:position] + b + a + code[position + 2 :])


def test_new_codes_are_16_valid_digits_and_differ() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(code) == 16 and is_valid_code(code) for code in codes)


def test_only_valid_mydata_symbols_yield_a_code() -> None:
    code = new_code()
    assert code_from_symbol(qr_payload(code), "QRCode") == code
    assert code_from_symbol(code, "Code128") == code
    assert code_from_symbol(code, "QRCode") is None  # a QR needs the prefix
    assert code_from_symbol(qr_payload(code), "Code128") is None
    assert code_from_symbol("4710088430021", "EAN13") is None
    assert code_from_symbol("https://example.org/", "QRCode") is None
    broken = code[:-1] + str((int(code[-1]) + 1) % 10)
    assert code_from_symbol(qr_payload(broken), "QRCode") is None


def test_typed_codes_are_normalised_and_grouped() -> None:
    code = new_code()
    assert normalise_typed(" " + grouped(code) + "\n") == code
    assert normalise_typed("mydata1:" + code) == code
    assert grouped("1234567890123456") == "1234 5678 9012 3456"


@given(st.integers(0, 2**32))
def test_generated_national_ids_validate_and_a_changed_full_weight_digit_does_not(seed: int) -> None:
    rng = random.Random(seed)
    national_id = random_national_id(rng)
    assert is_valid_national_id(national_id)
    # The weights 7, 3, 1, 1 (positions 2, 6, 8, 9) are coprime to 10: any change there is caught.
    # (Weights 8, 6, 5, 4, 2 miss some changes by design of the national checksum.)
    position = rng.choice((2, 6, 8, 9))
    changed = str((int(national_id[position]) + 1 + rng.randrange(9)) % 10)
    assert not is_valid_national_id(national_id[:position] + changed + national_id[position + 1 :])


def test_known_national_id() -> None:
    assert is_valid_national_id("A123456789")
    assert complete_national_id("A12345678") == "A123456789"
    assert not is_valid_national_id("A123456788")
    assert not is_valid_national_id("A323456789")
    assert masked("A123456789") == "A12****789"


def test_personal_values_never_show_in_repr_or_format() -> None:
    pin = Personal("123456", "PIN")
    assert "123456" not in repr(pin) and "123456" not in f"{pin}" and "123456" not in str([pin])
    assert pin.reveal() == "123456"
    pin.wipe()
    assert pin.wiped
