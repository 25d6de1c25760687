"""Identity by what the citizen knows about their own records (雙證件 / 多因子): the NHI card number with the
household number, read from the card in the reader (``nhi_household``) or typed with the national ID and
birthday and no card at all (``multi_factor``, where the ID card's issue date 換補證日期 may stand in for the
household number, as the 2019 plan allows).

A wrong detail never says which one was wrong, and an unknown ID or card is answered like a known one with
wrong details; both count against the terminal and against the ID or card claimed (``attempts``).
"""

from __future__ import annotations

import hmac
from datetime import date

from broker_client import errors
from broker_client.models import IdentityStatus, MultiFactor
from broker_sandbox.citizens import find_by_nhi_card
from broker_sandbox.kiosk_flow import KioskFlow


def _same(given: str, on_file: str) -> bool:
    return hmac.compare_digest(given.encode(), on_file.encode())


class DetailMethods:
    def __init__(self, flow: KioskFlow) -> None:
        self.flow = flow

    def nhi_household(
        self, terminal: str, session_id: str, nhi_card_number: str, household_number: str
    ) -> IdentityStatus:
        card, household = nhi_card_number.strip(), household_number.strip().upper()
        citizen = find_by_nhi_card(self.flow.settings.seed, self.flow.settings.citizens, card)
        claimed = citizen.national_id if citizen else card
        session = self.flow.begin(terminal, session_id, "nhi_household", claimed)
        if citizen is None or not _same(household, citizen.household_number):
            self.flow.audit.append("identity.nhi_household.failed", terminal=terminal)
            tries_left = self.flow.attempts.failed(terminal, "nhi_household", claimed)
            raise errors.IdentityDetailsWrong(tries_left=tries_left)
        return self.flow.pass_method(session, "nhi_household", citizen.national_id)

    def multi_factor(self, terminal: str, session_id: str, details: MultiFactor) -> IdentityStatus:
        claimed = details.national_id.strip().upper()
        session = self.flow.begin(terminal, session_id, "multi_factor", claimed)
        citizen = self.flow.citizen(claimed)
        matches = (
            citizen is not None
            and details.birth_date == citizen.birth_date
            and _same(details.nhi_card_number.strip(), citizen.nhi_card_number)
            and (
                _same(details.household_number.strip().upper(), citizen.household_number)
                if details.household_number is not None
                else _same_date(details.id_card_issue_date, citizen.id_card_issue_date)
            )
        )
        if citizen is None or not matches:
            self.flow.audit.append("identity.multi_factor.failed", terminal=terminal)
            tries_left = self.flow.attempts.failed(terminal, "multi_factor", claimed)
            raise errors.IdentityDetailsWrong(tries_left=tries_left)
        return self.flow.pass_method(session, "multi_factor", citizen.national_id)


def _same_date(given: date | None, on_file: date) -> bool:
    return given is not None and given == on_file
