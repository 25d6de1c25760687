"""One line of ``hw doctor``: what was checked, OK/WARN/FAIL, a message and a fix hint (message keys, so
zh-TW and en alike)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from counter_core.i18n import has_message, translate

Status = Literal["OK", "WARN", "FAIL"]


@dataclass
class Check:
    name: str
    status: Status
    message_key: str
    params: dict[str, Any] = field(default_factory=dict)
    hint_key: str = ""

    def as_dict(self, language: str) -> dict[str, Any]:
        return {
            "check": self.name,
            "status": self.status,
            "message": translate(self.message_key, language, **self.params),
            "hint": translate(self.hint_key, language, **self.params) if has_message(self.hint_key) else "",
            "key": self.message_key,
        }


def device_hint(message_key: str) -> str:
    """The technician's hint for a device state: ``doctor.hint.<key>`` (written for whoever fixes it), else the
    device's own ``<key>.hint`` (written for the kiosk's screen)."""
    for candidate in (f"doctor.hint.{message_key}", f"{message_key}.hint"):
        if has_message(candidate):
            return candidate
    return ""
