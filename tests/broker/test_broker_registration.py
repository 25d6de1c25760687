"""Outside demo mode the sandbox trusts no terminal by itself: no key is created, requests are refused
until `mydata-counter sandbox register-terminal` registers the terminal's public key (while the
sandbox runs, as the central broker's registration would)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from broker_client import BrokerClient, errors
from broker_client.signing import create_private_key, load_private_key, public_key_pem
from counter_core.settings import Settings, load_settings
from mydata_counter.servicerunner import write_config
from mydata_counter.testing.sandbox import running_sandbox, sandbox_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def production_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Path]]:
    folder = tmp_path_factory.mktemp("production")
    settings = sandbox_settings(load_settings(ROOT / "config" / "demo.toml"), folder, demo_mode=False)
    with running_sandbox(settings):
        yield settings, folder


def _register_terminal(settings: Settings, folder: Path, terminal_id: str, public: Path) -> None:
    """What a technician runs: ``mydata-counter sandbox register-terminal`` against the running sandbox."""
    config = write_config(settings, folder / "config.toml")
    done = subprocess.run(
        [sys.executable, "-m", "mydata_counter.cli", "sandbox", "--config", str(config), "register-terminal",
         "--id", terminal_id, "--public-key", str(public)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_production_mode_creates_no_key_and_trusts_no_terminal(production_broker: tuple[Settings, Path]) -> None:
    settings, _ = production_broker
    assert settings.broker.key_file is not None
    assert not settings.broker.key_file.exists()
    with pytest.raises(errors.AuthFailed):
        BrokerClient(settings.broker).catalogue()  # no key file: refused before sending
    create_private_key(settings.broker.key_file)
    with pytest.raises(errors.AuthFailed) as caught:
        BrokerClient(settings.broker).catalogue()
    assert "unknown terminal" in str(caught.value.params["reason"])


def test_registered_terminal_is_trusted_without_a_restart(production_broker: tuple[Settings, Path]) -> None:
    settings, folder = production_broker
    key_file = folder / "station-7.pem"
    public = folder / "station-7.pub.pem"
    public.write_text(public_key_pem(create_private_key(key_file)))
    station = settings.broker.model_copy(update={"terminal_id": "clerk-station-7", "key_file": key_file})
    with pytest.raises(errors.AuthFailed):
        BrokerClient(station).catalogue()
    _register_terminal(settings, folder, "clerk-station-7", public)
    assert BrokerClient(station).catalogue().agencies


def test_a_re_keyed_terminal_is_refused_with_its_old_key(production_broker: tuple[Settings, Path]) -> None:
    settings, folder = production_broker
    old_key, new_key = folder / "station-8-old.pem", folder / "station-8-new.pem"
    create_private_key(old_key)
    public = folder / "station-8.pub.pem"

    def register(key_file: Path) -> None:
        public.write_text(public_key_pem(load_private_key(key_file)))
        _register_terminal(settings, folder, "clerk-station-8", public)

    def station(key_file: Path) -> BrokerClient:
        return BrokerClient(settings.broker.model_copy(update={"terminal_id": "clerk-station-8", "key_file": key_file}))

    register(old_key)
    assert station(old_key).catalogue().agencies
    create_private_key(new_key)
    register(new_key)  # e.g. the old key was on a stolen disk
    with pytest.raises(errors.AuthFailed) as caught:
        station(old_key).catalogue()
    assert "invalid signature" in str(caught.value.params["reason"])
    assert station(new_key).catalogue().agencies
