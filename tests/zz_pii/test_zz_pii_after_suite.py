"""Runs last (pytest collects tests/zz_pii after every other folder): the logs of every service the
suite started, the clerk stations' audit databases and the sandbox brokers' audit tables hold no
personal data."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from broker_sandbox.citizens import generate_citizens
from counter_core.datacode import grouped, new_code
from counter_core.settings import SandboxSettings
from mydata_counter.servicerunner import LOG_DIR_VARIABLE
from mydata_counter.testing.inprocess import IN_PROCESS_LOG
from mydata_counter.testing.piiscan import needles, scan_paths, scan_sqlite, scan_text

KNOWN = needles(generate_citizens(SandboxSettings().seed, SandboxSettings().citizens))


def test_the_scanner_finds_each_kind_of_personal_value() -> None:
    citizen = generate_citizens(SandboxSettings().seed, SandboxSettings().citizens)[42]
    line = (
        f"id {citizen.national_id} name {citizen.name} phone {citizen.phone} mail {citizen.email} "
        f"card {citizen.nhi_card_number} code 4821 0937 5516 2047 pin=123456"
    )
    kinds = {finding.kind for finding in scan_text(line, "sample", KNOWN)}
    assert kinds >= {"national_id", "name", "phone", "email", "nhi_card_number", "pin"}
    code = new_code()
    assert [f.kind for f in scan_text(f"redeemed {code}", "s", KNOWN)] == ["data_code"]
    assert [f.kind for f in scan_text(f"typed {grouped(code)}", "s", KNOWN)] == ["data_code"]
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)  # fails the Damm check: not a code
    assert list(scan_text(f"order {wrong}", "s", KNOWN)) == []


def test_audit_tables_are_scanned_but_their_hashes_are_not(tmp_path: Path) -> None:
    database = tmp_path / "audit.db"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE audit (event TEXT, hash TEXT)")
        db.execute("INSERT INTO audit VALUES ('code.redeemed', 'ab' || ? || 'cd')", [new_code()])
    assert list(scan_sqlite(database, KNOWN, ["audit"])) == []
    with sqlite3.connect(database) as db:
        db.execute("INSERT INTO audit VALUES (?, '')", [f"code.redeemed {new_code()}"])
    assert [f.kind for f in scan_sqlite(database, KNOWN, ["audit"])] == ["data_code"]


def test_service_logs_and_clerk_audit_hold_no_personal_data(tmp_path_factory: pytest.TempPathFactory) -> None:
    logs = Path(os.environ[LOG_DIR_VARIABLE])
    files = list(logs.glob("*.log"))
    assert files, "the suite's services wrote no logs to scan"
    assert (logs / IN_PROCESS_LOG).exists(), "the in-process apps' log was not kept"
    audits = list(tmp_path_factory.getbasetemp().glob("**/clerk-audit.db"))
    findings = scan_paths([logs, *audits], KNOWN)
    assert findings == [], findings


def test_sandbox_audit_tables_hold_no_personal_data(tmp_path_factory: pytest.TempPathFactory) -> None:
    databases = list(tmp_path_factory.getbasetemp().glob("**/sandbox.db"))
    assert databases, "the suite ran no sandbox to scan"
    findings = [f for database in databases for f in scan_sqlite(database, KNOWN, ["audit"])]
    assert findings == [], findings
