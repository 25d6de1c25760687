"""The kiosk screen's launcher (mydata-counter-kiosk-browser.service): the address from the config, waiting for
the kiosk, Chromium's own sandbox kept, and the policies it writes read by Debian's Chromium from the folder the
unit binds over /etc/chromium/policies/managed (devtools refused). tests/deb runs the launcher from the
installed package in cage and checks Chromium's sandbox there."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from counter_core.settings import Settings, load_settings
from mydata_counter import kiosk_screen
from mydata_counter.servicerunner import write_config

ROOT = Path(__file__).resolve().parents[2]


def _settings(**kiosk: object) -> Settings:
    data = load_settings(ROOT / "config" / "demo.toml").model_dump()
    data["kiosk"].update(kiosk)
    return Settings(**data)


def test_the_screen_shows_the_kiosk_at_the_port_its_config_gives() -> None:
    assert kiosk_screen.kiosk_url(_settings(port=8765)) == "http://127.0.0.1:8765/"
    assert kiosk_screen.kiosk_url(_settings(host="0.0.0.0", port=9000)) == "http://127.0.0.1:9000/"
    assert kiosk_screen.kiosk_url(_settings(host="::1", port=9000)) == "http://[::1]:9000/"


def test_the_launcher_prints_a_sandboxed_kiosk_command_and_its_policy(tmp_path: Path) -> None:
    config = write_config(_settings(port=8766), tmp_path / "config.toml")
    result = subprocess.run(
        [sys.executable, "-I", "-m", "mydata_counter.kiosk_screen", "--config", str(config),
         "--profile", str(tmp_path / "profile"), "--print"],
        capture_output=True, text=True, check=True, cwd="/",
    )  # fmt: skip
    printed = json.loads(result.stdout)
    command = printed["command"]
    assert command[:3] == ["/usr/bin/cage", "--", "/usr/bin/chromium"] and "--kiosk" in command
    assert command[-1] == "http://127.0.0.1:8766/"
    assert not any(flag in command for flag in ("--no-sandbox", "--disable-setuid-sandbox", "-s"))
    assert not any(flag.startswith("--app=") for flag in command)  # with --kiosk, Chromium 156 exits at once
    policy = printed["policy"]
    assert policy["URLBlocklist"] == ["*"] and policy["URLAllowlist"] == ["http://127.0.0.1:8766"]
    assert (policy["DownloadRestrictions"], policy["DeveloperToolsAvailability"], policy["PrintingEnabled"]) == (
        3,
        2,
        False,
    )


def test_the_launcher_waits_until_the_kiosk_answers() -> None:
    answers = iter([0, 0, 503, 200])
    now = [0.0]
    probed: list[str] = []

    def get(url: str) -> int:
        probed.append(url)
        return next(answers)

    def sleep(seconds: float) -> None:
        now[0] += seconds

    assert kiosk_screen.wait_until_up("http://127.0.0.1:8701/", 60, get, sleep, lambda: now[0])
    assert probed == ["http://127.0.0.1:8701/healthz"] * 4
    assert not kiosk_screen.wait_until_up("http://127.0.0.1:8701/", 5, lambda _url: 0, sleep, lambda: now[0])


class _Page(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        found = self.path == "/"
        body = self.body if found else b""
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


def _serve(body: str) -> Iterator[str]:
    handler = type("Page", (_Page,), {"body": body.encode()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def kiosk_page() -> Iterator[str]:
    yield from _serve("<html><body>KIOSK</body></html>")


def _chromium_under_policy(policy_dir: Path, home: Path, url: str) -> subprocess.Popen[bytes]:
    """Headless Chromium with ``policy_dir`` bound over /etc/chromium/policies/managed in a mount namespace of
    its own, as the unit does (as root here, so without its sandbox: this checks the policies only). Its output
    goes to files in ``home``: Chromium's crash handler outlives it holding its pipes."""
    mount = (
        "mount -t tmpfs tmpfs /etc/chromium && mkdir -p /etc/chromium/policies/managed && "
        f"mount --bind {policy_dir} /etc/chromium/policies/managed && exec \"$@\""
    )
    chromium = [
        "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", f"--user-data-dir={home}/profile",
        "--dump-dom", url,
    ]  # fmt: skip
    home.mkdir(exist_ok=True)
    with (home / "out").open("wb") as out, (home / "err").open("wb") as err:
        return subprocess.Popen(
            ["unshare", "--mount", "sh", "-c", mount, "sh", *chromium],
            stdout=out,
            stderr=err,
            env={**os.environ, "HOME": str(home)},
            start_new_session=True,
        )


def _end(browser: subprocess.Popen[bytes], home: Path) -> None:
    """Chromium and what it left (its crash handler, found by the HOME it was given)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(browser.pid, signal.SIGKILL)
    browser.wait()
    for proc in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ProcessLookupError):
            if proc.name.isdigit() and str(home) in (proc / "cmdline").read_bytes().decode(errors="replace"):
                os.kill(int(proc.name), signal.SIGKILL)


needs_root_and_chromium = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None or not Path("/usr/bin/chromium").exists(),
    reason="binding the policy folder needs root (a mount namespace) and Debian's Chromium",
)


@needs_root_and_chromium
def test_chromium_under_the_kiosk_policy_refuses_devtools(kiosk_page: str, tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    kiosk_screen.write_policy(tmp_path / "policies", kiosk_page)
    home = tmp_path / "home"
    browser = _chromium_under_policy(tmp_path / "policies", home, kiosk_page)
    refused = "DevTools remote debugging is disallowed by the system admin"
    try:
        while refused not in (home / "err").read_text(errors="replace"):
            assert browser.poll() is None, "Chromium ended without refusing DevTools"
            time.sleep(0.1)
    finally:
        _end(browser, home)
