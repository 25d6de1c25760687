"""``mydata-counter hw readers`` and ``hw virtual-card nhi|moica|bank``."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click

from counter_core.errors import CounterError
from counter_core.i18n import every_language
from mydata_counter.cli.support import config_option, load_or_exit

if TYPE_CHECKING:
    from broker_sandbox.citizens import Citizen
    from counter_core.settings import Settings
    from hardware.cards.vpcd import VirtualCard


@click.command("readers")
@config_option
@click.option("--json", "as_json", is_flag=True, help="JSON instead of lines.")
def readers(config_path: Path, as_json: bool) -> None:
    """Card readers (PC/SC), whether a card is in each, its type and ATR."""
    from hardware.cards import build_reader

    settings = load_or_exit(config_path, as_json)
    reader = build_reader(settings.devices.reader)
    try:
        found = reader.readers()
    except CounterError as error:
        if as_json:
            report = {"readers": [], "error": error.key, "message": every_language(error.key, **error.params)}
            click.echo(json.dumps(report, ensure_ascii=False))
        else:
            click.echo(error.bilingual(), err=True)
        raise SystemExit(1) from None
    finally:
        reader.close()
    if as_json:
        click.echo(json.dumps({"readers": [r.__dict__ for r in found]}, ensure_ascii=False))
        return
    if not found:
        click.echo("沒有讀卡機 / no card reader")
    for info in found:
        card = f"{info.card_type} card, ATR {info.atr}" if info.card_present else "no card"
        click.echo(f"{info.name}: {card}")


VPCD_DOWN = (
    "無法連上 vpcd：pcscd 與 vsmartcard-vpcd 是否已啟動？ / cannot reach vpcd: is pcscd running with "
    "vsmartcard-vpcd installed?"
)


@click.group("virtual-card")
def virtual_card() -> None:
    """Virtual cards on vsmartcard's vpcd (tests, demos): Enter pulls the card out or puts it back; Ctrl-C
    removes it and ends."""


def _citizen(config_path: Path, national_id: str) -> tuple[Settings, Citizen]:
    from broker_sandbox.citizens import find_citizen

    settings = load_or_exit(config_path)
    citizen = find_citizen(settings.sandbox.seed, settings.sandbox.citizens, national_id)
    if citizen is None:
        raise click.BadParameter(f"no sandbox citizen {national_id}", param_hint="--citizen")
    return settings, citizen


def _toggle_on_enter(card: VirtualCard) -> None:
    """Each Enter pulls the card out or puts it back, as a citizen would (insert/remove events, a card pulled
    mid-step); nothing happens when there is no terminal to read from."""
    # os.read, not sys.stdin: a daemon thread inside sys.stdin's buffer would hold its lock at interpreter exit
    while chunk := _read_stdin():
        for _enter in range(chunk.count(b"\n")):
            _toggle(card)


def _read_stdin() -> bytes:
    try:
        return os.read(sys.stdin.fileno(), 1024)
    except (OSError, ValueError):  # no stdin at all
        return b""


def _toggle(card: VirtualCard) -> None:
    if card.inserted:
        card.remove()
        click.echo("卡片已拔出（Enter 再插入）/ card pulled out (Enter puts it back)")
        return
    try:
        card.insert()
    except OSError:
        click.echo(VPCD_DOWN, err=True)
        return
    click.echo("卡片已插入（Enter 拔出）/ card inserted (Enter pulls it out)")


def _serve_until_interrupted(card: VirtualCard) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=_toggle_on_enter, args=(card,), daemon=True, name="card-toggle").start()
    stop.wait()
    card.remove()
    click.echo("卡片已移除 / card removed")


@virtual_card.command("nhi")
@config_option
@click.option("--citizen", "national_id", required=True, help="National ID of a sandbox citizen.")
@click.option("--reader", type=click.IntRange(0, 1), default=0, show_default=True, help="vpcd reader slot.")
def nhi(config_path: Path, national_id: str, reader: int) -> None:
    """Insert a virtual NHI card holding the sandbox citizen's data."""
    from hardware.cards.nhi_card import encode_basic_data
    from hardware.cards.vpcd import VPCD_PORTS, VirtualCard, nhi_responder

    _settings, citizen = _citizen(config_path, national_id)
    data = encode_basic_data(
        citizen.nhi_card_number,
        citizen.name,
        citizen.national_id,
        citizen.birth_date,
        citizen.sex,
        None,
    )
    try:
        card = VirtualCard(nhi_responder(data), port=VPCD_PORTS[reader]).insert()
    except OSError:
        click.echo(VPCD_DOWN, err=True)
        raise SystemExit(1) from None
    click.echo(f"健保卡已插入 / NHI card inserted in Virtual PCD 00 0{reader} (Enter pulls it out; Ctrl-C ends)")
    _serve_until_interrupted(card)


@virtual_card.command("moica")
@config_option
@click.option("--citizen", "national_id", required=True, help="National ID of a sandbox citizen.")
@click.option("--pin", default="123456", show_default=True, help="The token's user PIN.")
@click.option("--folder", type=click.Path(path_type=Path), default=None, help="Where the token lives [a temp folder].")
@click.option("--reader", type=click.IntRange(0, 1), default=0, show_default=True, help="vpcd reader slot.")
def moica(config_path: Path, national_id: str, pin: str, folder: Path | None, reader: int) -> None:
    """Insert a virtual MOICA card: a card with the MOICA ATR in vsmartcard's reader (pcscd sees it inserted),
    whose key and certificate — the citizen's, from the sandbox CA — live in a SoftHSM2 token reached by
    PKCS#11. Prints the settings a kiosk with the real reader driver needs; Ctrl-C removes the card (and the
    token, when it was made in a temporary folder)."""
    from broker_sandbox.ca import citizen_credentials
    from hardware.cards.softhsm import MODULE, create_token
    from hardware.cards.vpcd import MOICA_ATR, VPCD_PORTS, VirtualCard, moica_responder, vpcd_reader_name

    settings, citizen = _citizen(config_path, national_id)
    place = folder or Path(tempfile.mkdtemp(prefix="moica-"))
    if (place / "softhsm2.conf").exists():
        raise click.BadParameter(f"{place} already holds a token; give an empty folder", param_hint="--folder")
    key, certificate = citizen_credentials(settings.sandbox.seed, citizen.national_id)
    try:
        try:
            token = create_token(place, "MOICA", pin, key, certificate)
        except (OSError, RuntimeError, subprocess.CalledProcessError):
            click.echo("無法建立 SoftHSM2 權杖 / cannot create the SoftHSM2 token: is softhsm2 installed?", err=True)
            raise SystemExit(1) from None
        try:
            card = VirtualCard(moica_responder, atr=MOICA_ATR, port=VPCD_PORTS[reader]).insert()
        except OSError:
            click.echo(VPCD_DOWN, err=True)
            raise SystemExit(1) from None
        name = vpcd_reader_name(reader)
        variables = {
            "SOFTHSM2_CONF": str(token.config),
            "MYDATA_COUNTER_DEVICES__READER__DRIVER": "real",
            "MYDATA_COUNTER_DEVICES__READER__READER_NAME": name,
            "MYDATA_COUNTER_DEVICES__READER__PKCS11_MODULE": str(MODULE),
        }
        click.echo(f"自然人憑證已插入 / MOICA card inserted in {name}, PIN {pin} (Enter pulls it out; Ctrl-C ends)")
        click.echo("啟動自助機時設定 / start the kiosk with:")
        for variable, value in variables.items():
            click.echo(f"  export {variable}={shlex.quote(value)}")
        click.echo(
            f'  (or in [devices.reader]: driver = "real", reader_name = "{name}", pkcs11_module = "{MODULE}";'
            " SOFTHSM2_CONF stays in the environment: the PKCS#11 module reads it)"
        )
        _serve_until_interrupted(card)
    finally:
        if folder is None:
            shutil.rmtree(place, ignore_errors=True)


@virtual_card.command("bank")
@config_option
@click.option("--citizen", "national_id", required=True, help="National ID of a sandbox citizen.")
@click.option("--pin", default="123456", show_default=True, help="The card's PIN (6-12 digits).")
@click.option("--reader", type=click.IntRange(0, 1), default=0, show_default=True, help="vpcd reader slot.")
def bank(config_path: Path, national_id: str, pin: str, reader: int) -> None:
    """Insert a virtual chip bank card (晶片金融卡, our stand-in APDUs: docs/bank-card.md) holding the sandbox
    citizen's bank-card key and certificate."""
    from broker_sandbox.cards import SandboxCards
    from hardware.cards.bank_card import ATR, PIN_DIGITS
    from hardware.cards.bank_card_applet import BankCardApplet
    from hardware.cards.vpcd import VPCD_PORTS, VirtualCard

    settings, citizen = _citizen(config_path, national_id)
    if not (pin.isdigit() and PIN_DIGITS[0] <= len(pin) <= PIN_DIGITS[1]):
        raise click.BadParameter("6 to 12 digits", param_hint="--pin")
    credentials = SandboxCards(settings.sandbox.seed, settings.sandbox.citizens).bank_card_credentials(
        citizen.national_id
    )
    assert credentials is not None
    applet = BankCardApplet(credentials.certificate_der, credentials.sign, pin)
    try:
        card = VirtualCard(applet, atr=ATR, port=VPCD_PORTS[reader]).insert()
    except OSError:
        click.echo(
            "無法連上 vpcd：pcscd 與 vsmartcard-vpcd 是否已啟動？ / cannot reach vpcd: is pcscd running "
            "with vsmartcard-vpcd installed?",
            err=True,
        )
        raise SystemExit(1) from None
    click.echo(f"晶片金融卡已插入 / chip bank card inserted in Virtual PCD 00 0{reader} (Ctrl-C removes it)")
    _serve_until_interrupted(card)


commands: list[click.Command] = [readers, virtual_card]
