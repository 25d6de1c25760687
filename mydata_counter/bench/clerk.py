"""``mydata-counter bench clerk``: scan → data table visible, measured in Chromium on loopback."""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from broker_client import BrokerClient
from counter_core.settings import Settings
from mydata_counter.bench import BenchResult, check
from mydata_counter.servicerunner import running_service
from mydata_counter.testing.sandbox import citizens, issue_code, running_sandbox, sandbox_settings

RUNS = 30
CHROMIUM = "/usr/bin/chromium"
MEASURE = """async (code) => {
  const input = document.getElementById("code");
  input.value = code;
  const t0 = performance.now();
  document.getElementById("submit").click();
  while (document.getElementById("result").hidden || !document.querySelector("#datasets table")) {
    await new Promise((r) => requestAnimationFrame(r));
  }
  return performance.now() - t0;
}"""


def bench_clerk(base: Settings) -> BenchResult:
    """Scan → 欄位/資料/說明 table visible, p50/p95, measured in the browser (keypad path)."""
    with tempfile.TemporaryDirectory(prefix="mydata-bench-clerk-") as folder:
        settings = sandbox_settings(base, Path(folder))
        with running_sandbox(settings), running_service("clerk", settings) as url:
            broker = BrokerClient(settings.broker)
            codes = [issue_code(broker, settings, citizen).code for citizen in citizens(settings)[:RUNS]]
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
                )
                page = browser.new_page()
                page.goto(url + "/login")
                page.fill("#username", "clerk-hualien")
                page.fill("#password", "hualien-demo")
                page.click("#login")
                page.wait_for_selector("html[data-connection=connected]")
                times = []
                for code in codes:
                    times.append(float(page.evaluate(MEASURE, code)))
                    page.click("#purge")
                    page.wait_for_selector("#scan:not([hidden])")
                browser.close()
    times.sort()
    return BenchResult(
        "clerk",
        {
            "scan_to_table_p50": check(statistics.median(times), "ms"),
            "scan_to_table_p95": check(times[int(len(times) * 0.95) - 1], "ms", at_most=250),
        },
        notes=f"{RUNS} codes; submit → broker redeem (signed) → table rendered, timed with performance.now()",
    )


benchmarks = {"clerk": bench_clerk}
