"""``hw receipt-samples`` (``make receipts``) writes every picture in docs/receipts/, and each one is a
working receipt: its QR and its Code128 decode to the sample code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from counter_core.datacode import qr_payload
from hardware.printer.samples import SAMPLE_CODE, SAMPLES

DOCS_RECEIPTS = Path(__file__).resolve().parents[2] / "docs" / "receipts"


def test_receipt_samples_command_writes_every_sample_and_each_decodes(tmp_path: Path) -> None:
    import zxingcpp

    result = subprocess.run(
        [sys.executable, "-m", "mydata_counter.cli", "hw", "receipt-samples", "--out", str(tmp_path / "receipts")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    written = sorted(path.name for path in (tmp_path / "receipts").iterdir())
    assert written == sorted(SAMPLES) == sorted(path.name for path in DOCS_RECEIPTS.glob("*.png"))
    for name in written:
        image = np.asarray(Image.open(tmp_path / "receipts" / name).convert("L"))
        found = {(r.format.name, r.text) for r in zxingcpp.read_barcodes(image)}
        assert found >= {("QRCode", qr_payload(SAMPLE_CODE)), ("Code128", SAMPLE_CODE)}, name


def test_the_receipt_says_where_the_notice_goes_or_that_none_will() -> None:
    from datetime import datetime

    from hardware.printer.receipt import TextBlock, layout, sample_receipt

    def lines(notice_to: str) -> str:
        receipt = sample_receipt(datetime(2026, 1, 1, 10, 0))
        chosen = receipt.__class__(**{**receipt.__dict__, "notice_to": notice_to})
        return "\n".join(b.text for b in layout(chosen) if isinstance(b, TextBlock))

    told = lines("0912-***-678")
    assert "通知將寄至 0912-***-678" in told and "a notice goes to 0912-***-678" in told
    untold = lines("")
    assert "不會通知您" in untold and "you will not be notified" in untold
