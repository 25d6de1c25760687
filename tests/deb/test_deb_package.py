"""The Debian package (`make deb`) as a technician uses it: `apt install ./mydata-counter_*.deb` with nothing to
download, `hw doctor` right after, the kiosk screen up in Chromium with its sandbox, an upgrade that keeps the
config and the clerk audit, a purge that leaves nothing. Runs as root on a disposable machine and puts it back.

The tests run in order (install → check → upgrade → purge) on one installation; `make deb-test` runs them.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mydata_counter.servicerunner import free_port
from tests.deb import deb_rig as rig

pytestmark = [pytest.mark.deb, pytest.mark.slow]

DEMO = Path("/usr/share/doc/mydata-counter/examples/demo.toml")
TEST_ONLY = {"vsmartcard-vpcd", "python3-virtualsmartcard", "softhsm2", "gcc", "prometheus", "lintian", "patchelf"}


@pytest.fixture(scope="module")
def debs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    reason = rig.why_not_here()
    if reason:
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("debs")
    return rig.build(out, rig.FIRST), rig.build(out, rig.SECOND)


@pytest.fixture(scope="module")
def installed(debs: tuple[Path, Path]) -> Iterator[tuple[Path, Path]]:
    with rig.machine_restored():
        result = rig.apt_install(debs[0])
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        yield debs


def _open_folder() -> Iterator[Path]:
    """A folder the service users can reach (pytest's own temp folders are root's alone), outside /tmp (the
    kiosk screen gets a /tmp of its own, as the unit's PrivateTmp= gives it)."""
    folder = Path(tempfile.mkdtemp(prefix="mydata-deb-test-", dir="/run"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def demo_folder(installed: tuple[Path, Path]) -> Iterator[Path]:
    """The shipped demo config in a folder the service users may use (its var/ paths are relative)."""
    for folder in _open_folder():
        shutil.copy(DEMO, folder / "demo.toml")
        folder.chmod(0o777)
        yield folder


@pytest.fixture
def open_folder() -> Iterator[Path]:
    yield from _open_folder()


@pytest.fixture(scope="module")
def sandbox(demo_folder: Path) -> Iterator[str]:
    """The installed package's sandbox broker (demo mode registers the demo terminal key)."""
    port = free_port()
    process = subprocess.Popen(
        ["/usr/bin/mydata-counter", "sandbox", "--config", "demo.toml", "--port", str(port)],
        cwd=demo_folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        rig.wait_for(url, process)
        for path in demo_folder.rglob("*"):  # the kiosk (user mydata) reads the terminal key it made
            shutil.chown(path, "mydata", "mydata")
        yield url
    finally:
        rig.stop(process)


def test_package_depends_only_on_debian_packages_never_on_test_tools(debs: tuple[Path, Path]) -> None:
    fields = rig.run("dpkg-deb", "-f", debs[0], "Depends", "Recommends", "Suggests").stdout
    names = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", re.sub(r"\([^)]*\)", "", fields.split(":", 1)[1])))
    assert names and not names & TEST_ONLY
    depends = rig.run("dpkg-deb", "-f", debs[0], "Depends").stdout
    for name in re.findall(r"[a-z0-9][a-z0-9.+-]+", re.sub(r"\([^)]*\)", "", depends)):
        assert rig.run("apt-cache", "show", name, check=False).returncode == 0, f"{name} is no Debian package"
    contents = rig.run("dpkg-deb", "--contents", debs[0]).stdout
    assert "./usr/lib/mydata-counter/venv/bin/mydata-counter" in contents
    assert ".pyc" not in contents and "__pycache__" not in contents  # compiled on the station by postinst


def test_lintian_finds_no_errors(debs: tuple[Path, Path]) -> None:
    """Errors fail; the tags deploy/debian/lintian-overrides names (the PyPI wheels' own files) are explained
    there, and an override that no longer matches anything is reported too."""
    result = rig.run("lintian", "--fail-on", "error", "--tag-display-limit", "0", debs[0], check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "E: " not in result.stdout and "unused-override" not in result.stdout, result.stdout[-3000:]


def test_package_installs_its_users_groups_units_and_a_private_config(installed: tuple[Path, Path]) -> None:
    assert rig.installed_version() == rig.FIRST
    assert rig.user_exists("mydata") and rig.user_exists("mydata-screen")
    for group in rig.SCREEN_GROUPS:
        assert rig.member_of("mydata-screen", group), group
    for path, mode in (("/etc/mydata-counter", 0o750), ("/etc/mydata-counter/config.toml", 0o640)):
        info = os.stat(path)
        assert (info.st_uid, grp.getgrgid(info.st_gid).gr_name, info.st_mode & 0o777) == (0, "mydata", mode)
    for unit in rig.UNITS:
        assert Path(f"/lib/systemd/system/{unit}.service").is_file()
    assert rig.run("/usr/bin/mydata-counter", "--version").stdout.startswith("mydata-counter")
    assert rig.run("/usr/bin/mydata-counter", "config", "check", "--config", DEMO).returncode == 0


def test_every_library_the_environment_loads_is_in_it_or_in_a_dependency(installed: tuple[Path, Path]) -> None:
    depends = rig.run("dpkg-query", "-W", "-f=${Depends}", rig.PACKAGE).stdout
    allowed = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", re.sub(r"\([^)]*\)", "", depends)))
    owners: dict[str, str] = {}
    for path in rig.VENV.rglob("*.so*"):
        if not path.is_file() or path.is_symlink():
            continue
        for line in rig.run("ldd", path, check=False).stdout.splitlines():
            assert "not found" not in line, f"{path}: {line}"
            target = line.split("=>")[-1].split("(")[0].strip()
            if target.startswith("/") and not target.startswith(str(rig.VENV)) and target not in owners:
                real = os.path.realpath(target)
                found = rig.run("dpkg", "-S", real, check=False).stdout or rig.run("dpkg", "-S", target).stdout
                owners[target] = found.split(":")[0]
    assert owners and set(owners.values()) <= allowed, {lib: pkg for lib, pkg in owners.items() if pkg not in allowed}


def test_hw_doctor_passes_right_after_install_with_the_demo_config(sandbox: str, demo_folder: Path) -> None:
    env = {**os.environ, "MYDATA_COUNTER_BROKER__URL": sandbox}
    result = rig.run(
        "/usr/bin/mydata-counter", "hw", "doctor", "--config", "demo.toml", cwd=demo_folder, env=env, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout


def test_installed_units_verify_and_keep_their_exposure(installed: tuple[Path, Path]) -> None:
    units = [f"/lib/systemd/system/{unit}.service" for unit in rig.UNITS]
    verify = rig.run("systemd-analyze", "verify", *units, check=False)
    assert verify.returncode == 0, verify.stderr
    limits = {"mydata-counter-kiosk": 2.0, "mydata-counter-clerk": 2.0, "mydata-counter-kiosk-browser": 5.0}
    for unit, limit in limits.items():
        report = rig.run("systemd-analyze", "security", "--offline=yes", f"/lib/systemd/system/{unit}.service").stdout
        match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", report)
        assert match and float(match.group(1)) <= limit, (unit, report[-300:])


def _screen_processes() -> list[tuple[int, str]]:
    found = []
    uid = pwd.getpwnam("mydata-screen").pw_uid
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if proc.stat().st_uid == uid:
                    found.append((int(proc.name), (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()))
            except OSError:
                continue
    return found


def _renderers() -> list[int]:
    return [pid for pid, cmdline in _screen_processes() if "--type=renderer" in cmdline]


def _seccomp(pid: int) -> str | None:
    """The process's seccomp mode (0 none, 2 filter), or None once it has exited."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^Seccomp:\s+(\d)$", status, re.M)
    return found.group(1) if found else None


def _wait(condition: object, what: str, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"waited in vain for {what}"
        time.sleep(0.2)


def test_kiosk_screen_waits_for_the_kiosk_then_runs_chromium_with_its_sandbox(
    sandbox: str, demo_folder: Path, open_folder: Path
) -> None:
    """The unit's launcher as the unit runs it (user mydata-screen, no new privileges, no capabilities, the
    policies bound over /etc/chromium/policies/managed in its own mount namespace), on a headless wlroots
    output: it waits while the kiosk is down, then cage starts Chromium, whose renderers run in their own user
    and PID namespaces under seccomp — Chromium's sandbox — and nothing was started with --no-sandbox."""
    kiosk_port = free_port()
    text = (demo_folder / "demo.toml").read_text()
    screen = open_folder / "screen"
    for sub in ("", "xdg", "policies"):
        (screen / sub).mkdir(exist_ok=True)
        shutil.chown(screen / sub, "mydata-screen", "mydata-screen")
        (screen / sub).chmod(0o700)
    screen_config = screen / "config.toml"  # the unit's LoadCredential= copy
    screen_config.write_text(text.replace("port = 8701", f"port = {kiosk_port}"))
    shutil.chown(screen_config, "mydata-screen")
    launcher = rig.as_user(
        "mydata-screen", rig.VENV / "bin" / "python", "-I", "-m", "mydata_counter.kiosk_screen",
        "--config", screen_config, "--profile", screen / "profile", "--policy-dir", screen / "policies",
    )  # fmt: skip
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(screen),
        "XDG_RUNTIME_DIR": str(screen / "xdg"),
        "WLR_BACKENDS": "headless",
        "WLR_RENDERER": "pixman",
        "WLR_LIBINPUT_NO_DEVICES": "1",
    }
    # The unit's PrivateTmp= and BindReadOnlyPaths=, in a mount namespace of the test's own.
    mount = f"mount -t tmpfs tmpfs /tmp && mount --bind {screen / 'policies'} /etc/chromium/policies/managed"
    mount += ' && exec "$@"'
    screen_process = subprocess.Popen(
        ["unshare", "--mount", "sh", "-c", mount, "sh", *launcher],
        cwd="/",
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    kiosk = None
    try:
        _wait(lambda: any("kiosk_screen" in cmd for _, cmd in _screen_processes()), "the launcher")
        assert not any("chromium" in cmd for _, cmd in _screen_processes())  # the kiosk is not up yet
        serve = ("/usr/bin/mydata-counter", "kiosk", "--config", "demo.toml", "--port", str(kiosk_port))
        kiosk = subprocess.Popen(
            rig.as_user("mydata", *serve),
            cwd=demo_folder,
            env={**os.environ, "MYDATA_COUNTER_BROKER__URL": sandbox},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        rig.wait_for(f"http://127.0.0.1:{kiosk_port}", kiosk)
        # a renderer turns its seccomp filter on a moment after it starts: wait for one that has
        _wait(lambda: any(_seccomp(pid) == "2" for pid in _renderers()), "a sandboxed Chromium renderer")
        processes = _screen_processes()
        browser = [cmd for _, cmd in processes if "/chromium" in cmd and "--type=" not in cmd]
        assert browser and browser[0].rstrip().endswith(f" http://127.0.0.1:{kiosk_port}/")
        assert not any("--no-sandbox" in cmd for _, cmd in processes)
        browser_userns = os.readlink(f"/proc/{screen_process.pid}/ns/user")
        for pid in _renderers():
            _wait(lambda pid=pid: _seccomp(pid) in ("2", None), f"renderer {pid}'s seccomp filter", 30.0)
            if _seccomp(pid) is None:
                continue  # it has exited meanwhile
            assert os.readlink(f"/proc/{pid}/ns/user") != browser_userns
            assert os.readlink(f"/proc/{pid}/ns/pid") != os.readlink(f"/proc/{screen_process.pid}/ns/pid")
        policy = (screen / "policies" / "mydata-counter-kiosk.json").read_text()
        assert f'"http://127.0.0.1:{kiosk_port}"' in policy
    finally:
        os.killpg(screen_process.pid, signal.SIGTERM)
        try:
            screen_process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(screen_process.pid, signal.SIGKILL)
            screen_process.wait()
        if kiosk is not None:
            rig.stop(kiosk)
        _wait(lambda: not _screen_processes(), "the screen's processes to end", 30)


def test_upgrade_keeps_the_config_and_the_clerk_audit_database(installed: tuple[Path, Path]) -> None:
    config = Path("/etc/mydata-counter/config.toml")
    config.write_text(config.read_text().replace('terminal_id = "CHANGE-ME-kiosk-01"', 'terminal_id = "hl-01"'))
    audit = "/var/lib/mydata-counter/clerk-audit.db"
    record = (
        "from pathlib import Path; from clerk.audit import LocalAudit; "
        f"LocalAudit(Path({audit!r})).record('viewed', clerk='clerk-hualien', agency='hualien')"
    )
    rig.run(*rig.as_user("mydata", rig.VENV / "bin" / "python", "-c", record))

    result = rig.apt_install(installed[1])

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert rig.installed_version() == rig.SECOND
    assert 'terminal_id = "hl-01"' in config.read_text()
    assert (os.stat(config).st_mode & 0o777, grp.getgrgid(os.stat(config).st_gid).gr_name) == (0o640, "mydata")
    with sqlite3.connect(audit) as db:
        assert db.execute("SELECT clerk, event FROM events").fetchall() == [("clerk-hualien", "viewed")]
    assert rig.run("/usr/bin/mydata-counter", "--version").returncode == 0


def test_purge_removes_users_units_and_files(installed: tuple[Path, Path]) -> None:
    for unit in ("mydata-counter-kiosk", "mydata-counter-kiosk-browser"):  # as the technician enabled them
        rig.run("systemctl", "--root=/", "enable", f"{unit}.service")
    assert rig.leftovers()

    result = rig.purge()

    assert result.returncode == 0, result.stdout + result.stderr
    assert rig.leftovers() == []
