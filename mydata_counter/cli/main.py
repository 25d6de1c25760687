"""The ``mydata-counter`` command: services, demo, device tools, benchmarks, config check."""

from __future__ import annotations

import json
from pathlib import Path

import click

from counter_core.logs import configure_logging
from counter_core.settings import Settings, redacted_dump
from mydata_counter import __version__
from mydata_counter.bench import bench
from mydata_counter.cli.support import config_option, load_or_exit


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mydata-counter")
def main() -> None:
    """MyData Counter: citizen kiosk, clerk terminal and sandbox broker for MyData counter
    verification (臨櫃核驗免檢據)."""


def _serve(service: str, settings: Settings, host: str | None, port: int | None) -> None:
    from mydata_counter.serve import serve
    from mydata_counter.wiring import FACTORIES

    section = getattr(settings, service)
    configure_logging(settings.logging)
    tls = (section.tls_cert_file, section.tls_key_file) if section.tls_cert_file and section.tls_key_file else None
    # Built in gunicorn's worker process: devices, threads and sockets belong to the worker.
    serve(
        lambda: FACTORIES[service](settings),
        service,
        host or section.host,
        port or section.port,
        threads=section.threads,
        tls=tls,
    )


@main.command()
@config_option
@click.option("--host", default=None, help="Address to listen on [default: kiosk.host].")
@click.option("--port", type=int, default=None, help="TCP port [default: kiosk.port, 8701].")
def kiosk(config_path: Path, host: str | None, port: int | None) -> None:
    """Run the citizen kiosk web app (touch screen at the counter)."""
    _serve("kiosk", load_or_exit(config_path), host, port)


@main.command()
@config_option
@click.option("--host", default=None, help="Address to listen on [default: clerk.host].")
@click.option("--port", type=int, default=None, help="TCP port [default: clerk.port, 8702].")
def clerk(config_path: Path, host: str | None, port: int | None) -> None:
    """Run the clerk's verification terminal web app."""
    _serve("clerk", load_or_exit(config_path), host, port)


@main.group(invoke_without_command=True)
@config_option
@click.option("--host", default=None, help="Address to listen on [default: sandbox.host].")
@click.option("--port", type=int, default=None, help="TCP port [default: sandbox.port, 8700].")
@click.pass_context
def sandbox(ctx: click.Context, config_path: Path, host: str | None, port: int | None) -> None:
    """Run the local sandbox broker (synthetic citizens, phone simulator, outbox)."""
    ctx.obj = config_path
    if ctx.invoked_subcommand is None:
        from broker_sandbox.catalogue import CatalogueError, load_catalogue

        settings = load_or_exit(config_path)
        try:  # a bad catalogue file stops here, each bad entry named, not in the server's worker
            load_catalogue(settings.sandbox.catalogue)
        except CatalogueError as error:
            click.echo(str(error), err=True)
            raise SystemExit(2) from None
        _serve("sandbox", settings, host, port)


@main.command()
@config_option
def demo(config_path: Path) -> None:
    """Start sandbox broker, kiosk and clerk with simulated devices; Ctrl-C stops all three."""
    from mydata_counter.demo import run_demo

    raise SystemExit(run_demo(config_path, load_or_exit(config_path)))


@main.group("config")
def config_group() -> None:
    """Check and show configuration."""


@config_group.command("check")
@config_option
@click.option(
    "--json", "as_json", is_flag=True, help="Print the effective settings (secrets redacted), or the problems, as JSON."
)
def config_check(config_path: Path, as_json: bool) -> None:
    """Validate the config file (and environment overrides); exit 2 naming each problem."""
    settings = load_or_exit(config_path, as_json)
    if as_json:
        click.echo(json.dumps(redacted_dump(settings), ensure_ascii=False, indent=2))
    else:
        click.echo(f"設定正確 / config OK: {config_path}")


@main.command("admin-hash")
@click.password_option("--password", prompt="Technician password", help="The password to hash.")
def admin_hash(password: str) -> None:
    """Print the argon2 hash for [kiosk]/[clerk] admin_password_hash (the /admin page's password)."""
    from counter_web.admin import technician_hasher

    click.echo(technician_hasher().hash(password))


def _register_subcommands() -> None:
    from mydata_counter.cli.doctor import doctor
    from mydata_counter.cli.hw import hw
    from mydata_counter.cli.sandbox_tools import commands as sandbox_commands
    from mydata_counter.cli.terminal import terminal

    hw.add_command(doctor)
    main.add_command(hw)
    main.add_command(terminal)
    main.add_command(bench)
    for command in sandbox_commands:
        sandbox.add_command(command)


_register_subcommands()


if __name__ == "__main__":
    main()
