"""Photos as people take them, on Predict in a real browser: a garment on paper on a table (two background tones),
a wrong automatic crop put right by a box dragged with the mouse, the camera (Chromium's fake camera playing a
garment picture), and an iPhone's HEIC file. The photos are made at test time (tests/photo_scenes.py)."""

from __future__ import annotations

import re
from urllib.parse import quote_plus

import pytest
from playwright.sync_api import Page, expect

from core.predict import preprocess
from harness.chromium import CHROMIUM, CHROMIUM_ARGS
from tests import photo_scenes
from tests.e2e.conftest import OUTPUT_DIR, wait_for_app

pytestmark = pytest.mark.e2e

DRESS, TROUSERS = 13, 2  # Fashion-MNIST test images (the lead model reads both right as 28x28 images)
SHIPPED_MODEL = "mlp_128"  # every visitor asks the shipped models: its answer shows that the models have answered


def open_predict(app_server, page: Page, source: str) -> None:
    """Predict with its "Image from" row on ``source`` (the choice is in the address)."""
    page.goto(f"{app_server.url}/predict?predict_source={quote_plus(source)}")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Predict")).to_be_visible()


def upload(page: Page, name: str, data: bytes, mime: str) -> None:
    uploader = page.get_by_test_id("stFileUploaderDropzoneInput")
    uploader.set_input_files(files=[{"name": name, "mimeType": mime, "buffer": data}])


def lead(page: Page):
    """The answer to trust: "### Trouser · 97%" (absent when the picture is called no garment)."""
    return page.locator(".st-key-lead-answer h3")


def no_failure(page: Page) -> None:
    """Must NOT happen on any of these pages: a traceback or an error box."""
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)


def test_a_garment_on_paper_on_a_table_gets_the_right_answer(app_server, page, dataset):
    open_predict(app_server, page, "📁 Upload")
    upload(page, "dress.jpg", photo_scenes.two_tone_photo(dataset.x_test[DRESS]), "image/jpeg")
    expect(lead(page)).to_contain_text(re.compile(r"^Dress · "), timeout=60_000)
    no_failure(page)


def test_a_wrong_automatic_crop_is_put_right_by_a_dragged_box(app_server, page, dataset):
    open_predict(app_server, page, "📁 Upload")
    upload(page, "desk.jpg", photo_scenes.cluttered_photo(dataset.x_test[TROUSERS]), "image/jpeg")
    expect(page.locator(f".st-key-prediction-{SHIPPED_MODEL}")).to_be_attached(timeout=60_000)
    automatic = lead(page).all_inner_texts()  # none (no garment) or the wrong one: the black box is bigger
    assert not any(answer.startswith("Trouser") for answer in automatic), automatic

    page.locator(".st-key-predict_upload_crop_toggle").get_by_text("Crop by hand").click()
    canvas = page.locator('[class*="st-key-predict_upload_crop_canvas_"] canvas.upper-canvas')
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    assert box is not None and round(box["width"]) == 280 and round(box["height"]) == 210  # 640x480, fitted
    left, top, right, bottom = (0.52, 0.18, 0.94, 0.76)  # around the trousers, clear of the black box
    page.mouse.move(box["x"] + left * box["width"], box["y"] + top * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + right * box["width"], box["y"] + bottom * box["height"], steps=8)
    page.mouse.up()

    expect(lead(page)).to_contain_text(re.compile(r"^Trouser · "), timeout=60_000)
    # the keyboard's sliders show the same box
    across = page.locator(".st-key-predict_upload_crop_across").get_by_role("slider")
    expect(across.first).to_have_value("52")
    expect(across.last).to_have_value("94")
    no_failure(page)  # the reset and a box too small: tests/app/test_predict_page.py


def test_the_camera_choice_with_a_fake_camera_gives_an_answer(app_server, browser, dataset, tmp_path):
    video = photo_scenes.camera_video(preprocess.render_as_photo(dataset.x_test[TROUSERS]), tmp_path / "garment.y4m")
    camera_args = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",  # the permission prompt answered yes
        f"--use-file-for-fake-video-capture={video}",
    ]
    # the camera's flags are the browser's own: a second Chromium, beside the session's
    with_camera = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + camera_args)
    try:
        context = with_camera.new_context(viewport={"width": 1400, "height": 1000}, permissions=["camera"])
        page = context.new_page()
        page.set_default_timeout(30_000)
        open_predict(app_server, page, "📷 Camera")
        expect(page.get_by_text("lay the garment flat on a plain surface")).to_be_visible()
        # the fake camera's stream must be playing before the photo is taken (a click before it captures nothing)
        page.wait_for_function("() => { const v = document.querySelector('video'); return v && v.videoWidth > 0 }")
        expect(page.get_by_role("button", name="Take Photo")).to_be_enabled()
        page.get_by_role("button", name="Take Photo").click()
        expect(lead(page)).to_contain_text(re.compile(r"^Trouser · "), timeout=60_000)
        expect(page.locator(".st-key-predict_camera_crop_toggle")).to_be_visible()
        no_failure(page)
    finally:
        OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=OUTPUT_DIR / "test_the_camera_choice_with_a_fake_camera_gives_an_answer.png", full_page=True
        )
        with_camera.close()


def test_an_iphone_heic_photo_is_accepted(app_server, page, dataset):
    open_predict(app_server, page, "📁 Upload")
    photo = photo_scenes.heic(preprocess.render_as_photo(dataset.x_test[TROUSERS]))
    upload(page, "IMG_0001.HEIC", photo, "image/heic")
    expect(lead(page)).to_contain_text(re.compile(r"^Trouser · "), timeout=60_000)
    expect(page.get_by_text(re.compile(r"^HEI[CF], 364×364"))).to_be_visible()
    # must NOT happen: the old refusal ("export it as JPEG first")
    expect(page.get_by_text("export it as JPEG first")).to_have_count(0)
    no_failure(page)
