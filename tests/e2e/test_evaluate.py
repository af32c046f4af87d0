"""The Evaluate page in a real browser: click a confusion-matrix cell, see exactly its images."""

import numpy as np
import pytest
from playwright.sync_api import expect

from core.data import CLASS_NAMES
from core.models import store
from core.understand import evaluation as ev
from tests.e2e.conftest import wait_for_app
from ui.shared.models import GALLERY_LIMIT

pytestmark = pytest.mark.e2e


def _cell_to_click(evaluation: ev.Evaluation) -> tuple[int, int, int]:
    """The biggest off-diagonal cell whose images all fit in the gallery: (true, predicted, count)."""
    errors = evaluation.confusion.copy()
    np.fill_diagonal(errors, 0)
    errors[errors > GALLERY_LIMIT] = 0
    true, predicted = np.unravel_index(int(errors.argmax()), errors.shape)
    assert errors[true, predicted] > 0, "the tiny model should make some mistakes"
    return int(true), int(predicted), int(errors[true, predicted])


def test_clicking_a_cell_shows_exactly_its_images(app_server, page, tiny_model, dataset):
    evaluation = ev.Evaluation(
        tiny_model.model_id, dataset.y_test, store.load_probabilities(tiny_model), ev.FROM_CACHE, 0.0
    )
    true, predicted, count = _cell_to_click(evaluation)
    most_confident = int(evaluation.cell(true, predicted)["index"].iloc[0])

    page.goto(f"{app_server.url}/evaluate?model={tiny_model.model_id}")
    # The first visit imports TensorFlow and loads the dataset: allow for a cold server.
    expect(page.get_by_role("heading", name="Evaluate a model")).to_be_visible(timeout=120_000)
    wait_for_app(page)
    gallery = page.locator(".st-key-cell-gallery")
    expect(gallery.get_by_text("Click any cell")).to_be_visible(timeout=60_000)

    # The heatmap is an SVG inside the Vega-Lite element; its rect marks tile a 10x10 grid.
    chart = page.get_by_test_id("stVegaLiteChart").first
    grid = chart.locator("g.mark-rect").first
    expect(grid).to_be_visible(timeout=30_000)  # Vega renders after the script has finished
    box = grid.bounding_box()
    page.mouse.click(
        box["x"] + (predicted + 0.5) * box["width"] / len(CLASS_NAMES),
        box["y"] + (true + 0.5) * box["height"] / len(CLASS_NAMES),
    )

    header = gallery.get_by_role("heading")
    expect(header).to_have_text(f"True {CLASS_NAMES[true]} · predicted {CLASS_NAMES[predicted]}", timeout=30_000)
    wait_for_app(page)
    thumbnails = gallery.get_by_test_id("stImage").locator("img")
    expect(thumbnails).to_have_count(count, timeout=30_000)
    expect(gallery.get_by_text(f"{count:,} image(s), most confident first.")).to_be_visible()
    expect(gallery.get_by_test_id("stImageCaption").first).to_contain_text(f"#{most_confident}")
    expect(thumbnails.first).to_have_js_property("naturalWidth", 84)  # real pixels, 3x nearest-neighbour

    # must NOT happen: an exception, an error box, or the gallery of any other cell
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    expect(gallery.get_by_text("Click any cell")).to_have_count(0)
