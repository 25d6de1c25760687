"""Synthetic citizens and the sandbox CA are deterministic and valid for any seed, so virtual cards,
tests and the sandbox agree without sharing a database."""

from __future__ import annotations

import re

from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import given, settings
from hypothesis import strategies as st

from broker_sandbox.ca import ca_certificate, citizen_credentials, sign_challenge, verify_citizen_signature
from broker_sandbox.catalogue import Catalogues
from broker_sandbox.citizens import find_citizen, generate_citizens
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
