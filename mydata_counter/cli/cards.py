"""``mydata-counter hw readers`` and ``hw virtual-card nhi|moica|bank``."""

from __future__ import annotations

import json
import signal
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click

from counter_core.errors import CounterError
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

    settings = load_or_exit(config_path)
    reader = build_reader(settings.devices.reader)
    try:
        found = reader.readers()
    except CounterError as error:
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


@click.group("virtual-card")
def virtual_card() -> None:
    """Virtual cards on vsmartcard's vpcd (tests, demos): Ctrl-C removes the card."""


def _citizen(config_path: Path, national_id: str) -> tuple[Settings, Citizen]:
    from broker_sandbox.citizens import find_citizen

    settings = load_or_exit(config_path)
    citizen = find_citizen(settings.sandbox.seed, settings.sandbox.citizens, national_id)
    if citizen is None:
        raise click.BadParameter(f"no sandbox citizen {national_id}", param_hint="--citizen")
    return settings, citizen


def _serve_until_interrupted(card: VirtualCard) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
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
        click.echo(
            "無法連上 vpcd：pcscd 與 vsmartcard-vpcd 是否已啟動？ / cannot reach vpcd: is pcscd running "
            "with vsmartcard-vpcd installed?",
            err=True,
        )
        raise SystemExit(1) from None
    click.echo(f"健保卡已插入 / NHI card inserted in Virtual PCD 00 0{reader} (Ctrl-C removes it)")
    _serve_until_interrupted(card)


@virtual_card.command("moica")
@config_option
@click.option("--citizen", "national_id", required=True, help="National ID of a sandbox citizen.")
@click.option("--pin", default="123456", show_default=True, help="The token's user PIN.")
@click.option("--folder", type=click.Path(path_type=Path), default=None, help="Where the token lives.")
def moica(config_path: Path, national_id: str, pin: str, folder: Path | None) -> None:
    """Create a SoftHSM2 token (PKCS#11) with the citizen's sandbox certificate and key; prints the
    SOFTHSM2_CONF to give the kiosk. Ctrl-C ends."""
    from broker_sandbox.ca import citizen_credentials
    from hardware.cards.softhsm import MODULE, create_token

    settings, citizen = _citizen(config_path, national_id)
    key, certificate = citizen_credentials(settings.sandbox.seed, citizen.national_id)
    place = folder or Path(tempfile.mkdtemp(prefix="moica-"))
    token = create_token(place, "MOICA", pin, key, certificate)
    click.echo(
        f"自然人憑證（SoftHSM）已建立 / MOICA token ready: SOFTHSM2_CONF={token.config} "
        f"devices.reader.pkcs11_module={MODULE}"
    )


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
