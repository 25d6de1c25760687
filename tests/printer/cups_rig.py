"""A real CUPS scheduler for tests: ``cupsd -f`` with its own config, spool and socket in a temp dir,
a ``capture:`` backend that writes each job's document to a folder (what the printer received), and
CUPS's own ``socket:`` backend for printers on TCP.

cupsd refuses to run its backends as root, so jobs run as the ``lp`` user: the output folder is
world-writable. Clients reach this scheduler through ``CUPS_SERVER`` (the socket path)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mydata_counter.servicerunner import free_port

CAPTURE_BACKEND = """#!/bin/sh
# capture:<dir> writes each job's document to <dir>/job-<id>.pdf; capture-fail:<dir> fails the job
if [ $# -eq 0 ]; then echo 'direct capture "Unknown" "Capture"'; echo 'direct capture-fail "Unknown" "Fail"'; exit 0; fi
case "$DEVICE_URI" in capture-fail:*) echo "ERROR: printer jammed" >&2; exit 1;; esac
dir="${DEVICE_URI#capture:}"
if [ -n "$6" ]; then cat "$6" > "$dir/job-$1.pdf" || exit 1; else cat > "$dir/job-$1.pdf" || exit 1; fi
chmod 644 "$dir/job-$1.pdf"
"""


@dataclass
class CupsRig:
    root: Path
    socket: Path
    out_dir: Path

    def add_queue(self, name: str, *, fail: bool = False, uri: str = "", error_policy: str = "abort-job") -> None:
        """A raw queue to the capture backend (``fail``: a backend that fails every job) or to ``uri``
        (e.g. ``socket://127.0.0.1:<port>``, CUPS's own backend). ``stop-printer`` is CUPS's default
        error policy: a failed job stops the queue and stays in it."""
        uri = uri or f"{'capture-fail' if fail else 'capture'}:{self.out_dir}"
        subprocess.run(
            ["lpadmin", "-p", name, "-v", uri, "-E", "-m", "raw", "-o", f"printer-error-policy={error_policy}"],
            env=self.env(), capture_output=True, check=True, timeout=10,
        )  # fmt: skip

    def env(self) -> dict[str, str]:
        return {**os.environ, "CUPS_SERVER": str(self.socket)}


def cupsd_available() -> bool:
    return all(shutil.which(tool) for tool in ("cupsd", "lpadmin", "ipptool")) and Path("/usr/lib/cups").is_dir()


@contextmanager
def running_cupsd() -> Iterator[CupsRig]:
    """cupsd runs backends as ``lp``: the rig lives in a fresh /tmp folder that user can traverse."""
    tmp = Path(tempfile.mkdtemp(prefix="mydata-cupsd-"))
    root = tmp / "cups"
    for sub in ("spool", "cache", "state", "logs", "run", "bin/backend"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    out_dir = tmp / "cups-out"
    out_dir.mkdir()
    out_dir.chmod(0o777)
    for entry in Path("/usr/lib/cups").iterdir():
        if entry.name != "backend":
            (root / "bin" / entry.name).symlink_to(entry)
    backend = root / "bin/backend/capture"
    backend.write_text(CAPTURE_BACKEND)
    backend.chmod(0o755)
    (root / "bin/backend/capture-fail").symlink_to(backend)
    (root / "bin/backend/socket").symlink_to("/usr/lib/cups/backend/socket")  # AppSocket/JetDirect, port 9100
    socket = root / "run/cups.sock"
    (root / "cupsd.conf").write_text(
        f"Listen 127.0.0.1:{free_port()}\nListen {socket}\nLogLevel info\nWebInterface No\nBrowsing No\n"
        "DefaultAuthType None\n<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
        "<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n"
    )
    user = "lp" if os.geteuid() == 0 else os.environ.get("USER", "nobody")
    (root / "cups-files.conf").write_text(
        f"FileDevice Yes\nServerRoot {root}\nRequestRoot {root}/spool\nCacheDir {root}/cache\n"
        f"StateDir {root}/state\nTempDir {root}/spool\nErrorLog {root}/logs/error_log\n"
        f"AccessLog {root}/logs/access_log\nPageLog {root}/logs/page_log\nServerBin {root}/bin\n"
        f"DataDir /usr/share/cups\nUser {user}\nGroup lp\nSystemGroup root\n"
    )
    for path in (tmp, root, root / "bin", root / "bin/backend"):
        path.chmod(0o755)
    process = subprocess.Popen(
        ["cupsd", "-f", "-c", str(root / "cupsd.conf"), "-s", str(root / "cups-files.conf")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        rig = CupsRig(root, socket, out_dir)
        while True:
            ready = subprocess.run(["lpstat", "-r"], env=rig.env(), capture_output=True, text=True, timeout=5)
            if "is running" in ready.stdout:
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"cupsd did not start: {(root / 'logs/error_log').read_text()[-500:]}")
            time.sleep(0.1)
        yield rig
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
