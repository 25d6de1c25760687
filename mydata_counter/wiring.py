"""Build each service's app with its devices and broker client: the one place that knows the demo's
simulated card reader plays the sandbox's citizens (the kiosk and the reader never import the sandbox)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from counter_core.settings import Settings

SERVICES = ("sandbox", "kiosk", "clerk")


def kiosk_app(settings: Settings) -> Flask:
    from broker_client import BrokerClient
    from kiosk import create_app
    from kiosk.devices import build_kiosk_devices

    cards = None
    if settings.devices.reader.driver == "simulated":
        from broker_sandbox.cards import SandboxCards

        cards = SandboxCards(settings.sandbox.seed, settings.sandbox.citizens)
    return create_app(settings, build_kiosk_devices(settings.devices, cards), BrokerClient(settings.broker))


def clerk_app(settings: Settings) -> Flask:
    from broker_client import BrokerClient
    from clerk import create_app
    from clerk.devices import build_clerk_devices

    return create_app(settings, build_clerk_devices(settings.devices), BrokerClient(settings.broker))


def sandbox_app(settings: Settings) -> Flask:
    from broker_sandbox import create_app

    return create_app(settings)


FACTORIES: dict[str, Callable[[Settings], Flask]] = {"sandbox": sandbox_app, "kiosk": kiosk_app, "clerk": clerk_app}
