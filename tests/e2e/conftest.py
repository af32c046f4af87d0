"""The real app under `streamlit run` on a free localhost port, driven by Debian's Chromium.

No browser is ever downloaded: Playwright launches /usr/bin/chromium. A failed test's screenshot goes to
tests/e2e/output/ (git-ignored) so a person can look at what the test saw.

A server's start costs its warm-up (TensorFlow, the dataset, every shipped model): the session shares one
server per environment a test needs, ``app_server`` (as `make run` starts it) and ``teacher_server`` (a teacher
secret, no duration cap). A module starts its own only where the server itself is what it tests: damaged or
killed, without a dataset, on Ray, or its memory measured alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from harness.chromium import CHROMIUM, CHROMIUM_ARGS
from harness.chromium import wait_for_app as wait_for_app  # the e2e tests import it from here
from harness.serve import StreamlitServer

REPO_ROOT = Path(__file__).resolve().parents[2]
OUTPUT_DIR = REPO_ROOT / "tests" / "e2e" / "output"


@contextmanager
def serving(
    env: dict[str, str] | None = None, log_name: str = "server", base_path: str = ""
) -> Iterator[StreamlitServer]:
    """A healthy `streamlit run` for the duration of the block, stopped however it ends. Its log is named after the
    pytest-xdist worker too, so the servers of three workers keep three logs."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    server = StreamlitServer(env=env, log_name=f"{log_name}-{worker}" if worker else log_name, base_path=base_path)
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/e2e is an e2e test (`make test-quick` leaves them out by this marker)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)


STUDIO_PATH = "studio"  # the shared server's base path


@pytest.fixture(scope="session")
def app_server(runs_dir) -> Iterator[StreamlitServer]:
    """The session's shared server, served under /studio/ as behind a school's proxy: every scenario on it, browser
    training included, runs under a base path; the other servers of the suite serve at the root."""
    with serving({"FASHION_STUDIO_RUNS_DIR": str(runs_dir)}, base_path=STUDIO_PATH) as server:
        yield server


# The teacher page unlocks with this on ``teacher_server``.
TEACHER_SECRET = "e2e-teacher-secret-7f3a"


@pytest.fixture(scope="session")
def teacher_server(runs_dir) -> Iterator[StreamlitServer]:
    """A server that knows a teacher secret and has no duration cap (the accessibility and classroom tests).

    No cap: those tests start long runs only to see and stop them, and on a loaded machine a run's estimate
    (measured on this server) passed the 10-minute cap once in CI, which refused it; the cap is tested on
    ``app_server`` (test_an_over_budget_run_is_refused_with_what_to_lower)."""
    env = {
        "FASHION_STUDIO_RUNS_DIR": str(runs_dir),
        "FASHION_STUDIO_TEACHER_SECRET": TEACHER_SECRET,
        "FASHION_STUDIO_MAX_RUN_SECONDS": "0",
    }
    with serving(env, "teacher") as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    # A 2-core CI box that also runs TensorFlow can take well over Playwright's default
    # 5 s to redraw a page: assertions auto-wait up to 30 s (they pass as soon as they can).
    expect.set_options(timeout=30_000)

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test` (it installs Debian's chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    """Keeps each phase's report on the test (``item.failed_call``), so ``page`` knows whether it failed."""
    report = yield
    if report.when == "call":
        item.failed_call = report.failed
    return report


@pytest.fixture
def page(browser, request):
    """A fresh browser context per test (its own Streamlit session); a failed test leaves a screenshot of what
    the browser showed in tests/e2e/output/ (a full-page screenshot of every passing test cost the suite CPU)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    if getattr(request.node, "failed_call", True):
        OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=OUTPUT_DIR / f"{request.node.name}.png", full_page=True)
    context.close()


def source_button(page, name: str, key: str = "predict_source"):
    """One button of a page's "Image from" row (Draw, Upload, Test image)."""
    return page.locator(f".st-key-{key}").get_by_role("radio", name=name)
