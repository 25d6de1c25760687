"""The processes serving a port (a gunicorn master, its workers and their children, e.g. the sandbox's mail
process), with their CPU time and memory, read from /proc: for benchmarks and load runs."""

from __future__ import annotations

import os
from pathlib import Path


def serving_pids(port: int) -> dict[int, float]:
    """Every process serving ``port`` (gunicorn master and workers, found by ``--port`` on their command
    line) and their children (the mail server), each with its CPU seconds (user + system) so far."""
    marker = f"--port\0{port}\0".encode()
    stats: dict[int, tuple[int, float]] = {}  # pid -> (parent pid, CPU seconds)
    serving: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        # after the ")" of the name: state, ppid, …; utime and stime are fields 14 and 15 of stat
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
        if marker in cmdline:
            serving.add(int(entry.name))
    changed = True
    while changed:
        children = {pid for pid, (parent, _) in stats.items() if parent in serving} - serving
        serving |= children
        changed = bool(children)
    return {pid: stats[pid][1] for pid in serving}


def rss_mb(pids: list[int]) -> float:
    total_kb = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue  # the process ended meanwhile
    return total_kb / 1024
