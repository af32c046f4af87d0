"""The Train page with the Ray backend switched on: the same clicks train a tiny model on the session's local
Ray cluster, the page says where it runs, and the model comes back and is saved on the app server."""

import re

import pytest
from playwright.sync_api import expect

from core.models import store
from tests.e2e.conftest import serving, wait_for_app

pytestmark = [pytest.mark.e2e, pytest.mark.ray]


@pytest.fixture(scope="module")
def ray_app_server(ray_backend, runs_dir):
    env = {"FASHION_STUDIO_RUNS_DIR": str(runs_dir), "FASHION_STUDIO_RAY_ADDRESS": ray_backend.cluster_address}
    with serving(env, log_name="server-ray") as server:
        yield server


def test_train_tiny_model_on_the_ray_cluster(ray_app_server, page, runs_dir):
    page.goto(f"{ray_app_server.url}/train")
    wait_for_app(page)
    page.get_by_role("spinbutton", name="Epochs").fill("3")
    examples = page.get_by_role("slider", name="Training examples")
    examples.focus()
    examples.press("Home")  # the smallest subset: 1,000 examples
    expect(examples).to_have_attribute("aria-valuetext", "1000")
    page.get_by_role("textbox", name="Model name").fill("e2e-ray")
    page.get_by_role("button", name="Start training").click()

    # while it is sent and trains: Stop is offered (the status line's "on Ray node …" lasts only a second or two
    # for so tiny a run, too short to assert on without a race; the saved message below says it for good)
    expect(page.get_by_role("button", name="Stop training")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Run: e2e-ray")).to_be_visible()
    # at the end: the test accuracy, the saved model, and the node that trained it
    expect(page.get_by_text(re.compile(r"Test accuracy \d+\.\d+% on the"))).to_be_visible(timeout=180_000)
    expect(page.get_by_text("Saved as e2e-ray; trained on Ray node")).to_be_visible()
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(2)  # the loss and the accuracy panel
    # must NOT happen: an exception, a failure message (a cluster it could not reach, a dead worker)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_text("Training failed")).to_have_count(0)
    saved = store.find("e2e-ray", [runs_dir])
    assert saved.ok and saved.meta.epochs_run == 3 and saved.meta.notes["backend"] == "ray"
    assert saved.meta.owner  # the browser's identity survived the round trip through the cluster
