"""Accessibility in a real browser: axe-core's WCAG 2.0/2.1 A and AA rules on the states a class reaches, and the
keyboard-only journeys of a student without a mouse. Every page's first state is checked, with WCAG 2.2 too, at four
screen sizes by tests/e2e/test_screens.py (which uses the helpers here).

axe-core is the copy bundled in PyPI's axe-playwright-python (pinned in requirements-dev.txt): the tests fetch
nothing. The session's teacher server serves the whole module: it knows a teacher secret so that the teacher's view
can be checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.conftest import TEACHER_SECRET, source_button, wait_for_app

pytestmark = pytest.mark.e2e

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE = Axe()


@dataclass(frozen=True)
class Accepted:
    """A violation the app cannot fix: Streamlit's own markup. ``html`` must match the offending element."""

    rule: str
    html: re.Pattern
    reason: str


# Every violation axe found in the app's own markup (alt texts, caption and chart contrast, disabled settings) is
# fixed. An entry belongs here only for markup the app cannot change (Streamlit's, a component's), with the reason.
ACCEPTED: list[Accepted] = [
    Accepted(
        "target-size",
        re.compile(r'^<button type="button" class="dc-icon-button"'),
        "streamlit-drawable-canvas 0.13 draws its toolbar (update, undo, redo, edit, reset) at 22.4 px inside the "
        "shadow root of its isolated component, where the app's style sheet cannot reach (WCAG 2.2 only, on a "
        "drawing with a mouse); Predict's own 'Clear drawing' button below the canvas is a full-size equivalent "
        "of reset",
    )
]


def _accepted(rule: str, node: dict) -> bool:
    return any(item.rule == rule and item.html.search(node.get("html", "")) for item in ACCEPTED)


def axe_violations(page: Page, tags: list[str] = WCAG_TAGS) -> list[dict]:
    """axe-core's violations of the rules with these tags on the page as it is now, accepted exceptions left out."""
    options = {"runOnly": {"type": "tag", "values": tags}, "resultTypes": ["violations"]}
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
            lines.append(f"    {node['html'][:160]}" + (f" {data}" if data else ""))
            lines.append(f"      at {str(node['target'][-1])[-140:]}")
        if len(violation["nodes"]) > 8:
            lines.append(f"    ... and {len(violation['nodes']) - 8} more")
    return "\n".join(lines)


def expect_accessible(page: Page, state: str, tags: list[str] = WCAG_TAGS) -> None:
    """No WCAG 2.0/2.1 A or AA violation (or of ``tags``) in this state; the failure lists rule, impact and elements."""
    wait_for_app(page)
    # and until no element is stale or still fading back in: Streamlit dims the elements of a rerun in progress,
    # and axe measures the colours of a half-faded box (CI once read 3.5:1 on a success box that is 7:1 at rest)
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stElementContainer"]')].every(
            (element) => element.getAttribute("data-stale") !== "true" && getComputedStyle(element).opacity === "1")"""
    )
    violations = axe_violations(page, tags)
    count = sum(len(violation["nodes"]) for violation in violations)
    assert not violations, f"{state}: axe-core found {count} failing element(s):\n{describe(violations)}"


@pytest.fixture
def server(teacher_server):
    """The session's teacher server: its secret opens the teacher's view, and without a duration cap the keyboard
    journey's long run (started only to be stopped) is never refused on a loaded machine."""
    return teacher_server


# -- the keyboard alone --------------------------------------------------------------------------------------------
FOCUS_SHOWN = """() => {
    const primary = 'rgb(31, 95, 191)';  // the theme's primaryColor: Streamlit rings and borders focused widgets
    for (let node = document.activeElement, level = 0; node && level < 5; node = node.parentElement, level++) {
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
            try:  # auto-waits: Streamlit eases a focused field's border to the primary colour
                page.wait_for_function(FOCUS_SHOWN, timeout=5_000)
            except PlaywrightTimeoutError:
                pytest.fail(f"the keyboard focus on {target} is invisible (no ring, outline or primary border)")
            return
    pytest.fail(f"{target} not reached with {limit} presses of {key}")


def press_enter_on(page: Page, target) -> None:
    """Tab to ``target`` and press Enter once the app is idle. A rerun that ends after the focus arrived can
    redraw the element and drop its focus (seen once in CI: Enter then went to the page and no file chooser
    opened), so the focus is checked, and brought back by keyboard, right before the key."""
    tab_to(page, target)
    wait_for_app(page)
    if not target.evaluate("e => e === document.activeElement"):
        tab_to(page, target)
    page.keyboard.press("Enter")


def choose(page: Page, box, option: str) -> None:
    """Reach a select box by keyboard, type to filter its options, Enter to pick the first."""
    tab_to(page, box)
    page.keyboard.type(option)
    page.keyboard.press("Enter")
    expect(box).to_have_value(option)


def combobox(page: Page, name: str):
    return page.get_by_role("combobox", name=name, exact=True)


def visit(page: Page, server, address: str) -> None:
    """Open an address of the module's server and wait for its script to finish."""
    page.goto(f"{server.url}/{address}")
    wait_for_app(page)


def select_tab(page: Page, name: str, key: str) -> None:
    """Move along a tab list with an arrow key; Enter selects the tab where moving alone does not."""
    page.keyboard.press(key)
    tab = page.get_by_role("tab", name=re.compile(name))
    if tab.get_attribute("aria-selected") != "true":
        page.keyboard.press("Enter")
    expect(tab).to_have_attribute("aria-selected", "true")
    wait_for_app(page)  # a tab's content may be drawn by a rerun: focus what it drew


def choose_source(page: Page, name: str, into: str = "Tab") -> None:
    """Choose where Predict's image comes from, as a radio group is used: Tab (or Shift+Tab) into the row, which
    lands on the chosen button, arrow keys along it to the wanted one, Space."""
    row = page.locator(".st-key-predict_source")
    radios = row.get_by_role("radio")
    labels = radios.all_inner_texts()
    here = next(i for i, radio in enumerate(radios.all()) if radio.is_checked())
    there = next(i for i, label in enumerate(labels) if name in label)
    tab_to(page, radios.nth(here), key=into, limit=80)
    for _ in range(abs(there - here)):
        page.keyboard.press("ArrowRight" if there > here else "ArrowLeft")
    wanted = source_button(page, name)
    expect(wanted).to_be_focused()
    page.keyboard.press("Space")
    expect(wanted).to_be_checked()


def no_error(page: Page) -> None:
    """Must NOT happen in any journey: an exception or an error box."""
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)


def test_train_and_stop_a_run_by_keyboard(server, page):
    # a long run (every training example, 30 epochs), started and stopped with the keyboard
    visit(page, server, "train?arch=MLP+128&epochs=30&examples=60000&name=a11y-stopped")
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
    visit(page, server, "train?arch=MLP+128&epochs=1&examples=1000&name=a11y-tiny")
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
        select_tab(page, name, "ArrowRight")
        expect_accessible(page, f"/evaluate, tab {name}")
    no_error(page)


def test_predict_a_test_image_and_an_upload_by_keyboard(server, page, dataset):
    from core.predict import preprocess

    visit(page, server, "predict")
    expect(source_button(page, "Draw")).to_be_visible(timeout=120_000)
    # drawing needs a pointer, and Draw says where a keyboard gets the same
    expect(page.get_by_text("Drawing needs a mouse, a pen or a finger")).to_be_visible()
    choose_source(page, "Test image")
    press_enter_on(page, page.get_by_role("button", name="Another test image"))
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Predictions")).to_be_visible(timeout=60_000)
    expect(page.get_by_text(re.compile(r"^Test image #[\d,]+, true label"))).to_be_visible()
    expect_accessible(page, "/predict, a test image predicted")

    # an upload: the file chooser opened with the keyboard
    choose_source(page, "Upload", into="Shift+Tab")
    # the rerun has drawn the uploader and cleared the last prediction before the keyboard goes on
    expect(page.get_by_text("Your image, each preprocessing step, and the predictions will show here.")).to_be_visible()
    upload_button = page.get_by_test_id("stFileUploader").get_by_role("button", name="Upload", exact=True)
    with page.expect_file_chooser() as chooser:
        press_enter_on(page, upload_button)
    photo = preprocess.render_as_photo(dataset.x_test[0])  # an ankle boot, dark on white, JPEG
    chooser.value.set_files(files=[{"name": "boot.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    expect(page.get_by_text("JPEG, 364×364, RGB · dark on light, so inverted")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("heading", name="Predictions")).to_be_visible()
    expect_accessible(page, "/predict, an upload predicted")
    no_error(page)


def test_play_a_whole_game_by_keyboard(server, page):
    from core import data
    from core.understand import game

    seed = 4242
    played = game.make_game(seed, game.shipped_probabilities(), data.load().y_test)
    visit(page, server, f"play?game={seed}")
    # the images' alternative texts never give the answer away
    images = page.get_by_test_id("stImage").locator("img")
    expect(images).to_have_count(game.GAME_SIZE)
    alts = images.evaluate_all("images => images.map(image => image.alt)")
    assert alts == [f"Puzzle image {position} of {game.GAME_SIZE}" for position in range(1, game.GAME_SIZE + 1)]
    for position in range(len(played)):
        choose(page, combobox(page, f"Image {position + 1}"), data.CLASS_NAMES[position % 10])
        if position == 9:
            expect_accessible(page, "/play, a game in play")
    tab_to(page, page.get_by_role("button", name="Show my score"))
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("stMetric").filter(has_text="Your score")).to_be_visible()
    expect_accessible(page, "/play, a game scored")
    # must NOT happen: blank answers left, or an exception
    expect(page.get_by_text("Answer every image first")).to_have_count(0)
    no_error(page)


def test_a_lesson_by_keyboard_and_its_results(server, page):
    from core.models import zoo

    # the smallest experiment: MLP 128, 1 and 2 epochs on 10,000 images
    visit(page, server, "lessons?lesson=Your+own+experiment&own_arch=mlp_128&own_vary=epochs")
    expect(combobox(page, "Architecture")).to_have_value(zoo.arch_name("mlp_128"))
    expect(combobox(page, "Vary")).to_have_value("epochs")
    tab_to(page, page.get_by_role("button", name="Start the lesson"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Stop the whole lesson")).to_be_visible(timeout=60_000)
    expect_accessible(page, "/lessons, a lesson in progress")
    expect(page.get_by_role("button", name="Stop the whole lesson")).to_have_count(0, timeout=180_000)
    expect(page.get_by_role("button", name="Start the lesson")).to_be_visible()
    # one chart's two panels (loss, accuracy) once the last rerun is drawn (during it, the old and the new one
    # can both be on the page)
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(2)
    expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
    expect_accessible(page, "/lessons, a lesson's results")
    no_error(page)


def test_the_teacher_view_unlocked_by_keyboard(server, page):
    visit(page, server, "teacher")
    secret = page.get_by_label("Teacher secret")
    tab_to(page, secret)
    page.keyboard.type(TEACHER_SECRET)
    tab_to(page, page.get_by_role("button", name="Unlock"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Training jobs")).to_be_visible()
    expect(page.get_by_role("heading", name="Saved runs")).to_be_visible()
    expect_accessible(page, "/teacher, unlocked")
    expect(page.get_by_text("That is not the teacher secret.")).to_have_count(0)
    no_error(page)


def test_the_embedding_map_and_two_models_side_by_side(server, page):
    visit(page, server, "inside")
    tab_to(page, page.get_by_role("tab", name=re.compile("One image")))
    select_tab(page, "Embedding map", "ArrowRight")
    expect(page.get_by_text("Drag a box on the map")).to_be_visible(timeout=60_000)
    expect_accessible(page, "/inside, the embedding map")

    visit(page, server, "compare")
    overlay = combobox(page, "Models to overlay")
    tab_to(page, overlay)
    page.keyboard.type("MLP 128")  # the list names models as Train does
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    expect(page.get_by_text(re.compile("Show the numbers: accuracy"))).to_be_visible()
    expect(page.locator(".st-key-compare-confusion-difference")).to_be_visible()
    expect_accessible(page, "/compare, curves overlaid and two models side by side")
    no_error(page)
