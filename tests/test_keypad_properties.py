"""Typed and scanned codes over generated input: the keypad/wedge normaliser and the symbol parser only
ever answer with a valid code or a refusal, accept every honest decoration of a code, and catch typos."""

from __future__ import annotations

import re

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from counter_core.datacode import (
    CODE_LENGTH,
    QR_PREFIX,
    code_from_symbol,
    damm_check_digit,
    grouped,
    is_valid_code,
    normalise_typed,
    qr_payload,
)

ASCII_DIGITS = "0123456789"
FULL_WIDTH_DIGITS = "０１２３４５６７８９"
ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
# What people and wedge scanners put around and between digits: Python's \s (ASCII and Unicode spaces,
# tab, newline, the ideographic space U+3000) and the ASCII / full-width dash.
SEPARATORS = " \t\n\r\u00a0\u3000-－"

codes = st.text(ASCII_DIGITS, min_size=CODE_LENGTH - 1, max_size=CODE_LENGTH - 1).map(
    lambda body: body + damm_check_digit(body)
)
anything = st.one_of(
    st.text(),
    st.text(ASCII_DIGITS + FULL_WIDTH_DIGITS + ARABIC_INDIC_DIGITS + ZERO_WIDTH + SEPARATORS + "MYDATA1:mydata1:🙂"),
    st.text(ASCII_DIGITS + " -", min_size=500, max_size=5000),
)


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@settings(max_examples=200)
@given(anything)
def test_typed_text_of_any_kind_gives_ascii_digits_or_a_refusal(text: str) -> None:
    typed = normalise_typed(text)
    assert isinstance(typed, str)
    assert not re.search(r"[\s\-]", typed)  # separators never survive
    if is_valid_code(typed):
        assert re.fullmatch(r"[0-9]{16}", typed)  # no look-alike digit ever counts as one
    assert grouped(typed).replace(" ", "") == typed


@settings(max_examples=200)
@given(anything, st.sampled_from(["QRCode", "Code128", "EAN13", "", "qrcode"]))
def test_scanned_text_of_any_kind_gives_the_code_it_carries_or_none(text: str, symbology: str) -> None:
    found = code_from_symbol(text, symbology)
    if found is None:
        return
    assert is_valid_code(found)
    assert text == (qr_payload(found) if symbology == "QRCode" else found)  # exactly, nothing around it


@st.composite
def decorated(draw: st.DrawFn, code: str) -> str:
    """``code`` as a person or a scanner might send it: grouped any way, full-width, prefixed, padded."""
    separators = st.text(SEPARATORS, max_size=3)
    pieces = [draw(separators)]
    for digit in code:
        pieces.append(_full_width(digit) if draw(st.booleans()) else digit)
        pieces.append(draw(separators))
    text = "".join(pieces).strip()
    prefix = draw(st.sampled_from(["", QR_PREFIX, QR_PREFIX.lower(), "MyData1:", _full_width(QR_PREFIX)]))
    return draw(st.text(" \t\n\u3000", max_size=3)) + prefix + text + draw(st.text(" \t\r\n\u3000", max_size=3))


@settings(max_examples=200)
@given(codes, st.data())
def test_a_valid_code_survives_grouping_full_width_digits_and_whitespace(code: str, data: st.DataObject) -> None:
    typed = data.draw(decorated(code))
    assert normalise_typed(typed) == code
    assert normalise_typed(grouped(code)) == code
    assert normalise_typed(_full_width(grouped(code))) == code


@settings(max_examples=200)
@given(codes, st.data())
def test_a_single_digit_typo_anywhere_is_refused_even_when_decorated(code: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, CODE_LENGTH - 1))
    wrong = data.draw(st.sampled_from([d for d in ASCII_DIGITS if d != code[position]]))
    typo = code[:position] + wrong + code[position + 1 :]
    assert not is_valid_code(normalise_typed(data.draw(decorated(typo))))
    assert code_from_symbol(qr_payload(typo), "QRCode") is None
    assert code_from_symbol(typo, "Code128") is None


@settings(max_examples=200)
@given(codes, st.data())
def test_swapping_two_adjacent_different_digits_is_refused(code: str, data: st.DataObject) -> None:
    pairs = [i for i in range(CODE_LENGTH - 1) if code[i] != code[i + 1]]
    assume(pairs)  # 0000000000000000 has no pair to swap
    position = data.draw(st.sampled_from(pairs))
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    assert not is_valid_code(normalise_typed(data.draw(decorated(swapped))))
    assert code_from_symbol(qr_payload(swapped), "QRCode") is None


@settings(max_examples=200)
@given(codes, st.data())
def test_a_missing_or_extra_digit_is_refused(code: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, CODE_LENGTH - 1))
    extra = data.draw(st.sampled_from(ASCII_DIGITS))
    for changed in (code[:position] + code[position + 1 :], code[:position] + extra + code[position:]):
        assert not is_valid_code(normalise_typed(changed))
        assert code_from_symbol(changed, "Code128") is None


@settings(max_examples=200)
@given(codes, st.sampled_from(ZERO_WIDTH + "🙂x.٣"), st.integers(0, CODE_LENGTH))
def test_a_foreign_character_inside_a_code_never_yields_another_code(code: str, foreign: str, at: int) -> None:
    # Zero-width characters, emoji, letters, Arabic-Indic digits are not separators: refused, never
    # silently read as a different code.
    typed = normalise_typed(code[:at] + foreign + code[at:])
    assert not is_valid_code(typed)


@settings(max_examples=200)
@given(codes, st.sampled_from(ARABIC_INDIC_DIGITS), st.integers(0, CODE_LENGTH - 1))
def test_look_alike_digits_are_not_digits(code: str, look_alike: str, at: int) -> None:
    typed = normalise_typed(code[:at] + look_alike + code[at + 1 :])
    assert not is_valid_code(typed)


@settings(max_examples=200)
@given(
    codes,
    st.sampled_from(
        [QR_PREFIX.lower(), "MyData1:", " " + QR_PREFIX, QR_PREFIX + " ", "MYDATA2:", "MYDATA:", "MYDATA1"]
    ),
)
def test_only_the_exact_prefix_makes_a_qr_code(code: str, prefix: str) -> None:
    # A QR symbol is machine-made: MYDATA1: exactly, then the 16 digits, nothing else.
    assert code_from_symbol(prefix + code, "QRCode") is None
    assert code_from_symbol(qr_payload(code), "QRCode") == code


@settings(max_examples=200)
@given(codes, st.text(min_size=1, max_size=10).filter(lambda junk: not junk.isspace()))
def test_trailing_junk_after_a_code_is_refused_by_scanner_and_keypad(code: str, junk: str) -> None:
    assert code_from_symbol(qr_payload(code) + junk, "QRCode") is None
    assert code_from_symbol(code + junk, "Code128") is None
    typed = normalise_typed(QR_PREFIX + code + junk)
    assert typed == code + re.sub(r"[\s\-]", "", junk.translate({c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}))
    assert typed == code or not is_valid_code(typed)


@settings(max_examples=200)
@given(codes, st.sampled_from(["", " ", "\t", "\u3000"]), st.sampled_from(["mydata1:", "MyData1:", QR_PREFIX]))
def test_the_keypad_takes_the_prefix_in_any_case_with_space_after_it(code: str, space: str, prefix: str) -> None:
    assert normalise_typed(prefix + space + code) == code
    assert normalise_typed("MYDATA2:" + code) != code  # another prefix is not stripped
    assert not is_valid_code(normalise_typed("MYDATA2:" + code))
    assert not is_valid_code(normalise_typed(QR_PREFIX + QR_PREFIX + code))  # stripped once only
