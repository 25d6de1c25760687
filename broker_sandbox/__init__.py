"""A local broker speaking the MyData counter protocol, with synthetic citizens, for demo and tests."""

from broker_sandbox.app import create_app

__all__ = ["create_app"]
