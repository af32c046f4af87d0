"""The Predict page in a real browser: a mouse stroke on the canvas, and uploads good and bad."""

import re

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from core.models import zoo
from core.predict import preprocess
from tests.e2e.conftest import source_button, wait_for_app

pytestmark = pytest.mark.e2e

# Predict asks the shipped models and this browser's runs: the tiny model (nobody's) is not asked.
SHIPPED_MODEL = "mlp_128"


def open_predict(app_server, page: Page) -> None:
    page.goto(f"{app_server.url}/predict")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Predict")).to_be_visible()
    # A cold server loads TensorFlow and every model once ("Preparing the models…"): the source buttons follow.
    expect(source_button(page, "Draw")).to_be_visible(timeout=120_000)


def draw(page: Page, canvas, path: list[tuple[int, int]]) -> None:
    """One stroke with the mouse: press at the first point, move through the rest, release."""
    box = canvas.bounding_box()
    assert box is not None
    x, y = box["x"], box["y"]
    page.mouse.move(x + path[0][0], y + path[0][1])
    page.mouse.down()
    for px, py in path[1:]:
        page.mouse.move(x + px, y + py, steps=6)
    page.mouse.up()


def test_a_stroke_on_the_canvas_shows_predictions(app_server, page, tiny_model):
    open_predict(app_server, page)
    canvas = page.locator(".st-key-predict_canvas_0 canvas.upper-canvas")
    expect(canvas).to_be_visible()
    prediction = page.locator(f".st-key-prediction-{SHIPPED_MODEL}")
    # Before any drawing: a hint, and no predictions.
    expect(page.get_by_text("Draw a garment above")).to_be_visible()
    expect(prediction).to_have_count(0)

    # A trouser-like outline: down one leg, across, and back up the other.
    draw(page, canvas, [(100, 40), (180, 40), (185, 250), (150, 250), (140, 110), (130, 250), (95, 250), (100, 40)])

    expect(prediction).to_be_visible(timeout=60_000)
    expect(prediction.get_by_text(zoo.arch_name(SHIPPED_MODEL), exact=True)).to_be_visible()  # "MLP 128", as on Train
    expect(prediction.get_by_test_id("stVegaLiteChart")).to_be_visible()
    # the best measured answer leads; the best shipped models' vote is there too, with its members and its
    # measured test accuracy
    lead = page.locator(".st-key-lead-answer")
    expect(lead).to_contain_text(
        re.compile(r"the best measured of these models \(\d+\.\d\d% on the 10,000 test images\)")
    )
    voted = page.locator(".st-key-all-models-vote")
    expect(voted).to_contain_text(re.compile(r"All models vote · \d+\.\d\d% on the test set"))
    expect(voted).to_contain_text(re.compile(r"The average of .+, the 3 best shipped models\."))
    expect(voted.get_by_test_id("stVegaLiteChart")).to_be_visible()
    expect(page.get_by_text("28×28 input", exact=True)).to_be_visible()
    expect(page.get_by_text("drawing, 280×280")).to_be_visible()
    expect(page.get_by_text("Draw a garment above")).to_have_count(0)
    # must NOT happen: an exception, an error box, or a run of the class asked without being picked
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    expect(page.locator(f".st-key-prediction-{tiny_model.model_id}")).to_have_count(0)


def test_two_quick_choices_of_source_leave_the_second_chosen_everywhere(app_server, page):
    # Two choices inside one rerun (a keyboard user going along the row): the second must be the one pressed,
    # in the address and on the page. Streamlit's widget tabs, used before, showed the first (2 runs of 6).
    open_predict(app_server, page)
    source_button(page, "Draw").focus()
    for _ in range(2):  # no wait between the two: the first choice's rerun is still running
        page.keyboard.press("ArrowRight")
        page.keyboard.press("Space")
    wait_for_app(page)
    expect(source_button(page, "Test image")).to_be_checked()
    expect(page).to_have_url(re.compile(r"predict_source=%F0%9F%8E%B2\+Test\+image"))
    expect(page.get_by_role("button", name="Another test image")).to_be_visible()
    expect(source_button(page, "Upload")).not_to_be_checked()
    # must NOT happen: the uploader of the first choice left on the page
    expect(page.get_by_test_id("stFileUploader")).to_have_count(0)


def test_upload_a_good_photo_then_bad_files(app_server, page, tiny_model, dataset):
    open_predict(app_server, page)
    source_button(page, "Upload").click()
    uploader = page.get_by_test_id("stFileUploaderDropzoneInput")
    expect(uploader).to_have_count(1)
    prediction = page.locator(f".st-key-prediction-{SHIPPED_MODEL}")

    photo = preprocess.render_as_photo(dataset.x_test[0])  # an ankle boot, 10x, dark on white, JPEG
    uploader.set_input_files(files=[{"name": "boot.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    expect(prediction).to_be_visible(timeout=60_000)
    expect(page.get_by_text("JPEG, 364×364, RGB · dark on light, so inverted")).to_be_visible()
    expect(page.get_by_text("Background removed", exact=True)).to_be_visible()

    text = b"Shopping list:\n- 2 T-shirts\n- 1 pair of sneakers\n"
    uploader.set_input_files(files=[{"name": "notes.png", "mimeType": "image/png", "buffer": text}])
    error = page.get_by_text("This file holds text, not an image")
    expect(error).to_be_visible(timeout=60_000)
    expect(prediction).to_have_count(0)

    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28"><rect width="9" height="9"/></svg>'
    uploader.set_input_files(files=[{"name": "logo.svg", "mimeType": "image/svg+xml", "buffer": svg}])
    expect(page.get_by_text("SVG is a vector drawing, not pixels: export it as PNG first.")).to_be_visible()
    expect(error).to_have_count(0)
    # must NOT happen: a traceback, or predictions for a file that isn't an image
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(prediction).to_have_count(0)


def test_a_picture_of_no_garment_is_called_out_in_words(app_server, page, tiny_model, dataset):
    import io

    import skimage.data
    from PIL import Image

    from core.predict import novelty, photo_set

    open_predict(app_server, page)
    source_button(page, "Upload").click()
    uploader = page.get_by_test_id("stFileUploaderDropzoneInput")
    prediction = page.locator(".st-key-prediction-cnn_quick")  # a shipped model: every visitor asks those
    doubt = page.get_by_text(novelty.NOT_CLOTHING)
    guesses = page.get_by_text("What the models guess anyway")
    rng = np.random.default_rng(7)

    # a photo nobody here made: scikit-image's cup of coffee
    coffee = io.BytesIO()
    Image.fromarray(skimage.data.coffee()).save(coffee, "JPEG")
    uploader.set_input_files(files=[{"name": "coffee.jpg", "mimeType": "image/jpeg", "buffer": coffee.getvalue()}])
    expect(doubt).to_be_visible(timeout=60_000)  # said first, in plain words
    expect(page.get_by_text("The models know only ten kinds of clothing")).to_be_visible()
    expect(page.locator(".st-key-lead-answer")).to_have_count(0)  # no answer to trust
    expect(prediction).to_be_hidden()  # the guesses are folded away, one click from view
    guesses.click()
    expect(prediction).to_be_visible()

    noise = photo_set.not_garment("noise", rng)
    uploader.set_input_files(files=[{"name": "static.jpg", "mimeType": "image/jpeg", "buffer": noise}])
    expect(page.get_by_text("grainy or textured")).to_be_visible(timeout=60_000)
    expect(doubt).to_be_visible()

    boot = photo_set.garment_photo(dataset.x_test[0], rng, "colour")  # a tinted boot on a pastel gradient
    uploader.set_input_files(files=[{"name": "boot.jpg", "mimeType": "image/jpeg", "buffer": boot}])
    expect(page.get_by_text("Object found", exact=True)).to_be_visible(timeout=60_000)
    expect(prediction).to_be_visible()
    expect(page.locator(".st-key-lead-answer")).to_be_visible()
    # must NOT happen: a garment photo called "not a garment", a traceback, an error box
    expect(doubt).to_have_count(0)
    expect(page.get_by_text("The models know only ten kinds of clothing")).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
