"""Office printers through CUPS: the receipt as PDF to ``lp``, the job followed with ``lpstat``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from urllib.parse import quote

from counter_core.settings import PrinterSettings
from hardware.health import DeviceHealth
from hardware.printer.interface import PrinterOffline, PrinterStatus, PrintFailed, health_from_status
from hardware.printer.receipt import Receipt
from hardware.printer.render_pdf import render_receipt_pdf

JOB_TIMEOUT_S = 30.0


def _run(*command: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(command, input=stdin, capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PrinterOffline(detail=f"{command[0]}: {type(exc).__name__}") from exc


def _server_host() -> str:
    """The scheduler as an IPP URI host: ``CUPS_SERVER`` (a socket path or host[:port]), else localhost."""
    server = os.environ.get("CUPS_SERVER", "") or "localhost:631"
    return quote(server, safe="") if server.startswith("/") else server


def job_state(job_id: str) -> str | None:
    """The IPP ``job-state`` of a job (completed, aborted, canceled, ...) via ``ipptool``, or None.

    ``lpstat -W completed`` also lists aborted and cancelled jobs, so it cannot tell success alone."""
    number = job_id.rsplit("-", 1)[-1]
    if shutil.which("ipptool") is None or not number.isdigit():
        return None
    result = _run("ipptool", "-tv", f"ipp://{_server_host()}/jobs/{number}", "get-job-attributes.test")
    match = re.search(rb"job-state \(enum\) = (\S+)", result.stdout)
    return match.group(1).decode() if match else None


class CupsPrinter:
    def __init__(self, settings: PrinterSettings) -> None:
        self.settings = settings
        self.queue = settings.cups_queue

    def status(self) -> PrinterStatus:
        try:
            result = _run("lpstat", "-p", self.queue)
        except PrinterOffline:
            return PrinterStatus.OFFLINE
        text = result.stdout.decode(errors="replace").lower()
        if result.returncode != 0 or "disabled" in text:
            return PrinterStatus.OFFLINE
        if "media-empty" in text or "out of paper" in text:
            return PrinterStatus.PAPER_OUT
        if "door-open" in text or "cover-open" in text:
            return PrinterStatus.COVER_OPEN
        if "media-low" in text:
            return PrinterStatus.PAPER_LOW
        return PrinterStatus.READY

    def print_receipt(self, receipt: Receipt) -> None:
        status = self.status()
        if status in (PrinterStatus.OFFLINE, PrinterStatus.PAPER_OUT, PrinterStatus.COVER_OPEN):
            raise PrinterOffline(detail=status.value)
        pdf = render_receipt_pdf(receipt, self.settings.paper_width_mm)
        result = _run("lp", "-d", self.queue, "-t", "MyData receipt", "-", stdin=pdf)
        match = re.search(rb"request id is (\S+)", result.stdout)
        if result.returncode != 0 or match is None:
            raise PrintFailed(detail=result.stderr.decode(errors="replace")[:200])
        job = match.group(1).decode()
        deadline = time.monotonic() + JOB_TIMEOUT_S
        while time.monotonic() < deadline:
            pending = _run("lpstat", "-o", self.queue).stdout.decode(errors="replace")
            if job not in pending:
                state = job_state(job)
                if state == "completed":
                    return
                if state is not None:
                    raise PrintFailed(detail=f"job {job} {state}")
                completed = _run("lpstat", "-W", "completed", "-o", self.queue).stdout.decode(errors="replace")
                if job in completed:
                    return
                raise PrintFailed(detail=f"job {job} aborted or cancelled")
            time.sleep(0.2)
        raise PrintFailed(detail=f"job {job} still pending after {JOB_TIMEOUT_S:g} s")

    def health(self) -> DeviceHealth:
        return health_from_status("real/cups", self.status(), self.queue)

    def close(self) -> None:
        pass
