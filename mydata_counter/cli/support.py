"""Helpers shared by every ``mydata-counter`` command: the --config option and loading it."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from counter_core.settings import DEFAULT_CONFIG_PATH, ConfigError, Settings, load_settings

F = TypeVar("F", bound=Callable[..., Any])

CONFIG_EXIT_STATUS = 2


def config_option(func: F) -> F:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        default=DEFAULT_CONFIG_PATH,
        show_default=True,
        envvar="MYDATA_COUNTER_CONFIG",
        help="TOML config file; MYDATA_COUNTER_<SECTION>__<KEY> environment variables override it.",
    )(func)


def report_config_error(error: ConfigError) -> None:
    click.echo(f"設定錯誤 / config error in {error.source}:", err=True)
    for line in error.problems:
        click.echo(f"  - {line}", err=True)


def load_or_exit(config_path: Path, as_json: bool = False) -> Settings:
    """Load settings; on a bad config, name each problem (on stderr, or as a JSON document on stdout for a
    command's ``--json``) and exit with status 2."""
    try:
        return load_settings(config_path)
    except ConfigError as error:
        if as_json:
            report = {"ok": False, "error": "config.invalid", "source": error.source, "problems": error.problems}
            click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            report_config_error(error)
        sys.exit(CONFIG_EXIT_STATUS)
