"""Debian's Chromium for Playwright (``executable_path``; ``playwright install`` would download a browser) with
the flags a headless run on a shared machine needs, and waiting for Streamlit to finish a page's script."""

from __future__ import annotations

import os
import shutil

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


def wait_for_app(page) -> None:
    """Wait until Streamlit has run the page's script to its end (as Streamlit's own e2e tests do)."""
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning", timeout=120_000)
