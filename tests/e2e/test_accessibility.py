"""Accessibility in a real browser: axe-core's WCAG 2.0/2.1 A and AA rules on every page and the states a class
reaches, and the keyboard-only journeys of a student without a mouse.

axe-core is the copy bundled in PyPI's axe-playwright-python (pinned in requirements-dev.txt): the tests fetch
nothing. One server serves the whole module; it knows a teacher secret so that the teacher's view can be checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e.conftest import serving, wait_for_app

pytestmark = pytest.mark.e2e

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SECRET = "e2e-a11y-teacher-secret"
AXE = Axe()


@dataclass(frozen=True)
class Accepted:
    """A violation the app cannot fix: Streamlit's own markup. ``html`` must match the offending element."""

    rule: str
    html: re.Pattern
    reason: str


ACCEPTED: list[Accepted] = []


def _accepted(rule: str, node: dict) -> bool:
    return any(item.rule == rule and item.html.search(node.get("html", "")) for item in ACCEPTED)


def axe_violations(page: Page) -> list[dict]:
    """axe-core's WCAG A/AA violations on the page as it is now, accepted exceptions left out."""
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    found = []
    for violation in AXE.run(page, options=options).response["violations"]:
        nodes = [node for node in violation["nodes"] if not _accepted(violation["id"], node)]
        if nodes:
            found.append({**violation, "nodes": nodes})
    return found


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} [{len(violation['nodes'])}]")
        for node in violation["nodes"][:8]:
            data = next((check.get("data") for check in node.get("any", []) if check.get("data")), None)
            lines.append(f"    {node['target'][-1]}: {node['html'][:160]}" + (f" {data}" if data else ""))
        if len(violation["nodes"]) > 8:
            lines.append(f"    ... and {len(violation['nodes']) - 8} more")
    return "\n".join(lines)


def expect_accessible(page: Page, state: str) -> None:
    """No WCAG 2.0/2.1 A or AA violation in this state; the failure lists rule, impact and elements."""
    wait_for_app(page)
    violations = axe_violations(page)
    count = sum(len(violation["nodes"]) for violation in violations)
    assert not violations, f"{state}: axe-core found {count} failing element(s):\n{describe(violations)}"


@pytest.fixture(scope="module")
def server(runs_dir):
    env = {"FASHION_STUDIO_RUNS_DIR": str(runs_dir), "FASHION_STUDIO_TEACHER_SECRET": SECRET}
    with serving(env, "a11y") as started:
        yield started


# (address, heading, text that shows only once the page has done its work, images drawn by then)
PAGES = [
    ("", "Fashion-MNIST Studio", "Where the data came from", 110),
    ("train", "Train a model", "parameters with these settings", 0),
    ("lessons", "Lessons", "Start the lesson", 0),
    ("evaluate", "Evaluate a model", "Test accuracy", 0),
    ("inside", "Inside a network", "Activations, layer by layer", None),  # as many as the model has layers
    ("labels", "Label mistakes in the training set", "Showing 36 of", 36),
    ("predict", "Predict", "What the model sees", 0),
    ("compare", "Compare models", "Leaderboard", 0),
    ("play", "Beat the model", "Show my score", 20),
    ("teacher", "Teacher", "Teacher secret", 0),
]


@pytest.mark.parametrize(("path", "heading", "ready", "images"), PAGES, ids=[row[0] or "home" for row in PAGES])
def test_every_page_passes_axe(server, page, path, heading, ready, images):
    page.goto(f"{server.url}/{path}")
    expect(page.get_by_role("heading", name=re.compile(heading)).first).to_be_visible(timeout=120_000)
    expect(page.get_by_text(ready).first).to_be_visible(timeout=180_000)
    drawn = page.get_by_test_id("stImage").locator("img")
    if images is None:
        expect(drawn.first).to_be_visible()
    else:
        expect(drawn).to_have_count(images)  # galleries draw a moment after the script has finished
    expect_accessible(page, f"/{path}")


# -- the keyboard alone --------------------------------------------------------------------------------------------
FOCUS_SHOWN = """e => {
    const primary = 'rgb(31, 95, 191)';  // the theme's primaryColor: Streamlit rings and borders focused widgets
    for (let node = e, level = 0; node && level < 5; node = node.parentElement, level++) {
        const style = getComputedStyle(node);
        if (style.boxShadow !== 'none' || style.borderTopColor === primary) return true;
        if (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) return true;
    }
    return false;
}"""


def tab_to(page: Page, target, limit: int = 60, key: str = "Tab") -> None:
    """Press Tab (or ``key``) until ``target`` has the focus, then check that the focus shows. No mouse."""
    expect(target).to_be_visible()
    for _ in range(limit):
        page.keyboard.press(key)
        if target.evaluate("e => e === document.activeElement"):
            assert target.evaluate(FOCUS_SHOWN), f"the keyboard focus on {target} is invisible"
            return
    pytest.fail(f"{target} not reached with {limit} presses of {key}")


def choose(page: Page, box, option: str) -> None:
    """Reach a select box by keyboard, type to filter its options, Enter to pick the first."""
    tab_to(page, box)
    page.keyboard.type(option)
    page.keyboard.press("Enter")
    expect(box).to_have_value(option)


def combobox(page: Page, name: str):
    return page.get_by_role("combobox", name=name, exact=True)


def no_error(page: Page) -> None:
    """Must NOT happen in any journey: an exception or an error box."""
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)


def test_train_and_stop_a_run_by_keyboard(server, page):
    # a long run (every training example, 30 epochs), started and stopped with the keyboard
    page.goto(f"{server.url}/train?arch=MLP+128&epochs=30&examples=60000&name=a11y-stopped")
    wait_for_app(page)
    tab_to(page, page.get_by_role("button", name="Start training"))
    page.keyboard.press("Enter")
    stop = page.get_by_role("button", name=re.compile("Stop"))
    expect(stop).to_be_visible(timeout=60_000)
    expect_accessible(page, "/train, a run in progress")
    tab_to(page, stop)
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile("Stopped|Removed from the queue"))).to_be_visible(timeout=60_000)
    expect(stop).to_have_count(0)
    expect_accessible(page, "/train, a run stopped")

    # a tiny run (1 epoch, 1,000 examples), started with the keyboard and left to finish
    page.goto(f"{server.url}/train?arch=MLP+128&epochs=1&examples=1000&name=a11y-tiny")
    wait_for_app(page)
    tab_to(page, page.get_by_role("button", name="Start training"))
    page.keyboard.press("Space")
    expect(page.get_by_text(re.compile(r"Test accuracy \d+\.\d+% on the"))).to_be_visible(timeout=180_000)
    expect(page.get_by_text("Saved as a11y-tiny")).to_be_visible()
    expect_accessible(page, "/train, a run finished")
    # the chart's numbers, opened by keyboard
    numbers = page.get_by_text(re.compile("Show the numbers: loss and accuracy"))
    tab_to(page, page.locator("summary").filter(has=numbers))
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("stTable")).to_be_visible()
    expect_accessible(page, "/train, a run finished, its numbers shown")
    no_error(page)


def test_open_a_confusion_cell_and_every_tab_by_keyboard(server, page):
    page.goto(f"{server.url}/evaluate")
    expect(page.get_by_role("heading", name=re.compile("Evaluate a model"))).to_be_visible(timeout=120_000)
    wait_for_app(page)
    gallery = page.locator(".st-key-cell-gallery")
    expect(gallery.get_by_text("Click any cell")).to_be_visible(timeout=60_000)
    choose(page, combobox(page, "Row: true class"), "Shirt")
    choose(page, combobox(page, "Column: predicted class"), "T-shirt/top")
    expect(gallery.get_by_role("heading")).to_have_text("True Shirt · predicted T-shirt/top")
    expect(gallery.get_by_test_id("stImage").locator("img").first).to_be_visible()
    expect_accessible(page, "/evaluate, a confusion cell opened")
    # must NOT happen: the hint (no cell open) beside an open cell
    expect(gallery.get_by_text("Click any cell")).to_have_count(0)

    # every tab, by the arrow keys of the tab list
    tab_to(page, page.get_by_role("tab", name=re.compile("Confusion matrix")))
    for name in ("Per-class report", "Misclassified", "Pair inspector", "Training curves"):
        page.keyboard.press("ArrowRight")
        tab = page.get_by_role("tab", name=re.compile(name))
        if tab.get_attribute("aria-selected") != "true":
            page.keyboard.press("Enter")
        expect(tab).to_have_attribute("aria-selected", "true")
        expect_accessible(page, f"/evaluate, tab {name}")
    no_error(page)
