"""The sandbox broker for the in-process tiers (kiosk and clerk API tests): served by a thread of the test
process on its own port, once per test module."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from broker_sandbox.citizens import Citizen
from counter_core.settings import Settings, load_settings
from mydata_counter.testing.inprocess import sandbox_in_thread
from mydata_counter.testing.sandbox import citizens, sandbox_settings

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Broker:
    settings: Settings
    app: Flask

    @property
    def url(self) -> str:
        return self.settings.broker.url

    def citizen(self, index: int) -> Citizen:
        return citizens(self.settings)[index]

    def sandbox(self) -> dict[str, Any]:
        return dict(self.app.extensions["mydata.sandbox"])


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    settings = sandbox_settings(load_settings(ROOT / "config" / "demo.toml"), tmp_path_factory.mktemp("sandbox"))
    with sandbox_in_thread(settings) as app:
        yield Broker(settings, app)
