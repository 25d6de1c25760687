"""Remove personal values from log records before they are written.

Two nets: values under personal keys in structured events are replaced whatever they look like, and
free text is scanned for the shapes personal values take (national IDs, data codes, NHI card numbers,
phone numbers, e-mail addresses, PIN assignments, household numbers). ``Personal`` values already
print as ``<…: redacted>``; this filter catches what slipped past.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Final

REDACTED: Final = "[redacted]"

PERSONAL_KEYS: Final = frozenset(
    {
        "national_id", "id_number", "citizen_id", "name", "citizen_name", "birth_date", "birthday",
        "phone", "mobile", "email", "e_mail", "address", "pin", "password", "otp", "code", "data_code",
        "household_number", "nhi_card_number", "card_number", "value", "values", "certificate",
    }
)  # fmt: skip

# The most common surnames in Taiwan (about 95 % of the population). Log messages are English;
# a run of 2-4 Han characters starting with one of these is treated as a name. Redacting a place or
# agency name by mistake is the safe error.
_SURNAMES: Final = (
    "陳林黃張李王吳劉蔡楊許鄭謝洪郭邱曾廖賴徐周葉蘇莊呂江何蕭羅高潘簡朱鍾游彭詹胡施沈余盧梁趙顏柯翁魏孫"
    "戴范方宋鄧杜傅侯曹薛丁卓阮馬董温唐藍石蔣古紀姚連馮歐程湯黄田康姜白汪鄒尤巫鐘黎涂龔嚴韓袁金童陸夏柳凃邵"
)

_PATTERNS: Final = (
    # Han personal names (see _SURNAMES); 歐陽/司馬-style compound surnames are covered by the run length
    re.compile(rf"[{_SURNAMES}][\u4e00-\u9fff]{{1,3}}"),
    # national ID: a letter, 1/2 (or 8/9 for residents' new IDs), 8 digits
    re.compile(r"(?<![A-Za-z0-9])[A-Za-z][1289]\d{8}(?!\d)"),
    # data code: MYDATA1: prefix and/or 16 digits, possibly grouped 4-4-4-4 with spaces or dashes
    re.compile(r"(?i)MYDATA1:\s*\d[\d \-]{14,22}\d"),
    # signed data code: MYDATA2: + base45 (the QR's alphanumeric characters; the code is inside)
    re.compile(r"MYDATA2:[0-9A-Z$%*+\-./: ]{8,}"),
    re.compile(r"(?<!\d)\d{4}[ \-]?\d{4}[ \-]?\d{4}[ \-]?\d{4}(?!\d)"),
    # NHI card number (12 digits) and other long digit runs (household numbers, accounts)
    re.compile(r"(?<!\d)\d{8,15}(?!\d)"),
    # Taiwan mobile numbers 09xx-xxx-xxx / +886 9xx…
    re.compile(r"(?<!\d)(?:\+886[ \-]?|0)9\d{2}[ \-]?\d{3}[ \-]?\d{3}(?!\d)"),
    # e-mail addresses
    re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"),
    # key=value / key: value assignments of secrets and personal fields in free text
    re.compile(
        r"(?i)\b(pin|password|passwd|otp|national_id|name|phone|email|code)\b(\s*[=:]\s*)"
        r"(\"[^\"]*\"|'[^']*'|\S+)"
    ),
)


def redact_text(text: str) -> str:
    for pattern in _PATTERNS[:-1]:
        text = pattern.sub(REDACTED, text)
    return _PATTERNS[-1].sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)


def redact_value(key: str, value: object) -> object:
    if key.lower() in PERSONAL_KEYS:
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {str(k): redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(key, item) for item in value]
    return value


class RedactionFilter(logging.Filter):
    """Rewrites each record's message, arguments and structured ``event`` in place."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_text(record.getMessage())
        record.args = None
        event = getattr(record, "event", None)
        if isinstance(event, Mapping):
            record.event = {str(k): redact_value(str(k), v) for k, v in event.items()}
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks keep their shape but lose values that may sit in exception messages.
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
