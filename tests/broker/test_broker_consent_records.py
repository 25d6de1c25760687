"""Consent that holds up, data minimisation and records of use, over real HTTP: the terms are versioned and
complete in both languages, a consent names the version in force and exactly the service's datasets and fields,
a minimised service releases only its fields (to the clerk and in the notice), and the citizen's records of use
list each redemption with the transaction id the notice carried — never a value."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import requests

from broker_client import BrokerClient, errors
from broker_sandbox.catalogue import BUILT_IN, CatalogueError, load_catalogue
from counter_core.settings import Settings
from mydata_counter.testing import wait_for
from mydata_counter.testing.sandbox import advance_clock, citizens, issue_code, running_sandbox, sandbox_settings
from tests.broker.steps import moica

PARKING = "hualien-disabled-parking"
MINIMISED = {"household_personal": ["national_id", "name", "address"], "disability": ["holder", "valid_to", "mobility"]}


def test_the_terms_are_versioned_complete_in_both_languages_and_cite_the_legal_basis(
    client: BrokerClient,
) -> None:
    catalogue = client.catalogue()
    terms = catalogue.terms
    assert terms.version == catalogue.terms_version
    for text, sections in ((terms.terms_of_service, 8), (terms.privacy_policy, 7)):
        paragraphs_zh, paragraphs_en = text.get("zh-TW").split("\n\n"), text.get("en").split("\n\n")
        assert len(paragraphs_zh) == len(paragraphs_en) == sections  # every section, in both languages
    assert "第15條第2款" in terms.legal_basis.get("zh-TW") and "第16條第7款" in terms.legal_basis.get("zh-TW")
    assert "Article 15(2)" in terms.legal_basis.get("en") and "Article 16(7)" in terms.legal_basis.get("en")
    assert "第3條" in terms.privacy_policy.get("zh-TW")  # the data subject's rights
    for agency in catalogue.agencies:
        for service in agency.services:
            assert service.purpose.get("zh-TW") and service.purpose.get("en"), service.id


def test_a_consent_must_name_the_version_in_force_and_exactly_the_fields_shown(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, _ = broker
    session = client.start_session(PARKING)
    assert session.view_window_s == 600 and session.code_ttl_s == settings.sandbox.code_ttl_s
    with pytest.raises(errors.ConsentMismatch):
        client.record_consent(session.session_id, "2025-01", session.dataset_ids, terms_shown="scrolled")
    everything = {"household_personal": ["national_id", "name", "birth_date", "sex", "address", "household_number"]}
    with pytest.raises(errors.ConsentMismatch):  # shown more than the service gets: not what the broker releases
        more = {**MINIMISED, **everything, "vehicles": ["count", "plates", "types"]}
        client.record_consent(session.session_id, session.terms_version, session.dataset_ids, released_fields=more)
    with pytest.raises(errors.ConsentRequired):
        moica(client, settings, session.session_id, citizens(settings)[100])
    client.record_consent(
        session.session_id, session.terms_version, session.dataset_ids,
        released_fields={**MINIMISED, "vehicles": ["count", "plates", "types"]}, terms_shown="read_aloud",
    )  # fmt: skip
    with sqlite3.connect(settings.sandbox.database) as db:
        version, shown, fields = db.execute(
            "SELECT terms_version, terms_shown, released_fields FROM consents WHERE session_id = ?",
            [session.session_id],
        ).fetchone()
    assert (version, shown) == (session.terms_version, "read_aloud")
    assert json.loads(fields)["disability"] == MINIMISED["disability"]


def test_a_minimised_service_releases_only_its_fields_to_the_clerk_and_in_the_notice(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, url = broker
    citizen = citizens(settings)[101]
    issued = issue_code(client, settings, citizen, PARKING, contact="email")
    redemption = client.redeem(client.clerk_login("clerk-hualien", "hualien-demo").token, issued.code)
    released = {d.id: [f.key for f in d.fields] for d in redemption.datasets}
    assert released == {**MINIMISED, "vehicles": ["count", "plates", "types"]}
    values = json.dumps([f.value for d in redemption.datasets for f in d.fields], ensure_ascii=False)
    disability = citizen.datasets["disability"]
    if disability["category"] != "—":
        assert disability["category"] not in values  # the diagnosis category never leaves the broker
    assert citizen.household_number not in values and citizen.birth_date.isoformat() not in values

    def notice() -> str:
        mails = requests.get(f"{url}/outbox.json", timeout=5).json()["messages"]
        found = [m["body"] for m in mails if m["recipient"] == citizen.email and redemption.transaction_id in m["body"]]
        return found[0] if found else ""

    assert wait_for(notice, timeout_s=15)
    body = notice()
    assert "持證狀態、有效期限、行動不便" in body and "障礙類別" not in body and "戶號" not in body
    assert "Certificate, Valid until, Reduced mobility" in body


def test_records_of_use_list_each_redemption_with_its_transaction_id_and_no_values(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, url = broker
    citizen, other = citizens(settings)[102], citizens(settings)[103]
    clerk = client.clerk_login("clerk-hualien", "hualien-demo")
    first = client.redeem(clerk.token, issue_code(client, settings, citizen).code)
    second = client.redeem(clerk.token, issue_code(client, settings, citizen).code)
    client.redeem(clerk.token, issue_code(client, settings, other).code)  # someone else's: not in this list
    unused = issue_code(client, settings, citizen)  # issued, never scanned: nobody saw anything
    session = client.start_session(PARKING)
    client.record_consent(session.session_id, session.terms_version, session.dataset_ids)
    moica(client, settings, session.session_id, citizen)
    records = client.usage_records(session.session_id)
    assert [r.transaction_id for r in records.records] == [second.transaction_id, first.transaction_id]
    record = records.records[0]
    assert record.agency.get("zh-TW") == "花蓮縣政府" and record.service.get("en") == "Disabled parking permit"
    disability = next(d for d in record.datasets if d.id == "disability")
    assert [f.get("zh-TW") for f in disability.fields] == ["持證狀態", "有效期限", "行動不便"]
    text = records.model_dump_json()
    assert citizen.name not in text and citizen.national_id not in text and citizen.address not in text
    assert unused.code not in text

    advance_clock(url, 366 * 24 * 3600)  # a year on: older records are no longer listed
    later = client.start_session(PARKING)
    client.record_consent(later.session_id, later.terms_version, later.dataset_ids)
    moica(client, settings, later.session_id, citizen)
    assert client.usage_records(later.session_id).records == []


def test_a_catalogue_with_a_bad_field_subset_is_refused_naming_the_service(tmp_path: Path) -> None:
    raw = json.loads(BUILT_IN.read_text(encoding="utf-8"))
    parking = raw["agencies"][0]["services"][0]
    parking["released_fields"] = {"disability": ["holder", "diagnosis"]}
    bad = tmp_path / "catalogue.json"
    bad.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"hualien-disabled-parking.*released_fields\['disability'\]"):
        load_catalogue(bad)


def test_a_newer_terms_version_asks_again(tmp_path: Path, broker: tuple[Settings, str]) -> None:
    """A kiosk holding the old version cannot record a consent with it: the citizen is shown the new one."""
    raw = json.loads(BUILT_IN.read_text(encoding="utf-8"))
    raw["terms_version"] = raw["terms"]["version"] = "2026-07"
    raw["terms"]["effective"] = "2026-07-01"
    newer = tmp_path / "catalogue.json"
    newer.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    settings = sandbox_settings(broker[0], tmp_path, catalogue=newer)
    with running_sandbox(settings):
        client = BrokerClient(settings.broker)
        session = client.start_session(PARKING)
        assert session.terms_version == "2026-07"
        with pytest.raises(errors.ConsentMismatch) as caught:
            client.record_consent(session.session_id, "2026-01", session.dataset_ids)  # agreed to the old one
        assert "重新閱讀" in caught.value.message("zh-TW")
        assert client.catalogue().terms.version == "2026-07"
        client.record_consent(session.session_id, "2026-07", session.dataset_ids)
        client.close()
