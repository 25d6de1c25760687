"""Deterministic synthetic citizens: the same seed gives the same people on every machine, so the
sandbox, virtual cards and tests agree without sharing a database.

The people (IDs, names, birthdays, cards) come from one random stream per seed; each person's documents
and dataset values from a stream of their own (seed + national ID), so adding a dataset changes nobody's
identity.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

from broker_sandbox.citizen_data import dataset_values, full_name
from counter_core.national_id import random_national_id

CITIES = [
    ("花蓮縣", "花蓮市中山路"), ("桃園市", "桃園區中正路"), ("嘉義縣", "太保市祥和一路"), ("臺北市", "大安區信義路"),
    ("新北市", "板橋區文化路"), ("臺中市", "西屯區臺灣大道"), ("臺南市", "東區大學路"), ("高雄市", "苓雅區四維三路"),
]  # fmt: skip
BANKS = ["004", "005", "006", "700", "812", "822"]  # 臺灣銀行, 土地銀行, 合作金庫, 中華郵政, 台新, 中國信託
NHI_UNREGISTERED = 0.1  # share of citizens who never registered their NHI card for the network service
ID_CARD_RENEWAL = date(2005, 12, 31)  # the nationwide 94年 renewal: older cards were all re-issued by then
LATEST_ISSUE = date(2026, 10, 1)


@dataclass(frozen=True)
class Citizen:
    national_id: str
    name: str
    birth_date: date
    sex: str  # "M" | "F"
    phone: str
    email: str
    household_number: str
    nhi_card_number: str
    address: str
    city: str
    id_card_issue_date: date  # 換補證日期: printed on the national ID card
    nhi_password: str | None  # 健保卡網路服務註冊 password; None = never registered
    bank_card_account: str  # the chip bank card's account, as the verification centre knows it
    datasets: dict[str, dict[str, str]] = field(repr=False, hash=False, compare=False)

    def __repr__(self) -> str:  # personal data never in logs or tracebacks
        return "<Citizen: redacted>"


def _id_card(rng: random.Random, birth: date) -> tuple[date, str]:
    """(issue date, 初發/換發/補發): first issued at 14; cards from before 2005 were renewed in 2005."""
    fourteen = date(birth.year + 14, birth.month, min(birth.day, 28))
    first = min(fourteen + timedelta(days=rng.randrange(0, 365 * 3)), max(fourteen, LATEST_ISSUE))
    issued, kind = (
        (first, "初發")
        if first > ID_CARD_RENEWAL
        else (date(2005, 7, 1) + timedelta(days=rng.randrange(0, 180)), "換發")
    )
    if rng.random() < 0.25 and issued < LATEST_ISSUE:  # lost or damaged since: re-issued
        issued, kind = issued + timedelta(days=rng.randrange(1, (LATEST_ISSUE - issued).days + 1)), "補發"
    return issued, kind


@cache
def generate_citizens(seed: int, count: int) -> tuple[Citizen, ...]:
    rng = random.Random(seed)
    citizens: list[Citizen] = []
    seen: set[str] = set()
    while len(citizens) < count:
        sex = rng.choice("MF")
        national_id = random_national_id(rng, 1 if sex == "M" else 2)
        if national_id in seen:
            continue
        seen.add(national_id)
        birth = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 70))
        city, street = rng.choice(CITIES)
        name = full_name(rng)
        core = {
            "national_id": national_id, "name": name, "sex": sex,
            "phone": f"09{rng.randrange(10, 99)}{rng.randrange(100000, 999999)}",
            "household_number": f"{rng.choice('ABFHKT')}{rng.randrange(1000000, 9999999)}",
            "nhi_card_number": f"{rng.randrange(0, 10**12):012d}",
            "address": f"{city}{street}{rng.randrange(1, 300)}號", "city": city,
            "email": f"citizen{len(citizens):04d}@example.tw",
        }  # fmt: skip
        household = [name] + [full_name(rng) for _ in range(rng.randrange(0, 4))]
        own = random.Random(f"{seed}/{national_id}")
        issued, issue_type = _id_card(own, birth)
        password = (
            None
            if own.random() < NHI_UNREGISTERED
            else f"{own.choice(['nhi', 'hi', 'tw'])}{own.randrange(10**5, 10**6)}"
        )
        bank = f"{own.choice(BANKS)}-{own.randrange(10**11, 10**12)}"
        citizens.append(
            Citizen(
                national_id=national_id, name=name, birth_date=birth, sex=sex, phone=core["phone"],
                email=core["email"], household_number=core["household_number"],
                nhi_card_number=core["nhi_card_number"], address=core["address"], city=city,
                id_card_issue_date=issued, nhi_password=password, bank_card_account=bank,
                datasets=dataset_values(own, core, birth, household, (issued, issue_type)),
            )
        )  # fmt: skip
    return tuple(citizens)


@cache
def _by_national_id(seed: int, count: int) -> dict[str, Citizen]:
    return {citizen.national_id: citizen for citizen in generate_citizens(seed, count)}


@cache
def _by_nhi_card(seed: int, count: int) -> dict[str, Citizen]:
    return {citizen.nhi_card_number: citizen for citizen in generate_citizens(seed, count)}


def find_citizen(seed: int, count: int, national_id: str) -> Citizen | None:
    return _by_national_id(seed, count).get(national_id.strip().upper())


def find_by_nhi_card(seed: int, count: int, card_number: str) -> Citizen | None:
    return _by_nhi_card(seed, count).get(card_number.strip())


def masked_phone(phone: str) -> str:
    return f"{phone[:4]}-***-{phone[-3:]}"
