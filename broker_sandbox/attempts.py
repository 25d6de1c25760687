"""Attempt limits for every identity method, per kiosk terminal and per citizen.

A kiosk is a public machine: whoever stands at it may try one citizen's details again and again, or many
citizens' details in turn. So failures are counted twice:

- per terminal, every method together: more than ``TERMINAL_FAILURES`` in ``TERMINAL_WINDOW_S`` →
  ``IdentityRateLimited`` (429, ``retry_after_s``) for everyone at that kiosk until the window frees;
- per citizen and credential (the ID or card number the attempt claims, whether or not such a citizen
  exists, so the answers do not tell): ``CITIZEN_FAILURES`` in ``CITIZEN_WINDOW_S`` → ``IdentityLocked`` for
  ``CITIZEN_LOCK_S``; the citizen's other methods still work. Card methods whose secret is the card's
  own PIN (MOICA) count per terminal only: the card locks itself. The NHI network password is locked like a
  PIN instead (``nhi_password``: stored, three tries).

Prompts (pushes to the phone, SMS codes) are limited per citizen (nobody's phone is flooded) and per
terminal (an SMS costs money and a kiosk serves one person at a time).
"""

from __future__ import annotations

from broker_client import errors
from broker_sandbox.limits import EventLimiter
from counter_core.clock import Clock
from counter_core.identity import IdentityMethod, credential

TERMINAL_FAILURES, TERMINAL_WINDOW_S = 10, 600
CITIZEN_FAILURES, CITIZEN_WINDOW_S, CITIZEN_LOCK_S = 5, 3600, 3600
PROMPTS_PER_CITIZEN, PROMPTS_PER_TERMINAL, PROMPT_WINDOW_S = 5, 30, 600


class Attempts:
    def __init__(self, clock: Clock) -> None:
        self.terminals = EventLimiter(
            TERMINAL_FAILURES, TERMINAL_WINDOW_S, clock=clock, limited=errors.IdentityRateLimited
        )
        self.citizens = EventLimiter(
            0, CITIZEN_WINDOW_S, CITIZEN_FAILURES, CITIZEN_WINDOW_S, CITIZEN_LOCK_S,
            clock=clock, locked=errors.IdentityLocked,
        )  # fmt: skip
        self.prompts = EventLimiter(PROMPTS_PER_CITIZEN, PROMPT_WINDOW_S, clock=clock, limited=errors.PromptsLimited)
        self.terminal_prompts = EventLimiter(
            PROMPTS_PER_TERMINAL, PROMPT_WINDOW_S, clock=clock, limited=errors.IdentityRateLimited
        )

    @staticmethod
    def _key(method: IdentityMethod, citizen: str) -> str:
        """Counted per credential: typing the household details or reading them from the card is one lock."""
        return f"{credential(method)}:{citizen.strip().upper()}"

    def check(self, terminal: str, method: IdentityMethod, citizen: str = "") -> None:
        """Before checking anything the citizen gave: refused while the terminal is rate limited or this
        method is locked for this citizen."""
        self.terminals.check(terminal)
        if citizen:
            self.citizens.check(self._key(method, citizen))

    def failed(self, terminal: str, method: IdentityMethod, citizen: str = "") -> int:
        """Count a failure; returns the citizen's tries left with this method (raises ``IdentityLocked``
        when this failure locked it)."""
        self.terminals.record(terminal)
        if not citizen:
            return 0
        key = self._key(method, citizen)
        self.citizens.record(key)
        self.citizens.check(key)
        return self.citizens.left_before_lockout(key)

    def succeeded(self, method: IdentityMethod, citizen: str) -> None:
        self.citizens.forget(self._key(method, citizen))

    def prompt(self, terminal: str, national_id: str) -> None:
        """A push or an SMS for ``national_id`` from ``terminal``: refused beyond the limits, else counted."""
        self.terminal_prompts.check(terminal)
        self.prompts.check(national_id)
        self.terminal_prompts.record(terminal)
        self.prompts.record(national_id)
