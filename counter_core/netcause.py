"""What a failed network connection was, in words a technician can act on.

Libraries wrap the socket's own error several times over (requests → urllib3 → OSError); the cause is the
innermost one. Used by the broker client (its errors carry the cause) and by ``hw doctor`` (one hint per
cause: a refused port is not a broken cable).
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from typing import Literal

Cause = Literal["dns", "refused", "timeout", "reset", "unreachable", "permission", "other"]
CAUSES: tuple[Cause, ...] = ("dns", "refused", "timeout", "reset", "unreachable", "permission", "other")


def error_chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and every error it wraps (``__cause__``, ``__context__``, urllib3's ``reason``, an error
    passed as an argument), outermost first, each once."""
    seen: set[int] = set()
    stack = [error]
    while stack:
        item = stack.pop(0)
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        wrapped = [getattr(item, "reason", None), item.__cause__, item.__context__, *item.args]
        stack.extend(inner for inner in wrapped if isinstance(inner, BaseException))


def _cause_of_one(item: BaseException) -> Cause | None:
    name = type(item).__name__
    if isinstance(item, socket.gaierror) or name == "NameResolutionError":
        return "dns"
    if isinstance(item, ConnectionRefusedError):
        return "refused"
    if isinstance(item, TimeoutError) or name in ("ConnectTimeoutError", "ReadTimeoutError", "ConnectTimeout"):
        return "timeout"
    if isinstance(item, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
        return "reset"
    if isinstance(item, PermissionError):
        return "permission"
    if isinstance(item, OSError) and item.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EHOSTDOWN):
        return "unreachable"
    return None


def network_cause(error: BaseException) -> Cause:
    """The innermost recognisable cause of a failed connection (``other`` when none is)."""
    found: Cause = "other"
    for item in error_chain(error):
        cause = _cause_of_one(item)
        if cause is not None:
            found = cause  # keep going: an inner error names the cause more exactly than its wrapper
    return found
