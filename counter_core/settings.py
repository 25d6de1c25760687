"""The one validated settings model: a TOML file plus ``MYDATA_COUNTER_…`` environment overrides.

Every other module receives a ``Settings`` (or one of its sections) explicitly; nothing else reads
``os.environ`` or the config file.
"""

from __future__ import annotations

import ipaddress
import json
import os
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

from counter_core.i18n import languages

DEFAULT_CONFIG_PATH = Path("/etc/mydata-counter/config.toml")
ENV_PREFIX = "MYDATA_COUNTER_"
# Variables with the prefix that are not settings: the config file's path (click) and the test suite's log folder.
NOT_SETTINGS = frozenset({"MYDATA_COUNTER_CONFIG", "MYDATA_COUNTER_TEST_LOG_DIR"})

Driver = Literal["real", "simulated"]
# Values never printed (config check, hw doctor, error lines, the admin page): shown as REDACTED when set.
SECRET_KEYS = frozenset({"admin_password_hash"})
REDACTED = "<redacted>"


class Section(BaseModel):
    """A config section: unknown keys are errors, so typos are caught at start-up."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class BrokerSettings(Section):
    url: str = "http://127.0.0.1:8700"
    terminal_id: str = "kiosk-demo-01"
    key_file: Path | None = None
    timeout_s: float = Field(5.0, gt=0, le=120)
    retries: int = Field(2, ge=0, le=10)
    # The CAs the broker's certificate must chain to (PEM): a private CA, and nothing else is trusted. Unset:
    # the system trust store (/etc/ssl/certs on Debian, kept by update-ca-certificates).
    ca_bundle: Path | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")


def ip_networks(value: list[str]) -> list[str]:
    for network in value:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ValueError(f"{network!r} is not an IP network such as 10.1.2.0/24 or 127.0.0.1") from None
    return value


class ServiceSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(8701, ge=1, le=65535)
    threads: int = Field(16, ge=1, le=256)
    secret_key_file: Path | None = None
    admin_password_hash: str = ""  # argon2 hash of the technician password (`mydata-counter admin-hash`)
    # Networks from which /admin is offered at all (404 elsewhere): loopback unless a technician's LAN is named.
    admin_from: list[str] = ["127.0.0.0/8", "::1/128"]
    # HTTPS served by the service itself (PEM files; docs/deploy.md makes them with a local CA): a station
    # reached from other machines on the LAN must be; one reached only from its own browser may stay on loopback.
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None

    @model_validator(mode="after")
    def _tls_pair(self) -> ServiceSettings:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("tls_cert_file and tls_key_file go together: set both or neither")
        return self

    @property
    def scheme(self) -> str:
        return "https" if self.tls_cert_file is not None else "http"

    @field_validator("admin_from")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return ip_networks(value)


class KioskSettings(ServiceSettings):
    port: int = Field(8701, ge=1, le=65535)
    idle_warning_s: int = Field(60, ge=2)
    idle_wipe_s: int = Field(20, ge=2)
    done_return_s: int = Field(30, ge=2)
    default_language: str = "zh-TW"  # one of counter_core/messages/languages.json
    terms_version: str = "2026-01"
    name: str = "自助機"  # how clerks know this kiosk when it calls for help
    home_agencies: list[str] = []  # this counter's agencies (catalogue ids): their services come first
    only_home_agencies: bool = False  # offer only the home agencies' services
    audio_key: str = "F9"  # the marked key (a KeyboardEvent.key) that starts the audio guide; "" = none
    help_stations: list[str] = []  # clerk stations of this counter (https://…) told when a citizen calls for help

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in languages():
            raise ValueError(f"must be one of {', '.join(languages())}")
        return value


class ClerkSettings(ServiceSettings):
    port: int = Field(8702, ge=1, le=65535)
    # Never longer than the protocol's view window (docs/broker-api.yaml: view_deadline is at most 10 min after a
    # redemption); each record also ends at its own view_deadline if that comes first.
    purge_after_s: int = Field(600, ge=2, le=600)
    session_timeout_s: int = Field(900, ge=60)
    audit_db: Path | None = None
    # Kiosks that may call this station for help: terminal id → the kiosk's Ed25519 key (public, or its private
    # key file on a one-machine demo), which signs the call.
    help_kiosks: dict[str, Path] = {}
    # The verification record the clerk may print or save (資料取用), as the agency decides: none, or with or
    # without the citizen's values (clerk/record.py).
    case_record: Literal["off", "without_values", "with_values"] = "without_values"
    secure_cookies: bool = False  # true when clerks reach the station over HTTPS (a TLS proxy in front)


class SandboxSettings(ServiceSettings):
    port: int = Field(8700, ge=1, le=65535)
    database: Path = Path("var/sandbox.db")
    seed: int = 20261124
    citizens: int = Field(240, ge=1, le=100_000)
    code_ttl_s: int = Field(600, ge=1, le=86_400)
    push_ttl_s: int = Field(120, ge=1, le=600)
    smtp_port: int = Field(0, ge=0, le=65535)  # the outbox's SMTP sink; 0 picks a free port
    session_ttl_s: int = Field(900, ge=30, le=7200)
    demo_mode: bool = False  # creates broker.key_file if missing and registers it (never in production)
    # TLS-terminating proxies in front of the sandbox: only requests from these networks may say, in
    # X-Forwarded-Proto / X-Forwarded-Host, which URL the terminal signed (docs/broker.md).
    trusted_proxies: list[str] = []

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: list[str]) -> list[str]:
        return ip_networks(value)

    catalogue: Path | None = None  # agencies, services, datasets (JSON, protocol shape); None = the built-in one
    adjustable_clock: bool = False  # tests only: POST /testing/clock moves the sandbox's clock forward


class ReaderSettings(Section):
    driver: Driver = "simulated"
    reader_name: str = ""
    pkcs11_module: Path = Path("/usr/lib/softhsm/libsofthsm2.so")


class CameraSettings(Section):
    driver: Driver = "simulated"
    source: str = ""
    width: int = Field(1280, ge=160, le=7680)
    height: int = Field(720, ge=120, le=4320)
    fps: int = Field(30, ge=1, le=240)


class DecoderSettings(Section):
    """The decoder is software (zxing-cpp + pyzbar) on every station: there is no driver to choose, and no
    key yet. The section stays so a config that names it still loads."""


PrinterKind = Literal["escpos-network", "escpos-usb", "escpos-serial", "cups", "pdf"]


class PrinterSettings(Section):
    driver: Driver = "simulated"
    kind: PrinterKind = "pdf"
    host: str = "127.0.0.1"
    port: int = Field(9100, ge=1, le=65535)
    usb_vendor_id: int | None = None
    usb_product_id: int | None = None
    serial_device: str = "/dev/ttyUSB0"
    serial_baudrate: int = 19200
    cups_queue: str = ""
    pdf_dir: Path = Path("var/receipts")
    paper_width_mm: Literal[58, 80, 210] = 80
    native_codes: bool = False
    fault: Literal["none", "paper_out", "paper_low", "cover_open", "offline"] = "none"

    @field_validator("paper_width_mm", mode="before")
    @classmethod
    def _width_from_text(cls, value: object) -> object:
        # Environment variables are text, and Literal[58, 80, 210] alone refuses "58".
        return int(value) if isinstance(value, str) and value.isascii() and value.strip().isdigit() else value


class DevicesSettings(Section):
    reader: ReaderSettings = ReaderSettings()
    camera: CameraSettings = CameraSettings()
    decoder: DecoderSettings = DecoderSettings()
    printer: PrinterSettings = PrinterSettings()


class LoggingSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["json", "text"] = "json"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    broker: BrokerSettings = BrokerSettings()
    kiosk: KioskSettings = KioskSettings()
    clerk: ClerkSettings = ClerkSettings()
    sandbox: SandboxSettings = SandboxSettings()
    devices: DevicesSettings = DevicesSettings()
    logging: LoggingSettings = LoggingSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file arrives as init kwargs; the environment overrides it.
        return (env_settings, _FileUnderEnvironment(settings_cls, init_settings))


class _FileUnderEnvironment(PydanticBaseSettingsSource):
    """The TOML file's values less every setting the environment sets. Sources are merged deeply, which is
    right for sections (an environment port beside the file's other keys) but not for a setting whose value
    is itself a table: ``MYDATA_COUNTER_CLERK__HELP_KIOSKS='{}'`` must leave no kiosk the file named."""

    def __init__(self, settings_cls: type[BaseSettings], file: PydanticBaseSettingsSource) -> None:
        super().__init__(settings_cls)
        self.file = file

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ gives the whole file at once

    def __call__(self) -> dict[str, Any]:
        return _yielding(self.file(), self.current_state, self.settings_cls)


def _yielding(file: dict[str, Any], environment: dict[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    """``file`` without the settings ``environment`` sets; sections (models) are looked into, not dropped."""
    kept = {}
    for key, value in file.items():
        field = model.model_fields.get(key)
        section = field.annotation if field is not None else None
        if key not in environment:
            kept[key] = value
        elif isinstance(section, type) and issubclass(section, BaseModel) and isinstance(value, dict):
            overridden = environment[key]
            kept[key] = _yielding(value, overridden, section) if isinstance(overridden, dict) else value
    return kept


def redacted_dump(settings: Settings) -> dict[str, Any]:
    """The settings as JSON-ready data with every secret value replaced (empty ones stay empty: "not set")."""

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (REDACTED if k in SECRET_KEYS and v else scrub(v)) for k, v in value.items()}
        return value

    data: dict[str, Any] = scrub(settings.model_dump(mode="json"))
    return data


class ConfigError(Exception):
    """A config that cannot be used; ``problems`` are human-readable lines naming key and value."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"{source}: " + "; ".join(problems))
        self.source = source
        self.problems = problems


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    model: type[BaseModel] = Settings
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return sorted(model.model_fields)


def _setting_path(loc: tuple[int | str, ...]) -> tuple[str, ...]:
    """The setting a location is in: ``kiosk.admin_from.0`` is in ``kiosk.admin_from`` (a list or table set
    whole, by one variable holding JSON)."""
    model: type[BaseModel] = Settings
    path: list[str] = []
    for part in loc:
        field = model.model_fields.get(str(part))
        if field is None:
            break
        path.append(str(part))
        annotation = field.annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            break
        model = annotation
    return tuple(path) or tuple(str(part) for part in loc)


def describe_validation_error(error: ValidationError) -> list[str]:
    lines = []
    for item in error.errors():
        loc = tuple(item["loc"])
        key = ".".join(str(part) for part in loc)
        env = ENV_PREFIX + "__".join(part.upper() for part in _setting_path(loc))
        if item["type"] == "extra_forbidden":
            allowed = ", ".join(_allowed_keys(loc)) or "(none)"
            lines.append(f"{key}: unknown key (allowed here: {allowed})")
            continue
        value = item.get("input")
        shown = repr(value) if not isinstance(value, dict) else "a table"
        if any(str(part) in SECRET_KEYS for part in loc):
            shown = REDACTED
        lines.append(f"{key} = {shown}: {item['msg']} (set in the file, or by {env})")
    return lines


def read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(
            str(path), ["file not found (give --config PATH, or copy config/example.toml there)"]
        ) from None
    except PermissionError:
        raise ConfigError(str(path), ["file not readable by this user"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [f"not valid TOML: {exc}"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            str(path), [f"not valid TOML: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start})"]
        ) from None
    except OSError as exc:  # a directory, a device that fails to read …
        raise ConfigError(str(path), [f"cannot read the file: {exc.strerror or exc}"]) from None


def _setting_variables() -> Iterator[tuple[str, tuple[str, ...], str]]:
    """Each ``MYDATA_COUNTER_…`` variable meant as a setting: its name, the key path it names, its value."""
    for name, value in sorted(os.environ.items()):
        upper = name.upper()
        if upper.startswith(ENV_PREFIX) and upper not in NOT_SETTINGS:
            yield upper, tuple(upper[len(ENV_PREFIX) :].lower().split("__")), value


def _unparsable_environment() -> list[str]:
    """Lines for ``MYDATA_COUNTER_…`` variables that set a whole section but hold no JSON.

    pydantic-settings reports these with the section's name only, not the variable's.
    """
    lines = []
    for name, loc, value in _setting_variables():
        if not _allowed_keys((*loc, "")):  # not a section: a single key (or not ours at all)
            continue
        try:
            json.loads(value)
        except ValueError:
            shown = REDACTED if any(key in value for key in SECRET_KEYS) else repr(value)
            lines.append(
                f"{'.'.join(loc)} = {shown}: a whole section set by {name} must be a JSON object"
                f" (set one key with {name}__<KEY>)"
            )
    return lines


def _unknown_environment() -> list[str]:
    """Lines for ``MYDATA_COUNTER_…`` variables that name no setting (``…_KIOSKK__PORT``): pydantic-settings
    would ignore them silently, and the technician would wonder why the override does nothing."""
    lines = []
    for name, loc, _value in _setting_variables():
        for depth in range(1, len(loc) + 1):
            allowed = _allowed_keys((*loc[: depth - 1], ""))
            if loc[depth - 1] not in allowed:
                where = ".".join(loc[: depth - 1]) or "the top level"
                lines.append(
                    f"{name}: no such setting ({'.'.join(loc)}); allowed in {where}: {', '.join(allowed) or '(none)'}"
                )
                break
    return lines


def load_settings(path: Path | None = None) -> Settings:
    """Read the TOML file at ``path`` (or the default), apply environment overrides, validate.

    Raises ``ConfigError`` with one line per problem.
    """
    config_path = path if path is not None else DEFAULT_CONFIG_PATH
    data = read_config_file(config_path)
    # Keys like `_env_prefix` or `_cli_parse_args` would reach BaseSettings as options, not settings.
    reserved = sorted(key for key in data if key.startswith("_"))
    allowed = ", ".join(sorted(Settings.model_fields))
    problems = [f"{key}: unknown key (allowed here: {allowed})" for key in reserved] + _unknown_environment()
    try:
        settings = Settings(**{key: value for key, value in data.items() if key not in reserved})
    except ValidationError as exc:
        problems += describe_validation_error(exc)
    except SettingsError as exc:
        problems += _unparsable_environment() or [str(exc)]
    if problems:
        raise ConfigError(str(config_path), problems)
    return settings
