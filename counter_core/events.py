"""How a service tells the pages what happened, without knowing Socket.IO: an event sink the web layer
provides. ``to`` names the one kiosk session or clerk login an event concerns; ``None`` is a device-wide
fact (reader present, printer status) that every page may know."""

from __future__ import annotations

from typing import Any, Protocol


class EventSink(Protocol):
    def __call__(self, event: str, payload: dict[str, Any], to: str | None = None) -> None: ...


def discard(event: str, payload: dict[str, Any], to: str | None = None) -> None:
    """A sink for services run without pages (benchmarks, tools)."""
