"""static/kiosk/national_id.js in a real Chromium agrees with counter_core/national_id.py: every generated
ID is valid and the typos the ID's check digit can catch are caught (its even weights miss a digit off by
5: the rule's own limit), on the kiosk's keypad step."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from playwright.sync_api import Page

from counter_core.national_id import LETTER_VALUES, is_valid_national_id, random_national_id

pytestmark = pytest.mark.e2e
SCRIPT = (Path(__file__).resolve().parents[2] / "static" / "kiosk" / "national_id.js").read_text(encoding="utf-8")


def test_the_page_checks_national_ids_as_the_server_does(page: Page) -> None:
    page.set_content("<!doctype html><title>national id</title>")
    page.add_script_tag(content=SCRIPT.replace("export function", "function") + "\nwindow.check = validNationalId;")
    rng = random.Random(20261130)
    ids = [random_national_id(rng) for _ in range(40)]
    typos = [i[:k] + d + i[k + 1 :] for i in ids[:10] for k in range(1, 10) for d in "0123456789" if d != i[k]]
    letters = [letter + i[1:] for i in ids[:10] for letter in LETTER_VALUES if letter != i[0]]
    odd = ["", "A12345678", "A1234567890", "a123456789", " A123456789 ", "A323456789", "１２３"]
    candidates = ids + typos + letters + odd
    verdicts = page.evaluate("(all) => all.map((x) => window.check(x))", candidates)
    assert verdicts == [is_valid_national_id(c) for c in candidates]
    assert all(verdicts[: len(ids)]) and sum(verdicts[len(ids) : len(ids) + len(typos)]) < len(typos) / 5
