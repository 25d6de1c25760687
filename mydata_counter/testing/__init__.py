"""Test and benchmark infrastructure shipped with the package (fault proxy, PII scanner)."""

import time
from collections.abc import Callable


def wait_for(predicate: Callable[[], object], timeout_s: float = 5.0, every_s: float = 0.05) -> bool:
    """Poll ``predicate`` until it is truthy or ``timeout_s`` passes: tests wait for states, not sleeps."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every_s)
    return False
