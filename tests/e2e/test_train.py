"""Train a tiny model in a real browser: live progress and chart, then the saved result."""

import re

import pytest
from playwright.sync_api import expect

from core.models import store
from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e


def test_train_tiny_model_live(app_server, page, runs_dir):
    page.goto(f"{app_server.url}/train")
    wait_for_app(page)
    page.get_by_role("spinbutton", name="Epochs").fill("3")
    examples = page.get_by_role("slider", name="Training examples")
    examples.focus()
    examples.press("Home")  # the smallest subset: 1,000 examples
    expect(examples).to_have_attribute("aria-valuetext", "1000")
    page.get_by_role("textbox", name="Model name").fill("e2e-tiny")
    page.get_by_role("button", name="Start training").click()

    # while it runs: the stop button and a live chart are on the page at the same time
    expect(page.get_by_role("button", name="Stop training")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Run: e2e-tiny")).to_be_visible()
    # at the end: the test accuracy and the saved model
    expect(page.get_by_text(re.compile(r"Test accuracy \d+\.\d+% on the"))).to_be_visible(timeout=180_000)
    expect(page.get_by_text("Saved as e2e-tiny")).to_be_visible()
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(2)  # the loss and the accuracy panel
    expect(page.get_by_text("Epoch 3/3")).to_be_visible()
    # must NOT happen: an exception, a failure message, a second run
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_text("Training failed")).to_have_count(0)
    saved = store.find("e2e-tiny", [runs_dir])
    assert saved.ok and saved.meta.epochs_run == 3 and saved.meta.hyperparameters["subset"] == 1000


def test_a_teachers_link_opens_the_exact_setup_and_edits_update_the_link(app_server, page):
    page.goto(f"{app_server.url}/train?arch=Shallow+CNN&epochs=7&optimizer=rmsprop&examples=5000&normalize=false")
    wait_for_app(page)
    expect(page.get_by_role("combobox", name="Architecture")).to_have_value("Shallow CNN")
    expect(page.get_by_role("spinbutton", name="Epochs")).to_have_value("7")
    expect(page.get_by_role("combobox", name="Optimizer")).to_have_value("rmsprop")
    expect(page.get_by_role("slider", name="Training examples")).to_have_attribute("aria-valuetext", "5000")
    expect(page.get_by_role("switch", name="Normalize pixels")).not_to_be_checked()
    # a learner's change goes into the address bar, ready to share
    page.get_by_role("spinbutton", name="Epochs").fill("9")
    page.get_by_role("spinbutton", name="Epochs").press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]epochs=9(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]arch=Shallow"))
    # must NOT happen: the setup silently falls back to another architecture's defaults
    expect(page.get_by_role("combobox", name="Architecture")).not_to_have_value("MLP 128")
    expect(page.get_by_test_id("stException")).to_have_count(0)
