"""The receipt the kiosk prints: one model, one layout (a list of blocks) that every renderer draws.

Layout is decided here once; ``render_raster`` (thermal printers, PNG samples) and ``render_pdf``
(office printers, PDF folder) only draw the blocks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from counter_core.datacode import damm_check_digit, grouped, qr_payload

FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"  # TrueType outlines: reportlab can embed it
SUPPORT_LINE = "0800-009-868"
# A fixed, valid test code that is obviously a test ("0000 …"): it never matches an issued code's hash.
TEST_CODE = "000000000000001" + damm_check_digit("000000000000001")


@dataclass(frozen=True)
class Receipt:
    agency_zh: str
    agency_en: str
    service_zh: str
    service_en: str
    code: str = field(repr=False)
    expires_at: datetime  # local time is printed
    datasets_zh: list[str]
    datasets_en: list[str]
    support_line: str = SUPPORT_LINE
    notice_to: str = ""  # where the notice of use goes (masked); "" = the citizen registered no contact


Align = Literal["left", "center"]


@dataclass(frozen=True)
class TextBlock:
    text: str
    size: float  # in units of the base font size (1.0 = body text)
    bold: bool = False
    align: Align = "left"


@dataclass(frozen=True)
class QrBlock:
    payload: str
    width: float  # fraction of the printable width


@dataclass(frozen=True)
class BarcodeBlock:
    digits: str
    width: float


@dataclass(frozen=True)
class RuleBlock:
    pass


@dataclass(frozen=True)
class SpaceBlock:
    lines: float


Block = TextBlock | QrBlock | BarcodeBlock | RuleBlock | SpaceBlock


def layout(receipt: Receipt, narrow: bool = False) -> list[Block]:
    """The receipt, top to bottom. ``narrow`` (58 mm rolls) shortens nothing but wraps sooner."""
    until = receipt.expires_at.strftime("%H:%M")
    blocks: list[Block] = [
        TextBlock("MyData 臨櫃核驗 資料條碼", 1.3, bold=True, align="center"),
        TextBlock("MyData counter verification code", 0.9, align="center"),
        RuleBlock(),
        TextBlock(receipt.agency_zh, 1.1, bold=True),
        TextBlock(receipt.service_zh, 1.0),
        TextBlock(f"{receipt.agency_en} · {receipt.service_en}", 0.8),
        SpaceBlock(0.4),
        QrBlock(qr_payload(receipt.code), 0.62 if narrow else 0.5),
        SpaceBlock(0.3),
        BarcodeBlock(receipt.code, 0.98 if narrow else 0.9),
        TextBlock(grouped(receipt.code), 1.6 if narrow else 1.9, bold=True, align="center"),
        TextBlock(f"此條碼於 {until} 前有效", 1.15, bold=True, align="center"),
        TextBlock(f"valid until {until}", 0.9, align="center"),
        RuleBlock(),
        TextBlock("提供資料 / Data released:", 0.9, bold=True),
    ]
    blocks += [TextBlock(f"・{zh} {en}", 0.8) for zh, en in zip(receipt.datasets_zh, receipt.datasets_en, strict=False)]
    blocks += [
        RuleBlock(),
        TextBlock("請將此收據交給櫃台人員掃描，條碼只能使用一次。", 0.9),
        TextBlock("Give this receipt to the clerk to scan. The code works once.", 0.8),
        *_notice(receipt.notice_to),
        TextBlock(f"客服專線 Support: {receipt.support_line}", 0.9, align="center"),
        SpaceBlock(1.0),
    ]
    return blocks


def _notice(notice_to: str) -> list[Block]:
    """Where the notice of use goes: the citizen's verified contact (masked), or that none will be sent."""
    if notice_to:
        return [
            TextBlock(f"資料查驗後，通知將寄至 {notice_to}。", 0.9),
            TextBlock(f"When your data is viewed, a notice goes to {notice_to}.", 0.8),
        ]
    return [
        TextBlock("未登記通知方式：資料查驗後不會通知您，可在自助機登記。", 0.9),
        TextBlock("No contact registered: you will not be notified. Register one at the kiosk.", 0.8),
    ]


def sample_receipt(expires_at: datetime, code: str = TEST_CODE) -> Receipt:
    """A receipt with every element, for ``hw print-test``, the admin page's test print, samples and
    benchmarks."""
    return Receipt(
        agency_zh="花蓮縣政府",
        agency_en="Hualien County Government",
        service_zh="身心障礙者專用停車位識別證",
        service_en="Disabled parking permit",
        code=code,
        expires_at=expires_at,
        datasets_zh=["個人戶籍資料", "身心障礙證明", "車籍資料"],
        datasets_en=["Personal household registration", "Disability certificate", "Vehicle registration"],
        notice_to="0912-***-678",
    )


def wrap(text: str, width_of: Callable[[str], float], width: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width``: CJK may break anywhere, Latin words only at spaces
    (a word longer than the line is broken as a last resort). Both renderers use it."""
    tokens = re.findall(r"[A-Za-z0-9@.,:;'’()/+\-–·]+|\s+|.", text)
    lines: list[str] = []
    current = ""
    for token in tokens:
        candidate = current + token
        if width_of(candidate) <= width or not current.strip():
            current = candidate
            while width_of(current) > width and len(current) > 1:  # a single over-long word
                cut = max(1, next(i for i in range(len(current), 0, -1) if width_of(current[:i]) <= width))
                lines.append(current[:cut])
                current = current[cut:]
        else:
            lines.append(current.rstrip())
            current = token.lstrip()
    if current.strip():
        lines.append(current.rstrip())
    return lines
