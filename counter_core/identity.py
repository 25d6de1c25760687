"""The identity methods, listed once: the protocol's method names, which card each reads at the kiosk.

Pages get this list in their config; the kiosk offers, labels and routes methods from it, and the protocol
models type their method fields with ``IdentityMethod``. A new method is one entry here (plus its message
keys, its broker operation and its kiosk pane): see docs/architecture.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

IdentityMethod = Literal["moica", "mobile", "nhi_household", "otp"]
CardKind = Literal["moica", "nhi"]


@dataclass(frozen=True)
class MethodInfo:
    id: IdentityMethod
    card: CardKind | None  # the card the kiosk's reader must hold for this method, if any

    def as_page(self) -> dict[str, object]:
        return {"id": self.id, "card": self.card}


METHODS: Final[tuple[MethodInfo, ...]] = (
    MethodInfo("moica", "moica"),  # 自然人憑證 IC card + PIN
    MethodInfo("mobile", None),  # 行動自然人憑證: push to the phone app, number matching
    MethodInfo("nhi_household", "nhi"),  # 健保卡 + 戶號
    MethodInfo("otp", None),  # SMS one-time password
)
METHOD_IDS: Final[tuple[IdentityMethod, ...]] = tuple(m.id for m in METHODS)
assert set(METHOD_IDS) == set(get_args(IdentityMethod)), "METHODS and IdentityMethod list the same methods"


def method(method_id: str) -> MethodInfo | None:
    return next((m for m in METHODS if m.id == method_id), None)
