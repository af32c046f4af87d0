"""A class on one server, in real browsers: runs belong to the browser that started them, the queue
tells the truth and lets go at once, over-budget runs are refused, and the teacher sees and stops
everything while students cannot touch each other's work.

Each Playwright browser context is a separate browser (its own cookies), exactly like two students.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
from playwright.sync_api import Page, expect

from core.models import store, zoo
from tests.e2e.conftest import OUTPUT_DIR, TEACHER_SECRET, wait_for_app
from ui.shared.identity import COOKIE, owner_of

pytestmark = pytest.mark.e2e
# 12 epochs of all 60,000 images: minutes, so it is still running while others act, and its estimate stays well
# under the 10-minute cap even on a loaded machine (20 epochs were estimated at 10 min once in CI, and refused)
LONG_ARCH, LONG_EPOCHS = "MLP 512-256-128", 12


def new_tab(browser) -> Page:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    return tab


def choose(page: Page, label: str, option: str) -> None:
    page.get_by_test_id("stSelectbox").filter(has_text=label).click()
    page.keyboard.type(option)  # the list is virtual: filter it so the option is drawn
    page.get_by_role("option", name=re.compile(re.escape(option))).click()
    wait_for_app(page)  # the page is redrawn for the new choice before anything else is typed


def set_examples(page: Page, key: str) -> None:
    slider = page.get_by_role("slider", name="Training examples")
    slider.focus()
    slider.press(key)  # Home: 1,000 examples; End: all 60,000


def choose_architecture(page: Page, arch: str) -> None:
    """Choose an architecture (by the start of its name) and wait until its own recipe is on the form.

    Choosing one resets the form to that architecture's defaults on the server; a value typed before that
    redraw arrives is overwritten by it (CI once started 30 epochs where 20 were typed). Its default model
    name shows that the redraw has arrived."""
    choose(page, "Architecture", arch)
    key = next(spec.key for spec in zoo.ZOO.values() if spec.name.startswith(arch))
    expect(page.get_by_role("textbox", name="Model name")).to_have_value(f"my-{key}")


def start_run(page: Page, url: str, name: str, epochs: int, examples_key: str, arch: str = "MLP 128") -> None:
    """Fill the Train form and press Start (the run for a long one: minutes, under the 10-minute cap)."""
    page.goto(f"{url}/train")
    wait_for_app(page)
    choose_architecture(page, arch)
    page.get_by_role("spinbutton", name="Epochs").fill(str(epochs))
    set_examples(page, examples_key)
    page.get_by_role("textbox", name="Model name").fill(name)
    expect(page.get_by_role("spinbutton", name="Epochs")).to_have_value(str(epochs))
    page.get_by_role("button", name="Start training").click()


def owner_of_context(page: Page) -> str:
    page.wait_for_function(f"document.cookie.includes('{COOKIE}=')")  # the page writes it on the first visit
    cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
    assert COOKIE in cookies, "the app did not give this browser its cookie"
    return owner_of(cookies[COOKIE])


def test_a_run_belongs_to_its_browser_and_the_queue_tells_the_truth(app_server, browser, runs_dir):
    student_a, student_b = new_tab(browser), new_tab(browser)
    try:
        # A starts a run of a few minutes (under the server's 10-minute cap)
        start_run(student_a, app_server.url, "e2e-long", epochs=LONG_EPOCHS, examples_key="End", arch=LONG_ARCH)
        expect(student_a.get_by_role("button", name="Stop training")).to_be_visible(timeout=90_000)
        expect(student_a.get_by_text("Run: e2e-long")).to_be_visible()
        assert re.search(r"[?&]run=[0-9a-f]{32}", student_a.url), "the address bar should be the run's link"

        # a reload re-attaches: live progress, Stop, and the form showing the run's own settings
        student_a.reload()
        wait_for_app(student_a)
        expect(student_a.get_by_text("Run: e2e-long")).to_be_visible()
        expect(student_a.get_by_role("button", name="Stop training")).to_be_visible()
        expect(student_a.get_by_role("spinbutton", name="Epochs")).to_have_value(str(LONG_EPOCHS))
        expect(student_a.get_by_role("spinbutton", name="Epochs")).to_be_disabled()
        expect(student_a.get_by_role("combobox", name="Architecture")).to_have_value(re.compile(LONG_ARCH))

        # a new tab of the same browser, opened on /train without the link, finds it too
        second_tab = student_a.context.new_page()
        second_tab.goto(f"{app_server.url}/train")
        wait_for_app(second_tab)
        expect(second_tab.get_by_text("Run: e2e-long")).to_be_visible()
        second_tab.close()

        # another browser: must NOT see the run or its Stop
        student_b.goto(f"{app_server.url}/train")
        wait_for_app(student_b)
        expect(student_b.get_by_text("Run: e2e-long")).to_have_count(0)
        expect(student_b.get_by_role("button", name=re.compile("Stop"))).to_have_count(0)

        # ...and its own run waits behind A's with a true position
        start_run(student_b, app_server.url, "e2e-waiting", epochs=1, examples_key="Home")
        expect(student_b.get_by_text(re.compile(r"1 training now, yours is next"))).to_be_visible(timeout=60_000)
        expect(student_b.get_by_text("0 jobs ahead")).to_have_count(0)

        # Stop on a waiting job frees its place at once, while A still trains
        student_b.get_by_role("button", name="Stop and leave the queue").click()
        expect(student_b.get_by_text("Removed from the queue before it started")).to_be_visible()
        expect(student_a.get_by_role("button", name="Stop training")).to_be_visible()
        expect(student_a.get_by_text("Removed from the queue")).to_have_count(0)

        # A stops its own run; nothing of either is saved
        student_a.get_by_role("button", name="Stop training").click()
        expect(student_a.get_by_text("Stopped; nothing was saved.")).to_be_visible(timeout=60_000)
        expect(student_a.get_by_test_id("stException")).to_have_count(0)
        expect(student_b.get_by_test_id("stException")).to_have_count(0)
        saved = {found.model_id for found in store.list_artifacts([runs_dir])}
        assert not saved & {"e2e-long", "e2e-waiting"}
    finally:
        for name, tab in (("a", student_a), ("b", student_b)):
            tab.screenshot(path=OUTPUT_DIR / f"classroom-{name}.png", full_page=True)
            tab.context.close()


def test_an_over_budget_run_is_refused_with_what_to_lower(app_server, page):
    page.goto(f"{app_server.url}/train")
    wait_for_app(page)
    choose_architecture(page, "Studio CNN")
    page.get_by_role("spinbutton", name="Epochs").fill("200")
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_text(re.compile(r"one run may take at most 10 min here"))).to_be_visible(timeout=90_000)
    expect(page.get_by_text(re.compile(r"Lower the epochs or the training examples"))).to_be_visible()
    # must NOT happen: a run starts
    expect(page.get_by_text(re.compile(r"^Run: "))).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Stop"))).to_have_count(0)


def test_without_a_secret_the_teacher_page_says_how_to_set_one(app_server, page):
    page.goto(f"{app_server.url}/teacher")
    wait_for_app(page)
    expect(page.get_by_text("The teacher view is locked until a teacher secret is set")).to_be_visible()
    expect(page.get_by_text("Streamlit Community Cloud")).to_be_visible()  # where a Cloud teacher sets it
    expect(page.get_by_text("Settings → Secrets")).to_be_visible()
    expect(page.get_by_text("FASHION_STUDIO_TEACHER_SECRET").first).to_be_visible()
    # must NOT happen: a password box that no secret could open, or any control
    expect(page.get_by_label("Teacher secret")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Cancel|Delete"))).to_have_count(0)


@pytest.fixture
def class_runs(tiny_model, runs_dir):
    """The teacher server's runs folder with another browser's run in it; this test's copies never outlive it."""
    shutil.copytree(tiny_model.path, runs_dir / "someone-elses-run")
    yield runs_dir
    for name in ("someone-elses-run", "students-own-run"):
        shutil.rmtree(runs_dir / name, ignore_errors=True)


def give_run_to(root, source: str, name: str, owner: str) -> None:
    shutil.copytree(root / source, root / name)
    meta = json.loads((root / name / store.META_FILE).read_text())
    meta.update(model_id=name, display_name=name, owner=owner)
    (root / name / store.META_FILE).write_text(json.dumps(meta))


def test_the_teacher_sees_and_stops_everything_students_only_their_own(teacher_server, browser, class_runs):
    student, teacher = new_tab(browser), new_tab(browser)
    try:
        student.goto(f"{teacher_server.url}/train")
        wait_for_app(student)
        give_run_to(class_runs, "someone-elses-run", "students-own-run", owner_of_context(student))

        # a student: the teacher page is locked, a wrong secret opens nothing
        student.goto(f"{teacher_server.url}/teacher")
        wait_for_app(student)
        student.get_by_label("Teacher secret").fill("guess")
        student.get_by_role("button", name="Unlock").click()
        expect(student.get_by_text("That is not the teacher secret.")).to_be_visible()
        expect(student.get_by_role("button", name=re.compile("Cancel|Delete"))).to_have_count(0)

        # the student deletes its own run; another's is not even offered
        student.goto(f"{teacher_server.url}/train")
        wait_for_app(student)
        student.get_by_text("Your saved runs (1)").click()
        expect(student.locator(".st-key-mine-someone-elses-run")).to_have_count(0)
        student.locator(".st-key-mine-students-own-run").get_by_role("button", name="Delete").click()
        expect(student.get_by_text("Your saved runs")).to_have_count(0)
        assert not (class_runs / "students-own-run").exists() and (class_runs / "someone-elses-run").exists()

        # the student starts a long run; the teacher unlocks, sees it, cancels it
        start_run(student, teacher_server.url, "class-run", epochs=LONG_EPOCHS, examples_key="End", arch=LONG_ARCH)
        expect(student.get_by_role("button", name="Stop training")).to_be_visible(timeout=90_000)
        teacher.goto(f"{teacher_server.url}/teacher")
        wait_for_app(teacher)
        teacher.get_by_label("Teacher secret").fill(TEACHER_SECRET)
        teacher.get_by_role("button", name="Unlock").click()
        row = teacher.locator("[class*='st-key-job-']").filter(has_text="class-run")
        expect(row).to_have_count(1)
        row.get_by_role("button", name="Cancel").click()
        expect(student.get_by_text(re.compile("Stopped"))).to_be_visible(timeout=60_000)
        expect(row.get_by_role("button", name="Cancel")).to_have_count(0)

        # the teacher deletes any run
        teacher.locator(".st-key-run-someone-elses-run").get_by_role("button", name="Delete").click()
        expect(teacher.locator(".st-key-run-someone-elses-run")).to_have_count(0)
        assert not (class_runs / "someone-elses-run").exists()
        for tab in (student, teacher):
            expect(tab.get_by_test_id("stException")).to_have_count(0)
    finally:
        for name, tab in (("student", student), ("teacher", teacher)):
            tab.screenshot(path=OUTPUT_DIR / f"teacher-{name}.png", full_page=True)
            tab.context.close()
