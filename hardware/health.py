"""What every device reports about itself, for /healthz, ``hw doctor`` and the admin page."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal, Protocol

State = Literal["ok", "warn", "fail", "off"]


@dataclass(frozen=True)
class DeviceHealth:
    kind: str  # "reader" | "camera" | "decoder" | "printer"
    driver: str  # "real" | "simulated" (+ the real driver's name, e.g. "real/escpos-network")
    state: State
    message_key: str  # i18n key for the state's explanation and fix hint
    detail: str = ""  # technical detail for technicians; never personal data

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class Device(Protocol):
    """The part every device interface shares."""

    def health(self) -> DeviceHealth: ...

    def close(self) -> None: ...
