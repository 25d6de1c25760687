"""The running sandbox against ``docs/broker-api.yaml``: schemathesis generates requests (signed like a
real terminal's), every response must conform and no request may cause a server error. The spec
must also match the protocol models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings

from broker_client.openapi import build_spec
from broker_client.signing import RequestSigner, load_private_key
from counter_core.settings import Settings

SPEC = Path(__file__).resolve().parents[2] / "docs" / "broker-api.yaml"
EXAMPLES = int(os.environ.get("MYDATA_FUZZ_EXAMPLES", "40"))  # 27 operations × 40 ≈ 1 080 cases in make test

MIN_CASES = 2000 if EXAMPLES >= 150 else 500  # make test: >= 500; `make fuzz` (150 per operation): >= 2000
schema = schemathesis.openapi.from_path(SPEC)
calls: list[str] = []


def test_committed_spec_matches_the_protocol_models() -> None:
    assert yaml.safe_load(SPEC.read_text(encoding="utf-8")) == build_spec(), "run `make openapi`"


@pytest.fixture(scope="module")
def signed(broker: tuple[Settings, str]) -> tuple[str, RequestSigner, str]:
    settings, url = broker
    assert settings.broker.key_file is not None
    signer = RequestSigner(settings.broker.terminal_id, load_private_key(settings.broker.key_file))
    from broker_client import BrokerClient

    token = BrokerClient(settings.broker).clerk_login("clerk-hualien", "hualien-demo").token
    return url, signer, token


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_sandbox_conforms_to_the_spec_and_never_fails(
    case: schemathesis.Case,  # type: ignore[type-arg]
    signed: tuple[str, RequestSigner, str],
) -> None:
    url, signer, token = signed
    headers = {"Authorization": f"Bearer {token}"} if case.path.startswith("/clerk/") else None
    # Random but schema-valid ids name sessions, pushes and transactions that do not exist: the broker
    # rightly answers 404/409/410 there, which schemathesis's "positive data accepted" check does not
    # foresee (410). Every other check applies: no 5xx, documented statuses, conforming bodies.
    calls.append(f"{case.method} {case.path}")
    case.call_and_validate(
        base_url=f"{url}/api/v1",
        auth=signer,
        headers=headers,
        excluded_checks=[schemathesis.checks.positive_data_acceptance],
    )


def test_the_fuzz_run_above_sent_enough_cases() -> None:
    """Runs after the generated tests in this module (pytest keeps file order)."""
    paths = {call.split()[1] for call in calls}
    assert paths == set(build_spec()["paths"]), sorted(paths)  # every path of the protocol was tried
    assert len(calls) >= MIN_CASES, len(calls)
    print(f"schemathesis sent {len(calls)} cases over {len(paths)} paths")
