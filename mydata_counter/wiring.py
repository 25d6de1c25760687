"""Build each service's app with its devices and broker client: the one place that knows the demo's
simulated card reader plays the sandbox's citizens (the kiosk and the reader never import the sandbox)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import Flask

from counter_core.settings import Settings

if TYPE_CHECKING:
    from kiosk.help import HelpDesk

SERVICES = ("sandbox", "kiosk", "clerk")


def kiosk_app(settings: Settings) -> Flask:
    from broker_client import BrokerClient
    from kiosk import create_app
    from kiosk.devices import build_kiosk_devices

    cards = None
    if settings.devices.reader.driver == "simulated":
        from broker_sandbox.cards import SandboxCards

        cards = SandboxCards(settings.sandbox.seed, settings.sandbox.citizens)
    devices = build_kiosk_devices(settings.devices, cards)
    return create_app(settings, devices, BrokerClient(settings.broker), help_desk(settings))


def help_desk(settings: Settings) -> HelpDesk:
    """The kiosk calls its counter's clerk stations signing with its terminal key (none: it cannot call)."""
    from broker_client.signing import RequestSigner, load_private_key
    from kiosk.help import HelpDesk

    signer = None
    key_file = settings.broker.key_file
    if key_file is not None and key_file.exists():
        signer = RequestSigner(settings.broker.terminal_id, load_private_key(key_file))
    return HelpDesk(settings.kiosk.name, settings.kiosk.help_stations, signer)


def clerk_app(settings: Settings) -> Flask:
    from broker_client import BrokerClient
    from clerk import create_app
    from clerk.devices import build_clerk_devices

    return create_app(settings, build_clerk_devices(settings.devices), BrokerClient(settings.broker))


def sandbox_app(settings: Settings) -> Flask:
    from broker_sandbox import create_app

    return create_app(settings)


FACTORIES: dict[str, Callable[[Settings], Flask]] = {"sandbox": sandbox_app, "kiosk": kiosk_app, "clerk": clerk_app}
