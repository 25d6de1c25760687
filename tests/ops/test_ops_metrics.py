"""Every service serves Prometheus metrics with the series the product defines."""

from __future__ import annotations

import requests


def test_kiosk_serves_prometheus_metrics(kiosk_url: str) -> None:
    response = requests.get(f"{kiosk_url}/metrics", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    for series in (
        "mydata_redemptions_total",
        "mydata_decode_seconds",
        "mydata_printer_faults_total",
        "mydata_push_wait_seconds",
        "mydata_card_errors_total",
        "mydata_scans_total",
    ):
        assert f"# HELP {series} " in response.text
