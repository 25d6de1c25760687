"""The ``mydata-counter`` command: every command has help; config errors exit 2 and name the key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from mydata_counter.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = ROOT / "config" / "demo.toml"


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    ctx = click.Context(group)
    found = [prefix]
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            found.extend(_all_commands(command, (*prefix, name)))
        else:
            found.append((*prefix, name))
    return found


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mydata_counter.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_console_script_help_lists_the_services_and_tools() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "mydata-counter"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    for command in ("demo", "kiosk", "clerk", "sandbox", "hw", "bench", "config"):
        assert f"  {command} " in result.stdout


@pytest.mark.parametrize("path", _all_commands(main), ids=lambda p: " ".join(p) or "(root)")
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


@pytest.mark.parametrize("service", ["kiosk", "clerk", "sandbox"])
def test_services_take_host_port_and_config(service: str) -> None:
    result = CliRunner().invoke(main, [service, "--help"])
    for option in ("--host", "--port", "--config"):
        assert option in result.output


def test_config_check_accepts_the_demo_config() -> None:
    result = run_cli("config", "check", "--config", str(DEMO_CONFIG))
    assert result.returncode == 0, result.stderr
    assert "config OK" in result.stdout


def test_missing_config_file_exits_2_naming_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    result = run_cli("config", "check", "--config", str(missing))
    assert result.returncode == 2
    assert str(missing) in result.stderr
    assert "file not found" in result.stderr


def test_bad_type_exits_2_naming_key_value_and_what_is_allowed(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[devices.printer]\ndriver = "reel"\n[kiosk]\nport = "abc"\n')
    result = run_cli("config", "check", "--config", str(config))
    assert result.returncode == 2
    assert "devices.printer.driver = 'reel'" in result.stderr
    assert "'real' or 'simulated'" in result.stderr
    assert "kiosk.port = 'abc'" in result.stderr
    assert "valid integer" in result.stderr


def test_unknown_key_exits_2_and_lists_the_allowed_keys(tmp_path: Path) -> None:
    config = tmp_path / "typo.toml"
    config.write_text("[clerk]\npurge_afer_s = 30\n")
    result = run_cli("config", "check", "--config", str(config))
    assert result.returncode == 2
    assert "clerk.purge_afer_s: unknown key" in result.stderr
    assert "purge_after_s" in result.stderr


def test_unknown_section_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "section.toml"
    config.write_text("[printer]\ndriver = 'real'\n")
    result = run_cli("config", "check", "--config", str(config))
    assert result.returncode == 2
    assert "printer: unknown key" in result.stderr
    assert "devices" in result.stderr


def test_invalid_toml_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text("[kiosk\nport = 1\n")
    result = run_cli("config", "check", "--config", str(config))
    assert result.returncode == 2
    assert "not valid TOML" in result.stderr


def test_environment_overrides_the_file_and_is_validated_too() -> None:
    good = run_cli(
        "config",
        "check",
        "--json",
        "--config",
        str(DEMO_CONFIG),
        env={"MYDATA_COUNTER_CLERK__PURGE_AFTER_S": "120"},
    )
    assert good.returncode == 0, good.stderr
    assert '"purge_after_s": 120' in good.stdout
    bad = run_cli("config", "check", "--config", str(DEMO_CONFIG), env={"MYDATA_COUNTER_DEVICES__CAMERA__FPS": "fast"})
    assert bad.returncode == 2
    assert "devices.camera.fps = 'fast'" in bad.stderr
    assert "MYDATA_COUNTER_DEVICES__CAMERA__FPS" in bad.stderr


def test_a_mistyped_environment_variable_exits_2_naming_it_and_what_is_allowed() -> None:
    for name, allowed in (
        ("MYDATA_COUNTER_KIOSKK__PORT", "kiosk"),  # section typo
        ("MYDATA_COUNTER_CLERK__PURGE_AFTER", "purge_after_s"),  # key typo
        ("MYDATA_COUNTER_DEVICES__CAMERA__FPS__X", "(none)"),  # below a value
    ):
        bad = run_cli("config", "check", "--config", str(DEMO_CONFIG), env={name: "1"})
        assert bad.returncode == 2, (name, bad.stdout)
        assert name in bad.stderr and allowed in bad.stderr, bad.stderr
        assert "Traceback" not in bad.stderr
    fine = run_cli("config", "check", "--config", str(DEMO_CONFIG), env={"MYDATA_COUNTER_CONFIG": str(DEMO_CONFIG)})
    assert fine.returncode == 0 and "no such setting" not in fine.stderr  # the config path is not a setting


def test_service_with_bad_config_exits_2_before_listening(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[kiosk]\nport = 70000\n")
    result = run_cli("kiosk", "--config", str(config))
    assert result.returncode == 2
    assert "kiosk.port = 70000" in result.stderr
    assert "less than or equal to 65535" in result.stderr
