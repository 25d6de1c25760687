"""User-facing text: both languages define the same keys with the same placeholders."""

from __future__ import annotations

import string

from counter_core.errors import CounterError
from counter_core.i18n import catalogue, translate


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_zh_tw_and_en_define_the_same_keys() -> None:
    assert catalogue("zh-TW").keys() == catalogue("en").keys()


def test_translations_use_the_same_placeholders() -> None:
    zh, en = catalogue("zh-TW"), catalogue("en")
    mismatched = [key for key in zh if _placeholders(zh[key]) != _placeholders(en[key])]
    assert mismatched == []


def test_unknown_language_falls_back_to_zh_tw() -> None:
    assert translate("device.state.ok", "fr") == catalogue("zh-TW")["device.state.ok"]


def test_error_messages_come_from_the_catalogue_not_exception_text() -> None:
    error = CounterError("config.invalid", source="/etc/x.toml")
    assert error.message("en") == "The configuration is invalid; the service cannot start: /etc/x.toml"
    assert "設定檔有誤" in error.message("zh-TW")
    assert str(error) == "config.invalid"
