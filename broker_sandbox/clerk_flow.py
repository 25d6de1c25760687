"""The clerk side: accounts (argon2), sessions, redemption with rate limits, purge, notification."""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from broker_client import errors
from broker_client.models import Catalogue, ClerkSession, RedeemedDataset, RedeemedField, Redemption
from broker_sandbox.audit import AuditLog, code_hash
from broker_sandbox.catalogue import Catalogues
from broker_sandbox.citizens import find_citizen
from broker_sandbox.flow_base import SandboxFlow, timestamp
from broker_sandbox.limits import EventLimiter
from broker_sandbox.outbox import Outbox
from broker_sandbox.store import Store
from counter_core.clock import Clock
from counter_core.datacode import is_valid_code, normalise_typed
from counter_core.settings import SandboxSettings

if TYPE_CHECKING:
    from broker_sandbox.usage import Usage

CLERK_SESSION_S = 8 * 3600
VIEW_WINDOW_S = 600
# Wrong codes per terminal: more than BURST in WINDOW → 429 until the window frees;
# more than LOCKOUT_AFTER in LOCKOUT_WINDOW → locked for LOCKOUT_S.
BURST, WINDOW_S = 10, 60
LOCKOUT_AFTER, LOCKOUT_WINDOW_S, LOCKOUT_S = 30, 900, 900
# Wrong passwords per clerk account: more than LOGIN_BURST in LOGIN_WINDOW_S → 429 (password guessing).
LOGIN_BURST, LOGIN_WINDOW_S = 5, 300

CLERK_NAMES = ["林雅婷", "陳志明", "黃淑芬", "張家豪", "李美玲", "王建宏", "吳怡君", "劉宗翰", "蔡佩珊", "楊冠宇",
               "許欣怡", "鄭承恩"]  # fmt: skip


def demo_clerks(catalogue: Catalogue) -> dict[str, tuple[str, str]]:
    """One demo clerk per agency of the catalogue: agency id → (``clerk-<agency>``, ``<agency>-demo``), the
    accounts the sandbox home page lists."""
    return {agency.id: (f"clerk-{agency.id}", f"{agency.id}-demo") for agency in catalogue.agencies}


def password_hasher() -> PasswordHasher:
    """argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): a sandbox start hashes
    every demo account, and the library default (64 MiB, 3 passes) costs seconds on a busy 2-core
    machine. Stored hashes carry their parameters, so older ones still verify."""
    return PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


class ClerkFlow(SandboxFlow):
    def __init__(
        self,
        settings: SandboxSettings,
        store: Store,
        audit: AuditLog,
        catalogue: Catalogues,
        outbox: Outbox,
        clock: Clock,
    ) -> None:
        super().__init__(settings, store, audit, catalogue, outbox, clock)
        self.limiter = EventLimiter(BURST, WINDOW_S, LOCKOUT_AFTER, LOCKOUT_WINDOW_S, LOCKOUT_S, clock=clock)
        self.login_limiter = EventLimiter(LOGIN_BURST, LOGIN_WINDOW_S, clock=clock)
        self._hasher = password_hasher()
        self.usage: Usage | None = None  # records of use and notices (set by the app)

    def ensure_demo_clerks(self) -> None:
        self.seed_demo_clerks(self.store, self.catalogue.catalogue)

    @staticmethod
    def seed_demo_clerks(store: Store, catalogue: Catalogue) -> None:
        """Create the missing demo accounts; demo accounts of agencies the catalogue no longer has go."""
        hasher = password_hasher()
        table = store.db.table("clerks")
        accounts = demo_clerks(catalogue)
        store.db.execute(
            "DELETE FROM clerks WHERE username LIKE 'clerk-%' AND agency_id NOT IN ({})".format(
                ", ".join("?" * len(accounts))
            ),
            list(accounts),
        )
        for index, (agency_id, (username, password)) in enumerate(accounts.items()):
            if not list(store.db.query("SELECT 1 FROM clerks WHERE username = ?", [username])):
                table.insert(
                    {
                        "username": username,
                        "password_hash": hasher.hash(password),
                        "name": CLERK_NAMES[index % len(CLERK_NAMES)],
                        "agency_id": agency_id,
                    }
                )

    # -- sessions --------------------------------------------------------------------------------
    def login(self, terminal: str, username: str, password: str) -> ClerkSession:
        self.login_limiter.check(username)
        rows = list(self.store.db.query("SELECT * FROM clerks WHERE username = ?", [username]))
        try:
            if not rows:
                raise VerificationError
            self._hasher.verify(rows[0]["password_hash"], password)
        except VerificationError:
            self.login_limiter.record(username)
            self.audit.append("clerk.login.failed", terminal=terminal, clerk=username if rows else "")
            raise errors.ClerkLoginFailed() from None
        clerk = rows[0]
        agency = self.catalogue.catalogue.agency(clerk["agency_id"])
        if agency is None:  # an account of an agency the catalogue no longer has
            raise errors.ClerkLoginFailed()
        token = secrets.token_urlsafe(32)
        expires = self.clock.now() + CLERK_SESSION_S
        self.store.db.table("clerk_sessions").insert({
            "token_hash": hashlib.sha256(token.encode()).hexdigest(), "username": username,
            "terminal_id": terminal, "expires_at": expires,
        })  # fmt: skip
        self.audit.append("clerk.login", terminal=terminal, clerk=username)
        return ClerkSession(
            token=token,
            clerk_name=clerk["name"],
            username=username,
            agency_id=agency.id,
            agency=agency.name,
            expires_at=timestamp(expires),
        )

    def _clerk(self, terminal: str, token: str) -> dict[str, str]:
        rows = list(self.store.db.query(
            "SELECT c.username, c.agency_id, s.expires_at, s.terminal_id FROM clerk_sessions s "
            "JOIN clerks c ON c.username = s.username WHERE s.token_hash = ?",
            [hashlib.sha256(token.encode()).hexdigest()],
        ))  # fmt: skip
        if not rows or rows[0]["expires_at"] < self.clock.now() or rows[0]["terminal_id"] != terminal:
            raise errors.ClerkSessionExpired()
        return rows[0]

    def logout(self, terminal: str, token: str) -> None:
        clerk = self._clerk(terminal, token)
        self.store.db.execute(
            "DELETE FROM clerk_sessions WHERE token_hash = ?", [hashlib.sha256(token.encode()).hexdigest()]
        )
        self.audit.append("clerk.logout", terminal=terminal, clerk=clerk["username"])

    # -- redemption ------------------------------------------------------------------------------
    def redeem(self, terminal: str, token: str, typed_code: str) -> Redemption:
        clerk = self._clerk(terminal, token)
        self.limiter.check(terminal)
        code = normalise_typed(typed_code)
        if not is_valid_code(code):
            self.limiter.record(terminal)
            raise errors.CodeMalformed()
        rows = list(self.store.db.query("SELECT * FROM codes WHERE code_hash = ?", [code_hash(code)]))
        if not rows:
            self.limiter.record(terminal)
            self.audit.append("code.unknown", terminal=terminal, clerk=clerk["username"], code=code)
            raise errors.CodeUnknown()
        row = rows[0]
        if row["agency_id"] != clerk["agency_id"]:
            self.audit.append("code.foreign_agency", terminal=terminal, clerk=clerk["username"], code=code)
            raise errors.CodeForeignAgency()
        if row["redeemed_at"]:
            self.audit.append("code.reused", terminal=terminal, clerk=clerk["username"], code=code)
            raise errors.CodeAlreadyUsed()
        now = self.clock.now()
        if row["expires_at"] < now:
            self.audit.append("code.expired", terminal=terminal, clerk=clerk["username"], code=code)
            raise errors.CodeExpired()
        transaction_id = secrets.token_hex(8)
        # Single use even under concurrent scans: only one UPDATE can flip redeemed_at from 0.
        cursor = self.store.db.execute(
            "UPDATE codes SET redeemed_at = ?, redeemed_by = ?, transaction_id = ? "
            "WHERE code_hash = ? AND redeemed_at = 0", [now, clerk["username"], transaction_id, row["code_hash"]],
        )  # fmt: skip
        if cursor.rowcount != 1:
            raise errors.CodeAlreadyUsed()
        dataset_ids: list[str] = json.loads(row["dataset_ids"])
        self.audit.append(
            "code.redeemed", terminal=terminal, clerk=clerk["username"], code=code, dataset_ids=dataset_ids
        )
        redemption = self._redemption(row, dataset_ids, transaction_id, now)
        self._notify(row, redemption, now)
        return redemption

    def _redemption(self, row: dict[str, str], dataset_ids: list[str], transaction_id: str, now: float) -> Redemption:
        citizen = find_citizen(self.settings.seed, self.settings.citizens, row["national_id"])
        assert citizen is not None
        catalogue = self.catalogue.catalogue
        service = self.catalogue.service(row["service_id"])
        datasets = []
        for dataset_id in dataset_ids:
            dataset = catalogue.dataset(dataset_id)
            if dataset is None:
                continue
            values = citizen.datasets.get(dataset_id, {})
            datasets.append(RedeemedDataset(
                id=dataset.id, name=dataset.name, source_agency=dataset.source_agency, retrieved_at=timestamp(now),
                fields=[RedeemedField(key=f.key, name=f.name, value=values.get(f.key, ""), meaning=f.meaning)
                        for f in (catalogue.released(service, dataset) if service else [])],  # only what it may
            ))  # fmt: skip
        agency = catalogue.agency(row["agency_id"])
        assert service is not None and agency is not None
        return Redemption(
            transaction_id=transaction_id,
            service=service.name,
            agency=agency.name,
            identity_methods=json.loads(row["methods"]),
            datasets=datasets,
            view_deadline=timestamp(now + VIEW_WINDOW_S),
        )

    def _notify(self, row: dict[str, str], redemption: Redemption, now: float) -> None:
        """The release goes on the citizen's records of use and the notice to their verified contact (``usage``)."""
        if self.usage is not None:
            self.usage.after_redemption(row["national_id"], row["agency_id"], row["service_id"], redemption, now)

    def purge(self, terminal: str, token: str, transaction_id: str) -> None:
        clerk = self._clerk(terminal, token)
        rows = list(
            self.store.db.query("SELECT dataset_ids, redeemed_by FROM codes WHERE transaction_id = ?", [transaction_id])
        )
        if not rows or rows[0]["redeemed_by"] != clerk["username"]:
            raise errors.NotFound(what="transaction")
        self.audit.append(
            "data.purged",
            terminal=terminal,
            clerk=clerk["username"],
            dataset_ids=json.loads(rows[0]["dataset_ids"]),
        )
