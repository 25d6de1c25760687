"""The fault proxy really injects the faults the fault-injection tests rely on."""

from __future__ import annotations

import pytest
import requests

from mydata_counter.testing.faultproxy import fault_proxy


def test_proxy_forwards_then_refuses_drops_hangs_and_recovers(sandbox_url: str) -> None:
    with fault_proxy(sandbox_url) as proxy:
        assert requests.get(f"{proxy.url}/healthz", timeout=5).json()["service"] == "sandbox"

        proxy.set_mode("refuse")
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{proxy.url}/healthz", timeout=2)

        proxy.set_mode("drop")
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{proxy.url}/healthz", timeout=2)

        proxy.set_mode("blackhole")
        with pytest.raises(requests.ReadTimeout):
            requests.get(f"{proxy.url}/healthz", timeout=0.5)

        proxy.set_mode("delay", delay_s=0.3)
        response = requests.get(f"{proxy.url}/healthz", timeout=5)
        assert response.ok
        assert response.elapsed.total_seconds() >= 0.3  # the injected delay, not a speed claim

        proxy.set_mode("pass")
        assert requests.get(f"{proxy.url}/healthz", timeout=5).ok
