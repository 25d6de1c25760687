"""``mydata-counter bench cards``: an NHI read and a chip bank card's PIN + signature through the real pcscd
(vpcd virtual cards), and a MOICA login + signature through PKCS#11 (a SoftHSM2 token in a temp folder)."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from broker_sandbox.ca import citizen_credentials
from broker_sandbox.cards import SandboxCards
from broker_sandbox.citizens import generate_citizens
from counter_core.personal import Personal
from counter_core.settings import ReaderSettings, Settings
from hardware.cards.bank_card import ATR as BANK_CARD_ATR
from hardware.cards.bank_card_applet import BankCardApplet
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


def _bank_card_metrics() -> tuple[dict[str, Metric], str]:
    reader = PcscReader(ReaderSettings(driver="real", reader_name="Virtual PCD 00 00"))
    if reader.health().state != "ok":
        return {}, "bank card skipped: pcscd with the vsmartcard vpcd readers is not running"
    deadline = time.monotonic() + 10
    while any(r.card_present for r in reader.readers()):  # the NHI card's removal noticed first
        if time.monotonic() > deadline:
            return {}, "bank card skipped: vpcd's reader still holds a card"
        time.sleep(0.05)
    time.sleep(0.5)
    citizen = generate_citizens(SEED, 240)[0]
    card = SandboxCards(SEED, 240).bank_card_credentials(citizen.national_id)
    assert card is not None
    signs: list[float] = []
    with VirtualCard(BankCardApplet(card.certificate_der, card.sign, "123456"), atr=BANK_CARD_ATR):
        deadline = time.monotonic() + 10
        while not any(r.card_present for r in reader.readers()):
            if time.monotonic() > deadline:
                return {}, "bank card skipped: the virtual card did not appear in pcscd"
            time.sleep(0.02)
        for run in range(RUNS):
            started = time.perf_counter()
            reader.bank_card_sign(Personal("123456", "PIN"), run.to_bytes(2, "big") * 16)
            signs.append(_ms(started))
    signs.sort()
    return {
        "bank_card_sign_p50": check(statistics.median(signs), "ms", at_most=2000),
        "bank_card_sign_max": check(signs[-1], "ms", at_most=4000),
    }, f"bank card: {RUNS} × (connect, SELECT, read certificate, VERIFY PIN, INTERNAL AUTHENTICATE) through pcscd"


def bench_cards(_settings: Settings) -> BenchResult:
    """NHI card read and chip bank card signature through pcscd (vpcd virtual cards); MOICA login + signature
    through PKCS#11 (SoftHSM2)."""
    nhi, nhi_note = _nhi_metrics()
    bank, bank_note = _bank_card_metrics()
    moica, moica_note = _moica_metrics()
    return BenchResult("cards", {**nhi, **bank, **moica}, notes=f"{nhi_note}; {bank_note}; {moica_note}")


benchmarks = {"cards": bench_cards}
