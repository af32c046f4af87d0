"""The whole upload corpus through a real browser, one file after another in one session.

Every bad file gets its one-line message and no predictions; every odd but readable file
gets predictions (and its warning, where it has one); a file type the uploader refuses and
a file over the size limit are stopped by Streamlit itself. Nothing raises, and the
session keeps working: a good photo at the end still gets its answer.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from core.predict import preprocess
from tests.e2e.conftest import source_button, wait_for_app
from tests.unit import bad_inputs

pytestmark = pytest.mark.e2e

# Predict asks the shipped models and this browser's runs: the tiny model (nobody's) is not asked.
SHIPPED_MODEL = "mlp_128"

# What a person would have called each file (the uploader filters by extension).
EXTENSIONS = {"truncated JPEG": "jpg", "SVG": "svg", "PDF": "pdf", "CMYK JPEG": "jpg", "WebP": "webp", "BMP": "bmp"}
EXTENSIONS |= {name: "gif" for name in ("animated GIF", "transparent palette GIF")}
MIME = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp", "bmp": "image/bmp"}
MIME |= {"svg": "image/svg+xml", "pdf": "application/pdf"}


def file_for(name: str, content: bytes) -> dict:
    extension = EXTENSIONS.get(name, "png")
    stem = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return {"name": f"{stem}.{extension}", "mimeType": MIME[extension], "buffer": content}


def open_upload_tab(app_server, page: Page):
    page.goto(f"{app_server.url}/predict")
    wait_for_app(page)
    expect(source_button(page, "Upload")).to_be_visible(timeout=120_000)
    source_button(page, "Upload").click()
    uploader = page.get_by_test_id("stFileUploaderDropzoneInput")
    expect(uploader).to_have_count(1)
    return uploader


def upload(page: Page, uploader, file: dict) -> None:
    uploader.set_input_files(files=[file])
    # The uploader lists the file (with its remove button) once the upload has reached the server.
    expect(page.get_by_role("button", name=f"Remove {file['name']}")).to_be_visible()


def remove(page: Page, file: dict) -> None:
    """Take the file away and wait for the empty page, so the next file's answer can't be this one's."""
    page.get_by_role("button", name=f"Remove {file['name']}").click()
    expect(page.get_by_text("Your image, each preprocessing step, and the predictions will show here.")).to_be_visible()
    wait_for_app(page)


def test_the_upload_corpus_through_the_browser(app_server, page, tiny_model, dataset):
    garment = dataset.x_test[1]  # a pullover
    uploader = open_upload_tab(app_server, page)
    prediction = page.locator(f".st-key-prediction-{SHIPPED_MODEL}")
    errors = page.get_by_test_id("stAlertContentError")

    for name, (build, message) in bad_inputs.BAD.items():
        file = file_for(name, build(garment))
        upload(page, uploader, file)
        expect(errors.filter(has_text=re.compile(message)), name).to_have_count(1)
        # must NOT happen: predictions for a file that isn't a usable image, or a traceback
        expect(prediction, name).to_have_count(0)
        expect(page.get_by_test_id("stException"), name).to_have_count(0)
        remove(page, file)
        expect(errors, name).to_have_count(0)

    for name, (build, warning) in bad_inputs.ODD_BUT_READABLE.items():
        file = file_for(name, build(garment))
        upload(page, uploader, file)
        expect(prediction, name).to_be_visible()
        expect(page.get_by_text("28×28 input", exact=True), name).to_be_visible()
        if warning:
            expect(page.get_by_test_id("stAlertContentWarning").filter(has_text=re.compile(warning))).to_be_visible()
        # must NOT happen: an error, or a traceback
        expect(errors, name).to_have_count(0)
        expect(page.get_by_test_id("stException"), name).to_have_count(0)
        remove(page, file)
        expect(prediction, name).to_have_count(0)


def test_streamlit_refuses_wrong_types_and_huge_files_before_the_app_sees_them(app_server, page, tiny_model, dataset):
    uploader = open_upload_tab(app_server, page)
    prediction = page.locator(f".st-key-prediction-{SHIPPED_MODEL}")
    tiff = bad_inputs.encode(bad_inputs.garment_photo(dataset.x_test[0]), "TIFF")
    uploader.set_input_files(files=[{"name": "scan.tiff", "mimeType": "image/tiff", "buffer": tiff}])
    expect(page.get_by_text(re.compile(r"tiff files are not allowed", re.IGNORECASE))).to_be_visible()

    too_big = b"\x89PNG\r\n\x1a\n" + bytes(11 * 1024 * 1024)  # over server.maxUploadSize (10 MB)
    uploader.set_input_files(files=[{"name": "huge.png", "mimeType": "image/png", "buffer": too_big}])
    expect(page.get_by_text(re.compile(r"File must be 10(\.0)?\s?MB or smaller", re.IGNORECASE))).to_be_visible()
    # must NOT happen: the app ran on either file (no predictions, no error of its own, no traceback)
    expect(prediction).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)

    # and the session still works: a good photo gets its answer
    photo = preprocess.render_as_photo(dataset.x_test[0])
    upload(page, uploader, {"name": "boot.jpg", "mimeType": "image/jpeg", "buffer": photo})
    expect(prediction).to_be_visible(timeout=60_000)
