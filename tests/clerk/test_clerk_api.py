"""Every clerk page and API path in-process (``tests/clerk/api_rig.py``): the Flask test client over
``ClerkService``, the real sandbox broker on loopback, the simulated camera and the real decoder. What only
a browser shows (keypad, hand scanner, countdown on screen) stays in test_clerk_terminal.py."""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clerk.service import LOGIN_TRIES
from counter_core.datacode import damm_check_digit
from tests.clerk.api_rig import Station, broker, station

__all__ = ["broker", "station"]


def _audit(station: Station) -> list[str]:
    return [e["event"] for e in station.service.audit.events()]


def test_a_wrong_password_is_refused_with_a_clear_message_and_no_session(station: Station) -> None:
    response = station.login(password="nope")
    assert response.status_code == 401 and "帳號或密碼錯誤" in response.get_data(as_text=True)
    assert station.client.get("/").status_code == 302  # still the login page


def test_login_shows_the_agency_and_the_clerk(station: Station) -> None:
    assert station.login().status_code == 302
    page = station.client.get("/").get_data(as_text=True)
    assert "花蓮縣政府" in page and "clerk-hualien" in page
    assert _audit(station) == ["login"]


def test_every_api_call_needs_a_login(station: Station) -> None:
    station.csrf = station.token("/login")
    for path in ("/api/redeem", "/api/purge"):
        response = station.post(path, {"code": "1234"})
        assert response["status"] == 401 and response["error"] == "broker.clerk.session_expired"
    assert station.get("/api/viewing")["status"] == 401


def test_a_post_without_the_csrf_token_is_refused(station: Station) -> None:
    station.login()
    assert station.client.post("/api/redeem", json={"code": "0"}).status_code == 400
    assert station.client.post("/logout").status_code == 400


def test_a_typo_is_refused_before_any_broker_call(station: Station) -> None:
    station.login()
    body = "123456789012345"
    wrong = body + str((int(damm_check_digit(body)) + 1) % 10)
    response = station.post("/api/redeem", {"code": wrong, "source": "keypad"})
    assert response["status"] == 422 and response["error"] == "clerk.code.typo"
    assert not any(event.startswith("refused") for event in _audit(station))


def test_a_code_shows_the_citizens_data_until_purged_and_the_audit_has_no_values(station: Station) -> None:
    station.login()
    code = station.code(160)
    shown = station.post("/api/redeem", {"code": f"{code[:4]} {code[4:8]}-{code[8:]}", "source": "keypad"})
    redemption = shown["redemption"]
    assert 590 <= shown["purge_in_s"] <= 600 and redemption["datasets"] and redemption["identity_methods"]
    assert all(f["value"] is not None for d in redemption["datasets"] for f in d["fields"])
    assert station.get("/api/viewing") == {"viewing": True, "status": 200}
    assert station.post("/api/purge") == {"purged": True, "status": 200}
    assert station.get("/api/viewing") == {"viewing": False, "status": 200}
    assert _audit(station) == ["login", "viewed", "purged.done"]
    audit_text = repr(station.service.audit.events())
    assert code not in audit_text and redemption["transaction_id"] in audit_text


def test_a_used_code_is_409_and_the_refusal_is_audited(station: Station) -> None:
    station.login()
    code = station.code(161)
    station.post("/api/redeem", {"code": code})
    station.post("/api/purge")
    again = station.post("/api/redeem", {"code": code})
    assert again["status"] == 409 and again["error"] == "broker.code.used"
    assert again["message"]["zh-TW"] and again["message"]["en"]
    assert _audit(station)[-2:] == ["purged.done", "refused.used"]


def test_the_code_on_screen_entered_again_shows_it_again_without_asking_the_broker(station: Station) -> None:
    station.login()
    code = station.code(165)
    first = station.post("/api/redeem", {"code": code, "source": "wedge", "request_id": "r1"})
    again = station.post("/api/redeem", {"code": code, "source": "camera", "request_id": "r2"})
    assert again["status"] == 200 and again["again"] and not first["again"]
    assert again["redemption"]["transaction_id"] == first["redemption"]["transaction_id"]
    assert _audit(station).count("viewed") == 1 and not any(e.startswith("refused") for e in _audit(station))


def test_an_attempt_asked_again_after_a_refusal_is_told_the_same_without_a_second_broker_call(
    station: Station,
) -> None:
    station.login()
    body = "888888888888888"
    unknown = body + damm_check_digit(body)
    first = station.post("/api/redeem", {"code": unknown, "request_id": "lost-answer"})
    again = station.post("/api/redeem", {"code": unknown, "request_id": "lost-answer"})
    assert first["error"] == again["error"] == "broker.code.unknown" and again["status"] == 409
    assert _audit(station).count("refused.unknown") == 1


def test_the_view_ends_at_the_brokers_view_deadline_when_that_comes_first(station: Station) -> None:
    station.service.settings = station.service.settings.model_copy(update={"purge_after_s": 600})
    station.login()
    shown = station.post("/api/redeem", {"code": station.code(166)})
    deadline = datetime.fromisoformat(shown["redemption"]["view_deadline"])
    left = (deadline - datetime.now(UTC)).total_seconds()
    assert shown["purge_in_s"] <= left + 1


def test_an_unknown_code_is_409_with_what_to_do(station: Station) -> None:
    station.login()
    body = "999999999999999"
    response = station.post("/api/redeem", {"code": body + damm_check_digit(body)})
    assert response["status"] == 409 and response["error"] == "broker.code.unknown"


def test_the_purge_timer_purges_and_tells_the_page(station: Station) -> None:
    station.login()
    station.post("/api/redeem", {"code": station.code(162)})
    login = next(iter(station.service.logins._logins.values()))
    assert login.viewing is not None
    login.viewing.deadline = time.monotonic()  # due now
    assert station.wait_event("purged", 3)["reason"] == "timeout" and login.viewing is None
    assert _audit(station)[-1] == "purged.timeout"


def test_logout_purges_audits_and_ends_the_session(station: Station) -> None:
    station.login()
    station.post("/api/redeem", {"code": station.code(163)})
    assert station.client.post("/logout", data={"csrf_token": station.csrf}).status_code == 302
    assert _audit(station)[-2:] == ["purged.logout", "logout"]
    assert station.client.get("/").status_code == 302


def test_a_receipt_held_under_the_camera_is_announced_to_the_page(station: Station) -> None:
    station.login()
    code = station.code(164)
    station.camera.show(code)
    found = station.wait_event("code_found", 10)
    assert found["code"] == code and found["format"] in ("QRCode", "Code128")


def test_the_camera_preview_is_for_logged_in_clerks_and_technicians_only(station: Station) -> None:
    assert station.client.get("/camera/stream").status_code == 401
    station.login()
    response = station.client.get("/camera/stream")
    assert response.status_code == 200 and response.mimetype == "multipart/x-mixed-replace"
    response.close()


def test_wrong_logins_from_one_address_wait_without_locking_the_clerk_out_elsewhere(station: Station) -> None:
    def attempt(password: str, address: str) -> int:
        form = {"username": "clerk-taoyuan", "password": password, "csrf_token": station.token("/login")}
        return station.client.post("/login", data=form, environ_base={"REMOTE_ADDR": address}).status_code

    tries = LOGIN_TRIES[0]
    assert [attempt(f"guess-{n}", "10.0.0.9") for n in range(tries)] == [401] * tries
    limited = station.client.post(
        "/login",
        data={"username": "clerk-taoyuan", "password": "taoyuan-demo", "csrf_token": station.token("/login")},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert limited.status_code == 429 and "秒後再試" in limited.get_data(as_text=True)
    assert attempt("taoyuan-demo", "10.0.0.10") == 302  # the clerk at another desk logs in


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    source = tmp_path / "record.pdf"
    source.write_bytes(pdf)  # the test's own folder: the station never writes it
    return subprocess.run(["pdftotext", "-layout", str(source), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("setting", ["without_values", "with_values"])
def test_the_verification_record_is_the_agencys_choice_and_audited(
    station: Station, tmp_path: Path, setting: str
) -> None:
    station.service.settings = station.service.settings.model_copy(update={"case_record": setting})
    station.login()
    assert station.get("/api/record")["error"] == "clerk.record.nothing"
    shown = station.post("/api/redeem", {"code": station.code(167 if setting == "with_values" else 168)})
    response = station.client.get("/api/record")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"] and response.headers["Cache-Control"] == "no-store"
    text = _pdf_text(response.data, tmp_path)
    redemption = shown["redemption"]
    assert redemption["transaction_id"] in text and "MyData" in text and "林雅婷" in text
    values = [f["value"] for d in redemption["datasets"] for f in d["fields"] if len(f["value"]) >= 4]
    assert values and all((value in text) == (setting == "with_values") for value in values[:5])
    assert _audit(station)[-1] == f"record.{setting}"


def test_no_record_when_the_agency_keeps_none(station: Station) -> None:
    station.service.settings = station.service.settings.model_copy(update={"case_record": "off"})
    station.login()
    station.post("/api/redeem", {"code": station.code(169)})
    refused = station.get("/api/record")
    assert refused["status"] == 409 and refused["error"] == "clerk.record.off"
