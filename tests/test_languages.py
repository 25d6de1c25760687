"""Languages are data: a third language added to counter_core/messages/languages.json (with a folder of
its own, partly translated) reaches the pages' switches and every error body, the broker's errors stay
well-formed (they were 500s when the protocol's text knew only zh-TW and en), and missing keys fall back
to zh-TW."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from broker_client.models import Text
from broker_sandbox import create_app as create_sandbox
from counter_core import i18n
from counter_core.settings import KioskSettings, Settings, load_settings
from counter_web.base import close_app
from hardware.cards.simulated import SimulatedReader
from hardware.printer.simulated import SimulatedPrinter
from kiosk import create_app as create_kiosk
from kiosk.devices import KioskDevices
from mydata_counter.testing.sandbox import sandbox_settings

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = ROOT / "counter_core" / "messages"
TAIWANESE = {"tag": "nan-TW", "name": "台語", "short": "台語"}


@pytest.fixture
def three_languages(tmp_path: Path) -> Iterator[None]:
    root = tmp_path / "messages"
    shutil.copytree(MESSAGES, root)
    listed = json.loads((root / "languages.json").read_text(encoding="utf-8"))
    (root / "languages.json").write_text(json.dumps([*listed, TAIWANESE], ensure_ascii=False), encoding="utf-8")
    (root / "nan-TW").mkdir()
    (root / "nan-TW" / "kiosk.json").write_text(json.dumps({"kiosk.welcome.start": "開始"}), encoding="utf-8")
    i18n.use_root(root)
    try:
        yield
    finally:
        i18n.use_root(MESSAGES)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return sandbox_settings(load_settings(ROOT / "config" / "demo.toml"), tmp_path)


def test_the_language_list_starts_with_zh_tw_and_has_a_folder_for_each() -> None:
    tags = i18n.languages()
    assert tags[0] == "zh-TW" and "en" in tags
    assert all((MESSAGES / tag).is_dir() for tag in tags)
    assert set(i18n.catalogue("en")) == set(i18n.catalogue("zh-TW"))  # the shipped languages are complete


@pytest.mark.usefixtures("three_languages")
def test_a_third_language_falls_back_to_zh_tw_for_missing_keys() -> None:
    assert i18n.languages() == ("zh-TW", "en", "nan-TW")
    assert i18n.translate("kiosk.welcome.start", "nan-TW") == "開始"
    assert i18n.translate("broker.code.used", "nan-TW") == i18n.translate("broker.code.used", "zh-TW")
    assert set(i18n.every_language("broker.code.used")) == {"zh-TW", "en", "nan-TW"}
    assert KioskSettings(default_language="nan-TW").default_language == "nan-TW"


@pytest.mark.usefixtures("three_languages")
def test_the_brokers_errors_carry_every_language_and_stay_json(settings: Settings) -> None:
    app = create_sandbox(settings)
    try:
        response = app.test_client().post("/api/v1/kiosk/sessions", json={"service_id": "x"})  # unsigned
        body = response.get_json()
        assert response.status_code == 401 and body["error"] == "broker.auth_failed"
        assert set(body["message"]) == {"zh-TW", "en", "nan-TW"}
        assert Text.model_validate(body["message"]).get("nan-TW") == body["message"]["zh-TW"]
    finally:
        close_app(app)
        app.extensions["mydata.sandbox"]["outbox"].close()


@pytest.mark.usefixtures("three_languages")
def test_the_kiosk_page_offers_the_third_language(settings: Settings) -> None:
    devices = KioskDevices(SimulatedReader(settings.devices.reader), SimulatedPrinter(settings.devices.printer, 0))
    app = create_kiosk(settings, devices)
    try:
        page = app.test_client().get("/").get_data(as_text=True)
        assert re.findall(r'class="langbtn" data-lang="([^"]+)"', page) == ["zh-TW", "en", "nan-TW"]
        found = re.search(r'<script id="config" type="application/json">(.*?)</script>', page, re.S)
        assert found is not None
        config = json.loads(found.group(1))
        assert config["messages"]["nan-TW"]["kiosk.welcome.start"] == "開始"
    finally:
        close_app(app)


def test_a_text_needs_its_zh_tw_form_and_language_tags_as_keys() -> None:
    assert Text.model_validate({"zh-TW": "花蓮縣政府"}).get("en") == "花蓮縣政府"
    with pytest.raises(ValueError, match="zh-TW"):
        Text.model_validate({"en": "Hualien County"})
    with pytest.raises(ValueError, match="language tags"):
        Text.model_validate({"zh-TW": "x", "Chinese!": "y"})
