"""Every page on the screens a class uses: a phone and a tablet (touch), a small laptop and a desktop.

On each: the page runs without an exception, nothing in the main area reaches past the screen's right edge
unless it sits in its own scroll box (a chart built wider than a phone once ran off it, cut), and on Predict
the sketch canvas is whole inside its column, drawn at the size it shows (so a stroke lands under the finger).
One browser context per size, its tab reused page after page. A screenshot of each page at each size goes to
tests/e2e/output/screens/ (git-ignored), for a contact sheet.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import OUTPUT_DIR, wait_for_app

SCREENS_DIR = OUTPUT_DIR / "screens"
SIZES = {
    "phone": {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True},
    "tablet": {"viewport": {"width": 820, "height": 1180}, "has_touch": True, "is_mobile": True},
    "laptop": {"viewport": {"width": 1024, "height": 768}},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}
# (address, heading, text that shows only once the page has done its work)
PAGES = [
    ("", "Fashion-MNIST Studio", "Where the data came from"),
    ("train", "Train a model", "parameters with these settings"),
    ("lessons", "Lessons", "Start the lesson"),
    ("evaluate", "Evaluate a model", "Test accuracy"),
    ("inside", "Inside a network", "Activations, layer by layer"),
    ("labels", "Label mistakes in the training set", "Showing 36 of"),
    ("predict", "Predict", "What the model sees"),
    ("compare", "Compare models", "Side by side"),
    ("bring", "Bring your own model", "Keep your runs"),
    ("play", "Beat the model", "Show my score"),
    ("teacher", "Teacher", "teacher secret"),
]

# Every visible element of the main area whose right edge is past the screen's, outside any scroll box of its own
# (only the outermost of each, described). Screen-reader-only and native inputs hidden under their drawn widget
# are left out: they have no width a student sees.
PAST_THE_EDGE = """() => {
    const edge = window.innerWidth + 1, main = document.querySelector('[data-testid="stMain"]'), found = [];
    const scrolls = (element) => {
        for (let box = element.parentElement; box && box !== main; box = box.parentElement) {
            if (/auto|scroll/.test(getComputedStyle(box).overflowX)) return true;
        }
        return false;
    };
    for (const element of main.querySelectorAll('*')) {
        const box = element.getBoundingClientRect();
        if (box.width < 2 || box.right <= edge || element.parentElement.getBoundingClientRect().right > edge) continue;
        const style = getComputedStyle(element);
        if (style.visibility === 'hidden' || style.opacity === '0' || element.matches('input')) continue;
        if (scrolls(element)) continue;
        const named = element.closest('[data-testid]');
        found.push(`${element.tagName.toLowerCase()} in ${named && named.dataset.testid}: ` +
            `${Math.round(box.left)}-${Math.round(box.right)} px "${element.textContent.trim().slice(0, 40)}"`);
    }
    return {page: document.documentElement.scrollWidth, screen: window.innerWidth, past: found.slice(0, 6)};
}"""
# every chart on show is drawn (those in a tab not chosen are drawn when it opens)
CHARTS_DRAWN = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].every(
    (chart) => !chart.getClientRects().length || chart.querySelector('svg, canvas'))"""


@pytest.fixture(scope="module", params=list(SIZES))
def screen(browser, request):
    """One browser context per size (touch on the phone and the tablet), its one tab reused for every page."""
    context = browser.new_context(**SIZES[request.param])
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield request.param, tab
    context.close()


def open_page(page: Page, url: str, heading: str, ready: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name=re.compile(heading)).first).to_be_visible(timeout=120_000)
    expect(page.get_by_text(ready).first).to_be_visible(timeout=180_000)
    wait_for_app(page)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0)  # every widget mounted (some load their code late)
    page.wait_for_function(CHARTS_DRAWN)


# The canvas's drawing size, the size it shows at, and every box that cuts it off: an ancestor that clips or
# scrolls (the canvas's own scroll box inside its component, its column) and does not hold the whole of it.
CANVAS_SHOWN = """(canvas) => {
    const shown = canvas.getBoundingClientRect(), cut = [];
    for (let node = canvas.parentNode; node; node = node instanceof ShadowRoot ? node.host : node.parentNode) {
        if (!(node instanceof Element) || getComputedStyle(node).overflowX === 'visible') continue;
        const box = node.getBoundingClientRect();
        if (shown.left < box.left - 1 || shown.right > box.right + 1) {
            cut.push(`${node.className || node.tagName}: ${Math.round(box.left)}-${Math.round(box.right)} px`);
        }
    }
    return {drawn: [canvas.width, canvas.height], shown: [Math.round(shown.width), Math.round(shown.height)],
            left: shown.left, right: shown.right, cut};
}"""


def expect_canvas_whole(page: Page) -> None:
    """Predict's canvas lies whole on the screen, cut by no box it sits in, shown at its drawing size."""
    canvas = page.locator("[class*='st-key-predict_canvas_'] canvas.upper-canvas")
    expect(canvas).to_be_visible()
    found = canvas.evaluate(CANVAS_SHOWN)
    assert found["shown"] == found["drawn"], found  # else a stroke lands away from the finger
    assert found["left"] >= 0 and found["right"] <= page.viewport_size["width"] and not found["cut"], found


@pytest.mark.parametrize(("path", "heading", "ready"), PAGES, ids=[row[0] or "home" for row in PAGES])
def test_every_page_fits_the_screen(app_server, screen, path, heading, ready):
    size, page = screen
    open_page(page, f"{app_server.url}/{path}", heading, ready)
    SCREENS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENS_DIR / f"{size}-{path or 'home'}.png")
    # must NOT happen: an exception, a page wider than the screen, anything past its right edge
    expect(page.get_by_test_id("stException")).to_have_count(0)
    width = page.evaluate(PAST_THE_EDGE)
    assert width["page"] <= width["screen"] and not width["past"], width
    if path == "predict":
        expect_canvas_whole(page)
