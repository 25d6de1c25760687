"""static/code_entry.js in a real Chromium: its Damm check agrees with mydata_counter/datacode.py on every
code and catches every single-digit typo and adjacent swap; the wedge detector tells a scanner's burst
from a person typing."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from playwright.sync_api import Page

from counter_core.datacode import damm_check_digit, damm_valid, grouped, new_code

pytestmark = pytest.mark.e2e
SCRIPT = (Path(__file__).resolve().parents[2] / "static" / "code_entry.js").read_text(encoding="utf-8")


@pytest.fixture
def entry(page: Page) -> Page:
    page.set_content("<!doctype html><title>code entry</title>")
    page.add_script_tag(content=SCRIPT)
    return page


def _variants(code: str) -> list[str]:
    typos = [code[:i] + d + code[i + 1 :] for i in range(16) for d in "0123456789" if d != code[i]]
    swaps = [code[:i] + code[i + 1] + code[i] + code[i + 2 :] for i in range(15) if code[i] != code[i + 1]]
    return typos + swaps


def test_js_damm_agrees_with_python_and_catches_typos_and_swaps(entry: Page) -> None:
    rng = random.Random(9)
    codes = [new_code() for _ in range(20)]
    variants = [v for code in codes[:5] for v in _variants(code)]
    randoms = ["".join(rng.choice("0123456789") for _ in range(16)) for _ in range(300)]
    candidates = codes + variants + randoms
    js = entry.evaluate("(codes) => codes.map((c) => CodeEntry.dammValid(c))", candidates)
    assert js == [damm_valid(c) for c in candidates]
    assert all(js[: len(codes)])
    assert not any(js[len(codes) : len(codes) + len(variants)])


def test_js_check_names_the_reason_and_reads_qr_payloads(entry: Page) -> None:
    body = "123456789012345"
    code = body + damm_check_digit(body)
    wrong = body + str((int(damm_check_digit(body)) + 1) % 10)
    result = entry.evaluate(
        "([c, w]) => [CodeEntry.check('MYDATA1:' + c), CodeEntry.check(w), CodeEntry.check('1234 5678'),"
        " CodeEntry.grouped(CodeEntry.digitsOnly(c + '99'))]",
        [code, wrong],
    )
    assert result[0] == {"ok": True, "reason": "", "digits": code}
    assert result[1]["reason"] == "typo" and not result[1]["ok"]
    assert result[2]["reason"] == "incomplete"
    assert result[3] == grouped(code)


BURST = """([text, gapMs]) => {
  const scans = [];
  const wedge = new CodeEntry.WedgeDetector((burst) => scans.push(burst));
  let t = 1000;
  for (const key of text.split("").concat(["Enter"])) { t += gapMs; wedge.key({key, timeStamp: t}); }
  return scans;
}"""


def test_wedge_burst_is_a_scan_but_typing_followed_by_enter_is_not(entry: Page) -> None:
    code = new_code()
    assert entry.evaluate(BURST, [code, 8]) == [code]
    assert entry.evaluate(BURST, [code, 120]) == []  # a person typing
    assert entry.evaluate(BURST, [code[:10], 8]) == []  # too short for a code
