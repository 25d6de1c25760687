"""The only code that talks to the central broker."""

from broker_client.client import BrokerClient

__all__ = ["BrokerClient"]
