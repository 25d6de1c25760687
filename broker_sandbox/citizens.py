"""Deterministic synthetic citizens: the same seed gives the same people on every machine, so the
sandbox, virtual cards and tests agree without sharing a database."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

from counter_core.national_id import random_national_id

SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝洪郭邱曾廖賴徐周葉蘇莊呂江何蕭羅高潘簡朱鍾游彭詹胡施沈余盧梁趙顏柯翁魏"
GIVEN = "志明俊傑家豪建宏淑芬美玲雅婷怡君宗翰冠宇欣怡佩珊承恩柏宇子涵詩涵宥辰品妍彥廷心怡瑋婷偉誠秀英春嬌金龍文雄麗華"
CITIES = [
    ("花蓮縣", "花蓮市中山路"), ("桃園市", "桃園區中正路"), ("嘉義縣", "太保市祥和一路"), ("臺北市", "大安區信義路"),
    ("新北市", "板橋區文化路"), ("臺中市", "西屯區臺灣大道"), ("臺南市", "東區大學路"), ("高雄市", "苓雅區四維三路"),
]  # fmt: skip
SCHOOLS = [
    "國立花蓮高級中學",
    "桃園市立武陵高級中等學校",
    "國立嘉義高級中學",
    "臺北市立建國高級中學",
    "國立臺南第一高級中學",
]
PROGRAMMES = ["普通科", "資料處理科", "電機科", "商業經營科", "餐飲管理科"]
EMPLOYERS = ["花蓮縣農會", "台灣電力股份有限公司", "統一超商股份有限公司", "長榮海運股份有限公司", "無"]
DISABILITY_CATEGORIES = [
    "第七類 神經、肌肉、骨骼之移動相關構造及其功能",
    "第二類 眼、耳及相關構造與感官功能及疼痛",
    "第一類 神經系統構造及精神、心智功能",
]


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
    datasets: dict[str, dict[str, str]] = field(repr=False, hash=False, compare=False)

    def __repr__(self) -> str:  # personal data never in logs or tracebacks
        return "<Citizen: redacted>"

    @property
    def roc_birth_date(self) -> str:
        return roc(self.birth_date)


def roc(value: date) -> str:
    """民國 yyy 年 mm 月 dd 日 as ``yyy/mm/dd``."""
    return f"{value.year - 1911:03d}/{value.month:02d}/{value.day:02d}"


def _name(rng: random.Random) -> str:
    given = GIVEN[rng.randrange(0, len(GIVEN), 2) :][:2]
    return rng.choice(SURNAMES) + given


def _datasets(rng: random.Random, c: dict[str, str], birth: date, household: list[str]) -> dict[str, dict[str, str]]:
    today = date(2026, 11, 1)
    low = rng.random()
    status = "低收入戶" if low < 0.15 else ("中低收入戶" if low < 0.3 else "非低收入戶或中低收入戶")
    insured = rng.random() < 0.7
    parcels = rng.randrange(0, 3)
    vehicles = rng.randrange(0, 3)
    disabled = rng.random() < 0.3
    in_school = 15 <= (today.year - birth.year) <= 19
    grade = rng.choice([24000, 27470, 33300, 45800])
    return {
        "household_personal": {
            "national_id": c["national_id"], "name": c["name"], "birth_date": roc(birth),
            "sex": "男" if c["sex"] == "M" else "女", "address": c["address"],
            "household_number": c["household_number"],
        },
        "household_members": {
            "household_number": c["household_number"], "head": household[0],
            "members": "、".join(f"{n}（{r}）" for n, r in zip(household, ["戶長", "配偶", "子", "女"], strict=False)),
            "member_count": str(len(household)),
        },
        "low_income": {
            "status": status,
            "valid_from": "115/01/01" if low < 0.3 else "—",
            "valid_to": "115/12/31" if low < 0.3 else "—",
            "city": c["city"],
        },
        "labour_insurance": {
            "insured": "在保" if insured else "未在保",
            "employer": rng.choice(EMPLOYERS[:-1]) if insured else "無",
            "salary_grade": f"{grade:,}" if insured else "—",
            "since": roc(today - timedelta(days=rng.randrange(100, 4000))) if insured else "—",
            "years": f"{rng.randrange(0, 30)} 年 {rng.randrange(0, 12)} 月",
        },
        "land_registry": {
            "parcels": str(parcels),
            "parcel_list": "、".join(f"{c['city']}{rng.choice('東西南北')}段 {rng.randrange(1, 999):04d}-0000 地號"
                                    for _ in range(parcels)) or "無",
            "area_m2": f"{parcels * rng.randrange(50, 900)}",
        },
        "house_tax": {
            "tax_year": "115",
            "houses": f"{rng.randrange(10000000, 99999999)}（{c['address']}）" if parcels else "無",
            "paid": "已繳清" if rng.random() < 0.95 else "尚有欠稅",
        },
        "vehicles": {
            "count": str(vehicles),
            "plates": "、".join(f"{rng.choice('ABKMR')}{rng.choice('ABCDEFG')}{rng.choice('ABCDE')}-{rng.randrange(1000, 9999)}"
                               for _ in range(vehicles)) or "無",
            "types": "、".join(rng.choice(["自用小客車", "普通重型機車"]) for _ in range(vehicles)) or "無",
        },
        "school_enrolment": {
            "found": "是" if in_school else "否", "national_id": c["national_id"], "name": c["name"],
            "birth_date": roc(birth),
            "change_year": "114" if in_school else "—",
            "school": rng.choice(SCHOOLS) if in_school else "—",
            "programme": rng.choice(PROGRAMMES) if in_school else "—",
            "status": "在學" if in_school else "—",
            "changed_on": "114/08/01" if in_school else "—",
        },
        "study_grants": {
            "grants": "學雜費減免（113、114 學年度）" if in_school and low < 0.3 else "無",
            "total": f"{rng.randrange(5, 30) * 1000:,}" if in_school and low < 0.3 else "0",
        },
        "disability": {
            "holder": "有效" if disabled else "無",
            "category": rng.choice(DISABILITY_CATEGORIES) if disabled else "—",
            "level": rng.choice(["輕度", "中度", "重度", "極重度"]) if disabled else "—",
            "valid_to": "119/06/30" if disabled else "—",
            "mobility": ("是" if rng.random() < 0.6 else "否") if disabled else "—",
        },
        "entry_exit": {
            "last_exit": roc(today - timedelta(days=rng.randrange(30, 900))),
            "last_entry": roc(today - timedelta(days=rng.randrange(1, 29))),
            "days_abroad": str(rng.randrange(0, 60)),
        },
        "seafarer": {
            "book_number": f"TW{rng.randrange(100000, 999999)}" if rng.random() < 0.2 else "—",
            "qualification": rng.choice(["一等船長", "二等管輪", "乙級船員"]) if rng.random() < 0.2 else "無",
            "valid_to": "118/03/31",
        },
        "electricity_account": {
            "account": f"{rng.randrange(10, 99)}-{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}-{rng.randrange(10, 99)}-{rng.randrange(1, 9)}",
            "holder": c["name"],
            "arrears": "無" if rng.random() < 0.9 else "有",
        },
    }  # fmt: skip


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
        core = {
            "national_id": national_id,
            "name": _name(rng),
            "sex": sex,
            "phone": f"09{rng.randrange(10, 99)}{rng.randrange(100000, 999999)}",
            "household_number": f"{rng.choice('ABFHKT')}{rng.randrange(1000000, 9999999)}",
            "nhi_card_number": f"{rng.randrange(0, 10**12):012d}",
            "address": f"{city}{street}{rng.randrange(1, 300)}號",
            "city": city,
        }
        core["email"] = f"citizen{len(citizens):04d}@example.tw"
        household = [core["name"]] + [_name(rng) for _ in range(rng.randrange(0, 4))]
        citizens.append(
            Citizen(
                national_id=national_id,
                name=core["name"],
                birth_date=birth,
                sex=sex,
                phone=core["phone"],
                email=core["email"],
                household_number=core["household_number"],
                nhi_card_number=core["nhi_card_number"],
                address=core["address"],
                city=city,
                datasets=_datasets(rng, core, birth, household),
            )
        )
    return tuple(citizens)


@cache
def _by_national_id(seed: int, count: int) -> dict[str, Citizen]:
    return {citizen.national_id: citizen for citizen in generate_citizens(seed, count)}


def find_citizen(seed: int, count: int, national_id: str) -> Citizen | None:
    return _by_national_id(seed, count).get(national_id.strip().upper())


def masked_phone(phone: str) -> str:
    return f"{phone[:4]}-***-{phone[-3:]}"
