"""The log redaction filter removes every kind of personal value from log lines."""

from __future__ import annotations

import io
import json
import logging

import pytest

from counter_core.logs import JsonFormatter
from counter_core.redaction import REDACTED, RedactionFilter, redact_text

PERSONAL_LINES = {
    "national id": ("citizen A123456789 verified", "A123456789"),
    "resident id (new format)": ("resident F800012345 verified", "F800012345"),
    "data code": ("redeemed 4821 0937 5516 2048", "4821 0937 5516 2048"),
    "data code ungrouped": ("redeemed 4821093755162048", "4821093755162048"),
    "qr payload": ("scanned MYDATA1:4821093755162048", "4821093755162048"),
    "nhi card number": ("card 000012345678 read", "000012345678"),
    "mobile": ("otp sent to 0912-345-678", "0912-345-678"),
    "mobile intl": ("otp sent to +886 912 345 678", "912 345 678"),
    "email": ("mail to wang.xm@example.com.tw", "wang.xm@example.com.tw"),
    "pin assignment": ("login pin=246810 failed", "246810"),
    "otp assignment": ("otp: 482913 accepted", "482913"),
    "han name": ("王小明 approved the push", "王小明"),
    "compound surname": ("歐陽娜娜 approved the push", "歐陽娜娜"),
    "quoted name field": ('name="陳美玲" shown', "陳美玲"),
}


@pytest.mark.parametrize("line,secret", PERSONAL_LINES.values(), ids=PERSONAL_LINES.keys())
def test_personal_values_are_removed_from_free_text(line: str, secret: str) -> None:
    cleaned = redact_text(line)
    assert secret not in cleaned
    assert REDACTED in cleaned


@pytest.mark.parametrize(
    "line",
    [
        "serving kiosk on http://127.0.0.1:8701",
        "redeem took 12 ms, status 200",
        "terminal kiosk-demo-01 ok",
        "設定錯誤 / config error in /etc/mydata-counter/config.toml",
    ],
)
def test_technical_lines_stay_readable(line: str) -> None:
    assert redact_text(line) == line


def _log_through_filter(message: str, *args: object, event: dict[str, object] | None = None) -> dict[str, object]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactionFilter())
    logger = logging.getLogger(f"test.redaction.{id(stream)}")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.info(message, *args, extra={"event": event} if event else None)
    parsed: dict[str, object] = json.loads(stream.getvalue())
    return parsed


def test_arguments_of_a_log_call_are_redacted() -> None:
    entry = _log_through_filter("citizen %s pin %s", "A123456789", "pin=1234")
    assert "A123456789" not in json.dumps(entry, ensure_ascii=False)
    assert "1234" not in str(entry["message"])


def test_structured_event_fields_with_personal_keys_are_redacted_whatever_they_hold() -> None:
    entry = _log_through_filter(
        "redeemed",
        event={
            "national_id": "x",
            "name": "Wang",
            "code": "1",
            "terminal": "clerk-01",
            "datasets": ["household"],
            "detail": {"phone": "n/a", "ms": 12},
        },
    )
    assert entry["national_id"] == entry["name"] == entry["code"] == REDACTED
    assert entry["terminal"] == "clerk-01"
    assert entry["datasets"] == ["household"]
    assert entry["detail"] == {"phone": REDACTED, "ms": 12}


def test_exception_messages_in_tracebacks_are_redacted() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactionFilter())
    logger = logging.getLogger("test.redaction.exc")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        raise ValueError("bad citizen A123456789")
    except ValueError:
        logger.exception("lookup failed")
    entry = json.loads(stream.getvalue())
    assert "A123456789" not in entry["exception"]
    assert "ValueError" in entry["exception"]
