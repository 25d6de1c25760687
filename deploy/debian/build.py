"""Build ``mydata-counter_<version>_amd64.deb``: the whole application for an offline Debian 12 station.

Why a virtual environment packed with ``dpkg-deb`` (and not dh-virtualenv 1.2): the package is binary only
(no Debian source package to keep), the environment must hold exactly the versions the tests ran with (the
build takes the development environment's ``pip freeze`` as constraints), and the manylinux wheels carry their
own libraries, which debhelper's dh_strip and dh_shlibdeps would have to be told to leave alone anyway. So:

1. a wheel of the project, built from the files git tracks;
2. a virtual environment made by Debian's own ``/usr/bin/python3.11`` (the interpreter stations run) at
   ``/usr/lib/mydata-counter/venv`` inside a staging root, the wheel and its pinned dependencies installed
   into it by pip (no pip of its own needed, nothing byte-compiled: postinst compiles on the station);
3. the paths of the staging root rewritten to the installed ones (scripts' ``#!`` lines, activate, pyvenv.cfg)
   and a check that none is left;
4. the systemd units (``systemd/*.service.in``), the config template as a conffile, the sysusers file, the
   maintainer scripts, docs and ``/usr/bin/mydata-counter``;
5. ``dpkg-deb --root-owner-group``.

Everything the station needs at run time is inside the package or in Debian 12's own packages (Depends).
Usage: ``python deploy/debian/build.py --out dist [--version 0.1.0]`` (``make deb``).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PACKAGE = "mydata-counter"
APP_DIR = Path("/usr/lib/mydata-counter")
VENV = APP_DIR / "venv"
DOC_DIR = Path("/usr/share/doc/mydata-counter")
UNIT_DIR = Path("/lib/systemd/system")  # Debian 12 packages install units here
PYTHON = "/usr/bin/python3.11"
UNITS = ("mydata-counter-kiosk", "mydata-counter-clerk", "mydata-counter-kiosk-browser")

# Debian 12 packages only. Libraries the wheels link against (libc6 … zlib1g; the rest they carry), those
# they load at run time (pcsclite, zbar), and the programs the services run or talk to.
DEPENDS = (
    "python3.11",
    "python3",
    "libc6",
    "libgcc-s1",
    "libstdc++6",
    "zlib1g",
    "systemd",
    "passwd",
    "libpcsclite1",
    "pcscd",
    "libzbar0",
    "fonts-wqy-zenhei",
    "cups-client",
    "espeak-ng",
    "chromium",
    "cage",
    "xwayland",  # cage 0.1.4 refuses to start without Xwayland
)
RECOMMENDS = ("cups-ipp-utils",)  # ipptool: the CUPS driver's exact job state (lpstat alone otherwise)
SUGGESTS = ("poppler-utils",)  # pdftoppm: hw receipt-samples

DESCRIPTION = """MyData counter verification: citizen kiosk and clerk terminal
 The kiosk (Chromium in kiosk mode on cage) and the clerk's verification
 terminal for Taiwan's MyData counter service, with their card reader,
 camera and receipt printer drivers, as systemd services. The application
 and its Python environment are included: installing needs no network."""


def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])


def run(*command: str | Path, cwd: Path | None = None) -> None:
    subprocess.run([str(part) for part in command], check=True, cwd=cwd)


def tracked_source(into: Path) -> Path:
    """A copy of the files git tracks or would (not ignored), as they are in the work tree: no .venv, build/
    or var/ in the wheel."""
    command = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    listing = subprocess.run(command, cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listing):
        source = ROOT / name
        if source.is_file():
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return into


def constraints(into: Path) -> Path:
    """The versions of the environment running this build (the one the tests ran in), as pip constraints."""
    frozen = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"], capture_output=True, text=True, check=True
    ).stdout
    lines = [line for line in frozen.splitlines() if "==" in line and " @ " not in line]
    path = into / "constraints.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def build_venv(stage: Path, work: Path) -> None:
    venv = stage / VENV.relative_to("/")
    source = tracked_source(work / "src")
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", work / "wheels", source)
    run(PYTHON, "-m", "venv", "--without-pip", venv)
    run(
        sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "-q",
        "--no-compile", "--no-warn-script-location", "--disable-pip-version-check",
        "-c", constraints(work), *sorted((work / "wheels").glob("*.whl")),
    )  # fmt: skip
    relocate(venv)
    shutil.copytree(ROOT / "static", venv / "share" / "mydata-counter" / "static")


def relocate(venv: Path) -> None:
    """Point the environment at its installed path: scripts' #! lines, activate, pyvenv.cfg."""
    staged, final = str(venv).encode(), str(VENV).encode()
    for name in ("Activate.ps1", "activate.csh", "activate.fish"):
        (venv / "bin" / name).unlink(missing_ok=True)
    for python in ("python", "python3", "python3.11"):
        link = venv / "bin" / python
        link.unlink(missing_ok=True)
        link.symlink_to("../../../../bin/python3.11" if python == "python" else "python")
    for path in [*(venv / "bin").iterdir(), venv / "pyvenv.cfg"]:
        if path.is_file() and not path.is_symlink():
            path.write_bytes(path.read_bytes().replace(staged, final))
    for path in list(venv.rglob("*")):
        if not path.exists():  # inside a folder removed above
            continue
        if path.name in ("direct_url.json", "__pycache__", ".gitignore"):  # the build's wheel path; bytecode
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        elif path.suffix == ".pyc":
            path.unlink()
        elif path.is_file() and not path.is_symlink() and _is_elf(path):
            _drop_build_machine_runpath(path)
    left = [str(p) for p in venv.rglob("*") if p.is_file() and not p.is_symlink() and staged in p.read_bytes()]
    if left:
        raise SystemExit(f"staging path left in: {left[:5]}")


def _is_elf(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(4) == b"\x7fELF"


def _drop_build_machine_runpath(path: Path) -> None:
    """A wheel built here from an sdist (pyscard) keeps the building interpreter's library folder as RUNPATH;
    only ``$ORIGIN``-relative entries (auditwheel's, for the libraries a wheel carries) belong on a station."""
    found = subprocess.run(["patchelf", "--print-rpath", str(path)], capture_output=True, text=True, check=False)
    entries = [entry for entry in found.stdout.strip().split(":") if entry]
    kept = [entry for entry in entries if entry.startswith("$ORIGIN")]
    if kept != entries:
        command = ["--set-rpath", ":".join(kept)] if kept else ["--remove-rpath"]
        run("patchelf", *command, path)


def install(source: Path, target: Path, mode: int = 0o644) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    target.chmod(mode)


def gzip_to(data: bytes, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    target.chmod(0o644)


def add_files(stage: Path, version: str) -> None:
    def at(path: Path | str) -> Path:
        return stage / Path(path).relative_to("/")

    for unit in UNITS:
        text = (ROOT / "systemd" / f"{unit}.service.in").read_text()
        text = text.replace("@BINDIR@", str(VENV / "bin")).replace("@DOCDIR@", str(DOC_DIR))
        at(UNIT_DIR).mkdir(parents=True, exist_ok=True)
        at(UNIT_DIR / f"{unit}.service").write_text(text)
    install(ROOT / "config" / "example.toml", at("/etc/mydata-counter/config.toml"))  # 0640 root:mydata: postinst
    at("/etc/chromium/policies/managed").mkdir(parents=True)  # the kiosk screen's policies are bound here
    install(HERE / "sysusers.conf", at("/usr/lib/sysusers.d/mydata-counter.conf"))
    install(HERE / "lintian-overrides", at("/usr/share/lintian/overrides/mydata-counter"))
    at("/usr/bin").mkdir(parents=True)
    at("/usr/bin/mydata-counter").symlink_to("../lib/mydata-counter/venv/bin/mydata-counter")
    install(HERE / "copyright", at(DOC_DIR / "copyright"))
    changelog = f"{PACKAGE} ({version}) stable; urgency=medium\n\n  * Built by make deb.\n\n"
    changelog += " -- MyData Counter team <mydata-counter@example.gov.tw>  Thu, 01 Jan 2026 00:00:00 +0800\n"
    gzip_to(changelog.encode(), at(DOC_DIR / "changelog.gz"))
    for doc in ("deploy.md", "hardware.md", "printing.md", "scanning.md"):
        install(ROOT / "docs" / doc, at(DOC_DIR / doc))
    install(ROOT / "README.md", at(DOC_DIR / "README.md"))
    for example in ("demo.toml", "example.toml"):
        install(ROOT / "config" / example, at(DOC_DIR / "examples" / example))
    for folder in ("prometheus", "grafana"):
        for path in sorted((ROOT / "deploy" / folder).glob("*")):
            if path.is_file() and not path.name.endswith("test.yml"):
                install(path, at(f"/usr/share/mydata-counter/{folder}/{path.name}"))


def control(stage: Path, version: str) -> None:
    debian = stage / "DEBIAN"
    debian.mkdir()
    size_kib = sum(p.lstat().st_size for p in stage.rglob("*") if not p.is_dir()) // 1024 + 1
    fields = {
        "Package": PACKAGE,
        "Version": version,
        "Architecture": "amd64",
        "Maintainer": "MyData Counter team <mydata-counter@example.gov.tw>",
        "Installed-Size": str(size_kib),
        "Depends": ", ".join(DEPENDS),
        "Recommends": ", ".join(RECOMMENDS),
        "Suggests": ", ".join(SUGGESTS),
        "Section": "misc",
        "Priority": "optional",
        "Description": DESCRIPTION,
    }
    (debian / "control").write_text("".join(f"{key}: {value}\n" for key, value in fields.items()))
    (debian / "conffiles").write_text("/etc/mydata-counter/config.toml\n")
    for script in ("postinst", "prerm", "postrm"):
        install(HERE / script, debian / script, 0o755)
    sums = []
    for path in sorted(stage.rglob("*")):
        if path.is_file() and not path.is_symlink() and debian not in path.parents:
            digest = hashlib.md5(path.read_bytes()).hexdigest()  # dpkg's md5sums format
            sums.append(f"{digest}  {path.relative_to(stage)}\n")
    (debian / "md5sums").write_text("".join(sums))


def normalise_modes(stage: Path) -> None:
    """Directories 0755; files 0755 only if they are programs (an ELF executable, not a shared library, or a
    script), else 0644 — wheels mark fonts, text and libraries executable at random."""
    for path in stage.rglob("*"):
        if path.is_symlink():
            continue
        if path.is_dir():
            path.chmod(0o755)
        else:
            path.chmod(0o755 if path.stat().st_mode & 0o111 and _is_program(path) else 0o644)


def _is_program(path: Path) -> bool:
    with path.open("rb") as file:
        head = file.read(18)
    if head.startswith(b"#!"):
        return True
    return head.startswith(b"\x7fELF") and int.from_bytes(head[16:18], "little") == 2  # ET_EXEC, not ET_DYN


COMPRESSION = {"xz": ("-Zxz", "-z6"), "fast": ("-Zgzip", "-z1")}  # xz: 72 MB, 3 min; fast: 116 MB, 4 s


def build(out: Path, version: str, compression: str = "xz") -> Path:
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{PACKAGE}_{version}_amd64.deb"
    with tempfile.TemporaryDirectory(prefix="mydata-deb-") as tmp:
        work = Path(tmp)
        stage = work / "root"
        build_venv(stage, work)
        add_files(stage, version)
        normalise_modes(stage)
        control(stage, version)
        env = {**os.environ, "SOURCE_DATE_EPOCH": "1767196800"}
        subprocess.run(
            ["dpkg-deb", "--root-owner-group", *COMPRESSION[compression], "--build", str(stage), str(target)],
            check=True, env=env, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description="Build the mydata-counter Debian package.")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="folder for the .deb [dist/]")
    parser.add_argument("--version", default=project_version(), help="package version [pyproject's]")
    parser.add_argument("--compression", choices=sorted(COMPRESSION), default="xz", help="[xz]")
    args = parser.parse_args()
    print(build(args.out, args.version, args.compression))


if __name__ == "__main__":
    main()
