"""Every page, opened straight from its address and through the sidebar, in a real browser.

Each one runs its script to the end with its heading shown and no exception box, and its
screenshot lands in tests/e2e/output/ (the page fixture takes it on the way out).
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e

# (address, sidebar link, heading, text that shows only once the page has done its work)
PAGES = [
    ("", "Dataset", "Fashion-MNIST Studio", "Where the data came from"),
    ("train", "Train", "Train a model", "parameters with these settings"),
    ("evaluate", "Evaluate", "Evaluate a model", "Test accuracy"),
    ("inside", "Inside", "Inside a network", "Activations, layer by layer"),
    ("labels", "Label mistakes", "Label mistakes in the training set", "Showing 36 of"),
    ("predict", "Predict", "Predict", "What the model sees"),
    ("teach", "Teach a model", "Teach it your pictures", "Your examples"),
    ("compare", "Compare", "Compare models", "Leaderboard"),
    ("play", "Beat the model", "Beat the model", "Show my score"),
    ("bring", "Bring a model", "Bring your own model", "Keep your runs"),
]


def test_the_sidebar_walks_through_every_page(app_server, page):
    """Through the sidebar, one page after another in one session, under the shared server's base path: each page
    does its work, is marked as the current one among all the pages, and shows no exception or error. (Every page
    opened straight from its address, at four screen sizes: tests/e2e/test_screens.py.)"""
    page.goto(app_server.url)
    wait_for_app(page)
    navigation = page.get_by_role("navigation", name="App pages")
    for path, link, heading, ready in PAGES[1:] + PAGES[:1]:
        navigation.get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", name=re.compile(heading))).to_be_visible(timeout=120_000)
        expect(page).to_have_url(re.compile(rf"/{path}(\?.*)?$"))  # Evaluate adds ?model=
        expect(page.get_by_text(ready).first).to_be_visible(timeout=180_000)
        wait_for_app(page)
        for _, other, _, _ in PAGES:
            expect(navigation.get_by_role("link", name=other)).to_be_visible()
        expect(navigation.get_by_role("link", name=link)).to_have_attribute("aria-current", "page")
        # must NOT happen: an exception box, an error box, or the missing-dataset page
        expect(page.get_by_test_id("stException")).to_have_count(0)
        expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
        expect(page.get_by_text("dataset not found")).to_have_count(0)


def test_the_server_warmed_up_before_it_answered_anyone(app_server):
    """`streamlit run app.py` ran app.py's st.App lifespan (server/warm.py) before its health check passed."""
    log = app_server.log_path.read_text()
    assert "Warmed up before serving" in log, log[-2000:]
    warmed = log[log.index("Warmed up before serving") :].splitlines()[0]
    for step in ("TensorFlow", "dataset", "Predict's models", "Train's first architecture"):
        assert f"'{step}': " in warmed or f'"{step}": ' in warmed, warmed
    # must NOT happen: a step that failed (the pages would then pay for it), or a traceback at start
    assert "failed" not in warmed, warmed
    assert "Traceback" not in log[: log.index("Warmed up before serving")]
