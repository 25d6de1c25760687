"""The clerk side: accounts (argon2), sessions, redemption with rate limits, purge, notification."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from broker_client import errors
from broker_client.models import Applicant, Catalogue, ClerkSession, RedeemedDataset, RedeemedField, Redemption
from broker_sandbox.audit import code_hash
from broker_sandbox.citizens import find_citizen
from broker_sandbox.durable import SqliteJournal
from broker_sandbox.flow_base import SandboxFlow, timestamp
from broker_sandbox.limits import EventLimiter
from broker_sandbox.store import Store
from counter_core.datacode import is_valid_code, normalise_typed
from counter_core.national_id import masked

if TYPE_CHECKING:
    from broker_sandbox.usage import Usage

CLERK_SESSION_S = 8 * 3600
VIEW_WINDOW_S = 600
# Wrong codes per clerk login (one clerk's typos never stop a colleague at the same station): more than
# BURST in WINDOW → 429 until the window frees; more than LOCKOUT_AFTER in LOCKOUT_WINDOW → locked for LOCKOUT_S.
BURST, WINDOW_S = 10, 60
LOCKOUT_AFTER, LOCKOUT_WINDOW_S, LOCKOUT_S = 30, 900, 900
# Wrong passwords for a clerk account from one station: more than LOGIN_BURST in LOGIN_WINDOW_S → 429 there only
# (a guesser at one station cannot lock the clerk out of the others); from all stations together more than
# LOGIN_ACCOUNT_BURST → 429 for the account everywhere (a guesser spread over many stations).
LOGIN_BURST, LOGIN_WINDOW_S = 5, 300
LOGIN_ACCOUNT_BURST, LOGIN_ACCOUNT_WINDOW_S = 20, 900

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
    def setup(self) -> None:
        store, clock = self.store, self.clock
        self.limiter = EventLimiter(
            BURST, WINDOW_S, LOCKOUT_AFTER, LOCKOUT_WINDOW_S, LOCKOUT_S,
            clock=clock, journal=SqliteJournal(store, "clerk.codes"),
        )  # fmt: skip
        self.login_limiter = EventLimiter(
            LOGIN_BURST, LOGIN_WINDOW_S, clock=clock, journal=SqliteJournal(store, "clerk.login")
        )
        self.account_limiter = EventLimiter(
            LOGIN_ACCOUNT_BURST, LOGIN_ACCOUNT_WINDOW_S, clock=clock, journal=SqliteJournal(store, "clerk.account")
        )
        self._redeeming = threading.Lock()  # a request id asked twice at once gets one redemption
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
        self.login_limiter.check(f"{terminal}:{username}")
        self.account_limiter.check(username)
        rows = list(self.store.db.query("SELECT * FROM clerks WHERE username = ?", [username]))
        try:
            if not rows:
                raise VerificationError
            self._hasher.verify(rows[0]["password_hash"], password)
        except VerificationError:
            self.login_limiter.record(f"{terminal}:{username}")
            self.account_limiter.record(username)
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
    def redeem(self, terminal: str, token: str, typed_code: str, request_id: str = "") -> Redemption:
        """The citizen's data for a code, once. A clerk page's attempt named by ``request_id`` asked again (its
        answer was lost) gets the same redemption back within the view window, and no second notice."""
        clerk = self._clerk(terminal, token)
        with self._redeeming:
            if request_id:
                again = self._by_request(terminal, clerk["username"], request_id)
                if again is not None:
                    self.audit.append("code.redeemed.again", terminal=terminal, clerk=clerk["username"])
                    return again
            redemption, row = self._redeem_once(terminal, clerk, typed_code)
            if request_id:
                self.store.db.table("redemption_requests").insert({
                    "terminal_id": terminal, "clerk": clerk["username"], "request_id": request_id,
                    "code_hash": row["code_hash"], "transaction_id": redemption.transaction_id, "at": self.clock.now(),
                })  # fmt: skip
        self._notify(row, redemption, self.clock.now())
        return redemption

    def redemption(self, terminal: str, token: str, request_id: str) -> Redemption:
        """What a clerk page's attempt got, asked by its request id (its answer was lost on the way)."""
        clerk = self._clerk(terminal, token)
        found = self._by_request(terminal, clerk["username"], request_id)
        if found is None:
            raise errors.NotFound(what="redemption")
        return found

    def _by_request(self, terminal: str, clerk: str, request_id: str) -> Redemption | None:
        rows = list(self.store.db.query(
            "SELECT c.* FROM redemption_requests r JOIN codes c ON c.code_hash = r.code_hash "
            "WHERE r.terminal_id = ? AND r.clerk = ? AND r.request_id = ?", [terminal, clerk, request_id],
        ))  # fmt: skip
        if not rows or rows[0]["redeemed_at"] + VIEW_WINDOW_S < self.clock.now():
            return None
        row = rows[0]
        return self._redemption(row, json.loads(row["dataset_ids"]), row["transaction_id"], row["redeemed_at"])

    def _redeem_once(self, terminal: str, clerk: dict[str, str], typed_code: str) -> tuple[Redemption, dict[str, Any]]:
        limit_key = f"{terminal}:{clerk['username']}"
        self.limiter.check(limit_key)
        code = normalise_typed(typed_code)
        if not is_valid_code(code):
            self.limiter.record(limit_key)
            raise errors.CodeMalformed()
        rows = list(self.store.db.query("SELECT * FROM codes WHERE code_hash = ?", [code_hash(code)]))
        if not rows:
            self.limiter.record(limit_key)
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
        return self._redemption(row, dataset_ids, transaction_id, now), row

    def _redemption(self, row: dict[str, Any], dataset_ids: list[str], transaction_id: str, now: float) -> Redemption:
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
            applicant=Applicant(name=citizen.name, masked_id=masked(citizen.national_id)),
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
