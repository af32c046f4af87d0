"""Every page on the screens a class uses: a phone and a tablet (touch), a small laptop and a desktop.

On each: the page runs without an exception, nothing in the main area reaches past the screen's right edge
unless it sits in its own scroll box (a chart built wider than a phone once ran off it, cut), axe-core finds no
WCAG 2.2 A/AA violation (the 24x24 target size included), and on Predict the sketch canvas is whole inside its
column, drawn at the size it shows (so a stroke lands under the finger). Every page as a first visit shows it, then
the states a class reaches: a drawing's answer (by touch on the phone and the tablet, within one screen of the
canvas), a finished training run, a finished lesson, the Teacher page unlocked. One browser context per size, its
tab reused page after page; axe runs on the page loads the layout checks already make. A screenshot of each page
state at each size goes to tests/e2e/output/screens/ (git-ignored): `.venv/bin/python -m harness.contact_sheet`
lays them out as one sheet per size.
"""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import OUTPUT_DIR, TEACHER_SECRET, wait_for_app
from tests.e2e.test_accessibility import expect_accessible
from ui.shared.identity import COOKIE

SCREENS_DIR = OUTPUT_DIR / "screens"
SIZES = {
    "phone": {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True},
    "tablet": {"viewport": {"width": 820, "height": 1180}, "has_touch": True, "is_mobile": True},
    "laptop": {"viewport": {"width": 1024, "height": 768}},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}
# (address, heading, text that shows only once the page has done its work, images drawn by then: None for at least
# one, as many as the hidden tabs' mistakes or the model's layers)
PAGES = [
    ("", "Fashion-MNIST Studio", "Where the data came from", 110),
    ("train", "Train a model", "parameters with these settings", 0),
    ("lessons", "Lessons", "Start the lesson", 0),
    ("evaluate", "Evaluate a model", "Test accuracy", None),
    ("inside", "Inside a network", "Activations, layer by layer", None),
    ("labels", "Label mistakes in the training set", "Showing 36 of", 36),
    ("predict", "Predict", "What the model sees", 0),
    ("compare", "Compare models", "Side by side", 0),
    ("bring", "Bring your own model", "Keep your runs", 0),
    ("play", "Beat the model", "Show my score", 20),
    ("teach", "Teach it your pictures", "No examples yet", 0),
    ("teacher", "Teacher", "teacher secret", 0),
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
# WCAG 2.0, 2.1 and 2.2, levels A and AA: 2.2's AA adds target-size (24x24 CSS px)
WCAG22_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# One student on all four screens (this browser cookie in each size's context): the run and the lesson are trained
# once, and each screen then shows them as that student's finished work.
STUDENT = secrets.token_hex(16)
TINY_RUN = "train?arch=MLP+128&epochs=1&examples=1000&name=screens-tiny"  # the tiniest run: seconds
SMALL_LESSON = "lessons?lesson=Your+own+experiment&own_arch=mlp_128&own_vary=epochs"  # MLP 128, 1 and 2 epochs
FINISHED_RUN = re.compile(r"Test accuracy \d+\.\d+% on the")

# every chart on show is drawn (those in a tab not chosen are drawn when it opens)
CHARTS_DRAWN = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].every(
    (chart) => !chart.getClientRects().length || chart.querySelector('svg, canvas'))"""


@pytest.fixture
def server(teacher_server):
    """The session's teacher server: its secret opens the Teacher page, and it is the one the accessibility tests
    share, so the suite starts no server for this module."""
    return teacher_server


def as_student(context: BrowserContext, server) -> None:
    """Make this context the browser of STUDENT (its identity cookie), whose runs and lessons it then shows."""
    context.add_cookies([{"name": COOKIE, "value": STUDENT, "url": server.url}])


@pytest.fixture(scope="module")
def finished_work(teacher_server, browser) -> None:
    """STUDENT's tiniest run and smallest lesson, each started and left to finish, once for all four screens."""
    context = browser.new_context(**SIZES["desktop"])
    as_student(context, teacher_server)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{teacher_server.url}/{TINY_RUN}")
    page.get_by_role("button", name="Start training").click(timeout=120_000)
    expect(page.get_by_text(FINISHED_RUN)).to_be_visible(timeout=180_000)
    page.goto(f"{teacher_server.url}/{SMALL_LESSON}")
    page.get_by_role("button", name="Start the lesson").click(timeout=120_000)
    expect(page.get_by_role("button", name="Stop the whole lesson")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("button", name="Stop the whole lesson")).to_have_count(0, timeout=180_000)
    context.close()


@pytest.fixture(scope="module", params=list(SIZES))
def screen(browser, request):
    """One browser context per size (touch on the phone and the tablet), its one tab reused for every page."""
    context = browser.new_context(**SIZES[request.param])
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield request.param, tab
    context.close()


def open_page(page: Page, url: str, heading: str, ready: str, images: int | None = 0) -> None:
    """Open ``url`` and wait until it is whole: its work done, every widget mounted, every chart and gallery drawn."""
    page.goto(url)
    expect(page.get_by_role("heading", name=re.compile(heading)).first).to_be_visible(timeout=120_000)
    expect(page.get_by_text(ready).first).to_be_visible(timeout=180_000)
    wait_for_app(page)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0)  # every widget mounted (some load their code late)
    page.wait_for_function(CHARTS_DRAWN)
    drawn = page.get_by_test_id("stImage").locator("img")
    if images is None:
        expect(drawn.first).to_be_attached()
    elif images:
        expect(drawn).to_have_count(images)  # galleries draw a moment after the script has finished


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


TROUSER = [(100, 40), (180, 40), (185, 250), (150, 250), (140, 110), (130, 250), (95, 250), (100, 40)]  # on 280x280


def draw_a_trouser(page: Page, canvas, by_touch: bool) -> None:
    """One stroke over Predict's canvas: a finger's (touch events, as a phone sends them) or a mouse's."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    points = [(box["x"] + x, box["y"] + y) for x, y in TROUSER]
    path = [
        (x0 + (x1 - x0) * step / 6, y0 + (y1 - y0) * step / 6)
        for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False)
        for step in range(1, 7)
    ]
    if not by_touch:
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in path:
            page.mouse.move(*point)
        page.mouse.up()
        return
    finger = page.context.new_cdp_session(page)  # Playwright's touchscreen only taps
    for kind, at in [("touchStart", points[0]), *(("touchMove", point) for point in path), ("touchEnd", None)]:
        touching = [] if at is None else [{"x": at[0], "y": at[1]}]
        finger.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touching})
    finger.detach()


def expect_the_answer_near_the_canvas(page: Page, size: str) -> None:
    """A drawing's answer to trust lies within one screen below the canvas (on a phone it was 852 px down)."""
    canvas = page.locator("[class*='st-key-predict_canvas_'] canvas.upper-canvas")
    draw_a_trouser(page, canvas, by_touch=SIZES[size].get("has_touch", False))
    lead = page.locator(".st-key-lead-answer")
    expect(lead).to_be_visible(timeout=60_000)
    wait_for_app(page)
    drawn, answer = canvas.bounding_box(), lead.bounding_box()
    below = answer["y"] + answer["height"] - (drawn["y"] + drawn["height"])
    assert below <= page.viewport_size["height"], f"the answer ends {below:.0f} px below the canvas"
    lead.scroll_into_view_if_needed()


def expect_fits(page: Page, size: str, state: str) -> None:
    """The page as it is now: its screenshot taken, then what must NOT happen: an exception, a page wider than the
    screen, anything past its right edge, a WCAG 2.2 A/AA violation."""
    SCREENS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENS_DIR / f"{size}-{state}.png")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    width = page.evaluate(PAST_THE_EDGE)
    assert width["page"] <= width["screen"] and not width["past"], width
    expect_accessible(page, f"{state} on a {size}", WCAG22_TAGS)


@pytest.mark.parametrize(("path", "heading", "ready", "images"), PAGES, ids=[row[0] or "home" for row in PAGES])
def test_every_page_fits_the_screen(server, screen, path, heading, ready, images):
    size, page = screen
    open_page(page, f"{server.url}/{path}", heading, ready, images)
    expect_fits(page, size, path or "home")
    if path == "predict":
        expect_canvas_whole(page)
        expect_the_answer_near_the_canvas(page, size)
        expect_fits(page, size, "predict-drawn")


def test_a_finished_run_and_a_finished_lesson_fit_the_screen(server, screen, finished_work):
    size, page = screen
    as_student(page.context, server)  # from here on this screen is the student's, who has trained both
    open_page(page, f"{server.url}/train", "Train a model", "Saved as screens-tiny")
    expect(page.get_by_text(FINISHED_RUN)).to_be_visible()
    page.get_by_text(FINISHED_RUN).scroll_into_view_if_needed()  # the screenshot shows the run's outcome
    expect_fits(page, size, "train-finished")
    open_page(page, f"{server.url}/lessons", "Lessons", "What happened")  # a finished lesson's results
    expect(page.get_by_role("button", name="Start the lesson")).to_be_visible()
    page.get_by_role("heading", name=re.compile("Your lesson")).scroll_into_view_if_needed()
    expect_fits(page, size, "lessons-finished")


def test_the_teacher_page_unlocked_fits_the_screen(server, screen):
    size, page = screen
    open_page(page, f"{server.url}/teacher", "Teacher", "Teacher secret")
    page.get_by_label("Teacher secret").fill(TEACHER_SECRET)
    page.get_by_role("button", name="Unlock").click()
    expect(page.get_by_role("heading", name="Saved runs")).to_be_visible()
    page.get_by_role("heading", name="Training jobs").scroll_into_view_if_needed()
    wait_for_app(page)
    page.wait_for_function(CHARTS_DRAWN)
    expect_fits(page, size, "teacher-unlocked")
