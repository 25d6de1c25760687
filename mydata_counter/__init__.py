"""MyData Counter's top layer: the ``mydata-counter`` command, the demo, ``hw doctor``, benchmarks and the
test/benchmark tooling. It wires the apps (kiosk, clerk, sandbox) to their devices; nothing imports it."""

from counter_core import __version__

__all__ = ["__version__"]
