"""``mydata-counter bench cards``: an NHI read through the real pcscd (vpcd virtual card) and a MOICA
login + signature through PKCS#11 (a SoftHSM2 token in a temp folder)."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from broker_sandbox.ca import citizen_credentials
from broker_sandbox.citizens import generate_citizens
from counter_core.personal import Personal
from counter_core.settings import ReaderSettings, Settings
from hardware.cards.moica_pkcs11 import sign_with_token
from hardware.cards.nhi_card import encode_basic_data
from hardware.cards.pcsc import PcscReader
from hardware.cards.softhsm import MODULE, create_token
from hardware.cards.vpcd import VirtualCard, nhi_responder
from mydata_counter.bench import BenchResult, Metric, check

RUNS = 20
SEED = 20261124


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _nhi_metrics() -> tuple[dict[str, Metric], str]:
    reader = PcscReader(ReaderSettings(driver="real", reader_name="Virtual PCD 00 00"))
    if reader.health().state != "ok":
        return {}, "NHI read skipped: pcscd with the vsmartcard vpcd readers is not running"
    citizen = generate_citizens(SEED, 240)[0]
    data = encode_basic_data(
        citizen.nhi_card_number, citizen.name, citizen.national_id, citizen.birth_date, citizen.sex, None
    )
    reads: list[float] = []
    started = time.perf_counter()
    with VirtualCard(nhi_responder(data)):
        deadline = time.monotonic() + 10
        while not any(r.card_present for r in reader.readers()):
            if time.monotonic() > deadline:
                return {}, "NHI read skipped: the virtual card did not appear in pcscd"
            time.sleep(0.02)
        noticed_ms = _ms(started)
        for _ in range(RUNS):
            started = time.perf_counter()
            reader.read_nhi()
            reads.append(_ms(started))
    reads.sort()
    return {
        "insert_noticed": check(noticed_ms, "ms"),
        "nhi_read_p50": check(statistics.median(reads), "ms", at_most=500),
        "nhi_read_max": check(reads[-1], "ms", at_most=1000),
    }, f"NHI: {RUNS} reads (list readers, connect, SELECT, READ BASIC, parse) through pcscd"


def _moica_metrics() -> tuple[dict[str, Metric], str]:
    if not MODULE.exists():
        return {}, f"MOICA skipped: {MODULE} missing (softhsm2)"
    citizen = generate_citizens(SEED, 240)[0]
    key, certificate = citizen_credentials(SEED, citizen.national_id)
    signs: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-softhsm-") as folder:
        create_token(Path(folder), "MOICA", "123456", key, certificate)
        for _ in range(RUNS):
            started = time.perf_counter()
            sign_with_token(MODULE, Personal("123456", "PIN"), b"broker-challenge-0123456789abcdef")
            signs.append(_ms(started))
    signs.sort()
    return {
        "moica_sign_p50": check(statistics.median(signs), "ms", at_most=2000),
    }, f"MOICA: {RUNS} × (load module, find token, login, read certificate, ECDSA P-256 sign) on SoftHSM2"


def bench_cards(_settings: Settings) -> BenchResult:
    """NHI card read through pcscd (vpcd virtual card); MOICA login + signature through PKCS#11 (SoftHSM2)."""
    nhi, nhi_note = _nhi_metrics()
    moica, moica_note = _moica_metrics()
    return BenchResult("cards", {**nhi, **moica}, notes=f"{nhi_note}; {moica_note}")


benchmarks = {"cards": bench_cards}
