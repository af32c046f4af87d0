"""Teaching a model your own pictures, in a real browser: a student adds a coat drawn with the mouse and an uploaded
outline boot from Predict, the rest of their outline drawings as a zip, teaches MLP 128, and a held-back picture's
answer changes on Predict; another browser sees none of it; the teacher sees the examples and removes one.

The drawings are made here, at test time: outlines (black strokes on white), which the shipped models read as other
garments (a coat as a pullover, a boot as a top).
"""

from __future__ import annotations

import io
import re
import zipfile

import numpy as np
import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from core.data import CLASS_NAMES
from core.models import store, zoo
from core.training import examples as kept
from core.training import teach
from tests.e2e.conftest import OUTPUT_DIR, TEACHER_SECRET, source_button, wait_for_app
from ui.shared.identity import COOKIE, owner_of

pytestmark = pytest.mark.e2e

BASE = "mlp_128"  # the quickest shipped model to teach
COAT, BOOT = 4, 9
# A coat's outline as one mouse stroke on the 280 px canvas: collar, right sleeve, hem, left sleeve, back.
COAT_STROKE = [(100, 40), (180, 40), (230, 90), (240, 250), (205, 250), (200, 120), (195, 250), (85, 250), (80, 120)]
COAT_STROKE += [(75, 250), (40, 250), (50, 90), (100, 40)]
BOOT_OUTLINE = [(90, 40), (150, 40), (155, 170), (240, 200), (245, 245), (85, 245)]


def outline(points: list[tuple[int, int]], rng: np.random.Generator) -> bytes:
    """A closed outline through ``points``, each moved by up to 8 px: black strokes on a white 280x280 PNG."""
    moved = [(x + int(rng.integers(-8, 9)), y + int(rng.integers(-8, 9))) for x, y in points]
    image = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(image).line([*moved, moved[0]], fill=0, width=7, joint="curve")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def drawings() -> dict[int, list[bytes]]:
    """Three coats and four boots, the same on every run."""
    rng = np.random.default_rng(51)
    return {
        COAT: [outline(COAT_STROKE[:-1], rng) for _ in range(3)],
        BOOT: [outline(BOOT_OUTLINE, rng) for _ in range(4)],
    }


def as_zip(pictures: dict[int, list[bytes]]) -> bytes:
    """Class folders as a student makes them: named by the class (``coat/``, ``ankle_boot/``)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for label, files in pictures.items():
            for number, data in enumerate(files):
                archive.writestr(f"{CLASS_NAMES[label].lower().replace(' ', '_')}/{number}.png", data)
    return out.getvalue()


def open_predict(page: Page, url: str) -> None:
    page.goto(f"{url}/predict")
    wait_for_app(page)
    expect(source_button(page, "Draw")).to_be_visible(timeout=120_000)  # a cold server loads every model first


def draw(page: Page, path: list[tuple[int, int]]) -> None:
    """One stroke with the mouse over Predict's canvas."""
    canvas = page.locator(".st-key-predict_canvas_0 canvas.upper-canvas")
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + path[0][0], box["y"] + path[0][1])
    page.mouse.down()
    for x, y in path[1:]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=6)
    page.mouse.up()


def upload(page: Page, data: bytes, name: str = "drawing.png") -> None:
    source_button(page, "Upload").click()
    uploader = page.get_by_test_id("stFileUploaderDropzoneInput")
    uploader.set_input_files(files=[{"name": name, "mimeType": "image/png", "buffer": data}])


def choose(page: Page, label: str, typed: str, option: str | re.Pattern) -> None:
    """A select box's option: open it, filter it by typing (the list is virtual), pick."""
    page.get_by_test_id("stSelectbox").filter(has_text=label).click()
    page.keyboard.type(typed)
    page.get_by_role("option", name=option, exact=isinstance(option, str)).click()
    wait_for_app(page)


def add_as(page: Page, label: int, count: int) -> None:
    """Under the answer: pick the class, Add, and see it kept."""
    expect(page.locator(".st-key-lead-answer")).to_be_visible(timeout=60_000)
    choose(page, "Add to my examples as", CLASS_NAMES[label], CLASS_NAMES[label])
    page.locator(".st-key-add-example-button").get_by_role("button", name="Add").click()
    expect(page.get_by_text(f"Added to your examples as {CLASS_NAMES[label]} ({count} of that class).")).to_be_visible()


def owner_of_context(page: Page) -> str:
    cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
    return owner_of(cookies[COOKIE])


def answer_chart(page: Page, model_id: str, display_name: str, label: int):
    """A model's card on Predict whose chart says ``label`` first (its accessible name lists the top classes)."""
    name = f"Bar chart of {display_name}'s top 3: {CLASS_NAMES[label]} "
    return page.locator(f".st-key-prediction-{model_id}").locator(f'[aria-label^="{name}"]')


def teach_on_the_page(page: Page, url: str, pictures: dict[int, list[bytes]]) -> None:
    """The rest of the drawings as a zip on Teach, then MLP 128 taught them, to the before/after."""
    page.goto(f"{url}/teach")
    wait_for_app(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": "outlines.zip", "mimeType": "application/zip", "buffer": as_zip(pictures)}]
    )
    page.get_by_role("button", name="Add the zip's pictures").click()
    expect(page.get_by_text("Added 6 example(s) from outlines.zip.")).to_be_visible()
    expect(page.get_by_text("8 example(s): 4 Coat, 4 Ankle boot.")).to_be_visible()
    choose(page, "Model to teach", BASE, re.compile(rf"^{re.escape(zoo.arch_name(BASE))} \({BASE}\) ·"))
    page.locator(".st-key-teach-start").get_by_role("button", name="Teach").click()
    expect(page.get_by_role("heading", name="Before and after")).to_be_visible(timeout=180_000)
    expect(page.get_by_text("it never learned from")).to_be_visible()


@pytest.fixture
def new_browser(browser, request):
    """Browsers of their own (each context its own cookie: another student, the teacher), each screenshot and
    closed on the way out."""
    contexts = []

    def start() -> Page:
        contexts.append(browser.new_context(viewport={"width": 1400, "height": 1000}))
        tab = contexts[-1].new_page()
        tab.set_default_timeout(30_000)
        return tab

    yield start
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    for number, context in enumerate(contexts):
        for tab in context.pages:
            tab.screenshot(path=OUTPUT_DIR / f"{request.node.name}-{number}.png", full_page=True)
        context.close()


def test_a_student_teaches_their_drawings_only_they_and_the_teacher_see_them(teacher_server, new_browser, runs_dir):
    url = teacher_server.url
    pictures = drawings()
    student = new_browser()
    open_predict(student, url)
    draw(student, COAT_STROKE)
    add_as(student, COAT, 1)
    first_boot, *other_boots = pictures[BOOT]
    upload(student, first_boot)
    add_as(student, BOOT, 1)
    teach_on_the_page(student, url, {COAT: pictures[COAT], BOOT: other_boots})

    owner = owner_of_context(student)
    (taught,) = [
        a for a in store.list_artifacts([runs_dir]) if a.ok and a.meta.owner == owner and teach.report_of(a) is not None
    ]
    report = teach.report_of(taught)
    files = {kept.picture_pixels(data).tobytes(): data for files in pictures.values() for data in files}
    pixels = {example.example_id: example.pixels.tobytes() for example in kept.list_examples(owner)}
    changed = [answer for answer in report.answers if answer.after != answer.before]
    assert changed, f"teaching changed no held-back answer: {report}"
    held = max(changed, key=lambda answer: (answer.after == answer.label, pixels[answer.example_id] in files))

    # the held-back picture on Predict: the base model still says what it said, the taught one its new answer
    open_predict(student, url)
    if pixels[held.example_id] in files:
        upload(student, files[pixels[held.example_id]], "held-back.png")
    else:
        draw(student, COAT_STROKE)  # the mouse-drawn coat was held back: the same stroke again
    expect(answer_chart(student, taught.model_id, taught.model_id, held.after)).to_be_visible(timeout=60_000)
    expect(answer_chart(student, BASE, zoo.arch_name(BASE), held.before)).to_be_visible()

    other = new_browser()
    other.goto(f"{url}/teach")
    wait_for_app(other)
    expect(other.get_by_text("No examples yet")).to_be_visible()
    open_predict(other, url)
    upload(other, first_boot)
    expect(other.locator(".st-key-lead-answer")).to_be_visible(timeout=60_000)
    # must NOT happen: the student's examples, or the model taught them, in another browser
    expect(other.locator(f".st-key-prediction-{taught.model_id}")).to_have_count(0)
    expect(other.get_by_role("button", name="🗑")).to_have_count(0)

    teacher = new_browser()
    teacher.goto(f"{url}/teacher")
    wait_for_app(teacher)
    teacher.get_by_label("Teacher secret").fill(TEACHER_SECRET)
    teacher.get_by_role("button", name="Unlock").click()
    theirs = teacher.locator(f".st-key-student-{owner[:12]}")
    expect(theirs).to_contain_text("8 example(s)")
    expect(theirs.get_by_role("img")).to_have_count(8)
    theirs.get_by_role("button", name="🗑").first.click()
    expect(theirs).to_contain_text("7 example(s)")
    assert len(kept.list_examples(owner)) == 7
    expect(teacher.get_by_test_id("stException")).to_have_count(0)
