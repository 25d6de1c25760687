"""The accessibility tests inject axe-core into the pages; the pages forbid inline script (CSP), so their
browser context lets the test's own script in. Only here: every other test runs the pages under their policy."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "bypass_csp": True}
