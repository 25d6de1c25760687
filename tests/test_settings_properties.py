"""The config parser over generated TOML files and environments: a valid ``Settings`` or a ``ConfigError``
naming each offending key, never another exception; valid values load back as written."""

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
import tomli_w
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from counter_core.i18n import languages
from counter_core.settings import ENV_PREFIX, ConfigError, Settings, load_settings
from mydata_counter.cli.main import main

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


def _nest(pairs: dict[Loc, Any]) -> dict[str, Any]:
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


def _load(content: bytes, env: dict[str, str] | None = None) -> tuple[Settings | ConfigError, Path]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.toml"
        path.write_bytes(content)
        with environment(env or {}):
            try:
                return load_settings(path), path
            except ConfigError as error:  # anything else escapes and fails the test
                return error, path


def _value_at(loaded: Settings, loc: Loc) -> Any:
    value: Any = loaded
    for part in loc:
        value = getattr(value, part)
    return value


def _names(error: ConfigError, key: str) -> bool:
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


@settings(max_examples=150, deadline=None)
@given(valid_assignments())
def test_valid_values_written_to_toml_load_back_equal(assigned: dict[Loc, Any]) -> None:
    loaded, _ = _load(tomli_w.dumps(_nest(assigned)).encode())
    assert isinstance(loaded, Settings), loaded
    by_loc = {leaf.loc: leaf for leaf in LEAVES}
    for loc, value in assigned.items():
        assert _value_at(loaded, loc) == expected(by_loc[loc], value), loc
    for leaf in LEAVES:  # what the file leaves out keeps its default
        if leaf.loc not in assigned:
            assert _value_at(loaded, leaf.loc) == _value_at(Settings(), leaf.loc)


@settings(max_examples=200, deadline=None)
@given(valid_assignments(), st.data())
def test_every_wrong_type_out_of_range_value_and_unknown_key_is_named(
    assigned: dict[Loc, Any], data: st.DataObject
) -> None:
    bad_leaves = data.draw(st.lists(leaves, max_size=3, unique_by=lambda leaf: leaf.loc))
    bad = {leaf.loc: data.draw(invalid_value(leaf)) for leaf in bad_leaves}
    unknown = data.draw(unknown_keys())
    document = _nest({**assigned, **bad, **unknown})
    loaded, path = _load(tomli_w.dumps(document).encode())
    if not bad and not unknown:
        assert isinstance(loaded, Settings)
        return
    assert isinstance(loaded, ConfigError), f"accepted {document!r}"
    assert loaded.source == str(path)
    for loc in bad:
        key = ".".join(loc)
        assert _names(loaded, key), (key, loaded.problems)
        env = ENV_PREFIX + "__".join(loc).upper()
        assert any(env in line for line in loaded.problems if line.startswith((f"{key} = ", f"{key}.")))
    for loc in unknown:
        key = ".".join(loc)
        assert any(line.startswith(f"{key}: unknown key (allowed here: ") for line in loaded.problems), key
    assert len(loaded.problems) == len(bad) + len(unknown)  # one line per problem, none invented


not_utf8 = st.builds(
    lambda a, b, c: a + b + c,
    st.binary(max_size=40),
    st.sampled_from([b"\xff", b"\xc3(", b"\xed\xa0\x80"]),
    st.binary(max_size=40),
)
tomlish = st.lists(
    st.sampled_from(
        [b"[", b"]", b"=", b'"', b"'", b"\n", b"kiosk", b"devices.printer", b"port", b"1", b"x", b".", b"#"]
    ),
    max_size=30,
).map(b"".join)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=200), not_utf8, tomlish))
def test_any_bytes_give_settings_or_a_config_error_naming_the_file(content: bytes) -> None:
    loaded, path = _load(content)
    if isinstance(loaded, ConfigError):
        assert loaded.source == str(path)
        assert loaded.problems and all(isinstance(line, str) and line for line in loaded.problems)
    try:
        content.decode()
    except UnicodeDecodeError:
        assert isinstance(loaded, ConfigError)
        assert loaded.problems == [loaded.problems[0]] and "not UTF-8" in loaded.problems[0]


@settings(max_examples=150, deadline=None)
@given(valid_assignments(), st.data())
def test_environment_overrides_the_file_and_bad_overrides_name_key_and_variable(
    in_file: dict[Loc, Any], data: st.DataObject
) -> None:
    chosen = data.draw(st.lists(leaves, max_size=6, unique_by=lambda leaf: leaf.loc))
    chosen = [leaf for leaf in chosen if leaf.loc[-1] not in TLS_PAIR]  # valid only together: the file's cases
    values = {leaf.loc: data.draw(valid_value(leaf).filter(lambda v: "\x00" not in str(v))) for leaf in chosen}
    env = {leaf.env: env_text(leaf, values[leaf.loc]) for leaf in chosen}
    refusable = [leaf for leaf in LEAVES if invalid_env_value(leaf) is not None and leaf.loc not in values]
    wrong = data.draw(st.none() | st.sampled_from(refusable))
    if wrong is not None:
        strategy = invalid_env_value(wrong)
        assert strategy is not None
        env[wrong.env] = data.draw(strategy)
    loaded, _ = _load(tomli_w.dumps(_nest(in_file)).encode(), env)
    if wrong is None:
        assert isinstance(loaded, Settings), loaded
        for leaf in chosen:
            assert _value_at(loaded, leaf.loc) == expected(leaf, env[leaf.env]), leaf.key
        return
    assert isinstance(loaded, ConfigError), env
    assert any(line.startswith(f"{wrong.key} = ") and wrong.env in line for line in loaded.problems), loaded.problems


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([loc for loc in SECTIONS] + [(name,) for name in sorted(SECTION_NAMES)]), text, st.booleans())
def test_a_whole_section_in_one_variable_is_json_or_a_config_error_naming_the_variable(
    section: Loc, value: str, lowercase: bool
) -> None:
    name = ENV_PREFIX + "__".join(section).upper()
    loaded, _ = _load(b"", {name.lower() if lowercase else name: value})
    if isinstance(loaded, Settings):
        return
    key = ".".join(section)
    assert _names(loaded, key), loaded.problems
    assert all(line.startswith(key) for line in loaded.problems), loaded.problems


@settings(max_examples=60, deadline=None)
@given(st.one_of(not_utf8, tomlish, st.binary(max_size=60)), st.sampled_from(["", "{", "not json", "[1]"]))
def test_config_check_exits_0_or_2_and_never_shows_a_traceback(content: bytes, devices: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.toml"
        path.write_bytes(content)
        env = {f"{ENV_PREFIX}DEVICES": devices} if devices else {}
        with environment({}):
            result = CliRunner().invoke(main, ["config", "check", "--config", str(path)], env=env)
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if result.exit_code == 2:
        assert "config error in" in result.output
