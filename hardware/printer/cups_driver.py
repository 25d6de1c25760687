"""Office printers through CUPS: the receipt as PDF to ``lp``, the job followed to its end.

A receipt carries a citizen's data code, so a job that did not print *now* must never print later for
the next person at the counter: a job that fails, stops or is still queued when the wait ends
(``JOB_TIMEOUT_S`` from the status check on) is cancelled, and the error names the job and the reason
CUPS gives (``lpstat``). Without this, a job to an unreachable printer stayed queued and printed as soon
as the printer came back.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from urllib.parse import quote

from counter_core.settings import PrinterSettings
from hardware.health import DeviceHealth
from hardware.printer.interface import PrinterOffline, PrinterStatus, PrintFailed, health_from_status
from hardware.printer.receipt import Receipt
from hardware.printer.render_pdf import render_receipt_pdf

JOB_TIMEOUT_S = 10.0  # status check + submit + printing; a receipt PDF prints in a few seconds
COMMAND_TIMEOUT_S = 10.0
ENDED = ("completed", "canceled", "aborted")


def _run(
    *command: str, stdin: bytes | None = None, timeout_s: float = COMMAND_TIMEOUT_S
) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(command, input=stdin, capture_output=True, timeout=max(1.0, timeout_s), check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PrinterOffline(detail=f"{command[0]}: {type(exc).__name__}") from exc


def _server_host() -> str:
    """The scheduler as an IPP URI host: ``CUPS_SERVER`` (a socket path or host[:port]), else localhost."""
    server = os.environ.get("CUPS_SERVER", "") or "localhost:631"
    return quote(server, safe="") if server.startswith("/") else server


@dataclass(frozen=True)
class JobState:
    state: str  # IPP job-state: pending, pending-held, processing, processing-stopped, or one of ENDED
    reasons: str = ""  # job-state-reasons, e.g. printer-stopped
    message: str = ""  # job-printer-state-message: what the printer (its backend) said during the job


def job_state(job_id: str) -> JobState | None:
    """The job's IPP ``job-state`` via ``ipptool``, or None when ipptool is missing.

    ``lpstat -W completed`` also lists aborted and cancelled jobs, so it cannot tell success alone."""
    number = job_id.rsplit("-", 1)[-1]
    if shutil.which("ipptool") is None or not number.isdigit():
        return None
    result = _run("ipptool", "-tv", f"ipp://{_server_host()}/jobs/{number}", "get-job-attributes.test")
    state = re.search(rb"job-state \(enum\) = (\S+)", result.stdout)
    reasons = re.search(rb"job-state-reasons \(\S+\) = (\S+)", result.stdout)
    message = re.search(rb"job-printer-state-message \(\S+\) = (.+)", result.stdout)
    if state is None:
        return None
    return JobState(
        state.group(1).decode(),
        reasons.group(1).decode() if reasons else "",
        message.group(1).decode(errors="replace").strip() if message else "",
    )


class CupsPrinter:
    def __init__(self, settings: PrinterSettings, job_timeout_s: float = JOB_TIMEOUT_S) -> None:
        self.settings = settings
        self.queue = settings.cups_queue
        self.job_timeout_s = job_timeout_s

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
        started = time.monotonic()
        status = self.status()
        if status in (PrinterStatus.OFFLINE, PrinterStatus.PAPER_OUT, PrinterStatus.COVER_OPEN):
            raise PrinterOffline(detail=status.value)
        pdf = render_receipt_pdf(receipt, self.settings.paper_width_mm)
        result = _run("lp", "-d", self.queue, "-t", "MyData receipt", "-", stdin=pdf)
        match = re.search(rb"request id is (\S+)", result.stdout)
        if result.returncode != 0 or match is None:
            raise PrintFailed(detail=result.stderr.decode(errors="replace")[:200])
        job = match.group(1).decode()
        try:
            self._follow(job, started + self.job_timeout_s, started)
        except PrinterOffline as exc:  # the scheduler stopped answering while the job was queued
            with contextlib.suppress(PrinterOffline):
                _run("cancel", job)
            raise PrintFailed(detail=f"job {job}: CUPS stopped answering ({exc.params.get('detail')})") from exc

    def _follow(self, job: str, deadline: float, started: float) -> None:
        """Wait for the job's end; cancel it if it failed to print or the wait is over."""
        while True:
            state = job_state(job)
            if state is None:  # no ipptool: lpstat alone can tell only "still queued" from "gone"
                if self._still_queued(job) and time.monotonic() < deadline:
                    time.sleep(0.2)
                    continue
                state = JobState("processing" if self._still_queued(job) else "completed")
            if state.state == "completed":
                return
            if state.state in ENDED:
                raise PrintFailed(detail=f"job {job} {state.state}: {self._reason(job, state)}")
            stopped = state.state == "processing-stopped" or "printer-stopped" in state.reasons
            if stopped or time.monotonic() >= deadline:
                reason = self._reason(job, state)  # before cancelling: the printer's message is about this job
                why = "queue stopped" if stopped else f"not printed after {time.monotonic() - started:.0f} s"
                if self._cancel(job):
                    return  # it completed just before the cancel
                raise PrintFailed(detail=f"job {job} cancelled ({why}): {reason}")
            time.sleep(0.2)

    def _still_queued(self, job: str) -> bool:
        return job in _run("lpstat", "-o", self.queue).stdout.decode(errors="replace").split()

    def _reason(self, job: str, state: JobState) -> str:
        """What CUPS says about the job: ``lpstat -l -o`` (its Status line) while it is queued, the same
        message kept with the job once it ended, else what ``lpstat -p`` says about the queue."""
        text = _run("lpstat", "-l", "-o", self.queue).stdout.decode(errors="replace")
        block = re.search(rf"^{re.escape(job)}\s.*?(?=^\S|\Z)", text, re.MULTILINE | re.DOTALL)
        status = re.search(r"Status: (.+)", block.group(0)) if block else None
        if status:
            return status.group(1).strip()
        if state.message:
            return state.message
        lines = _run("lpstat", "-p", self.queue).stdout.decode(errors="replace").splitlines()
        return " ".join(line.strip() for line in lines[1:] if line.strip()) or "no reason given"

    def _cancel(self, job: str) -> bool:
        """Cancel the job and make sure it cannot print later; True if it had completed after all."""
        _run("cancel", job)
        deadline = time.monotonic() + COMMAND_TIMEOUT_S
        while time.monotonic() < deadline:
            state = job_state(job)
            if state is None:
                if not self._still_queued(job):
                    return False
            elif state.state == "completed":
                return True
            elif state.state in ENDED:
                return False
            time.sleep(0.1)
        raise PrintFailed(detail=f"job {job} could not be cancelled; cancel it with: cancel {job}")

    def health(self) -> DeviceHealth:
        return health_from_status("real/cups", self.status(), self.queue)

    def close(self) -> None:
        pass
