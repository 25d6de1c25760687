"""Generated settings for ``test_settings_properties``: every leaf of ``Settings`` with its bounds, valid and
invalid values for TOML and the environment, and loading a generated file."""

from __future__ import annotations

import json
import os
import string
import tempfile
import types
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import annotated_types
from hypothesis import strategies as st
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from counter_core.i18n import languages
from counter_core.settings import ENV_PREFIX, ConfigError, Settings, load_settings

Loc = tuple[str, ...]


@dataclass(frozen=True)
class Leaf:
    loc: Loc
    annotation: Any
    bounds: tuple[float | None, float | None, bool]  # lowest, highest, lowest excluded

    @property
    def key(self) -> str:
        return ".".join(self.loc)

    @property
    def env(self) -> str:
        return ENV_PREFIX + "__".join(self.loc).upper()


def _bounds(field: FieldInfo) -> tuple[float | None, float | None, bool]:
    low: float | None = None
    high: float | None = None
    excluded = False
    for item in field.metadata:
        if isinstance(item, annotated_types.Ge):
            low = float(item.ge)  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Gt):
            low, excluded = float(item.gt), True  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Le):
            high = float(item.le)  # type: ignore[arg-type]
    return low, high, excluded


def _section(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _leaves(model: type[BaseModel], prefix: Loc = ()) -> list[Leaf]:
    found = []
    for name, field in model.model_fields.items():
        if _section(field.annotation):
            found += _leaves(field.annotation, (*prefix, name))  # type: ignore[arg-type]
        else:
            found.append(Leaf((*prefix, name), field.annotation, _bounds(field)))
    return found


LEAVES = _leaves(Settings)
LANGUAGE: Loc = ("kiosk", "default_language")
TLS_PAIR = ("tls_cert_file", "tls_key_file")
NETWORK_LISTS = ("admin_from", "trusted_proxies")
SECTIONS: list[Loc] = sorted({leaf.loc[:-1] for leaf in LEAVES})
FIELDS_BY_SECTION = {section: {leaf.loc[-1] for leaf in LEAVES if leaf.loc[:-1] == section} for section in SECTIONS}
SECTION_NAMES = {loc[0] for loc in SECTIONS}

# Text TOML and the environment can both carry: no NUL, no lone surrogates.
text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=20)
words = st.text(string.ascii_letters, min_size=1, max_size=10)


def _base(annotation: Any) -> Any:
    """``int | None`` → ``int``: TOML has no null, so only the other member can be written."""
    if get_origin(annotation) in (types.UnionType, typing.Union):
        return next(arg for arg in get_args(annotation) if arg is not type(None))
    return annotation


def valid_value(leaf: Leaf) -> st.SearchStrategy[Any]:
    kind = _base(leaf.annotation)
    low, high, excluded = leaf.bounds
    if leaf.loc == ("broker", "url"):
        return st.builds(lambda scheme, rest: scheme + rest, st.sampled_from(["http://", "https://"]), text)
    if leaf.loc == LANGUAGE:  # a tag of counter_core/messages/languages.json
        return st.sampled_from(languages())
    if leaf.loc[-1] in NETWORK_LISTS:  # IP networks
        return st.lists(st.sampled_from(["127.0.0.0/8", "::1/128", "10.1.0.0/16", "192.168.3.7"]), max_size=3)
    if get_origin(kind) is list:
        return st.lists(words, max_size=3)
    if get_origin(kind) is dict:
        return st.dictionaries(words, words.map(lambda w: "/etc/mydata-counter/" + w), max_size=2)
    if get_origin(kind) is Literal:
        return st.sampled_from(get_args(kind))
    if kind is bool:
        return st.booleans()
    if kind is int:
        return st.integers(int(low) if low is not None else -(10**9), int(high) if high is not None else 10**9)
    if kind is float:
        return st.floats(low, high, exclude_min=excluded, allow_nan=False, allow_infinity=False)
    if kind is str:
        return text
    if kind is Path:
        return text.map(str)
    raise AssertionError(f"no strategy for {leaf.key}: {leaf.annotation}")


def expected(leaf: Leaf, value: Any) -> Any:
    """What the model holds for a valid ``value`` (worked out here, not by the code under test)."""
    kind = _base(leaf.annotation)
    if leaf.loc == ("broker", "url"):
        return str(value).rstrip("/")
    if get_origin(kind) in (list, dict) and isinstance(value, str):
        value = json.loads(value)  # from a variable
    if get_origin(kind) is dict:
        return {name: Path(path) for name, path in value.items()}
    if kind is Path:
        return Path(value)
    if kind is float:
        return float(value)
    if kind is bool and isinstance(value, str):
        return value == "true"
    if get_origin(kind) is Literal and isinstance(value, str) and value.isdigit():
        return int(value)
    if kind is int:
        return int(value)
    return value


def invalid_value(leaf: Leaf) -> st.SearchStrategy[Any]:
    """Values the model must refuse for ``leaf``, whatever their details."""
    kind = _base(leaf.annotation)
    low, high, excluded = leaf.bounds
    never: list[st.SearchStrategy[Any]] = [
        st.lists(st.integers(), min_size=1, max_size=3),
        st.datetimes(),
    ]
    if leaf.loc == ("broker", "url"):
        never.append(text.filter(lambda v: not v.startswith(("http://", "https://"))))
    elif leaf.loc == LANGUAGE:
        never.append(text.filter(lambda v: v not in languages()))
    elif leaf.loc[-1] in NETWORK_LISTS:
        never = [st.integers(), st.booleans(), st.just(["not a network"])]
    elif get_origin(kind) in (list, dict):
        never = [st.integers(), st.booleans(), st.datetimes()]
    elif get_origin(kind) is Literal:
        never.append(text.filter(lambda v: v not in get_args(kind) and v not in {str(a) for a in get_args(kind)}))
    elif kind is bool:
        never.append(st.sampled_from(["maybe", "enabled", "2", "sí"]))
    elif kind in (int, float):
        never.append(words.filter(lambda v: v.lower() not in {"inf", "infinity", "nan", "e"}))
        if high is not None:
            never.append(st.integers(int(high) + 1, int(high) + 10**6))
        if low is not None:
            never.append(st.integers(int(low) - 10**6, int(low) - (0 if excluded else 1)))
    elif kind in (str, Path):
        never.append(st.integers() | st.booleans())
    return st.one_of(never)


def invalid_env_value(leaf: Leaf) -> st.SearchStrategy[str] | None:
    """Environment strings the model must refuse, or None where any string is acceptable."""
    kind = _base(leaf.annotation)
    low, high, excluded = leaf.bounds
    if leaf.loc == ("broker", "url"):
        return text.filter(lambda v: not v.startswith(("http://", "https://")))
    if get_origin(kind) in (list, dict) or leaf.loc == LANGUAGE:
        return None  # JSON in a variable and checked tags: covered by the file's cases
    if get_origin(kind) is Literal:
        return words.filter(lambda v: v not in get_args(kind))
    if kind is bool:
        return st.sampled_from(["maybe", "enabled", "2", "sí"])
    if kind in (int, float):
        options = [words.filter(lambda v: v.lower() not in {"inf", "infinity", "nan", "e"})]
        if high is not None:
            options.append(st.integers(int(high) + 1, int(high) + 10**6).map(str))
        if low is not None:
            options.append(st.integers(int(low) - 10**6, int(low) - (0 if excluded else 1)).map(str))
        return st.one_of(options)
    return None


def env_text(leaf: Leaf, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value)  # pydantic-settings reads a list or table variable as JSON
    return str(value)


def nest(pairs: dict[Loc, Any]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for loc, value in pairs.items():
        table = document
        for part in loc[:-1]:
            table = table.setdefault(part, {})
        table[loc[-1]] = value
    return document


@contextmanager
def environment(overrides: dict[str, str]) -> Iterator[None]:
    """Only ``overrides`` among the variables that could reach the settings, for one example."""
    saved = {name: value for name, value in os.environ.items() if name.upper().startswith(ENV_PREFIX)}
    for name in saved:
        del os.environ[name]
    os.environ.update(overrides)
    try:
        yield
    finally:
        for name in overrides:
            os.environ.pop(name, None)
        os.environ.update(saved)


def load(content: bytes, env: dict[str, str] | None = None) -> tuple[Settings | ConfigError, Path]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.toml"
        path.write_bytes(content)
        with environment(env or {}):
            try:
                return load_settings(path), path
            except ConfigError as error:  # anything else escapes and fails the test
                return error, path


def value_at(loaded: Settings, loc: Loc) -> Any:
    value: Any = loaded
    for part in loc:
        value = getattr(value, part)
    return value


def names(error: ConfigError, key: str) -> bool:
    """A line names the key (or an item of it: ``kiosk.admin_from.0 = …``)."""
    return any(line.startswith((f"{key} = ", f"{key}: ", f"{key}.")) for line in error.problems)


leaves = st.sampled_from(LEAVES)


@st.composite
def valid_assignments(draw: st.DrawFn) -> dict[Loc, Any]:
    chosen = draw(st.lists(leaves, max_size=12, unique_by=lambda leaf: leaf.loc))
    assigned = {leaf.loc: draw(valid_value(leaf)) for leaf in chosen}
    for loc in list(assigned):  # the TLS certificate and its key are valid only together
        partner = {"tls_cert_file": "tls_key_file", "tls_key_file": "tls_cert_file"}.get(loc[-1])
        if partner and (*loc[:-1], partner) not in assigned:
            assigned[(*loc[:-1], partner)] = draw(text.filter(bool))
    return assigned


@st.composite
def unknown_keys(draw: st.DrawFn) -> dict[Loc, Any]:
    """Keys the model does not have: at the top, in a real section, or a whole made-up section."""
    found: dict[Loc, Any] = {}
    for _ in range(draw(st.integers(0, 3))):
        where = draw(st.sampled_from([(), *SECTIONS]))
        known = FIELDS_BY_SECTION.get(where, set()) if where else SECTION_NAMES
        # The BaseSettings options (`_env_prefix`, `_cli_parse_args` …) are the tempting ones.
        name = draw(words | text.filter(bool) | st.sampled_from(["_env_prefix", "_cli_parse_args", "_secrets_dir"]))
        if name in known or (where == () and name.lower() in SECTION_NAMES):
            continue
        found[(*where, name)] = draw(st.integers() | text)
    return found
