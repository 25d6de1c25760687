"""``mydata-counter terminal init|show``: this terminal's Ed25519 key and the registration request the broker
operator needs (docs/deploy.md: connect to the central broker, and key rotation)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from mydata_counter.cli.support import config_option, load_or_exit

SERVICE_USER = "mydata"


def _fail(text: str, error: str, as_json: bool) -> NoReturn:
    """Say what is wrong (as JSON for ``--json``) and exit 1."""
    if as_json:
        click.echo(json.dumps({"ok": False, "error": error, "message": text}, ensure_ascii=False))
    else:
        click.echo(text, err=True)
    raise SystemExit(1)


def _key_path(config_path: Path, key_file: Path | None, as_json: bool) -> tuple[str, Path]:
    settings = load_or_exit(config_path, as_json)
    path = key_file or settings.broker.key_file
    if path is None:
        _fail("沒有設定金鑰檔 / no key file: set [broker] key_file in the config, or give --key-file", "unset", as_json)
    return settings.broker.terminal_id, path


def _report(terminal_id: str, path: Path, request_out: Path | None, as_json: bool) -> None:
    from broker_client.keys import inspect_key, registration_request
    from broker_client.signing import public_key_pem

    found = inspect_key(path)
    if found.key is None:
        _fail(f"不是 Ed25519 私鑰 / not an Ed25519 private key: {path}", "invalid", as_json)
    request = registration_request(terminal_id, found.key)
    if request_out is not None:
        request_out.write_text(json.dumps(request, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if as_json:
        details: dict[str, Any] = {"key_file": str(path), "mode": f"{found.mode:04o}", "owner": found.owner}
        click.echo(json.dumps({**details, "registration_request": request}, ensure_ascii=False, indent=2))
        return
    click.echo(f"終端代號 / terminal id:  {terminal_id}")
    click.echo(f"金鑰檔 / key file:       {path} (mode {found.mode:04o}, owner {found.owner})")
    click.echo(f"指紋 / fingerprint:      {request['fingerprint']}")
    click.echo("公鑰 / public key:")
    click.echo(public_key_pem(found.key).rstrip())
    click.echo("註冊申請（請交給中介平台管理者，並以電話核對指紋）/ registration request (send it to the broker")
    click.echo("operator and read them the fingerprint over the phone):")
    click.echo(json.dumps(request, ensure_ascii=False, indent=2))
    if request_out is not None:
        click.echo(f"（已另存 / also written to {request_out}）")


@click.group("terminal")
def terminal() -> None:
    """This terminal's key for signing broker requests: create it, show it and its registration request."""


@terminal.command("init")
@config_option
@click.option("--key-file", type=click.Path(path_type=Path, dir_okay=False), help="Instead of [broker] key_file.")
@click.option("--owner", default=SERVICE_USER, show_default=True, help="Service user given the key (as root).")
@click.option("--force", is_flag=True, help="Replace an existing key (it is kept beside, renamed).")
@click.option("--request-out", type=click.Path(path_type=Path, dir_okay=False), help="Also write the request here.")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
def init(
    config_path: Path, key_file: Path | None, owner: str, force: bool, request_out: Path | None, as_json: bool
) -> None:
    """Create the terminal key (Ed25519, mode 0600, owned by the service user when run as root) and print its
    public key, fingerprint and the registration request for the broker operator."""
    from broker_client.keys import hand_to
    from broker_client.signing import create_private_key

    terminal_id, path = _key_path(config_path, key_file, as_json)
    if path.exists():
        if not force:
            _fail(
                f"金鑰已存在 / a key already exists: {path}\n"
                "  mydata-counter terminal show 顯示它 / shows it; --force 換新（舊的改名保留）/ replaces it "
                "(the old one is kept, renamed): the broker must then register the new one.",
                "exists",
                as_json,
            )
        kept = path.with_name(f"{path.name}.replaced-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
        path.rename(kept)
        click.echo(f"舊金鑰改名保留 / old key kept as {kept}", err=True)
    new_folder = not path.parent.exists()
    create_private_key(path)
    if not hand_to(owner, *([path.parent, path] if new_folder else [path])):
        who = "not root" if os.geteuid() != 0 else f"no user {owner}"
        click.echo(f"注意 / note: key owned by the current user ({who}); the services run as {owner}", err=True)
    _report(terminal_id, path, request_out, as_json)


@terminal.command("show")
@config_option
@click.option("--key-file", type=click.Path(path_type=Path, dir_okay=False), help="Instead of [broker] key_file.")
@click.option("--request-out", type=click.Path(path_type=Path, dir_okay=False), help="Also write the request here.")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
def show(config_path: Path, key_file: Path | None, request_out: Path | None, as_json: bool) -> None:
    """Print the existing key's public key, fingerprint and registration request (never the private key)."""
    terminal_id, path = _key_path(config_path, key_file, as_json)
    try:
        _report(terminal_id, path, request_out, as_json)
    except FileNotFoundError:
        _fail(f"沒有金鑰 / no key at {path}: mydata-counter terminal init", "missing", as_json)
    except PermissionError:
        _fail(f"無權讀取 / cannot read {path}: run as root or as {SERVICE_USER}", "unreadable", as_json)
