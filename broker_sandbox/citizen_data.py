"""The values of each synthetic citizen's datasets (one random stream per citizen, see ``citizens``).

Every field of every dataset in the catalogue gets a non-empty value ("—" or "無" where the citizen has
nothing to show), so the clerk's table never has a hole.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝洪郭邱曾廖賴徐周葉蘇莊呂江何蕭羅高潘簡朱鍾游彭詹胡施沈余盧梁趙顏柯翁魏"
GIVEN = "志明俊傑家豪建宏淑芬美玲雅婷怡君宗翰冠宇欣怡佩珊承恩柏宇子涵詩涵宥辰品妍彥廷心怡瑋婷偉誠秀英春嬌金龍文雄麗華"
SCHOOLS = [
    "國立花蓮高級中學",
    "桃園市立武陵高級中等學校",
    "國立嘉義高級中學",
    "臺北市立建國高級中學",
    "國立臺南第一高級中學",
]
PROGRAMMES = ["普通科", "資料處理科", "電機科", "商業經營科", "餐飲管理科"]
EMPLOYERS = ["花蓮縣農會", "台灣電力股份有限公司", "統一超商股份有限公司", "長榮海運股份有限公司"]
DISABILITY_CATEGORIES = [
    "第七類 神經、肌肉、骨骼之移動相關構造及其功能",
    "第二類 眼、耳及相關構造與感官功能及疼痛",
    "第一類 神經系統構造及精神、心智功能",
]
BUSINESS_TYPES = [("有限公司", "有限公司"), ("股份有限公司", "股份有限公司"), ("商行", "獨資"), ("工作室", "獨資")]
BUSINESS_ITEMS = ["F401010 國際貿易業", "I301010 資訊軟體服務業", "F501060 餐館業", "CC01101 管制無線電器材製造業"]
TODAY = date(2026, 11, 1)


def full_name(rng: random.Random, surname: str | None = None) -> str:
    given = GIVEN[rng.randrange(0, len(GIVEN), 2) :][:2]
    return (surname or rng.choice(SURNAMES)) + given


def roc(value: date) -> str:
    """民國 yyy 年 mm 月 dd 日 as ``yyy/mm/dd``."""
    return f"{value.year - 1911:03d}/{value.month:02d}/{value.day:02d}"


def _ago(rng: random.Random, low: int, high: int) -> date:
    return TODAY - timedelta(days=rng.randrange(low, high))


def _property(rng: random.Random, c: dict[str, str], parcels: int, buildings: int) -> dict[str, dict[str, str]]:
    land = {
        "parcels": str(parcels),
        "parcel_list": "、".join(
            f"{c['city']}{rng.choice('東西南北')}段 {rng.randrange(1, 999):04d}-0000 地號" for _ in range(parcels)
        )
        or "無",
        "land_area_m2": f"{parcels * rng.randrange(50, 900)}" if parcels else "0",
        "buildings": str(buildings),
        "building_list": "、".join(
            f"{rng.randrange(100, 9999):05d}-000 建號（{c['address']}）" for _ in range(buildings)
        )
        or "無",
        "building_area_m2": f"{buildings * rng.randrange(40, 220)}.{rng.randrange(10, 99)}" if buildings else "0",
        "price_records": "、".join(
            f"{roc(_ago(rng, 200, 4000))} 總價 {rng.randrange(300, 3000) * 10_000:,} 元"
            for _ in range(min(buildings, 1))
        )
        or "無",
    }
    value = rng.randrange(100, 900) * 1000
    rate = rng.choice([("自住", 0.012), ("非自住住家用", 0.024)])
    tax = {
        "tax_year": "115",
        "tax_id": f"{rng.randrange(10**9, 10**10)}" if buildings else "無",
        "location": c["address"] if buildings else "無",
        "share": "全部" if buildings else "—",
        "assessed_value": f"{value:,}" if buildings else "0",
        "use": rate[0] if buildings else "—",
        "tax_due": f"{round(value * rate[1]):,}" if buildings else "0",
    }
    return {"land_and_prices": land, "house_tax_details": tax}


def _business(rng: random.Random, c: dict[str, str]) -> dict[str, str]:
    if rng.random() >= 0.2:
        return {"found": "否", **dict.fromkeys(
            ["ubn", "business_name", "organisation", "representative", "status", "capital", "address",
             "approved_on", "authority", "business_items"], "—")}  # fmt: skip
    suffix, organisation = rng.choice(BUSINESS_TYPES)
    company = organisation != "獨資"
    return {
        "found": "是", "ubn": f"{rng.randrange(10**7, 10**8)}",
        "business_name": f"{c['name'][0]}{rng.choice(['興', '誠', '豐', '順'])}{rng.choice(['科技', '貿易', '電訊'])}{suffix}",
        "organisation": organisation, "representative": c["name"],
        "status": rng.choice(["核准設立", "核准設立", "停業"]),
        "capital": f"{rng.randrange(1, 500) * 100_000:,}", "address": c["address"],
        "approved_on": roc(_ago(rng, 300, 7000)),
        "authority": "經濟部商業發展署" if company else f"{c['city']}政府",
        "business_items": rng.choice(BUSINESS_ITEMS),
    }  # fmt: skip


def _family(rng: random.Random, c: dict[str, str], birth: date) -> dict[str, str]:
    surname = c["name"][0]
    age = TODAY.year - birth.year
    married = age > 24 and rng.random() < 0.6
    children = [
        (full_name(rng, surname), birth + timedelta(days=365 * rng.randrange(24, 40) + rng.randrange(365)))
        for _ in range(rng.randrange(0, 3) if married else 0)
    ]
    return {
        "name": c["name"], "father": full_name(rng, surname), "mother": full_name(rng),
        "spouse": full_name(rng) if married else "無",
        "children": "、".join(f"{n}（{roc(d)}）" for n, d in children if d < TODAY) or "無",
        "recorded_on": roc(TODAY),
    }  # fmt: skip


def dataset_values(
    rng: random.Random, c: dict[str, str], birth: date, household: list[str], id_card: tuple[date, str]
) -> dict[str, dict[str, str]]:
    low = rng.random()
    status = "低收入戶" if low < 0.15 else ("中低收入戶" if low < 0.3 else "非低收入戶或中低收入戶")
    insured = rng.random() < 0.7
    vehicles = rng.randrange(0, 3)
    disabled = rng.random() < 0.3
    in_school = 15 <= (TODAY.year - birth.year) <= 19
    grade = rng.choice([24000, 27470, 33300, 45800])
    premium = rng.choice([826, 1377, 1843])
    paid = rng.randrange(9, 11)
    return {
        "household_personal": {
            "national_id": c["national_id"], "name": c["name"], "birth_date": roc(birth),
            "sex": "男" if c["sex"] == "M" else "女", "address": c["address"], "household_number": c["household_number"],
        },
        "household_members": {
            "household_number": c["household_number"], "head": household[0],
            "members": "、".join(f"{n}（{r}）" for n, r in zip(household, ["戶長", "配偶", "子", "女"], strict=False)),
            "member_count": str(len(household)),
        },
        "kinship": _family(rng, c, birth),
        "id_card_image": {
            "name": c["name"], "birth_date": roc(birth), "sex": "男" if c["sex"] == "M" else "女",
            "national_id": c["national_id"], "issue_date": roc(id_card[0]), "issue_type": id_card[1],
            "issue_place": c["city"], "birthplace": c["city"], "address": c["address"],
            "photo": "相片影像（沙盒不提供影像）",
        },
        "low_income": {
            "status": status, "valid_from": "115/01/01" if low < 0.3 else "—",
            "valid_to": "115/12/31" if low < 0.3 else "—", "city": c["city"],
        },
        "labour_insurance": {
            "insured": "在保" if insured else "未在保", "employer": rng.choice(EMPLOYERS) if insured else "無",
            "salary_grade": f"{grade:,}" if insured else "—",
            "since": roc(_ago(rng, 100, 4000)) if insured else "—",
            "years": f"{rng.randrange(0, 30)} 年 {rng.randrange(0, 12)} 月",
        },
        **_property(rng, c, rng.randrange(0, 3), rng.randrange(0, 2)),
        "nhi_premiums": {
            "insured_category": "第一類" if insured else rng.choice(["第二類", "第六類"]),
            "insuring_unit": rng.choice(EMPLOYERS) if insured else f"{c['city']}公所",
            "premium_year": "115", "months_paid": str(paid), "paid_total": f"{premium * paid:,}",
            "arrears": "無" if rng.random() < 0.92 else "有",
        },
        "transfer_certificate": {
            "account": f"{rng.randrange(10, 99)}-{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}-{rng.randrange(10, 99)}-{rng.randrange(1, 9)}",
            "supply_address": c["address"], "holder": c["name"], "previous_holder": full_name(rng),
            "transferred_on": roc(_ago(rng, 30, 3000)), "arrears": "無" if rng.random() < 0.9 else "有",
        },
        "business_registration": _business(rng, c),
        "school_enrolment": {
            "found": "是" if in_school else "否", "national_id": c["national_id"], "name": c["name"],
            "birth_date": roc(birth), "change_year": "114" if in_school else "—",
            "school": rng.choice(SCHOOLS) if in_school else "—",
            "programme": rng.choice(PROGRAMMES) if in_school else "—",
            "status": "在學" if in_school else "—", "changed_on": "114/08/01" if in_school else "—",
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
        "vehicles": {
            "count": str(vehicles),
            "plates": "、".join(f"{rng.choice('ABKMR')}{rng.choice('ABCDEFG')}{rng.choice('ABCDE')}-{rng.randrange(1000, 9999)}"
                               for _ in range(vehicles)) or "無",
            "types": "、".join(rng.choice(["自用小客車", "普通重型機車"]) for _ in range(vehicles)) or "無",
        },
        "entry_exit": {
            "last_exit": roc(_ago(rng, 30, 900)), "last_entry": roc(_ago(rng, 1, 29)),
            "days_abroad": str(rng.randrange(0, 60)),
        },
    }  # fmt: skip
