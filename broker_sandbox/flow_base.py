"""What the sandbox's kiosk and clerk flows share: their parts (the clock among them) and how they stamp times."""

from __future__ import annotations

from datetime import UTC, datetime

from broker_sandbox.audit import AuditLog
from broker_sandbox.catalogue import Catalogues
from broker_sandbox.outbox import Outbox
from broker_sandbox.store import Store
from counter_core.clock import Clock
from counter_core.settings import SandboxSettings


def timestamp(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


class SandboxFlow:
    def __init__(
        self,
        settings: SandboxSettings,
        store: Store,
        audit: AuditLog,
        catalogue: Catalogues,
        outbox: Outbox,
        clock: Clock,
    ) -> None:
        self.settings = settings
        self.store = store
        self.audit = audit
        self.catalogue = catalogue
        self.outbox = outbox
        self.clock = clock
        self.setup()

    def setup(self) -> None:
        """What a flow builds on these parts (limiters, locks, keys)."""
