"""Identity strength per dataset (依驗證強度), over real HTTP: a sandbox whose catalogue has one service per
dataset (and one mixing two), so each dataset's list is tried on its own; every method either passes and a
code is issued, or is refused before anything is checked, naming the dataset and the methods that would do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from broker_client import BrokerClient, errors
from broker_sandbox.catalogue import BUILT_IN
from counter_core.datacode import is_valid_code
from counter_core.identity import METHOD_IDS
from counter_core.settings import Settings, load_settings
from mydata_counter.testing.sandbox import issue_code, running_sandbox, sandbox_settings
from tests.broker.steps import SEED_STRENGTH, consented, pass_method, registered

ROOT = Path(__file__).resolve().parents[2]
MIXED = ("low_income", "land_and_prices")  # the welfare certificate takes more methods than the land registry


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, str]]:
    folder = tmp_path_factory.mktemp("strength")
    raw = json.loads(BUILT_IN.read_text(encoding="utf-8"))
    services = [
        {
            "id": f"only-{d['id']}",
            "agency_id": "lab",
            "name": d["name"],
            "description": d["name"],
            "purpose": d["name"],
            "dataset_ids": [d["id"]],
        }
        for d in raw["datasets"]
    ]
    services.append({"id": "mixed", "agency_id": "lab", "name": {"zh-TW": "混合"}, "description": {"zh-TW": "混合"},
                     "purpose": {"zh-TW": "混合"}, "dataset_ids": list(MIXED)})  # fmt: skip
    raw["agencies"] = [{"id": "lab", "name": {"zh-TW": "測試機關"}, "category": "general", "services": services}]
    catalogue = folder / "catalogue.json"
    catalogue.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    settings = sandbox_settings(load_settings(ROOT / "config" / "demo.toml"), folder, catalogue=catalogue)
    with running_sandbox(settings) as url:
        yield settings, url


@pytest.fixture
def client(lab: tuple[Settings, str]) -> Iterator[BrokerClient]:
    client = BrokerClient(lab[0].broker)
    yield client
    client.close()


@pytest.mark.parametrize("dataset_id", sorted(SEED_STRENGTH))
def test_each_seed_dataset_is_released_by_each_of_its_methods_and_refused_to_any_other(
    client: BrokerClient, lab: tuple[Settings, str], dataset_id: str
) -> None:
    settings, url = lab
    catalogue = client.catalogue()
    dataset = catalogue.dataset(dataset_id)
    assert dataset is not None and SEED_STRENGTH[dataset_id] <= set(dataset.allowed_methods)
    citizen = registered(settings, 100 + 10 * sorted(SEED_STRENGTH).index(dataset_id))[0]
    issue_code(client, settings, citizen, "only-household_personal")  # used MyData before: one method will do
    for method in METHOD_IDS:
        session_id = consented(client, f"only-{dataset_id}")
        if method in dataset.allowed_methods:
            status = pass_method(client, settings, url, session_id, citizen, method)
            assert status.methods_passed == [method] and not status.needs_another_method
            assert is_valid_code(client.issue_code(session_id).code), method
            continue
        with pytest.raises(errors.IdentityNotAllowed) as caught:
            pass_method(client, settings, url, session_id, citizen, method)
        refusal = caught.value
        assert refusal.params["dataset_id"] == dataset_id, method
        assert refusal.params["allowed_methods"] == dataset.allowed_methods
        assert dataset.name.get("zh-TW") in refusal.message("zh-TW") and dataset.name.get("en") in refusal.message("en")
        with pytest.raises(errors.IdentityRequired):
            client.issue_code(session_id)  # nothing passed, nothing issued


def test_a_service_mixing_datasets_takes_only_a_method_good_for_all(
    client: BrokerClient, lab: tuple[Settings, str]
) -> None:
    settings, url = lab
    catalogue = client.catalogue()
    service, welfare, land = catalogue.service("mixed"), catalogue.dataset(MIXED[0]), catalogue.dataset(MIXED[1])
    assert service is not None and welfare is not None and land is not None
    only_welfare = [m for m in welfare.allowed_methods if m not in land.allowed_methods]
    assert only_welfare and set(service.allowed_methods) == set(welfare.allowed_methods) & set(land.allowed_methods)
    citizen = registered(settings, 160)[0]
    issue_code(client, settings, citizen, "only-household_personal")
    for method in only_welfare:  # good for the welfare certificate, not for the land registry
        session_id = consented(client, "mixed")
        with pytest.raises(errors.IdentityNotAllowed) as caught:
            pass_method(client, settings, url, session_id, citizen, method)
        assert caught.value.params["dataset_id"] == land.id
        assert caught.value.params["allowed_methods"] == service.allowed_methods
        for name in ("自然人憑證", "健保卡"):
            assert name in caught.value.message("zh-TW")
    session_id = consented(client, "mixed")
    pass_method(client, settings, url, session_id, citizen, "nhi_card")
    assert is_valid_code(client.issue_code(session_id).code)


def test_on_first_use_the_first_method_must_be_good_for_the_service_the_second_may_be_any(
    client: BrokerClient, lab: tuple[Settings, str]
) -> None:
    settings, url = lab
    citizen = registered(settings, 170)[0]  # never used MyData
    session_id = consented(client, "only-labour_insurance")
    with pytest.raises(errors.IdentityNotAllowed):
        pass_method(client, settings, url, session_id, citizen, "multi_factor")
    status = pass_method(client, settings, url, session_id, citizen, "moica")
    assert status.needs_another_method and status.reason_key == "broker.identity.first_use"
    with pytest.raises(errors.IdentityRequired):
        client.issue_code(session_id)
    status = pass_method(client, settings, url, session_id, citizen, "multi_factor")
    assert status.methods_passed == ["moica", "multi_factor"] and not status.needs_another_method
    assert is_valid_code(client.issue_code(session_id).code)
