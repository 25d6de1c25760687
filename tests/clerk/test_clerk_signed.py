"""Signed receipts at the clerk station, in-process (``create_app`` + the Flask test client) against the real
sandbox broker behind a fault proxy: a receipt's QR is checked on the station before and without any broker
call (agency, service and expiry at once), each bad receipt is refused with its own message in zh-TW and en
and audited with no redemption, the broker being down after a genuine receipt says so with the expiry, an
unsigned ``MYDATA1:`` QR is still redeemed online only, and rotation keeps printed receipts valid."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import base45
import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from broker_client import BrokerClient
from broker_client.code_keys import local_time
from broker_client.models import IssuedCode
from clerk import create_app
from clerk.devices import ClerkDevices
from counter_core.clock import AdjustableClock
from counter_core.settings import Settings
from counter_core.signed_code import read_signed, sign_code
from hardware.camera.simulated import SimulatedCamera
from hardware.decode import build_decoder
from mydata_counter.testing.faultproxy import FaultProxy, fault_proxy
from mydata_counter.testing.sandbox import citizens, issue_code
from tests.clerk.api_rig import Station
from tests.inprocess_rig import Broker, broker

__all__ = ["broker"]


@dataclass
class SignedRig:
    station: Station
    proxy: FaultProxy
    clock: AdjustableClock
    broker: Broker

    def issue(self, index: int, service: str = "hualien-disabled-parking") -> IssuedCode:
        """A code from the kiosk flow, straight from the sandbox (not through the station's proxy)."""
        settings = self.broker.settings
        return issue_code(BrokerClient(settings.broker), settings, citizens(settings)[index], service)

    def audit(self) -> list[str]:
        return [e["event"] for e in self.station.service.audit.events()]


@pytest.fixture
def rig(broker: Broker, tmp_path: Path) -> Iterator[SignedRig]:
    with fault_proxy(broker.url) as proxy:
        data = broker.settings.model_dump()
        data["clerk"].update({"audit_db": tmp_path / "clerk-audit.db", "purge_after_s": 600})
        data["broker"].update({"url": proxy.url, "retries": 0, "timeout_s": 2})
        settings = Settings(**data)
        camera = SimulatedCamera(settings.devices.camera)
        clock = AdjustableClock()
        app = create_app(
            settings,
            ClerkDevices(camera, build_decoder(settings.devices.decoder)),
            BrokerClient(settings.broker),
            clock=clock,
        )
        station = Station(app, camera, settings)
        try:
            assert station.login().status_code == 302
            station.service.receipts.verifier.refresh()  # as the station's background thread does at start
            yield SignedRig(station, proxy, clock, broker)
        finally:
            station.close()


def _redeem(rig: SignedRig, text: str, request_id: str, source: str = "camera") -> dict[str, Any]:
    """``/api/redeem`` as the page does it: an answer lost on the way (504, e.g. a pooled connection the broker
    dropped) is asked again with the same request id."""
    for _ in range(3):
        answer: dict[str, Any] = rig.station.post(
            "/api/redeem", {"code": text, "source": source, "request_id": request_id}
        )
        if answer["status"] != 504:
            break
    return answer


def _bilingual(answer: dict[str, object]) -> dict[str, str]:
    message = answer["message"]
    assert isinstance(message, dict) and message["zh-TW"] and message["en"] and message["zh-TW"] != message["en"]
    return message


def test_a_signed_receipt_shows_agency_service_and_expiry_with_the_broker_unreachable(rig: SignedRig) -> None:
    issued = rig.issue(170)
    rig.proxy.set_mode("refuse")  # no broker call can succeed: the check is the station's alone
    answer = rig.station.post("/api/check", {"text": issued.qr_payload, "source": "camera"})
    assert answer["status"] == 200
    receipt = answer["receipt"]
    assert receipt["agency"]["zh-TW"] == "花蓮縣政府" and receipt["service"]["zh-TW"] == issued.service.get("zh-TW")
    assert receipt["until"] == local_time(int(issued.expires_at.timestamp()))
    assert [d["zh-TW"] for d in receipt["datasets"]] == [d.get("zh-TW") for d in issued.dataset_names]
    assert issued.code not in str(answer)  # the page has the receipt; the station never echoes the code
    rig.proxy.set_mode("pass")
    shown = rig.station.post("/api/redeem", {"code": issued.qr_payload, "source": "camera", "request_id": "r170"})
    assert shown["status"] == 200 and shown["receipt"]["until"] == receipt["until"]
    assert shown["redemption"]["datasets"]


def test_the_broker_down_after_a_genuine_receipt_says_genuine_and_until_when(rig: SignedRig) -> None:
    issued = rig.issue(171)
    until = local_time(int(issued.expires_at.timestamp()))
    rig.proxy.set_mode("refuse")
    answer = _redeem(rig, issued.qr_payload, "r171", "wedge")
    assert answer["status"] == 503 and answer["error"] == "clerk.receipt.genuine_offline"
    message = _bilingual(answer)
    assert f"有效至 {until}" in message["zh-TW"] and f"valid until {until}" in message["en"]
    assert "cannot be fetched" in message["en"]
    rig.proxy.set_mode("pass")  # the receipt was not used up: it is redeemed once MyData answers
    assert rig.station.post("/api/redeem", {"code": issued.qr_payload, "source": "wedge"})["status"] == 200


def _altered(text: str) -> str:
    """The same receipt with its service changed and the broker's signature kept."""
    message = cbor2.loads(base45.b45decode(text[len("MYDATA2:") :]))
    claims = cbor2.loads(message.value[2])
    claims[-65537][2] = "hualien-other-service"
    message.value[2] = cbor2.dumps(claims)
    encoded: bytes = base45.b45encode(cbor2.dumps(message))
    return "MYDATA2:" + encoded.decode()


def _forged(text: str) -> str:
    """The same claims signed with a key MyData never published."""
    return sign_code(read_signed(text).claims, Ed25519PrivateKey.generate())


@pytest.mark.parametrize(
    "case,key,status",
    [
        ("altered", "code.signed.forged", 409),
        ("forged", "code.signed.unknown_key", 409),
        ("truncated", "code.signed.malformed", 409),
        ("newer-version", "code.signed.version", 409),
        ("other-agency", "code.signed.foreign_agency", 409),
        ("expired", "code.signed.expired", 409),
    ],
)
def test_a_bad_receipt_is_refused_at_the_scan_with_its_reason_and_never_redeemed(
    rig: SignedRig, case: str, key: str, status: int
) -> None:
    issued = rig.issue(172 + ["altered", "forged", "truncated", "newer-version", "other-agency", "expired"].index(case),
                       "bli-unemployment" if case == "other-agency" else "hualien-disabled-parking")  # fmt: skip
    text = {
        "altered": _altered(issued.qr_payload),
        "forged": _forged(issued.qr_payload),
        "truncated": issued.qr_payload[:-40],
        "newer-version": "MYDATA3:" + issued.qr_payload[len("MYDATA2:") :],
        "other-agency": issued.qr_payload,
        "expired": issued.qr_payload,
    }[case]
    if case == "expired":
        rig.clock.advance(rig.station.settings.sandbox.code_ttl_s + 1)
    fetches = rig.station.service.receipts.verifier.fetches
    for path, body in (("/api/check", {"text": text}), ("/api/redeem", {"code": text})):
        answer = rig.station.post(path, {**body, "source": "camera"})
        assert answer["status"] == status and answer["error"] == key, (path, answer)
        message = _bilingual(answer)
        if case == "other-agency":
            assert "勞動部勞工保險局" in message["zh-TW"] or "勞保局" in message["zh-TW"]
        if case == "expired":
            assert local_time(int(issued.expires_at.timestamp())) in message["en"]
    # an unknown key id makes the station ask MyData's key list once (then it is refused without asking)
    assert rig.station.service.receipts.verifier.fetches == fetches + (1 if case == "forged" else 0)
    assert rig.audit().count(f"refused.signed.{key.split('.')[-1]}") == 2
    assert not any(event.startswith("viewed") or event == "redeemed" for event in rig.audit())
    if case in ("altered", "forged", "truncated", "newer-version"):  # the genuine receipt still works once
        assert rig.station.post("/api/redeem", {"code": issued.qr_payload, "source": "camera"})["status"] == 200


def test_an_unsigned_mydata1_qr_is_still_redeemed_online_only(rig: SignedRig) -> None:
    issued = rig.issue(180)
    text = "MYDATA1:" + issued.code
    fetches = rig.station.service.receipts.verifier.fetches
    rig.proxy.set_mode("refuse")  # unsigned: nothing can be said about it without MyData
    down = _redeem(rig, text, "r180")
    assert down["status"] == 503 and down["error"] != "clerk.receipt.genuine_offline"
    rig.proxy.set_mode("pass")
    shown = _redeem(rig, text, "r180b")
    assert shown["status"] == 200 and shown["receipt"] is None and shown["redemption"]["datasets"]
    assert rig.station.service.receipts.verifier.fetches == fetches  # no key list needed for it


def test_rotation_keeps_printed_receipts_valid_at_the_station_without_asking_again(rig: SignedRig) -> None:
    before = rig.issue(181)
    rig.broker.sandbox()["kiosk"].code_keys.rotate()
    after = rig.issue(182)
    assert read_signed(before.qr_payload).kid != read_signed(after.qr_payload).kid
    fetches = rig.station.service.receipts.verifier.fetches
    rig.proxy.set_mode("refuse")
    for issued in (before, after):  # the old key now retired, the new one published as `next` before it signed
        assert rig.station.post("/api/check", {"text": issued.qr_payload})["status"] == 200
    assert rig.station.service.receipts.verifier.fetches == fetches
