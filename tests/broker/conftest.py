"""A sandbox broker per test module, over real HTTP, with a registered terminal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from broker_client import BrokerClient
from counter_core.settings import Settings, load_settings
from mydata_counter.testing.sandbox import running_sandbox, sandbox_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, str]]:
    base = load_settings(ROOT / "config" / "demo.toml")
    settings = sandbox_settings(base, tmp_path_factory.mktemp("sandbox"))  # its clock moves on request
    with running_sandbox(settings) as url:
        yield settings, url


@pytest.fixture
def client(broker: tuple[Settings, str]) -> Iterator[BrokerClient]:
    client = BrokerClient(broker[0].broker)
    yield client
    client.close()
