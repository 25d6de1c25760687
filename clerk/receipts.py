"""Signed receipts at the clerk station: checked before and without any broker call (issue #21).

A ``MYDATA2:`` QR is verified here against the broker's code keys (``broker_client.code_keys``), so a
forged, altered, expired or other-agency receipt is refused at the scan, in milliseconds, even while the broker
is unreachable, and the clerk sees at once which agency, service and expiry the receipt is for. The names come
from the broker's catalogue, fetched once and kept (ids are shown until it is). A background thread keeps the
key list fresh and fetches the catalogue; it never delays a check.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from broker_client import BrokerClient
from broker_client.code_keys import CodeVerifier, VerifiedCode
from broker_client.errors import BrokerError
from broker_client.models import Catalogue
from counter_core.clock import Clock
from counter_core.signed_code import SignedCodeForeignAgency

log = logging.getLogger(__name__)
REFRESH_TICK_S = 5.0


@dataclass(frozen=True)
class Receipt:
    """A verified receipt, with the names the clerk reads."""

    verified: VerifiedCode = field(repr=False)
    agency: dict[str, str]
    service: dict[str, str]
    datasets: list[dict[str, str]]

    @property
    def code(self) -> str:
        return self.verified.claims.code

    @property
    def until(self) -> str:
        return self.verified.expires_local

    def public(self) -> dict[str, Any]:
        """What the page shows at once (never the code: the page has the receipt)."""
        claims = self.verified.claims
        return {
            "agency": self.agency,
            "service": self.service,
            "datasets": self.datasets,
            "issued_at": datetime.fromtimestamp(claims.issued_at, UTC).isoformat(),
            "expires_at": datetime.fromtimestamp(claims.expires_at, UTC).isoformat(),
            "until": self.until,
            "key_id": self.verified.key_id,
        }


class ReceiptChecker:
    def __init__(self, broker: BrokerClient, clock: Clock | None = None) -> None:
        self.broker = broker
        self.verifier = CodeVerifier(broker.code_keys, clock)
        self.catalogue: Catalogue | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._refresh_forever, daemon=True, name="clerk-code-keys")

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=3)

    def _refresh_forever(self) -> None:
        while not self._stop.is_set():
            self.verifier.refresh_if_stale()
            if self.catalogue is None:
                self.fetch_catalogue()
            self._stop.wait(REFRESH_TICK_S)

    def fetch_catalogue(self) -> None:
        try:
            self.catalogue = self.broker.catalogue()
        except BrokerError as error:
            log.info("catalogue not fetched yet: %s", error.key)

    def _names(self, agency_id: str, service_id: str, dataset_ids: tuple[str, ...]) -> tuple[Any, Any, Any]:
        catalogue = self.catalogue
        agency = catalogue.agency(agency_id) if catalogue else None
        service = catalogue.service(service_id) if catalogue else None
        datasets = [catalogue.dataset(i) if catalogue else None for i in dataset_ids]
        return (
            dict(agency.name.root) if agency else {"zh-TW": agency_id},
            dict(service.name.root) if service else {"zh-TW": service_id},
            [dict(d.name.root) if d else {"zh-TW": i} for d, i in zip(datasets, dataset_ids, strict=True)],
        )

    def check(self, text: str, agency_id: str) -> Receipt:
        """The receipt of a signed QR text, or the ``SignedCodeError`` saying what is wrong with it."""
        try:
            verified = self.verifier.verify(text, agency_id)
        except SignedCodeForeignAgency as error:
            agency, service, _ = self._names(str(error.params["agency_id"]), str(error.params["service_id"]), ())
            error.params.update(agency=agency, service=service)
            raise
        claims = verified.claims
        agency, service, datasets = self._names(claims.agency_id, claims.service_id, claims.dataset_ids)
        return Receipt(verified, agency, service, datasets)
