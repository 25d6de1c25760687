"""The sandbox's catalogue: the seeds' counter services with exactly the datasets they name, today's agency
names, the platform's categories, identity strength per dataset, demo clerks per agency, and a bad catalogue
file refused with the bad entry named."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from broker_client import BrokerClient
from broker_client.models import Catalogue, methods_for_all
from broker_sandbox.catalogue import BUILT_IN, CatalogueError, load_catalogue
from counter_core.settings import Settings
from mydata_counter.servicerunner import write_config
from tests.broker.steps import SEED_STRENGTH

# Seed 001, 「各部會規劃以MyData取代紙本之臨櫃核驗方式」: each ministry's counter service and the datasets it names
# (地籍 is served by the platform's 「地籍及實價資料」). 金管會's row names no dataset ("申辦銀行業務所需資料").
PLAN_2019 = {
    "nlma-housing-subsidy": ("內政部", {"household_personal", "land_and_prices", "house_tax_details"}),
    "nafa-property-lease": ("財政部", {"household_personal", "household_members", "kinship"}),
    "taipower-account-change": ("經濟部", {"household_personal", "transfer_certificate"}),
    "mpb-seafarer-duty": ("交通部", {"entry_exit"}),
    "bli-insured-benefit": ("勞動部", {"household_personal", "kinship"}),
    "moenv-repellent-import": ("環保署", {"household_personal"}),
    "vac-dependant-card": ("退輔會", {"household_personal"}),
    "moj-release-certificate": ("法務部", {"household_personal"}),
    "moa-fishing-crew-certificate": ("農委會", {"household_personal", "id_card_image"}),
    "hakka-venue-library": ("客委會", {"household_personal"}),
    "fsc-bank-application": ("金管會", None),
    "ftc-party-household": ("公平會", {"household_personal"}),
    "ncc-radio-licence": ("通傳會", {"business_registration", "household_personal"}),
}
# Seed 000: the agencies trying counter checks (today's names) and its worked example.
GUIDE_AGENCIES = {
    "內政部國土管理署", "財政部國有財產署", "台灣中油公司", "台灣電力公司", "交通部航港局", "勞動部勞工保險局",
    "教育部", "農業部", "客家委員會", "桃園市政府", "花蓮縣政府", "嘉義縣政府",
}  # fmt: skip
GUIDE_EXAMPLE = "hualien-disabled-parking"
# The datasets the seeds name that have no strength in the seed's table, and the listed one each is most like:
# none may be released by a method its model would refuse (docs/broker.md says why each is where it is).
MOST_SIMILAR = {
    "household_members": "household_personal", "kinship": "household_personal", "id_card_image": "household_personal",
    "entry_exit": "household_personal", "school_enrolment": "household_personal",
    "business_registration": "household_personal", "transfer_certificate": "household_personal",
    "house_tax_details": "land_and_prices", "vehicles": "land_and_prices", "disability": "low_income",
    "study_grants": "low_income",
}  # fmt: skip


@pytest.fixture(scope="module")
def catalogue(broker: tuple[Settings, str]) -> Catalogue:
    client = BrokerClient(broker[0].broker)
    try:
        return client.catalogue()
    finally:
        client.close()


def test_the_catalogue_over_http_is_the_data_file(catalogue: Catalogue) -> None:
    assert catalogue == load_catalogue()


def test_every_counter_service_of_the_2019_plan_is_there_with_exactly_its_datasets(catalogue: Catalogue) -> None:
    for service_id, (ministry, datasets) in PLAN_2019.items():
        service = catalogue.service(service_id)
        assert service is not None, service_id
        assert ministry in service.description.get("zh-TW"), service_id  # the seed's own name for the ministry
        if datasets is None:  # the plan names no dataset: ours are an example, and the service says so
            assert service.illustrative
        else:
            assert set(service.dataset_ids) == datasets and not service.illustrative, service_id


def test_renamed_agencies_carry_todays_name_and_the_seeds_name_in_the_description(catalogue: Catalogue) -> None:
    for service_id, today, seed_name in (
        ("moenv-repellent-import", "環境部", "環保署"),
        ("moa-fishing-crew-certificate", "農業部", "農委會"),
        ("nlma-housing-subsidy", "內政部國土管理署", "營建署"),
    ):
        service = catalogue.service(service_id)
        assert service is not None
        agency = catalogue.agency(service.agency_id)
        assert agency is not None and agency.name.get("zh-TW") == today
        assert seed_name in service.description.get("zh-TW")


def test_the_platform_guides_agencies_and_example_are_kept(catalogue: Catalogue) -> None:
    assert {agency.name.get("zh-TW") for agency in catalogue.agencies} >= GUIDE_AGENCIES
    parking = catalogue.service(GUIDE_EXAMPLE)
    assert (
        parking is not None and parking.name.get("zh-TW") == "身心障礙者專用停車位識別證" and not parking.illustrative
    )
    assert all(agency.services for agency in catalogue.agencies)


def test_services_the_seeds_do_not_name_are_marked_illustrative_and_say_so(catalogue: Catalogue) -> None:
    seeded = set(PLAN_2019) | {GUIDE_EXAMPLE}
    for agency in catalogue.agencies:
        for service in agency.services:
            if service.id not in seeded:
                assert service.illustrative, service.id
            if service.illustrative:
                assert "示意" in service.description.get("zh-TW") and "example" in service.description.get("en").lower()


def test_categories_are_the_platforms(catalogue: Catalogue) -> None:
    assert [c.name.get("zh-TW") for c in catalogue.categories] == [
        "教育學習",
        "商工登記",
        "綜合服務",
        "社會福利",
        "消費金融",
    ]
    assert {a.category for a in catalogue.agencies} == {c.id for c in catalogue.categories}  # each one is used


def test_the_seed_tables_datasets_release_to_exactly_its_methods(catalogue: Catalogue) -> None:
    """The seed's list, plus the mobile certificate wherever the card is (it is the card's certificate) and the
    other no-card / bank-card methods wherever 多因子 is (the guide lists them for that dataset's service)."""
    for dataset_id, seed_methods in SEED_STRENGTH.items():
        dataset = catalogue.dataset(dataset_id)
        assert dataset is not None, dataset_id
        expected = set(seed_methods) | {"mobile"}
        if "multi_factor" in seed_methods:
            expected |= {"nhi_household", "bank_card"}
        assert set(dataset.allowed_methods) == expected, dataset_id


def test_no_dataset_is_weaker_than_its_most_similar_listed_one(catalogue: Catalogue) -> None:
    listed = {d.id: set(d.allowed_methods) for d in catalogue.datasets}
    assert set(listed) == set(SEED_STRENGTH) | set(MOST_SIMILAR)  # every dataset has its reasoning
    for dataset_id, model in MOST_SIMILAR.items():
        assert listed[dataset_id] <= listed[model], dataset_id
    assert all(("moica" in methods) == ("mobile" in methods) for methods in listed.values())


def test_each_service_offers_the_methods_good_for_all_its_datasets(catalogue: Catalogue) -> None:
    for agency in catalogue.agencies:
        for service in agency.services:
            per_dataset = [catalogue.dataset(i) for i in service.dataset_ids]
            assert service.allowed_methods == methods_for_all([d.allowed_methods for d in per_dataset if d])
            assert service.allowed_methods, service.id


def test_datasets_the_seeds_name_are_there_with_meanings_in_both_languages(catalogue: Catalogue) -> None:
    names = {d.name.get("zh-TW") for d in catalogue.datasets}
    lacking_before = {
        "親屬關係資料", "國民身分證影像資料", "商工登記資料", "過戶證明資料", "房屋稅課稅明細資料",
        "保險費繳納紀錄資料", "地籍及實價資料",
    }  # fmt: skip
    assert lacking_before <= names
    premiums = catalogue.dataset("nhi_premiums")
    assert premiums is not None and premiums.source_agency.get("zh-TW") == "衛生福利部中央健康保險署"
    for dataset in catalogue.datasets:
        assert dataset.fields, dataset.id
        for field in dataset.fields:
            for text in (field.name, field.meaning):
                assert text.get("zh-TW") and text.root.get("en") and text.get("en") != text.get("zh-TW"), field.key


def test_school_enrolment_keeps_the_seeds_fields_without_its_ocr_error(catalogue: Catalogue) -> None:
    school = catalogue.dataset("school_enrolment")
    assert school is not None
    assert [f.name.get("zh-TW") for f in school.fields] == [
        "查詢結果", "身分證字號", "姓名", "出生年月日", "異動學年度", "學校名稱", "科別(學程)", "學籍狀態",
        "資料異動日期",
    ]  # fmt: skip
    status = next(f for f in school.fields if f.key == "status")
    assert "未達畢業標準" in status.meaning.get("zh-TW") and "尋業" not in status.meaning.get("zh-TW")
    assert status.meaning.get("en").count(",") == 6  # all 7 states in English too


def test_demo_clerks_come_from_the_catalogues_agencies(catalogue: Catalogue, broker: tuple[Settings, str]) -> None:
    settings, url = broker
    client = BrokerClient(settings.broker)
    home = requests.get(url + "/", timeout=5).text
    for agency in catalogue.agencies:
        assert f"clerk-{agency.id}" in home and f"{agency.id}-demo" in home
    for agency in catalogue.agencies[:3]:
        assert client.clerk_login(f"clerk-{agency.id}", f"{agency.id}-demo").agency_id == agency.id


def _write(path: Path, raw: dict[str, object]) -> Path:
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_bad_catalogue_file_is_refused_naming_the_entry(tmp_path: Path) -> None:
    raw = json.loads(BUILT_IN.read_text(encoding="utf-8"))
    agency, service = raw["agencies"][0], raw["agencies"][0]["services"][0]
    del service["name"]
    service["dataset_ids"] = [*service["dataset_ids"], "palm_prints"]
    raw["datasets"][2]["allowed_methods"] = ["moica", "fingerprint"]
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(_write(tmp_path / "bad.json", raw))
    text = str(caught.value)
    assert f"agencies[0] {agency['id']!r} → services[0] {service['id']!r} → name" in text
    assert f"datasets[2] {raw['datasets'][2]['id']!r} → allowed_methods[1]" in text
    service["name"] = {"zh-TW": "名稱"}
    raw["datasets"][2]["allowed_methods"] = ["moica"]
    with pytest.raises(CatalogueError, match=f"service {service['id']!r}.*unknown datasets \\['palm_prints'\\]"):
        load_catalogue(_write(tmp_path / "bad.json", raw))


def test_a_service_no_method_can_release_is_refused(tmp_path: Path) -> None:
    raw = json.loads(BUILT_IN.read_text(encoding="utf-8"))
    for dataset in raw["datasets"]:
        if dataset["id"] == "labour_insurance":
            dataset["allowed_methods"] = ["otp"]
        if dataset["id"] == "household_personal":
            dataset["allowed_methods"] = ["moica"]
    with pytest.raises(CatalogueError, match=r"'bli-unemployment'.*no identity method may release all"):  # moica vs otp
        load_catalogue(_write(tmp_path / "bad.json", raw))


def test_the_sandbox_does_not_start_on_a_bad_catalogue_and_says_why(
    broker: tuple[Settings, str], tmp_path: Path
) -> None:
    raw = json.loads(BUILT_IN.read_text(encoding="utf-8"))
    raw["agencies"][1]["category"] = "gardening"
    data = broker[0].model_dump()
    data["sandbox"]["catalogue"] = _write(tmp_path / "bad.json", raw)
    config = write_config(Settings(**data), tmp_path / "config.toml")
    command = [sys.executable, "-m", "mydata_counter.cli", "sandbox", "--config", str(config)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert f"agency {raw['agencies'][1]['id']!r}: unknown category 'gardening'" in done.stderr
