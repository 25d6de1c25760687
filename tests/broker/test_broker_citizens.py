"""Synthetic citizens and the sandbox CA are deterministic and valid for any seed, so virtual cards,
tests and the sandbox agree without sharing a database."""

from __future__ import annotations

import re

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import given, settings
from hypothesis import strategies as st

from broker_sandbox.ca import (
    CertificateRejected,
    ca_certificate,
    citizen_credentials,
    sign_challenge,
    verify_bank_card_signature,
    verify_citizen_signature,
)
from broker_sandbox.cards import SandboxCards
from broker_sandbox.catalogue import Catalogues
from broker_sandbox.citizens import find_by_nhi_card, find_citizen, generate_citizens
from counter_core.national_id import is_valid_national_id

CJK_NAME = re.compile(r"^[\u4e00-\u9fff]{3}$")
seeds = st.integers(min_value=0, max_value=2**31)


@settings(max_examples=25, deadline=None)
@given(seed=seeds, count=st.integers(min_value=1, max_value=40))
def test_any_seed_gives_valid_distinct_reproducible_citizens(seed: int, count: int) -> None:
    people = generate_citizens(seed, count)
    generate_citizens.cache_clear()
    assert generate_citizens(seed, count) == people  # same seed, same people (fresh, not cached)
    ids = [p.national_id for p in people]
    assert len(set(ids)) == count and all(is_valid_national_id(i) for i in ids)
    for person in people:
        assert CJK_NAME.match(person.name)
        assert re.fullmatch(r"09\d{8}", person.phone) and re.fullmatch(r"\d{12}", person.nhi_card_number)
        assert re.fullmatch(r"[A-Z]\d{7}", person.household_number) and person.email.endswith("@example.tw")
        assert (person.national_id[1] == "1") == (person.sex == "M")
        assert find_citizen(seed, count, person.national_id.lower()) == person
        assert find_by_nhi_card(seed, count, person.nhi_card_number) == person
        age_at_issue = person.id_card_issue_date.year - person.birth_date.year
        assert age_at_issue >= 14 and person.id_card_issue_date.year <= 2026  # first issued at 14
        assert person.nhi_password is None or re.fullmatch(r"[a-z]{2,3}\d{6}", person.nhi_password)
        assert re.fullmatch(r"\d{3}-\d{12}", person.bank_card_account)


def test_every_citizen_has_a_value_for_every_field_of_every_dataset() -> None:
    catalogue = Catalogues().catalogue
    for person in generate_citizens(20261124, 240):
        for dataset in catalogue.datasets:
            values = person.datasets[dataset.id]
            assert {f.key for f in dataset.fields} <= values.keys(), dataset.id
            assert all(values[f.key] for f in dataset.fields), dataset.id


def test_personal_values_stay_out_of_repr() -> None:
    person = generate_citizens(20261124, 240)[0]
    assert person.national_id not in repr(person) and person.name not in repr(person)


@settings(max_examples=10, deadline=None)
@given(seed=seeds, challenge=st.binary(min_size=1, max_size=64))
def test_card_keys_are_derived_from_seed_and_id_and_verify_against_the_ca(seed: int, challenge: bytes) -> None:
    person = generate_citizens(seed, 3)[1]
    key, certificate = citizen_credentials(seed, person.national_id)
    citizen_credentials.cache_clear()
    again, _ = citizen_credentials(seed, person.national_id)
    assert again.private_numbers() == key.private_numbers()
    assert certificate.issuer == ca_certificate(seed).subject
    der = certificate.public_bytes(Encoding.DER)
    assert verify_citizen_signature(seed, der, challenge, sign_challenge(key, challenge)) == person.national_id


def test_some_citizens_never_registered_their_nhi_card_for_the_network_service() -> None:
    people = generate_citizens(20261124, 240)
    unregistered = sum(1 for p in people if p.nhi_password is None)
    assert 0 < unregistered < len(people) // 4


@settings(max_examples=5, deadline=None)
@given(seed=seeds, challenge=st.binary(min_size=1, max_size=64))
def test_bank_cards_sign_for_the_verification_centre_and_name_only_their_account(seed: int, challenge: bytes) -> None:
    person = generate_citizens(seed, 3)[2]
    card = SandboxCards(seed, 3).bank_card_credentials(person.national_id)
    assert card is not None
    account = verify_bank_card_signature(seed, card.certificate_der, challenge, card.sign(challenge))
    assert account == person.bank_card_account and person.national_id not in account
    with pytest.raises(CertificateRejected):  # a bank card is no citizen certificate, and the other way round
        verify_citizen_signature(seed, card.certificate_der, challenge, card.sign(challenge))
    key, certificate = citizen_credentials(seed, person.national_id)
    with pytest.raises(CertificateRejected):
        verify_bank_card_signature(
            seed, certificate.public_bytes(Encoding.DER), challenge, sign_challenge(key, challenge)
        )
