"""The QR-started phone sign-in over real HTTP: the kiosk shows a QR, the citizen's app scans it (a picture,
the pasted text or the opened link), approves by number matching among at least three numbers, and the kiosk's
session passes — no national ID typed. The QR expires, works once, and belongs to its kiosk session and terminal."""

from __future__ import annotations

import io
from pathlib import Path

import qrcode
import requests

from broker_client import BrokerClient, errors
from broker_client.signing import create_private_key, public_key_pem
from broker_sandbox.store import Store
from broker_sandbox.terminals import Terminals
from counter_core.settings import Settings
from mydata_counter.testing.sandbox import advance_clock, approve_push, citizens
from tests.broker.steps import consented

PARKING = "hualien-disabled-parking"


def _scan(url: str, national_id: str, text: str) -> dict[str, str]:
    return dict(requests.post(f"{url}/phone/{national_id}/scan", json={"text": text}, timeout=5).json())


def _pending(url: str, national_id: str) -> list[dict[str, object]]:
    return list(requests.get(f"{url}/phone/{national_id}/pushes", timeout=5).json()["pushes"])


def test_a_scanned_qr_signs_in_by_number_matching_without_a_typed_id(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, url = broker
    citizen = citizens(settings)[110]
    session = consented(client, PARKING)
    qr = client.qr_start(session)
    assert qr.payload.startswith(url) and "/qr/" in qr.payload
    assert client.qr_state(session, qr.qr_id).state == "waiting"
    assert _scan(url, citizen.national_id, qr.payload)["state"] == "push"
    scanned = client.qr_state(session, qr.qr_id)
    assert scanned.state == "scanned" and scanned.push is not None
    pending = _pending(url, citizen.national_id)
    assert len(pending) == 1 and pending[0]["kiosk"] == settings.broker.terminal_id
    choices = pending[0]["choices"]
    assert isinstance(choices, list) and len(choices) >= 3 and scanned.push.match_number in choices
    assert approve_push(url, citizen.national_id, scanned.push.push_id, scanned.push.match_number) == "approved"
    state = client.push_status(session, scanned.push.push_id)
    assert state.state == "approved" and state.identity is not None
    assert state.identity.methods_passed == ["mobile"]
    assert state.identity.citizen_masked_id.startswith(citizen.national_id[:3])


def test_a_picture_of_the_qr_scans_and_a_wrong_number_is_a_failed_check(
    client: BrokerClient, broker: tuple[Settings, str]
) -> None:
    settings, url = broker
    citizen = citizens(settings)[111]
    session = consented(client, PARKING)
    qr = client.qr_start(session)
    picture = io.BytesIO()
    qrcode.make(qr.payload).save(picture, format="PNG")
    upload = {"image": ("qr.png", picture.getvalue(), "image/png")}
    answer = requests.post(f"{url}/phone/{citizen.national_id}/scan", files=upload, timeout=5).json()
    assert answer["state"] == "push"
    push = client.qr_state(session, qr.qr_id).push
    assert push is not None
    wrong = next(c for c in _pending(url, citizen.national_id)[0]["choices"] if c != push.match_number)  # type: ignore[attr-defined]
    assert approve_push(url, citizen.national_id, push.push_id, wrong) == "wrong_number"
    assert client.push_status(session, push.push_id).state == "wrong_number"


def test_a_qr_works_once_and_expires(client: BrokerClient, broker: tuple[Settings, str]) -> None:
    settings, url = broker
    first, second = citizens(settings)[112], citizens(settings)[113]
    session = consented(client, PARKING)
    qr = client.qr_start(session)
    assert _scan(url, first.national_id, qr.payload)["state"] == "push"
    assert _scan(url, second.national_id, qr.payload)["state"] == "used"  # a photo of it, scanned again
    assert _pending(url, second.national_id) == []
    assert _scan(url, first.national_id, "https://example.com/not-a-kiosk")["state"] == "unknown"

    later = client.qr_start(session)
    renewed = client.qr_start(session)  # a new QR for the session: the one before stops working
    assert _scan(url, first.national_id, later.payload)["state"] == "expired"
    advance_clock(url, 61)
    assert client.qr_state(session, renewed.qr_id).state == "expired"
    assert _scan(url, first.national_id, renewed.payload)["state"] == "expired"


def test_a_qr_cannot_be_used_from_another_kiosk(
    client: BrokerClient, broker: tuple[Settings, str], tmp_path: Path
) -> None:
    settings, url = broker
    citizen = citizens(settings)[114]
    key_file = tmp_path / "kiosk-2.pem"
    Terminals(Store(settings.sandbox.database)).register("kiosk-2", public_key_pem(create_private_key(key_file)))
    other = BrokerClient(settings.broker.model_copy(update={"terminal_id": "kiosk-2", "key_file": key_file}))
    session = consented(client, PARKING)
    qr = client.qr_start(session)
    elsewhere = consented(other, PARKING)
    for asking, session_id in ((other, session), (other, elsewhere)):
        try:
            asking.qr_state(session_id, qr.qr_id)
            raise AssertionError("another kiosk read the QR")
        except (errors.SessionExpired, errors.NotFound):
            pass
    assert _scan(url, citizen.national_id, qr.payload)["state"] == "push"
    push = client.qr_state(session, qr.qr_id).push
    assert push is not None
    try:
        other.push_status(elsewhere, push.push_id)  # the push it made belongs to the first kiosk's session
        raise AssertionError("another kiosk followed the push")
    except errors.NotFound:
        pass
    other.close()


def test_the_kiosks_link_opened_on_the_phone_scans_it(client: BrokerClient, broker: tuple[Settings, str]) -> None:
    settings, url = broker
    citizen = citizens(settings)[115]
    session = consented(client, PARKING)
    qr = client.qr_start(session)
    page = requests.get(qr.payload, timeout=5)
    assert page.status_code == 200 and "行動自然人憑證" in page.text
    token = qr.payload.rsplit("/", 1)[1]
    opened = requests.get(f"{url}/phone/open", params={"national_id": citizen.national_id, "scan": token}, timeout=5)
    assert opened.url.endswith(f"/phone/{citizen.national_id}?scan={token}") and f'data-scan="{token}"' in opened.text
