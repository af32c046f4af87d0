"""Bring your own model in a real browser: a notebook's .h5 uploaded becomes this browser's run on Evaluate
and Compare, and no other browser's; its bundle downloaded, the run deleted, the bundle uploaded: it is back."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import REPO_ROOT
from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e

NOTEBOOK_MODEL = REPO_ROOT / "tests" / "fixtures" / "keras2" / "keras2-mlp-004.h5"
MODEL_ID = "e2e-notebook-004"


def upload(page: Page, key: str, name: str, buffer: bytes) -> None:
    page.locator(f".st-key-{key}").get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": name, "mimeType": "application/octet-stream", "buffer": buffer}]
    )
    expect(page.get_by_role("button", name=f"Remove {name}")).to_be_visible()  # the upload reached the server


def leaderboard_row(page: Page):
    board = page.get_by_test_id("stDataFrame").first
    return board.locator("tr").filter(has=page.get_by_text(MODEL_ID, exact=True))


def test_a_notebook_model_becomes_mine_and_its_bundle_brings_it_back(app_server, page, browser, tmp_path):
    page.goto(f"{app_server.url}/bring")
    expect(page.get_by_role("heading", name="Bring your own model")).to_be_visible(timeout=120_000)
    wait_for_app(page)
    upload(page, "bring-model-file", NOTEBOOK_MODEL.name, NOTEBOOK_MODEL.read_bytes())
    page.get_by_label("Name (optional)").fill(MODEL_ID)
    page.get_by_role("button", name="Import the model").click()
    result = page.locator(".st-key-bring-result")
    expect(result.get_by_text(f"Imported {MODEL_ID}")).to_be_visible(timeout=120_000)
    expect(result.get_by_test_id("stMetric").filter(has_text="Pixels")).to_contain_text("0-1")
    expect(result.get_by_test_id("stMetric").filter(has_text="Input")).to_contain_text("28 × 28")
    # must NOT happen: a refusal or an exception
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)

    result.get_by_role("link", name="Evaluate it").click()
    expect(page.get_by_role("heading", name="Evaluate a model")).to_be_visible(timeout=120_000)
    expect(page.get_by_role("combobox", name="Model")).to_have_value(re.compile(rf"^{MODEL_ID} · "), timeout=120_000)
    expect(page.get_by_test_id("stMetric").filter(has_text="Test accuracy").first).to_be_visible(timeout=120_000)

    page.goto(f"{app_server.url}/compare")
    expect(page.get_by_role("heading", name="Leaderboard")).to_be_visible(timeout=180_000)
    wait_for_app(page)
    expect(leaderboard_row(page)).to_have_count(1, timeout=30_000)  # shown by default: mine
    expect(leaderboard_row(page)).to_contain_text("mine")

    # must NOT happen: another browser seeing it among its own
    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        stranger = other.new_page()
        stranger.goto(f"{app_server.url}/compare")
        expect(stranger.get_by_role("heading", name="Leaderboard")).to_be_visible(timeout=180_000)
        wait_for_app(stranger)
        expect(stranger.get_by_test_id("stDataFrame").first).to_be_visible()
        expect(leaderboard_row(stranger)).to_have_count(0)
    finally:
        other.close()

    # download its bundle, delete the run, upload the bundle: it is back
    page.goto(f"{app_server.url}/bring")
    wait_for_app(page)
    page.get_by_text(re.compile(r"^Your saved runs")).click()
    row = page.locator(f".st-key-mine-{MODEL_ID}")
    with page.expect_download() as download:
        row.get_by_role("button", name="Download").click()
    bundle = tmp_path / "bundle.zip"
    download.value.save_as(bundle)
    assert download.value.suggested_filename == f"{MODEL_ID}.zip"
    row.get_by_role("button", name="Delete").click()
    expect(row).to_have_count(0)
    upload(page, "bring-bundle-file", f"{MODEL_ID}.zip", bundle.read_bytes())
    page.get_by_role("button", name="Bring the run back").click()
    expect(page.get_by_text(f"{MODEL_ID} is back among your runs")).to_be_visible(timeout=60_000)
    expect(page.locator(f".st-key-mine-{MODEL_ID}")).to_be_attached()
