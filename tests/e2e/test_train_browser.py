"""Training in the browser, in headless Chromium against the real server: TensorFlow.js trains in the page, the
server follows, stops, refuses bad weights, and evaluates and saves what comes back."""

from __future__ import annotations

import re
from urllib.parse import quote, urlparse

import numpy as np
import pytest
from playwright.sync_api import expect

from core.models import store
from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e

IN_THIS_BROWSER = "💻 In this browser"
TRAINS_HERE = re.compile(r"on a browser \(TensorFlow\.js, (webgl|wasm|cpu)\)")


def open_train(page, url: str, name: str, epochs: int) -> None:
    page.goto(f"{url}/train?examples=2000&epochs={epochs}&name={name}&where={quote(IN_THIS_BROWSER)}")
    wait_for_app(page)
    expect(page.get_by_role("radio", name="In this browser")).to_be_checked()
    expect(page.get_by_text("Keep this tab open: a reload or closing it ends the run.")).to_be_visible()


def app_root(page) -> str:
    """The app's base path in the page's address ("/studio" on the shared server): the routes live under it."""
    return urlparse(page.url).path.rsplit("/", 1)[0]


def post_weights(page, run_id: str, weights) -> dict:
    """POST weights to a run's route from inside the page (the page's own cookie): status and answer."""
    return page.evaluate(
        """async ([root, runId, weights]) => {
            const response = await fetch(`${root}/browser/runs/${runId}/weights`, {
                method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({weights}),
            });
            return {status: response.status, answer: await response.json()};
        }""",
        [app_root(page), run_id, weights],
    )


NAN_WEIGHTS_OF_THE_PLAN = """async ([root, runId]) => {
    const plan = await (await fetch(`${root}/browser/runs/${runId}/plan`)).json();
    const nan = (shape) => {
        const floats = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(NaN);
        const bytes = new Uint8Array(floats.buffer);
        let text = "";
        for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
        return {shape, data: btoa(text)};
    };
    return plan.layers.filter((layer) => layer.weights.length).map((layer) => layer.weights.map(nan));
}"""


def run_id_of(page) -> str:
    return re.search(r"[?&]run=([0-9a-f]{32})", page.url).group(1)


def test_a_browser_run_is_saved_with_the_servers_test_accuracy_and_the_class_sees_it(
    app_server, page, browser, runs_dir, dataset
):
    open_train(page, app_server.url, "e2e-in-browser", epochs=1)
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_text(re.compile(r"Test accuracy \d+\.\d+% on the 10,000 test images"))).to_be_visible(
        timeout=180_000
    )
    expect(
        page.get_by_text("Trained in your browser, evaluated on this server, saved as e2e-in-browser")
    ).to_be_visible()
    expect(page.get_by_text(TRAINS_HERE)).to_be_visible()  # the finished run's progress line says where it trained
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(2)  # its loss and accuracy, as a server run's
    shown = float(
        re.search(r"Test accuracy (\d+\.\d+)%", page.get_by_text(re.compile(r"^Test accuracy \d")).inner_text()).group(
            1
        )
    )

    saved = store.find("e2e-in-browser", [runs_dir])
    assert saved.ok and TRAINS_HERE.search(f"on {saved.meta.where}")
    assert saved.meta.hyperparameters["subset"] == 2000 and saved.meta.epochs_run == 1
    model = store.load_model(saved)
    measured = float(np.mean(store.predict_probabilities(model, dataset.x_test).argmax(1) == dataset.y_test))
    assert measured == pytest.approx(saved.meta.test_accuracy) and shown == pytest.approx(100 * measured, abs=0.005)
    assert measured > 0.6  # one epoch on 2,000 images learns (chance is 10%)

    # another browser: the run is the class's (Evaluate lists it), not its own, and it cannot post to it
    other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    other.goto(f"{app_server.url}/evaluate?model=e2e-in-browser")
    wait_for_app(other)
    expect(other.get_by_role("combobox", name="Model")).to_have_value(re.compile(r"e2e-in-browser .*in a browser"))
    other.goto(f"{app_server.url}/train")
    wait_for_app(other)
    expect(other.get_by_text("e2e-in-browser")).to_have_count(0)  # not among "Your saved runs"
    assert post_weights(other, run_id_of(page), [])["status"] == 404
    other.context.close()
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_a_browser_run_shows_live_progress_refuses_bad_weights_stops_and_ends_on_reload(app_server, page, runs_dir):
    open_train(page, app_server.url, "e2e-browser-stop", epochs=200)
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_role("button", name="Stop training")).to_be_visible(timeout=60_000)
    expect(page.get_by_text(re.compile(r"Epoch \d+/200 · batch \d+/57"))).to_be_visible(timeout=60_000)
    expect(page.get_by_text(TRAINS_HERE)).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile(r"Training here with TensorFlow\.js 4\.22\.0 on the"))).to_be_visible(
        timeout=30_000
    )
    run_id = run_id_of(page)

    wrong_shapes = post_weights(page, run_id, [[{"shape": [3, 3], "data": ""}]])
    assert wrong_shapes["status"] == 400 and "layers with weights" in wrong_shapes["answer"]["error"]
    nan = post_weights(page, run_id, page.evaluate(NAN_WEIGHTS_OF_THE_PLAN, [app_root(page), run_id]))
    assert nan["status"] == 400 and "not numbers" in nan["answer"]["error"]
    expect(page.get_by_role("button", name="Stop training")).to_be_visible()  # refused weights end nothing

    page.get_by_role("button", name="Stop training").click()
    expect(page.get_by_text("Stopped; nothing was saved.")).to_be_visible(timeout=30_000)  # a loaded CI machine
    assert not (runs_dir / "e2e-browser-stop").exists()

    page.get_by_role("button", name="Start training").click()  # again, then the tab is reloaded mid-run
    expect(page.get_by_role("button", name="Stop training")).to_be_visible(timeout=60_000)
    expect(page.get_by_text(TRAINS_HERE)).to_be_visible(timeout=60_000)
    page.reload()
    expect(page.get_by_text(re.compile("closed or reloaded, so the run ended; nothing was saved"))).to_be_visible(
        timeout=30_000
    )
    expect(page.get_by_role("button", name="Stop training")).to_have_count(0)
    assert not any(path.name.startswith("e2e-browser-stop") for path in runs_dir.iterdir())
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_the_apps_own_routes_answer_under_its_base_path(app_server, page):
    """Served at /studio/ (server.baseUrlPath), TensorFlow.js is the script itself there, not the app's HTML page."""
    assert urlparse(app_server.url).path == "/studio"
    script = page.request.get(f"{app_server.url}/browser/tfjs/tf.min.js")
    assert script.ok and script.headers["content-type"].startswith("text/javascript")
    assert b"<html" not in script.body()[:2000].lower()  # must NOT happen: the page's HTML answering for the script
    root = app_server.url.rsplit("/studio", 1)[0]
    assert page.request.get(f"{root}/browser/tfjs/tf.min.js").status == 404  # nothing at the root when under a path
