"""``mydata-counter bench scan-signed``: what signing the data codes costs the clerk station (issue #21).

Verification: the station's check of a receipt's ``MYDATA2:`` text (shape, signature with the broker's
published key, the key's signing window, times, agency), as ``CodeVerifier`` does it at each scan, against
the sandbox's own key ring after a rotation (a retired, a current and a next key published), on one core;
codes for every counter service in the catalogue. Target ≤ 2 ms a code.

Scanning: the held-apart camera corpus (``bench scan``'s seeds, never looked at while tuning) at 480p, twice:
receipts with the unsigned ``MYDATA1:`` QR (version 2) and the same receipts — same codes, poses and
conditions — with the signed, larger QR (version 10) as kiosks now print it. The signed QR keeps the old
module size (8 dots, 1 mm) and is 2.3 times as wide, so at 480p a frame that holds it whole holds fewer
pixels a module; both hit rates are reported, with QR-only frames apart (where the QR alone must read).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import qrcode

from broker_client.code_keys import CodeVerifier
from broker_sandbox.catalogue import Catalogues
from broker_sandbox.code_keys import CodeKeyring
from broker_sandbox.store import Store
from counter_core.clock import SystemClock
from counter_core.datacode import new_code
from counter_core.settings import Settings
from counter_core.signed_code import CodeClaims, read_signed
from hardware.decode.corpus import Frame, generate
from hardware.decode.pipeline import decode_frame
from mydata_counter.bench import BenchResult, Metric, check
from mydata_counter.bench.decode import HELD_APART_SEEDS, PER_CELL, one_core

CODES = 2000
SCAN_PER_CELL = 2 * PER_CELL  # bench scan's held-apart frames and as many more of the same seeds: ±1 frame is 0.5 %
VERIFY_TARGET_MS = 2.0


def _signed_codes(ring: CodeKeyring, count: int) -> list[tuple[str, str]]:
    """(QR text, agency id) for ``count`` codes, the catalogue's services in turn, issued now."""
    catalogue = Catalogues().catalogue
    services = [(agency.id, service) for agency in catalogue.agencies for service in agency.services]
    now = int(time.time())
    codes = []
    for index in range(count):
        agency_id, service = services[index % len(services)]
        claims = CodeClaims(new_code(), agency_id, service.id, tuple(service.dataset_ids), now, now + 600)
        codes.append((ring.sign(claims), agency_id))
    return codes


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _qr_version(text: str) -> int:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(text)
    qr.make(fit=True)
    return int(qr.version)


def _verify_metrics() -> tuple[dict[str, Metric], str]:
    with tempfile.TemporaryDirectory(prefix="mydata-bench-signed-") as folder:
        ring = CodeKeyring(Store(Path(folder) / "keys.db"), SystemClock(), 600)
        ring.rotate()  # as after a rotation: the station's list holds a retired, a current and a next key
        codes = _signed_codes(ring, CODES)
        verifier = CodeVerifier(ring.published)
        if not verifier.refresh():
            raise RuntimeError("the key ring's list was not read")
        with one_core():
            for text, agency in codes[:50]:  # warm up (first calls build caches in cryptography and cbor2)
                verifier.verify(text, agency)
            verify_ms, read_ms = [], []
            for text, agency in codes:
                started = time.perf_counter()
                verifier.verify(text, agency)
                verify_ms.append(1000 * (time.perf_counter() - started))
                started = time.perf_counter()
                read_signed(text)
                read_ms.append(1000 * (time.perf_counter() - started))
    lengths = [len(text) for text, _ in codes]
    versions = sorted({_qr_version(text) for text, _ in codes[:40]})
    metrics = {
        "verify_p50": check(statistics.median(verify_ms), "ms", at_most=VERIFY_TARGET_MS),
        "verify_p95": check(_percentile(verify_ms, 0.95), "ms", at_most=VERIFY_TARGET_MS),
        "verify_max": check(max(verify_ms), "ms"),
        "read_only_p50": check(statistics.median(read_ms), "ms"),
        "qr_text_chars_max": check(max(lengths), "chars"),
        "qr_version_max": check(max(versions), ""),
    }
    note = (
        f"verify: {CODES} codes for every catalogue service, one core, keys of a rotated ring; "
        f"QR text {min(lengths)}-{max(lengths)} characters, QR versions {versions} (ECC M)"
    )
    return metrics, note


def _hit_rate(frames: list[Frame], found: list[str | None]) -> float:
    return 100 * sum(code == frame.code for frame, code in zip(frames, found, strict=True)) / max(len(frames), 1)


def _scan_metrics() -> tuple[dict[str, Metric], str]:
    metrics: dict[str, Metric] = {}
    rates: dict[str, float] = {}
    notes = []
    for kind, signed in (("unsigned", False), ("signed", True)):
        frames = [f for seed in HELD_APART_SEEDS for f in generate(seed, SCAN_PER_CELL, ["480p"], signed=signed)]
        with one_core():
            started = time.perf_counter()
            results = [found.code if (found := decode_frame(frame.image)) else None for frame in frames]
            seconds = time.perf_counter() - started
        positives = [i for i, frame in enumerate(frames) if frame.code is not None]
        qr_only = [i for i in positives if frames[i].layout == "qr-only"]
        negatives = [i for i, frame in enumerate(frames) if frame.code is None]
        prefix = f"held_apart_480p_{kind}"
        rates[kind] = _hit_rate([frames[i] for i in positives], [results[i] for i in positives])
        metrics[f"{prefix}_hit_rate"] = check(
            rates[kind], "%", at_least=rates["unsigned"] if signed else None
        )  # the signed QR: unchanged or better
        metrics[f"{prefix}_qr_only"] = check(
            _hit_rate([frames[i] for i in qr_only], [results[i] for i in qr_only]), "%"
        )
        false_positives = sum(results[i] is not None for i in negatives)
        metrics[f"{prefix}_false_positives"] = check(false_positives, "frames", at_most=0)
        metrics[f"{prefix}_wrong_codes"] = check(
            sum(results[i] not in (None, frames[i].code) for i in positives), "frames", at_most=0
        )
        metrics[f"{prefix}_ms_per_frame"] = check(1000 * seconds / len(frames), "ms")
        missed = sorted(f"{frames[i].condition}/{frames[i].layout}" for i in positives if results[i] != frames[i].code)
        notes.append(f"{kind}: {len(positives)} frames with a code ({len(qr_only)} QR only), missed {missed or 'none'}")
    return metrics, "; ".join(notes)


def bench_signed(_settings: Settings) -> BenchResult:
    """Signed codes: verify time per code at the clerk station (target <= 2 ms) and the held-apart 480p
    hit rate of the signed (larger) QR beside the unsigned QR's, on the same frames."""
    verify, verify_note = _verify_metrics()
    scan, scan_note = _scan_metrics()
    return BenchResult("scan-signed", {**verify, **scan}, notes=f"{verify_note}; 480p held-apart seeds "
                       f"{HELD_APART_SEEDS}: {scan_note}")  # fmt: skip


benchmarks = {"scan-signed": bench_signed}
