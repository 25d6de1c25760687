"""A counter on one machine for the accessibility tests: the sandbox broker, a clerk station and a kiosk that
calls it for help, both as real services; axe-core (tests/vendor) injected into the pages to check them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from broker_sandbox.citizens import Citizen
from counter_core.settings import Settings, load_settings
from mydata_counter.servicerunner import free_port, running_service
from mydata_counter.testing.sandbox import citizens, running_sandbox, sandbox_settings
from tests.kiosk.kiosk_rig import agree, insert, past_contact, to_identity, type_keys

__all__ = ["agree", "insert", "past_contact", "to_identity", "type_keys"]

ROOT = Path(__file__).resolve().parents[2]
AXE = (ROOT / "tests" / "vendor" / "axe.min.js").read_text(encoding="utf-8")
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
VIEWPORTS: list[ViewportSize] = [
    {"width": 1080, "height": 1920},
    {"width": 1280, "height": 1024},
    {"width": 1920, "height": 1080},
]


@dataclass
class Counter:
    settings: Settings
    broker_url: str
    kiosk_url: str
    clerk_url: str

    def citizen(self, index: int) -> Citizen:
        return citizens(self.settings)[index]


@pytest.fixture(scope="module")
def counter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Counter]:
    folder = tmp_path_factory.mktemp("counter")
    base = sandbox_settings(load_settings(ROOT / "config" / "demo.toml"), folder, push_ttl_s=40)
    clerk_port = free_port()
    data = base.model_dump()
    data["kiosk"].update({"idle_warning_s": 8, "idle_wipe_s": 5, "help_stations": [f"http://127.0.0.1:{clerk_port}"]})
    data["clerk"].update({"help_kiosks": {base.broker.terminal_id: str(base.broker.key_file)}})
    settings = Settings(**data)
    with (
        running_sandbox(settings) as broker_url,  # demo mode: creates the terminal key both services use
        running_service("clerk", settings, port=clerk_port) as clerk_url,
        running_service("kiosk", settings) as kiosk_url,
    ):
        yield Counter(settings, broker_url, kiosk_url, clerk_url)


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 A/AA violations on the page as it is now (ids and the elements)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE)
    result = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
        ".map((v) => ({id: v.id, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5)}))",
        WCAG,
    )
    return list(result)


def open_kiosk(page: Page, counter: Counter, viewport: ViewportSize | None = None) -> Page:
    page.set_viewport_size(viewport or VIEWPORTS[2])
    page.request.delete(counter.kiosk_url + "/demo/card")
    page.goto(counter.kiosk_url + "/")
    expect(page.locator("html")).to_have_attribute("data-connection", "connected")
    return page
