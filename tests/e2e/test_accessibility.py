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
