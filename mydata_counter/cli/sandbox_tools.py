"""``mydata-counter sandbox …`` subcommands (the ``sandbox`` group itself serves the broker)."""

from __future__ import annotations

from pathlib import Path

import click

from mydata_counter.cli.support import load_or_exit


@click.command("reset")
@click.pass_obj
def reset(config_path: Path) -> None:
    """Empty the sandbox database (sessions, codes, first-use records, audit, outbox); registered
    terminals stay, demo clerk accounts are recreated, citizens come back from the seed."""
    from broker_sandbox.catalogue import Catalogues
    from broker_sandbox.clerk_flow import ClerkFlow
    from broker_sandbox.store import Store

    settings = load_or_exit(config_path)
    store = Store(settings.sandbox.database)
    store.reset()
    ClerkFlow.seed_demo_clerks(store, Catalogues(settings.sandbox.catalogue).catalogue)
    click.echo(f"sandbox reset: {settings.sandbox.database} (seed {settings.sandbox.seed})")


@click.command("register-terminal")
@click.option("--id", "terminal_id", help="Terminal id the terminal signs with (keyid).")
@click.option(
    "--public-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The terminal's Ed25519 public key, PEM.",
)
@click.option(
    "--request",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Instead of --id and --public-key: the registration request `mydata-counter terminal init|show` wrote.",
)
@click.pass_obj
def register_terminal(
    config_path: Path, terminal_id: str | None, public_key: Path | None, request: Path | None
) -> None:
    """Trust a terminal's public key (what the central broker's registration does); a key registered again for
    the same id replaces the old one (key rotation)."""
    import json

    from broker_sandbox.store import Store
    from broker_sandbox.terminals import Terminals

    if request is not None:
        asked = json.loads(request.read_text(encoding="utf-8"))
        terminal_id, pem = str(asked["terminal_id"]), str(asked["public_key"])
    elif terminal_id and public_key is not None:
        pem = public_key.read_text()
    else:
        raise click.UsageError("give --request FILE, or --id and --public-key")
    settings = load_or_exit(config_path)
    Terminals(Store(settings.sandbox.database)).register(terminal_id, pem)
    click.echo(f"registered terminal {terminal_id}")


@click.command("audit-verify")
@click.pass_obj
def audit_verify(config_path: Path) -> None:
    """Check the audit log's hash chain; exit 1 naming the first edited or missing record."""
    from broker_sandbox.audit import verify
    from broker_sandbox.store import Store

    settings = load_or_exit(config_path)
    verdict = verify(Store(settings.sandbox.database))
    if verdict.ok:
        click.echo(f"audit OK: {verdict.records} records, chain intact")
        return
    click.echo(f"audit FAILED at record {verdict.first_bad_seq}: {verdict.reason}", err=True)
    raise SystemExit(1)


@click.command("soak")
@click.option("--minutes", type=float, default=10.0, show_default=True, help="How long the clerks redeem.")
@click.option("--clerks", type=click.IntRange(1, 500), default=50, show_default=True, help="Clerk sessions.")
@click.option("--kiosks", type=click.IntRange(0, 20), default=2, show_default=True, help="Kiosks issuing codes.")
@click.option(
    "--rate", type=click.FloatRange(1, 2000), default=100.0, show_default=True, help="Redemptions/s offered in all."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def soak(config_path: Path, minutes: float, clerks: int, kiosks: int, rate: float, as_json: bool) -> None:
    """Load and soak a fresh sandbox on a free port: clerk sessions redeem while kiosks issue codes;
    exit 1 on any error, lost or duplicated code, broken audit chain or memory growth."""
    import json

    from mydata_counter.bench.load import soak as run_soak

    report = run_soak(load_or_exit(config_path), minutes * 60, clerks=clerks, kiosks=kiosks, rate=rate)
    click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) if as_json else report.summary())
    if not report.ok:
        raise SystemExit(1)


commands = [reset, register_terminal, audit_verify, soak]
