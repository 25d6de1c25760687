"""Gauges read when /metrics is scraped: each device's state, the folders the service writes (free space) and
this station's own TLS certificate. Nothing is polled in between: the values are as fresh as the scrape, and a
device's state is what /healthz shows (its ``health()``), so the central desk and the technician agree.

Each scrape builds its own small registry around ``StationCollector`` (the app's devices, the app's settings),
served after the shared series of ``counter_core.metrics``: several apps in one process (tests) never share
device gauges. The station's certificate goes into the shared certificate gauge, beside the broker's.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from cryptography import x509
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from counter_core.metrics import TLS_CERTIFICATE_EXPIRY
from counter_core.settings import Settings

DeviceStates = Callable[[], dict[str, dict[str, object]]]
UP_STATES = ("ok", "warn")  # warn: works, but tell the technician (paper low, camera connecting)


class StationCollector(Collector):
    def __init__(self, service: str, device_states: DeviceStates | None, settings: Settings | None) -> None:
        self.service = service
        self.device_states = device_states
        self.settings = settings

    def collect(self) -> Iterator[Metric]:
        if self.device_states is not None:
            yield from _devices(self.device_states())
        if self.settings is not None:
            yield from _disks(data_folders(self.settings, self.service))


def _devices(states: dict[str, dict[str, object]]) -> Iterator[Metric]:
    up = GaugeMetricFamily(
        "mydata_device_up", "1 while a device works (state ok or warn), 0 when it fails", labels=["kind", "driver"]
    )
    status = GaugeMetricFamily(
        "mydata_device_status",
        "A device's current status (its message key: printer ready/paper_low/paper_out/cover_open/offline, "
        "reader reader_ready/no_reader/service_down, camera streaming/connecting/stream_lost/not_found); value 1",
        labels=["kind", "status"],
    )
    for kind, state in sorted(states.items()):
        up.add_metric([kind, str(state.get("driver", ""))], 1.0 if state.get("state") in UP_STATES else 0.0)
        key = str(state.get("message_key", ""))
        status.add_metric([kind, key.split(".", 1)[-1]], 1.0)
    yield up
    yield status


def data_folders(settings: Settings, service: str) -> list[Path]:
    """The folders this service writes: the terminal key's (the state folder on a station), the clerk's audit
    database's, the sandbox's database's, the PDF printer's."""
    candidates: list[Path | None] = [settings.broker.key_file.parent if settings.broker.key_file else None]
    if service == "clerk" and settings.clerk.audit_db is not None:
        candidates.append(settings.clerk.audit_db.parent)
    if service == "sandbox":
        candidates.append(settings.sandbox.database.parent)
    if service == "kiosk" and settings.devices.printer.kind == "pdf":
        candidates.append(settings.devices.printer.pdf_dir)
    seen: list[Path] = []
    for folder in candidates:
        if folder is not None and folder.is_dir() and folder.resolve() not in seen:
            seen.append(folder.resolve())
    return seen


def _disks(folders: list[Path]) -> Iterator[Metric]:
    free = GaugeMetricFamily("mydata_disk_free_bytes", "Free space for the service's data folder", labels=["path"])
    size = GaugeMetricFamily("mydata_disk_size_bytes", "Size of the data folder's file system", labels=["path"])
    for folder in folders:
        usage = shutil.disk_usage(folder)
        free.add_metric([str(folder)], float(usage.free))
        size.add_metric([str(folder)], float(usage.total))
    yield free
    yield size


def note_station_certificate(settings: Settings, service: str) -> None:
    """This service's own HTTPS certificate (``tls_cert_file``), read again at each scrape: a renewed file
    shows at once."""
    path = getattr(getattr(settings, service, None), "tls_cert_file", None)
    if not isinstance(path, Path):
        return
    try:
        certificate = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return  # the service would not have started with it; hw doctor says why
    TLS_CERTIFICATE_EXPIRY.labels(certificate="station").set(certificate.not_valid_after_utc.timestamp())


def scrape(service: str, device_states: DeviceStates | None, settings: Settings | None) -> bytes:
    """The station's gauges in Prometheus' text format."""
    if settings is not None:
        note_station_certificate(settings, service)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StationCollector(service, device_states, settings))
    return generate_latest(registry)
