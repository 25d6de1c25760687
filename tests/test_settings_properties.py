"""The config parser over generated TOML files and environments: a valid ``Settings`` or a ``ConfigError``
naming each offending key, never another exception; valid values load back as written."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import tomli_w
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from counter_core.settings import ENV_PREFIX, ConfigError, Settings
from mydata_counter.cli.main import main
from tests.settings_rig import (
    LEAVES,
    SECTION_NAMES,
    SECTIONS,
    TLS_PAIR,
    Loc,
    env_text,
    environment,
    expected,
    invalid_env_value,
    invalid_value,
    leaves,
    load,
    names,
    nest,
    text,
    unknown_keys,
    valid_assignments,
    valid_value,
    value_at,
)


@settings(max_examples=150, deadline=None)
@given(valid_assignments())
def test_valid_values_written_to_toml_load_back_equal(assigned: dict[Loc, Any]) -> None:
    loaded, _ = load(tomli_w.dumps(nest(assigned)).encode())
    assert isinstance(loaded, Settings), loaded
    by_loc = {leaf.loc: leaf for leaf in LEAVES}
    for loc, value in assigned.items():
        assert value_at(loaded, loc) == expected(by_loc[loc], value), loc
    for leaf in LEAVES:  # what the file leaves out keeps its default
        if leaf.loc not in assigned:
            assert value_at(loaded, leaf.loc) == value_at(Settings(), leaf.loc)


@settings(max_examples=200, deadline=None)
@given(valid_assignments(), st.data())
def test_every_wrong_type_out_of_range_value_and_unknown_key_is_named(
    assigned: dict[Loc, Any], data: st.DataObject
) -> None:
    bad_leaves = data.draw(st.lists(leaves, max_size=3, unique_by=lambda leaf: leaf.loc))
    bad = {leaf.loc: data.draw(invalid_value(leaf)) for leaf in bad_leaves}
    unknown = data.draw(unknown_keys())
    document = nest({**assigned, **bad, **unknown})
    loaded, path = load(tomli_w.dumps(document).encode())
    if not bad and not unknown:
        assert isinstance(loaded, Settings)
        return
    assert isinstance(loaded, ConfigError), f"accepted {document!r}"
    assert loaded.source == str(path)
    for loc in bad:
        key = ".".join(loc)
        assert names(loaded, key), (key, loaded.problems)
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
    loaded, path = load(content)
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
    loaded, _ = load(tomli_w.dumps(nest(in_file)).encode(), env)
    if wrong is None:
        assert isinstance(loaded, Settings), loaded
        for leaf in chosen:
            assert value_at(loaded, leaf.loc) == expected(leaf, env[leaf.env]), leaf.key
        return
    assert isinstance(loaded, ConfigError), env
    assert any(line.startswith(f"{wrong.key} = ") and wrong.env in line for line in loaded.problems), loaded.problems


def test_a_table_set_in_the_environment_replaces_the_file_s_table_and_sections_still_merge() -> None:
    # found by the property above: sources are merged deeply, so an environment '{}' kept the file's kiosks
    document = tomli_w.dumps({"clerk": {"help_kiosks": {"A": "/etc/mydata-counter/A"}, "port": 8800}}).encode()
    emptied, _ = load(document, {f"{ENV_PREFIX}CLERK__HELP_KIOSKS": "{}"})
    assert isinstance(emptied, Settings) and emptied.clerk.help_kiosks == {} and emptied.clerk.port == 8800
    other, _ = load(document, {f"{ENV_PREFIX}CLERK__HELP_KIOSKS": '{"B": "/x/B"}'})
    assert isinstance(other, Settings) and other.clerk.help_kiosks == {"B": Path("/x/B")}
    port, _ = load(document, {f"{ENV_PREFIX}CLERK__PORT": "9000"})
    assert isinstance(port, Settings) and port.clerk.port == 9000
    assert port.clerk.help_kiosks == {"A": Path("/etc/mydata-counter/A")}
    section, _ = load(document, {f"{ENV_PREFIX}CLERK": '{"port": 9001}'})
    assert isinstance(section, Settings) and section.clerk.port == 9001 and "A" in section.clerk.help_kiosks


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([loc for loc in SECTIONS] + [(name,) for name in sorted(SECTION_NAMES)]), text, st.booleans())
def test_a_whole_section_in_one_variable_is_json_or_a_config_error_naming_the_variable(
    section: Loc, value: str, lowercase: bool
) -> None:
    name = ENV_PREFIX + "__".join(section).upper()
    loaded, _ = load(b"", {name.lower() if lowercase else name: value})
    if isinstance(loaded, Settings):
        return
    key = ".".join(section)
    assert names(loaded, key), loaded.problems
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
