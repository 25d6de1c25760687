"""The terminal key, checked on this machine whatever the broker says: there, an Ed25519 private key, readable
by nobody but its owner, owned by the service user, and its fingerprint shown to compare with the broker's."""

from __future__ import annotations

from broker_client.keys import fingerprint, inspect_key, user_id
from counter_core.settings import BrokerSettings
from mydata_counter.doctor.check import Check

SERVICE_USER = "mydata"
NAME = "terminal key"


def check_terminal_key(settings: BrokerSettings, service_user: str = SERVICE_USER) -> tuple[Check, bool]:
    """The check, and whether the key can sign (then the broker is asked who it takes this terminal for). The
    key must belong to ``service_user`` when that user exists (the services run as it)."""
    path = settings.key_file
    if path is None:
        return Check(NAME, "FAIL", "doctor.key.unset", {}, "doctor.key.unset.hint"), False
    params: dict[str, object] = {"path": str(path), "user": service_user}
    try:
        found = inspect_key(path)
    except FileNotFoundError:
        return Check(NAME, "FAIL", "doctor.key.missing", params, "doctor.key.hint"), False
    except PermissionError:
        return Check(NAME, "FAIL", "doctor.key.unreadable", params, "doctor.key.unreadable.hint"), False
    except OSError as error:  # a directory, an I/O error
        params["error"] = type(error).__name__
        return Check(NAME, "FAIL", "doctor.key.unusable", params, "doctor.key.invalid.hint"), False
    params.update(mode=f"{found.mode:04o}", owner=found.owner)
    if found.key is None:
        return Check(NAME, "FAIL", "doctor.key.invalid", params, "doctor.key.invalid.hint"), False
    params["fingerprint"] = fingerprint(found.key)
    if not found.private_to_owner:
        return Check(NAME, "FAIL", "doctor.key.mode", params, "doctor.key.mode.hint"), True
    service_uid = user_id(service_user)
    if service_uid is not None and found.uid != service_uid:
        return Check(NAME, "FAIL", "doctor.key.owner", params, "doctor.key.owner.hint"), True
    return Check(NAME, "OK", "doctor.key.ok", params), True
