"""The kiosk's screen: Chromium in kiosk mode on the cage compositor, showing the kiosk service at the address
its config gives (``[kiosk] host``/``port``). Run by ``mydata-counter-kiosk-browser.service`` as
``python -I -m mydata_counter.kiosk_screen --config … --profile … --policy-dir …``.

It waits until the kiosk's ``/healthz`` answers (so the screen never starts on an error page, and comes back
by itself when systemd restarts it after the kiosk service restarted), then replaces itself with cage, so
systemd watches cage and Chromium directly. Chromium keeps its own sandbox: ``--no-sandbox`` is never passed.
What Chromium may do is set by its policies (``kiosk_policy``): this kiosk's origin and nothing else, no
downloads, devtools, printing or file dialogs. The launcher writes them to ``--policy-dir``, which the unit
binds over ``/etc/chromium/policies/managed`` in its own mount namespace: the kiosk's browser gets them, a
clerk's browser on the same machine and every other Chromium do not.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from ipaddress import ip_address
from pathlib import Path

import requests

from counter_core.settings import ConfigError, Settings, load_settings

WAIT_S = 60.0  # the kiosk service starts in ~1.5 s; a minute covers a slow boot
POLL_S = 0.5
CAGE = "/usr/bin/cage"
CHROMIUM = "/usr/bin/chromium"

# Flags: a full-screen app window, nothing kept or fetched from outside, no gestures that leave the page.
CHROMIUM_FLAGS = (
    "--kiosk",
    "--incognito",
    "--ozone-platform=wayland",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-translate",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-pinch",
    "--overscroll-history-navigation=0",
    "--disable-print-preview",
    "--noerrdialogs",
    "--disable-session-crashed-bubble",
    "--password-store=basic",
)


def kiosk_policy(url: str) -> dict[str, object]:
    """Chromium's managed policies for the kiosk's browser (names from Chromium's policy list)."""
    origin = url.rstrip("/")
    return {
        "URLBlocklist": ["*"],  # navigation: the kiosk's own origin only
        "URLAllowlist": [origin],
        "DownloadRestrictions": 3,  # no downloads
        "DeveloperToolsAvailability": 2,  # no devtools
        "RemoteDebuggingAllowed": False,
        "PrintingEnabled": False,  # no print dialog (receipts go to the receipt printer from the service)
        "AllowFileSelectionDialogs": False,
        "DefaultPopupsSetting": 2,
        "DefaultNotificationsSetting": 2,
        "DefaultGeolocationSetting": 2,
        "AudioCaptureAllowed": False,
        "VideoCaptureAllowed": False,
        "ScreenCaptureAllowed": False,
        "AutoplayAllowed": True,  # the audio guide speaks without another tap
        "PasswordManagerEnabled": False,
        "AutofillAddressEnabled": False,
        "AutofillCreditCardEnabled": False,
        "SavingBrowserHistoryDisabled": True,
        "TranslateEnabled": False,
        "SpellcheckEnabled": False,
        "BrowserSignin": 0,
        "SyncDisabled": True,
        "BrowserGuestModeEnabled": False,
        "BrowserAddPersonEnabled": False,
        "BookmarkBarEnabled": False,
        "EditBookmarksEnabled": False,
        "TaskManagerEnabled": False,
        "ExtensionInstallBlocklist": ["*"],
        "MetricsReportingEnabled": False,
    }


def write_policy(policy_dir: Path, url: str) -> Path:
    path = policy_dir / "mydata-counter-kiosk.json"
    path.write_text(json.dumps(kiosk_policy(url), indent=2) + "\n")
    path.chmod(0o644)
    return path


def kiosk_url(settings: Settings) -> str:
    """The page the screen shows: the kiosk service on this machine (a wildcard listen address is reached
    through loopback)."""
    host = settings.kiosk.host
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    if ":" in host and ip_address(host).version == 6:
        host = f"[{host}]"
    return f"http://{host}:{settings.kiosk.port}/"


def screen_command(url: str, profile: Path) -> list[str]:
    """cage running Chromium on ``url`` with its profile in ``profile`` (the unit's runtime folder).

    The URL is given as a plain argument: Chromium 156 given ``--kiosk`` together with ``--app=URL`` exits at
    once (the screen stayed black while systemd restarted it). cage runs without ``-s``: no switching to
    another virtual terminal from the kiosk's keyboard."""
    return [CAGE, "--", CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", url]


def wait_until_up(
    url: str,
    wait_s: float = WAIT_S,
    get: Callable[[str], int] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> bool:
    """True once ``url``'s /healthz answers 200 within ``wait_s``."""
    probe = get or _status_of
    deadline = clock() + wait_s
    while True:
        if probe(f"{url}healthz") == 200:
            return True
        if clock() >= deadline:
            return False
        sleep(POLL_S)


def _status_of(url: str) -> int:
    try:
        return requests.get(url, timeout=2).status_code
    except requests.RequestException:
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mydata_counter.kiosk_screen", description=__doc__.split("\n")[0])
    parser.add_argument("--config", type=Path, required=True, help="the config file ([kiosk] host and port)")
    parser.add_argument("--profile", type=Path, required=True, help="Chromium's profile folder (kept in memory)")
    parser.add_argument("--policy-dir", type=Path, help="where to write Chromium's policies for the kiosk")
    parser.add_argument("--wait-s", type=float, default=WAIT_S, help="how long to wait for the kiosk's /healthz")
    parser.add_argument("--print", action="store_true", help="print the command as JSON instead of running it")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    url = kiosk_url(settings)
    command = screen_command(url, args.profile)
    if args.print:
        print(json.dumps({"url": url, "command": command, "policy": kiosk_policy(url)}))
        return 0
    if args.policy_dir is not None:
        write_policy(args.policy_dir, url)
    if not wait_until_up(url, args.wait_s):
        print(f"the kiosk at {url} did not answer /healthz within {args.wait_s:.0f} s", file=sys.stderr)
        return 1
    args.profile.mkdir(mode=0o700, parents=True, exist_ok=True)
    sys.stdout.flush()
    os.execv(command[0], command)
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
