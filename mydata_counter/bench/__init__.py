"""``mydata-counter bench …``: benchmarks, each a function returning figures beside their targets.

Areas register benchmarks in their own ``bench`` module (``BENCH_MODULES``) as
``benchmarks: dict[str, Callable[[Settings], BenchResult]]``; this module turns each into
``bench <name> [--json]`` and runs them all for ``bench all`` (``make bench``).
"""

from __future__ import annotations

import importlib
import json
import platform
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import click

from counter_core.settings import Settings
from mydata_counter.cli.support import config_option, load_or_exit

BENCH_MODULES = (
    "mydata_counter.bench.serving",
    "mydata_counter.bench.broker",
    "mydata_counter.bench.cards",
    "mydata_counter.bench.decode",
    "mydata_counter.bench.scan_signed",
    "mydata_counter.bench.printer",
    "mydata_counter.bench.kiosk",
    "mydata_counter.bench.clerk",
)


@dataclass
class Metric:
    value: float
    unit: str
    target: str = ""  # e.g. "<= 50"; empty when there is no target
    ok: bool | None = None  # None when there is no target


@dataclass
class BenchResult:
    name: str
    metrics: dict[str, Metric] = field(default_factory=dict)
    notes: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def check(value: float, unit: str, *, at_most: float | None = None, at_least: float | None = None) -> Metric:
    if at_most is not None:
        return Metric(round(value, 3), unit, f"<= {at_most:g}", value <= at_most)
    if at_least is not None:
        return Metric(round(value, 3), unit, f">= {at_least:g}", value >= at_least)
    return Metric(round(value, 3), unit)


Benchmark = Callable[[Settings], BenchResult]


def registered() -> dict[str, Benchmark]:
    found: dict[str, Benchmark] = {}
    for module_name in BENCH_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:  # that area has no benchmarks yet
                continue
            raise
        found.update(getattr(module, "benchmarks", {}))
    return found


def markdown_table(results: list[BenchResult]) -> str:
    lines = ["| benchmark | metric | value | target | ok |", "|---|---|---|---|---|"]
    for result in results:
        for name, metric in result.metrics.items():
            ok = "" if metric.ok is None else ("yes" if metric.ok else "**no**")
            lines.append(f"| {result.name} | {name} | {metric.value:g} {metric.unit} | {metric.target} | {ok} |")
    return "\n".join(lines) + "\n"


def _print(result: BenchResult, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
    else:
        click.echo(markdown_table([result]))


class _BenchGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return ["all", *sorted(registered())]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "all":
            return bench_all
        benchmark = registered().get(cmd_name)
        if benchmark is None:
            return None

        @click.command(cmd_name, help=(benchmark.__doc__ or "").strip().split("\n")[0])
        @config_option
        @click.option("--json", "as_json", is_flag=True, help="One JSON object instead of a table.")
        def run(config_path: Path, as_json: bool) -> None:
            _print(benchmark(load_or_exit(config_path)), as_json)

        return run


@click.command("all")
@config_option
@click.option("--output", type=click.Path(path_type=Path), default=Path("bench/results.json"), show_default=True)
def bench_all(config_path: Path, output: Path) -> None:
    """Run every benchmark; write JSON results and a markdown table beside them."""
    settings = load_or_exit(config_path)
    results = []
    for name, benchmark in sorted(registered().items()):
        click.echo(f"running {name} …", err=True)
        results.append(benchmark(settings))
    output.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": _cpu_count(),
            "platform": platform.platform(),
        },
        "results": [result.as_dict() for result in results],
    }
    output.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    table = markdown_table(results)
    output.with_suffix(".md").write_text(table, encoding="utf-8")
    click.echo(table)


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0))


bench = _BenchGroup("bench", help="Benchmarks (figures beside targets); `bench all` is `make bench`.")
