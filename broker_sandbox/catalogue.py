"""The sandbox's catalogue: a data file in the protocol's own shape (``data/catalogue.json``, or the file
``sandbox.catalogue`` names), validated by the protocol model ``Catalogue`` when the sandbox starts.

A bad file stops the start with one line per problem naming the entry (``agencies[3] 'moj' → services[0]
'moj-release-certificate' → name: Field required``), as the settings do for config keys. Where each
service and dataset comes from in the seed documents: docs/broker.md.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from broker_client.models import Catalogue, CounterService

BUILT_IN = Path(__file__).parent / "data" / "catalogue.json"


class CatalogueError(Exception):
    """The catalogue file cannot be used; the message names the file and each bad entry."""


def _where(raw: Any, location: tuple[int | str, ...]) -> str:
    """A validation error's location, with the id of each list entry on the way (``datasets[2] 'kinship'``)."""
    parts: list[str] = []
    node = raw
    for step in location:
        if isinstance(step, int) and parts:
            parts[-1] += f"[{step}]"
        else:
            parts.append(str(step))
        node = _step(node, step)
        if isinstance(step, int) and isinstance(node, dict) and isinstance(node.get("id"), str):
            parts[-1] += f" {node['id']!r}"
    return " → ".join(parts)


def _step(node: Any, step: int | str) -> Any:
    """``node[step]`` if it is there, else None."""
    if isinstance(node, dict):
        return node.get(str(step))
    if isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
        return node[step]
    return None


def load_catalogue(path: Path | None = None) -> Catalogue:
    """The catalogue in ``path`` (the built-in one if None), validated; ``CatalogueError`` names each problem."""
    path = path or BUILT_IN
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CatalogueError(f"catalogue {path}: cannot read it as JSON ({exc})") from None
    try:
        return Catalogue.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"  {_where(raw, tuple(e['loc'])) or '(catalogue)'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        ]
        raise CatalogueError(f"catalogue {path}: {len(problems)} problem(s)\n" + "\n".join(problems)) from None


class Catalogues:
    """The catalogue, loaded once, with a service index."""

    def __init__(self, path: Path | None = None) -> None:
        self.catalogue = load_catalogue(path)

    @cached_property
    def _services(self) -> dict[str, CounterService]:
        return {s.id: s for a in self.catalogue.agencies for s in a.services}

    def service(self, service_id: str) -> CounterService | None:
        return self._services.get(service_id)
