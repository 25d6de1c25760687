"""The kiosk's in-memory session state, without a browser: idle sweep, wipe, card-pull rule, public view."""

from __future__ import annotations

import time

from broker_client.models import IdentityStatus
from kiosk.sessions import KioskSession, SessionStore


def _status(methods: list[str], needs_another: bool, reason: str = "") -> IdentityStatus:
    return IdentityStatus.model_validate(
        {
            "methods_passed": methods,
            "needs_another_method": needs_another,
            "reason_key": reason,
            "citizen_masked_id": "A12****789",
        }
    )


def test_sessions_get_unguessable_distinct_ids_and_are_found_again() -> None:
    store = SessionStore(max_idle_s=60)
    first, second = store.create("zh-TW"), store.create("en")
    assert first.id != second.id and len(first.id) >= 24
    assert store.get(first.id) is first and store.get(second.id) is second
    assert store.get(None) is None and store.get("") is None and store.get("nope") is None
    assert len(store) == 2


def test_sweep_wipes_only_sessions_idle_longer_than_the_limit() -> None:
    store = SessionStore(max_idle_s=0.05)
    stale, fresh = store.create("zh-TW"), store.create("en")
    time.sleep(0.1)
    store.get(fresh.id)  # a touch keeps it alive
    wiped = store.sweep()
    assert [s.id for s in wiped] == [stale.id]
    assert store.get(stale.id) is None and store.get(fresh.id) is fresh


def test_wipe_drops_identity_push_and_code_references() -> None:
    store = SessionStore(max_idle_s=60)
    session = store.create("zh-TW")
    session.identity = _status(["moica"], False)
    wiped = store.wipe(session.id)
    assert wiped is session and session.identity is None and session.push is None and session.issued is None
    assert store.wipe(session.id) is None and len(store) == 0


def test_pulling_the_card_ends_the_session_only_at_that_cards_unfinished_step() -> None:
    session = KioskSession("s", "zh-TW", active_method="moica")
    assert session.uses_card("moica")
    assert not session.uses_card("nhi") and not session.uses_card(None) and not session.uses_card("unknown")
    session.identity = _status(["moica"], True, "broker.identity.first_use")
    assert not session.uses_card("moica")  # MOICA already passed: taking the card out is expected
    session.active_method = "nhi_household"
    assert session.uses_card("nhi")


def test_wipe_where_removes_matching_sessions() -> None:
    store = SessionStore(max_idle_s=60)
    at_card, elsewhere = store.create("zh-TW"), store.create("en")
    at_card.active_method = "moica"
    wiped = store.wipe_where(lambda s: s.uses_card("moica"))
    assert [s.id for s in wiped] == [at_card.id] and store.get(elsewhere.id) is elsewhere


def test_first_use_needs_a_second_method_before_the_session_is_verified() -> None:
    session = KioskSession("s", "en")
    assert not session.verified and session.public()["methods"] == []
    session.identity = _status(["moica"], True, "broker.identity.first_use")
    view = session.public()
    assert not session.verified and view["needs_another_method"] and view["reason_key"] == "broker.identity.first_use"
    session.identity = _status(["moica", "nhi_household"], False)
    view = session.public()
    assert session.verified and view["verified"] and view["methods"] == ["moica", "nhi_household"]
    assert view["masked_id"] == "A12****789" and set(view) == {
        "service_id",
        "consented",
        "methods",
        "needs_another_method",
        "reason_key",
        "masked_id",
        "verified",
        "printed",
        "notice_to",  # where the notice of use goes, masked ("" until a verified contact is known)
    }
