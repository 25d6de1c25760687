"""The verification record (資料取用): the agency's own note that it verified a citizen's data through MyData
— transaction, service, datasets with their source agencies and retrieval times, identity methods, clerk,
time — as an A4 PDF with a "verified via MyData" watermark, with or without the values as the agency decides
(``[clerk] case_record``). Made in memory and handed to the clerk's browser (to print or keep in the case
file); never written on the station."""

from __future__ import annotations

import io
from datetime import datetime
from functools import cache

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from broker_client.models import Redemption
from counter_core.i18n import translate
from hardware.printer.receipt import FONT_PATH, wrap

FONT = "WenQuanYiZenHei"
MARGIN = 18 * mm
WATERMARK = "MyData 臨櫃核驗 · verified via MyData"


@cache
def _font() -> str:
    pdfmetrics.registerFont(TTFont(FONT, FONT_PATH, subfontIndex=0))
    return FONT


def _width(text: str, size: float) -> float:
    width: float = pdfmetrics.stringWidth(text, _font(), size)
    return width


class _Page:
    """A top-to-bottom writer that starts a new watermarked page when the current one is full."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.page_w, self.page_h = A4
        self.y = 0.0
        self._new_page(first=True)

    def _new_page(self, first: bool = False) -> None:
        if not first:
            self.canvas.showPage()
        self.canvas.saveState()
        self.canvas.setFont(_font(), 30)
        self.canvas.setFillGray(0.88)
        self.canvas.translate(self.page_w / 2, self.page_h / 2)
        self.canvas.rotate(35)
        self.canvas.drawCentredString(0, 0, WATERMARK)
        self.canvas.restoreState()
        self.y = self.page_h - MARGIN

    def line(self, text: str, size: float = 10, indent: float = 0) -> None:
        for part in wrap(text, lambda t: _width(t, size), self.page_w - 2 * MARGIN - indent) or [""]:
            if self.y < MARGIN + size:
                self._new_page()
            self.canvas.setFont(_font(), size)
            self.canvas.drawString(MARGIN + indent, self.y - size, part)
            self.y -= size * 1.45

    def gap(self, points: float = 6) -> None:
        self.y -= points


def render_record(
    redemption: Redemption, clerk: str, agency_of_clerk: str, made_at: datetime, with_values: bool
) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"MyData verification record {redemption.transaction_id}")
    page = _Page(canvas)
    page.line("MyData 臨櫃核驗紀錄 / Verification record", 16)
    page.gap()
    page.line(f"交易序號 Transaction: {redemption.transaction_id}", 11)
    page.line(f"機關 Agency: {redemption.agency.get('zh-TW')} / {redemption.agency.get('en')}")
    page.line(f"服務 Service: {redemption.service.get('zh-TW')} / {redemption.service.get('en')}")
    methods = "、".join(translate(f"clerk.method.{m}", "zh-TW") for m in redemption.identity_methods)
    methods_en = ", ".join(translate(f"clerk.method.{m}", "en") for m in redemption.identity_methods)
    page.line(f"身分驗證 Identity verified by: {methods} / {methods_en}")
    page.line(f"核驗人員 Verified by: {clerk} ({agency_of_clerk})")
    page.line(f"核驗時間 Verified at: {made_at:%Y-%m-%d %H:%M:%S}")
    page.line("經由 MyData 平臺取得，民眾本人同意提供。 Obtained through MyData with the citizen's consent.", 9)
    if not with_values:
        page.line("本紀錄不含資料內容（依機關設定）。 This record carries no values (the agency's choice).", 9)
    for dataset in redemption.datasets:
        page.gap(10)
        page.line(f"{dataset.name.get('zh-TW')} / {dataset.name.get('en')}", 12)
        source = f"{dataset.source_agency.get('zh-TW')} / {dataset.source_agency.get('en')}"
        page.line(f"來源 Source: {source} · {dataset.retrieved_at.astimezone():%Y-%m-%d %H:%M}", 9)
        for field in dataset.fields:
            name = f"{field.name.get('zh-TW')} {field.name.get('en')}"
            page.line(f"{name}: {field.value}" if with_values else name, 10, indent=6 * mm)
    canvas.save()
    return buffer.getvalue()
