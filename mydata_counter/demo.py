"""``mydata-counter demo``: the three services as child processes, stopped together."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import click
import requests

from counter_core.i18n import bilingual
from counter_core.settings import Settings

SERVICES = ("sandbox", "kiosk", "clerk")
START_TIMEOUT_S = 60.0


def _url(settings: Settings, service: str) -> str:
    section = getattr(settings, service)
    host = "127.0.0.1" if section.host in ("0.0.0.0", "::") else section.host
    return f"http://{host}:{section.port}"


def _wait_healthy(url: str, process: subprocess.Popen[bytes], deadline: float) -> bool:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if requests.get(f"{url}/healthz", timeout=1).ok:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.2)
    return False


def _stop(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + 10
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_demo(config_path: Path, settings: Settings) -> int:
    """Start all services, print their URLs, block until Ctrl-C/SIGTERM or a child dies."""
    processes: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for service in SERVICES:
            processes[service] = subprocess.Popen(
                [sys.executable, "-m", "mydata_counter.cli", service, "--config", str(config_path)]
            )
            deadline = time.monotonic() + START_TIMEOUT_S
            if not _wait_healthy(_url(settings, service), processes[service], deadline):
                if stopping:
                    return 0
                click.echo(f"{service} did not start (see its messages above); stopping the demo.", err=True)
                return 1
        click.echo("")
        click.echo(bilingual("demo.started"))
        for service in SERVICES:
            click.echo(f"  {bilingual('service.' + service)}: {_url(settings, service)}/")
        click.echo("", nl=True)
        while not stopping:
            for service, process in processes.items():
                if process.poll() is not None:
                    click.echo(f"{service} exited with status {process.returncode}; stopping.", err=True)
                    return 1
            time.sleep(0.2)
        return 0
    finally:
        _stop(processes)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if stopping:
            click.echo(bilingual("demo.stopped"))
