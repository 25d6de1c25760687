"""Prometheus metrics for kiosks and clerk stations (served at /metrics by every service).

Defined once here so each area increments the same series; labels never carry personal data. The device,
disk and station-certificate gauges are read when /metrics is scraped (``counter_web.station_metrics``);
the alert rules and the site dashboard that use them are in ``deploy/prometheus`` and ``deploy/grafana``.
"""

from __future__ import annotations

import math

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

SCANS = Counter(
    "mydata_scans_total",
    "Codes entered at the clerk terminal, by way in and result",
    ["source", "result"],
    registry=REGISTRY,
)  # source: camera|wedge|keypad; result: valid|invalid
DECODE_SECONDS = Histogram(
    "mydata_decode_seconds",
    "Time to decode one camera frame",
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0),
    registry=REGISTRY,
)
REDEMPTIONS = Counter(
    "mydata_redemptions_total",
    "Code redemptions at the broker, by outcome",
    ["outcome"],
    registry=REGISTRY,
)  # ok|expired|already_used|foreign_agency|unknown|rate_limited|unavailable|error
PRINTER_FAULTS = Counter(
    "mydata_printer_faults_total",
    "Printer faults seen when printing or polling status",
    ["fault"],
    registry=REGISTRY,
)
PUSH_WAIT_SECONDS = Histogram(
    "mydata_push_wait_seconds",
    "Time from mobile-certificate push to the citizen's answer",
    ["outcome"],
    buckets=(2, 5, 10, 20, 30, 45, 60, 90, 120),
    registry=REGISTRY,
)
CARD_ERRORS = Counter(
    "mydata_card_errors_total",
    "Card reader errors by kind (message key)",
    ["error"],
    registry=REGISTRY,
)
IDENTITY_RESULTS = Counter(
    "mydata_identity_results_total",
    "Identity verifications at the kiosk by method and result",
    ["method", "result"],
    registry=REGISTRY,
)
RECEIPTS = Counter(
    "mydata_receipts_total",
    "Receipts printed by the kiosk, by result",
    ["result"],
    registry=REGISTRY,
)

# The broker, as the broker client sees it (broker_client/observe.py).
BROKER_REQUEST_SECONDS = Histogram(
    "mydata_broker_request_seconds",
    "Time for one request to the broker, answered or failed (retries included)",
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0),
    registry=REGISTRY,
)
BROKER_ERRORS = Counter(
    "mydata_broker_errors_total",
    "Broker requests that failed: unreachable (refused, DNS, TLS, timeout) or server_error (5xx answer)",
    ["kind"],
    registry=REGISTRY,
)
BROKER_ERROR_KINDS = ("unreachable", "server_error")
for _kind in BROKER_ERROR_KINDS:
    BROKER_ERRORS.labels(kind=_kind)  # present at 0 from the start: rate() needs a first sample
BROKER_CLOCK_SKEW = Gauge(
    "mydata_broker_clock_skew_seconds",
    "This station's clock minus the broker's, from the Date of the broker's last answer (NaN before one)",
    registry=REGISTRY,
)
BROKER_CLOCK_SKEW.set(math.nan)
TLS_CERTIFICATE_EXPIRY = Gauge(
    "mydata_tls_certificate_expiry_timestamp_seconds",
    "When a TLS certificate stops being valid (Unix time): the broker's as last seen, this station's own",
    ["certificate"],
    registry=REGISTRY,
)  # certificate: broker|station
