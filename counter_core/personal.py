"""Personal data as a type of its own: ``repr``/``str`` hide it, so it cannot slip into logs."""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Personal(Generic[T]):
    """Wraps a personal value (national ID, name, PIN, phone…). Read it with ``.reveal()`` only where
    it is really used; ``wipe()`` drops the reference when a session ends."""

    __slots__ = ("_label", "_value")

    def __init__(self, value: T, label: str = "personal") -> None:
        self._value: T | None = value
        self._label = label

    def reveal(self) -> T:
        if self._value is None:
            raise ValueError(f"{self._label} was wiped")
        return self._value

    def wipe(self) -> None:
        self._value = None

    @property
    def wiped(self) -> bool:
        return self._value is None

    def __repr__(self) -> str:
        return f"<{self._label}: redacted>"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("personal data is not serialised")
