"""The real app under `streamlit run` on a free localhost port, driven by Debian's Chromium.

No browser is ever downloaded: Playwright launches /usr/bin/chromium. Screenshots go to
tests/e2e/output/ (git-ignored) so a person can look at what the tests saw.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
OUTPUT_DIR = REPO_ROOT / "tests" / "e2e" / "output"
CHROMIUM = os.environ.get("CHROMIUM_PATH", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StreamlitServer:
    """`streamlit run app.py` exactly as `make run` starts it (only the port differs); ``url`` once healthy."""

    def __init__(self, env: dict[str, str] | None = None, log_name: str = "server"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = OUTPUT_DIR / f"{log_name}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",  # the only difference from `make run`: everything else is .streamlit/config.toml
                str(self.port),
            ],
            cwd=REPO_ROOT,
            env={**os.environ, **(env or {})},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_healthy(self, timeout: float = 240) -> None:  # (the server warms up before it answers)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"streamlit exited with {self.process.returncode}: {self.log_path.read_text()[-2000:]}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)  # polling a health endpoint, not waiting on the UI
        raise RuntimeError(f"streamlit did not become healthy in {timeout} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log.close()


@contextmanager
def serving(env: dict[str, str] | None = None, log_name: str = "server") -> Iterator[StreamlitServer]:
    """A healthy `streamlit run` for the duration of the block, stopped however it ends."""
    server = StreamlitServer(env=env, log_name=log_name)
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def app_server(runs_dir) -> Iterator[StreamlitServer]:
    with serving({"FASHION_STUDIO_RUNS_DIR": str(runs_dir)}) as server:
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


@pytest.fixture
def page(browser, request):
    """A fresh browser context per test (its own Streamlit session); screenshot on the way out."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=OUTPUT_DIR / f"{request.node.name}.png", full_page=True)
    context.close()


def wait_for_app(page) -> None:
    """Wait until Streamlit has run the page's script to its end (as Streamlit's own e2e tests do)."""
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning", timeout=120_000)


def source_button(page, name: str, key: str = "predict_source"):
    """One button of a page's "Image from" row (Draw, Upload, Test image)."""
    return page.locator(f".st-key-{key}").get_by_role("radio", name=name)
