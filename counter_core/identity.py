"""The identity methods, listed once (``ALL_METHODS``): the protocol's method names, which card each reads at
the kiosk, which credential each rests on, and whether the kiosk has its pane yet.

The protocol models type their method fields with ``IdentityMethod``. Pages get ``METHODS`` — the methods with
a kiosk pane — in their config; the kiosk offers, labels and routes methods from it. A new method is one entry
here (plus its message keys ``kiosk.method.<id>`` and ``.hint``, its broker operation), and ``kiosk=True`` once
its kiosk pane exists.

``credential`` groups methods that rest on the same thing the citizen holds or knows. The first-use rule
(a second, *different* method) counts credentials, not method names: the mobile citizen certificate is
registered with the MOICA card (seed 000: 「首次使用請備妥自然人憑證…完成註冊與綁定自然人憑證」), so the
card and the app are one credential; NHI card number + household number is the same pair of facts whether
the number is read from the card (``nhi_household``) or typed (``multi_factor``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

IdentityMethod = Literal["moica", "mobile", "nhi_card", "nhi_household", "multi_factor", "otp", "bank_card"]
CardKind = Literal["moica", "nhi", "bank"]
Credential = Literal["citizen_certificate", "nhi_card", "household_details", "phone", "bank_card"]


@dataclass(frozen=True)
class MethodInfo:
    id: IdentityMethod
    card: CardKind | None  # the card the kiosk's reader must hold for this method, if any
    credential: Credential  # what it rests on; two methods on one credential are not two checks
    kiosk: bool = True  # the kiosk has its pane (the broker serves every method either way)

    def as_page(self) -> dict[str, object]:
        return {"id": self.id, "card": self.card, "credential": self.credential}


ALL_METHODS: Final[tuple[MethodInfo, ...]] = (
    MethodInfo("moica", "moica", "citizen_certificate"),  # 自然人憑證 IC card + PIN, signs a challenge
    MethodInfo("mobile", None, "citizen_certificate"),  # 行動自然人憑證: push to the phone app, number matching
    MethodInfo("nhi_card", "nhi", "nhi_card"),  # 健保卡 in the reader + its network-service password
    MethodInfo("nhi_household", "nhi", "household_details"),  # 健保卡 in the reader (its number) + 戶號
    MethodInfo("multi_factor", None, "household_details"),  # 多因子, no card: ID, birthday, NHI no., 戶號
    MethodInfo("otp", None, "phone"),  # SMS one-time password, open after one citizen-certificate check
    MethodInfo("bank_card", "bank", "bank_card"),  # 晶片金融卡 + its PIN signs a challenge; the ID is typed
)
METHODS: Final[tuple[MethodInfo, ...]] = tuple(m for m in ALL_METHODS if m.kiosk)  # what kiosk pages offer
METHOD_IDS: Final[tuple[IdentityMethod, ...]] = tuple(m.id for m in ALL_METHODS)
assert set(METHOD_IDS) == set(get_args(IdentityMethod)), "ALL_METHODS and IdentityMethod list the same methods"


def method(method_id: str) -> MethodInfo | None:
    return next((m for m in ALL_METHODS if m.id == method_id), None)


def credential(method_id: IdentityMethod) -> Credential:
    found = method(method_id)
    assert found is not None
    return found.credential
