"""A real sandbox broker and a clerk station (camera from an image folder), driven by Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from broker_client import BrokerClient
from broker_sandbox.citizens import Citizen
from counter_core.settings import Settings, load_settings
from mydata_counter.servicerunner import running_service
from mydata_counter.testing.sandbox import citizens, issue_code, running_sandbox, sandbox_settings

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class ClerkRig:
    settings: Settings
    broker_url: str
    clerk_url: str
    camera_dir: Path

    def citizen(self, index: int) -> Citizen:
        return citizens(self.settings)[index]

    def code(self, index: int, service: str = "hualien-disabled-parking") -> str:
        return issue_code(BrokerClient(self.settings.broker), self.settings, self.citizen(index), service).code

    def clerk_settings(self, **clerk: object) -> Settings:
        data = self.settings.model_dump()
        data["clerk"].update(clerk)
        return Settings(**data)


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClerkRig]:
    folder = tmp_path_factory.mktemp("clerk")
    base = sandbox_settings(load_settings(ROOT / "config" / "demo.toml"), folder, code_ttl_s=600)
    camera_dir = folder / "camera"
    camera_dir.mkdir()
    with running_sandbox(base) as broker_url:
        data = base.model_dump()
        data["clerk"].update({"audit_db": folder / "clerk-audit.db", "purge_after_s": 600})
        settings = Settings(**data)
        with running_service("clerk", settings) as clerk_url:
            yield ClerkRig(settings, broker_url, clerk_url, camera_dir)


def login(page: Page, url: str, user: str = "clerk-hualien", password: str = "hualien-demo") -> None:
    page.goto(url + "/login")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("#login")
    expect(page.locator("#who")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("data-connection", "connected")


@pytest.fixture
def clerk(page: Page, rig: ClerkRig) -> Page:
    login(page, rig.clerk_url)
    return page
