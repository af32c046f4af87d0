"""The Inside page in a real browser: the embedding map's hover images and box selection."""

import re

import pytest
from playwright.sync_api import expect

from core.predict import preprocess
from tests.e2e.conftest import wait_for_app
from tests.e2e.test_predict import draw

pytestmark = pytest.mark.e2e


def test_the_map_shows_images_on_hover_and_opens_a_boxed_region(app_server, page):
    page.goto(f"{app_server.url}/inside?model=studio_cnn")
    expect(page.get_by_role("heading", name="Inside a network")).to_be_visible(timeout=120_000)
    wait_for_app(page)
    page.get_by_role("tab", name="Embedding map").click()
    chart = page.get_by_role("tabpanel", name="Embedding map").get_by_test_id("stVegaLiteChart")
    canvas = chart.locator("canvas.marks")  # 3,000 dots: Vega draws them on a canvas, not as SVG elements
    expect(canvas).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Drag a box on the map")).to_be_visible()
    box = canvas.bounding_box()

    # hover: sweep the pointer across the map until it is over a dot; its tooltip carries the image
    tooltip_image = page.locator("#vg-tooltip-element img")
    found = False
    for row in range(20, 80, 3):
        for column in range(20, 80, 3):
            page.mouse.move(box["x"] + box["width"] * column / 100, box["y"] + box["height"] * row / 100)
            if tooltip_image.is_visible():
                found = True
                break
        if found:
            break
    assert found, "no dot showed its image on hover"
    expect(page.locator("#vg-tooltip-element")).to_contain_text("test image")

    # a box over the middle of the map opens the images inside it
    left, top = box["x"] + box["width"] * 0.35, box["y"] + box["height"] * 0.35
    page.mouse.move(left, top)
    page.mouse.down()
    page.mouse.move(left + box["width"] * 0.3, top + box["height"] * 0.3, steps=8)
    page.mouse.up()
    expect(page.get_by_text("mistakes first")).to_be_visible(timeout=30_000)
    wait_for_app(page)
    expect(page.get_by_test_id("stImageCaption").filter(has_text="→").first).to_be_visible()

    # must NOT happen: an exception, an error box, or the "drag a box" invitation still there
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    expect(page.get_by_text("Drag a box on the map")).to_have_count(0)


def test_label_mistakes_page_shows_flagged_training_images(app_server, page):
    page.goto(f"{app_server.url}/labels")
    expect(page.get_by_role("heading", name="Label mistakes in the training set")).to_be_visible(timeout=120_000)
    wait_for_app(page)
    expect(page.get_by_text("Showing 36 of")).to_be_visible(timeout=60_000)
    # each caption: the given label with the models' held-out confidence in it, and what they think it is
    sure = r"\((1 in [\d,]+|[\d.]+%|over 99\.9%|none)\)"
    caption = re.compile(rf"^#\d+: labelled .+ {sure}; looks like .+ {sure}$")
    expect(page.get_by_test_id("stImageCaption").first).to_have_text(caption)
    expect(page.get_by_test_id("stImageCaption").last).to_have_text(caption)
    # must NOT happen
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    expect(page.get_by_text("0.000")).to_have_count(0)


def test_a_drawing_goes_through_the_layers(app_server, page):
    page.goto(f"{app_server.url}/inside?model=cnn_shallow")
    expect(page.get_by_role("heading", name="Inside a network")).to_be_visible(timeout=120_000)
    wait_for_app(page)
    page.locator(".st-key-inside_source").get_by_text("Draw").click()
    canvas = page.locator(".st-key-inside_canvas canvas.upper-canvas")
    expect(canvas).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Draw or upload an image")).to_be_visible()
    # trousers: down one leg, across, down the other
    draw(page, canvas, [(80, 30), (145, 30), (150, 210), (120, 210), (112, 90), (104, 210), (74, 210), (80, 30)])
    expect(page.get_by_role("heading", name="Why? (your drawing)")).to_be_visible(timeout=60_000)
    wait_for_app(page)
    expect(page.get_by_text("Grad-CAM: regions of the last convolution")).to_be_visible()
    expect(page.get_by_text("Convolution conv2d_1")).to_be_visible()
    # must NOT happen: an exception or an error box, or the invitation still showing
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    expect(page.get_by_text("Draw or upload an image")).to_have_count(0)


def test_an_upload_goes_through_the_layers_and_a_bad_file_gets_one_line(app_server, page, dataset):
    page.goto(f"{app_server.url}/inside?model=mlp_128")
    expect(page.get_by_role("heading", name="Inside a network")).to_be_visible(timeout=120_000)
    wait_for_app(page)
    page.locator(".st-key-inside_source").get_by_text("Upload").click()
    uploader = page.get_by_test_id("stFileUploaderDropzoneInput")
    expect(uploader).to_have_count(1)

    photo = preprocess.render_as_photo(dataset.x_test[0])  # an ankle boot, enlarged, dark on white, JPEG
    uploader.set_input_files(files=[{"name": "boot.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    why = page.get_by_role("heading", name="Why? (your upload boot.jpg)")
    expect(why).to_be_visible(timeout=60_000)
    expect(page.get_by_text("first dense layer's templates")).to_be_visible()

    text = b"Shopping list:\n- 2 T-shirts\n"
    uploader.set_input_files(files=[{"name": "notes.png", "mimeType": "image/png", "buffer": text}])
    expect(page.get_by_text("This file holds text, not an image")).to_be_visible(timeout=60_000)
    # must NOT happen: a traceback, or a look inside for a file that is not an image
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(why).to_have_count(0)
