"""Build, install, upgrade and purge the Debian package on this machine, and put the machine back as it was.

The tests need root and a machine without a real installation of the package (they purge it); they install
with ``apt-get --no-download`` so nothing can be fetched, and remove every user, group, unit and file the
package made (groups that sysusers had to create because the machine had none, too).
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "deploy" / "debian" / "build.py"
PACKAGE = "mydata-counter"
VENV = Path("/usr/lib/mydata-counter/venv")
UNITS = ("mydata-counter-kiosk", "mydata-counter-clerk", "mydata-counter-kiosk-browser")
USERS = ("mydata", "mydata-screen")
SCREEN_GROUPS = ("video", "render", "input", "audio")
FIRST, SECOND = "0.1.0~test1", "0.1.0~test2"  # the upgrade goes from the first build to the second
LEFTOVERS = (
    "/etc/mydata-counter",
    "/var/lib/mydata-counter",
    "/usr/lib/mydata-counter",
    "/usr/bin/mydata-counter",
    "/usr/lib/sysusers.d/mydata-counter.conf",
    "/usr/share/mydata-counter",
    "/usr/share/doc/mydata-counter",
    *(f"/lib/systemd/system/{unit}.service" for unit in UNITS),
)


def run(*command: str | Path, check: bool = True, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(part) for part in command], check=check, text=True, capture_output=True, **kwargs)


def why_not_here() -> str | None:
    """A reason to skip on this machine, or None."""
    if os.geteuid() != 0:
        return "installing a Debian package needs root"
    for tool in ("dpkg-deb", "apt-get", "patchelf", "systemd-sysusers"):
        if shutil.which(tool) is None:
            return f"{tool} missing (make install)"
    if not Path("/usr/bin/python3.11").exists():
        return "Debian's python3.11 missing"
    if installed_version() is not None:
        return f"{PACKAGE} is installed here for real: the test would purge it"
    return None


def installed_version() -> str | None:
    result = run("dpkg-query", "-W", "-f=${Status} ${Version}", PACKAGE, check=False)
    parts = result.stdout.split()
    return parts[-1] if result.returncode == 0 and "installed" in parts[:3] and len(parts) == 4 else None


def build(out: Path, version: str) -> Path:
    """A real build of the package (gzip -1: the same contents as ``make deb``'s xz, in seconds)."""
    result = run(sys.executable, BUILD, "--out", out, "--version", version, "--compression", "fast", check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return Path(result.stdout.strip().splitlines()[-1])


def apt_install(deb: Path) -> subprocess.CompletedProcess[str]:
    """``apt install ./x.deb`` as a technician would, with no package source at all: nothing can be fetched
    (its Depends are installed here by ``make install``)."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return run(
        "apt-get", "install", "-y", "-q", "--no-install-recommends",
        "-o", "Dir::Etc::SourceList=/dev/null", "-o", "Dir::Etc::SourceParts=/nonexistent",
        "-o", "DPkg::Lock::Timeout=300", str(deb.resolve()), env=env, check=False,
    )  # fmt: skip


def purge() -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return run("dpkg", "--purge", PACKAGE, env=env, check=False)


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def member_of(user: str, group: str) -> bool:
    return user in grp.getgrnam(group).gr_mem


def leftovers() -> list[str]:
    """What the package may have left behind after a purge."""
    found = [path for path in LEFTOVERS if os.path.lexists(path)]
    found += [name for name in USERS if user_exists(name)]
    found += ["group mydata"] if group_exists("mydata") else []
    for unit in UNITS:
        found += [str(p) for p in Path("/etc/systemd/system").glob(f"**/{unit}.service") if p.is_symlink()]
    found += [str(p) for p in Path("/var/lib/systemd").glob(f"deb-systemd-*/**/{PACKAGE}*")]
    if run("dpkg-statoverride", "--list", check=False).stdout.count("/etc/mydata-counter"):
        found.append("dpkg-statoverride /etc/mydata-counter")
    return found


@contextlib.contextmanager
def machine_restored() -> Iterator[None]:
    """Whatever happens inside, purge the package and remove the groups it had to create."""
    groups_before = {name for name in SCREEN_GROUPS if group_exists(name)}
    policies_before = Path("/etc/chromium/policies").exists()
    try:
        yield
    finally:
        if installed_version() is not None or run("dpkg", "-s", PACKAGE, check=False).returncode == 0:
            purge()
        for name in USERS:  # a purge that failed half-way
            if user_exists(name):
                run("userdel", name, check=False)
        for name in set(SCREEN_GROUPS) - groups_before:
            if group_exists(name):
                run("groupdel", name, check=False)
        if not policies_before:
            shutil.rmtree("/etc/chromium/policies", ignore_errors=True)


def as_user(user: str, *command: str | Path, extra: Sequence[str] = ()) -> list[str]:
    """``command`` run as ``user`` with its groups, as systemd's User= would (and NoNewPrivileges, an empty
    capability bounding set)."""
    return [
        "setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--no-new-privs",
        "--inh-caps=-all", "--bounding-set=-all", *extra, *(str(part) for part in command),
    ]  # fmt: skip


def wait_for(url: str, process: subprocess.Popen[Any], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{url}: the service exited with {process.returncode}"
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{url}/healthz", timeout=1).ok:
                return
        time.sleep(0.1)
    raise TimeoutError(url)


def stop(process: subprocess.Popen[Any]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
