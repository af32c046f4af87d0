"""The home page in a real browser: real samples render, no exception, no missing-data page."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e


def test_home_renders_real_samples(app_server, page):
    page.goto(app_server.url)
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Samples of each class")).to_be_visible()
    # 10 classes x 10 samples plus 10 mean images, all real <img> elements with pixels
    images = page.get_by_test_id("stImage").locator("img")
    expect(images).to_have_count(110)
    # the first image has real pixels once the browser has decoded it (slow on a busy 2-core box)
    page.wait_for_function("() => document.querySelector('[data-testid=stImage] img')?.naturalWidth > 0")
    expect(page.get_by_text("Debian package dataset-fashion-mnist")).to_be_visible()
    # must NOT happen: an exception box or the missing-dataset page
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_text("dataset not found")).to_have_count(0)
