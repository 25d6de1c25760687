"""The layering contract (pyproject.toml, run by `make lint`) holds for the tree and catches a violation: a
copy of the tree where a device module imports the sandbox, or the core imports an app, fails it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES: list[str] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["root_packages"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )


def _copy_tree(tmp_path: Path, violation: tuple[str, str] | None) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir()
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tree / package, ignore=shutil.ignore_patterns("__pycache__", "*.png", "*.json"))
    if violation is not None:
        module, imported = violation
        (tree / module).write_text(f'"""A layering violation planted by the test."""\n\nimport {imported}\n')
    return tree


def test_the_tree_keeps_its_layers(tmp_path: Path) -> None:
    result = _lint(_copy_tree(tmp_path, None))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "imported", "named"),
    [
        ("hardware/cards/_planted.py", "broker_sandbox.cards", "hardware.cards._planted -> broker_sandbox.cards"),
        ("counter_core/_planted.py", "kiosk.service", "counter_core._planted -> kiosk.service"),
        ("kiosk/_planted.py", "clerk.service", "kiosk._planted -> clerk.service"),
        ("broker_client/_planted.py", "hardware.devices", "broker_client._planted -> hardware.devices"),
    ],
)
def test_a_planted_violation_breaks_the_contract(tmp_path: Path, module: str, imported: str, named: str) -> None:
    result = _lint(_copy_tree(tmp_path, (module, imported)))
    assert result.returncode == 1, result.stdout
    assert "BROKEN" in result.stdout and named in result.stdout
