"""Training in the browser, the server's half: the plan TensorFlow.js builds from, the data it gets, the reports it
sends, and the weights it returns (checked, evaluated here, saved as an ordinary run)."""

from __future__ import annotations

import base64
import gzip
import struct

import numpy as np
import pytest

from core.models import store, zoo
from core.training import browser, fair_queue, jobs


def encoded(arrays: list[list[np.ndarray]]) -> dict:
    return {
        "weights": [
            [{"shape": list(a.shape), "data": base64.b64encode(a.astype("<f4").tobytes()).decode()} for a in layer]
            for layer in arrays
        ]
    }


def weights_of(model) -> list[list[np.ndarray]]:
    return [layer.get_weights() for layer in model.layers if layer.weights]


@pytest.mark.parametrize("key", [key for key in zoo.ZOO if key != "studio_cnn"])
def test_every_notebook_architecture_has_a_plan_with_the_zoo_models_parameter_count(key):
    spec = zoo.get_spec(key)
    planned = browser.plan(spec, spec.defaults)
    model = zoo.build(spec, spec.defaults)
    assert planned["params"] == model.count_params()
    assert (
        sum(sum(int(np.prod(shape)) for shape in layer["weights"]) for layer in planned["layers"]) == planned["params"]
    )
    assert [layer["weights"] for layer in planned["layers"]] == [
        [list(weight.shape) for weight in layer.weights] for layer in model.layers
    ]
    assert planned["layers"][-1] == {**planned["layers"][-1], "kind": "dense", "units": 10, "activation": "softmax"}


def test_a_run_the_browser_cannot_train_says_why_and_switching_augmentation_off_makes_it_possible():
    studio = zoo.get_spec("studio_cnn")
    reason = browser.refusal_reason(studio, studio.defaults)
    assert reason and "RandomTranslation" in reason and "augmentation off" in reason
    with pytest.raises(browser.BrowserRefusal):
        browser.BrowserJob(studio, studio.defaults, "no")
    assert browser.refusal_reason(studio, zoo.with_overrides(studio, augment=False)) is None
    flips = zoo.get_spec("mlp_256_128_64_bn")  # notebook 001's MLP: flips only, which the browser does too
    assert [layer["kind"] for layer in browser.plan(flips, flips.defaults)["layers"]][:3] == [
        "rescaling",
        "reshape",
        "random_flip",
    ]


def test_the_training_data_is_exactly_the_server_runs_split(dataset):
    hp = zoo.with_overrides(zoo.get_spec("mlp_128"), subset=2000, validation_split=0.2, seed=5)
    body = gzip.decompress(browser.compressed_training_data(dataset, 2000, 0.2, 5))
    assert body[:4] == browser.DATA_MAGIC
    n_train, n_val = struct.unpack("<II", body[4:12])
    x_train, y_train, x_val, y_val = jobs.prepare_data(dataset, hp)
    assert (n_train, n_val) == (1600, 400)
    pixels = 28 * 28
    at = 12
    for part in (x_train, y_train, x_val, y_val):
        size = part.size
        np.testing.assert_array_equal(np.frombuffer(body[at : at + size], np.uint8).reshape(part.shape), part)
        at += size
    assert at == len(body) and len(body) == 12 + 2000 * (pixels + 1)
    with pytest.raises(ValueError):
        browser.training_data(dataset, 5, 0.1, 1)  # under the smallest subset


def test_weights_that_do_not_fit_are_refused_with_the_reason():
    spec = zoo.get_spec("mlp_128")
    model = zoo.build(spec, spec.defaults)
    good = weights_of(model)
    assert [a.shape for layer in browser.read_weights(model, encoded(good)) for a in layer] == [
        a.shape for layer in good for a in layer
    ]
    wrong_shape = [[good[0][0][:-1], good[0][1]], good[1]]
    with_nan = [[np.where(good[0][0] == good[0][0][0, 0], np.nan, good[0][0]), good[0][1]], good[1]]
    cases = {
        "shape": encoded(wrong_shape),
        "numbers": encoded(with_nan),
        "layers with weights": encoded(good[:1]),
        "missing": {"no": "weights"},
    }
    for said, payload in cases.items():
        with pytest.raises(browser.BrowserRefusal, match=said):
            browser.read_weights(model, payload)
    bad_base64 = encoded(good)
    bad_base64["weights"][1][1]["data"] = "not base64!"
    with pytest.raises(browser.BrowserRefusal, match="base64"):
        browser.read_weights(model, bad_base64)
    short = encoded(good)
    short["weights"][1][1]["data"] = base64.b64encode(b"\0" * 8).decode()
    with pytest.raises(browser.BrowserRefusal, match="bytes"):
        browser.read_weights(model, short)


def browser_run(tmp_path, owner="learner", **overrides) -> browser.BrowserJob:
    spec = zoo.get_spec("mlp_128")
    hp = zoo.with_overrides(spec, epochs=1, subset=1000, **overrides)
    return browser.BrowserJob(spec, hp, "in-browser", root=tmp_path, owner=owner)


def test_a_browser_run_reports_saves_its_weights_evaluated_here_and_is_listed_like_any_run(dataset, tmp_path):
    queue = fair_queue.TrainingQueue(max_concurrent=1)
    job = queue.track(browser_run(tmp_path))
    assert queue.active_job_of("learner") is job and not queue.busy()  # listed, holding no slot
    with pytest.raises(fair_queue.QueueError, match="already have a run"):
        queue.track(browser_run(tmp_path))
    assert not job.report([{"kind": "begin", "batches_per_epoch": 29, "backend": "wasm", "params": 101_770}])
    assert (
        job.report([{"kind": "epoch_begin", "epoch": 1}, {"kind": "batch", "batch": 5, "logs": {"loss": 2.0}}]) is False
    )
    job.report([{"kind": "epoch", "epoch": 1, "logs": {"loss": 1.0, "accuracy": 0.6, "val_loss": 0.9}}])
    progress = job.snapshot()
    assert (progress.state, progress.batch, progress.where) == (jobs.RUNNING, 5, "a browser (TensorFlow.js, wasm)")

    # the weights of a model trained here stand in for the browser's: the server must score them itself
    spec = zoo.get_spec("mlp_128")
    trained = zoo.compile_model(zoo.build(spec, job.hp), job.hp)
    x_train, y_train, _, _ = jobs.prepare_data(dataset, job.hp)
    trained.fit(x_train, y_train, epochs=1, verbose=0)
    done = job.finish(encoded(weights_of(trained)), dataset)
    saved = store.find(done.model_id, [tmp_path])
    expected = float(np.mean(store.predict_probabilities(trained, dataset.x_test).argmax(1) == dataset.y_test))
    assert done.state == jobs.DONE and saved.meta.test_accuracy == pytest.approx(expected)
    assert saved.meta.where == "a browser (TensorFlow.js, wasm)" and saved.meta.owner == "learner"
    assert saved.meta.history["val_loss"] == [0.9]  # the curves it reported are drawn; the score is the server's
    with pytest.raises(browser.BrowserRefusal, match="over"):
        job.finish(encoded(weights_of(trained)), dataset)  # once saved, never again


def test_refused_weights_save_nothing_and_stop_ends_a_run_at_once(dataset, tmp_path):
    job = browser_run(tmp_path)
    job.report([{"kind": "begin", "batches_per_epoch": 29, "backend": "cpu", "params": 101_770}])
    model = zoo.build(job.spec, job.hp)
    broken = weights_of(model)
    broken[1][0] = np.full_like(broken[1][0], np.inf)
    with pytest.raises(browser.BrowserRefusal, match="not numbers"):
        job.finish(encoded(broken), dataset)
    assert list(tmp_path.iterdir()) == [] and job.state == jobs.RUNNING
    job.request_stop()  # Stop on the page or the teacher's: over now, even if the tab never reports again
    assert job.state == jobs.STOPPED
    assert job.report([{"kind": "batch", "batch": 1, "logs": {}}]) is True  # the browser learns to stop


def test_nonsense_reports_are_refused_and_a_silent_browser_ends_its_run(tmp_path, monkeypatch):
    job = browser_run(tmp_path)
    with pytest.raises(browser.BrowserRefusal, match="parameters"):
        job.report([{"kind": "begin", "batches_per_epoch": 29, "backend": "webgl", "params": 7}])
    assert job.state == jobs.PREPARING  # never "queued": it holds no place in the server's line
    twelve = [[3, 0.5]] * 12
    job.report([{"kind": "watch", "watch": twelve}])
    assert job.snapshot().watch == ((3, 0.5),) * 12
    for event in (
        {"kind": "epoch_begin", "epoch": 99},
        {"kind": "fly"},
        {"kind": "batch", "batch": float("nan")},
        {"kind": "watch", "watch": [[11, 0.5]] * 12},
        {"kind": "watch", "watch": [[3, 0.5]] * 5},
        {"kind": "watch", "watch": ["no"] * 12},
    ):
        with pytest.raises(browser.BrowserRefusal):
            job.report([event])
    monkeypatch.setattr(browser, "SILENCE_SECONDS", 0.0)
    assert job.snapshot().state == jobs.FAILED and "stopped reporting" in job.snapshot().message


def test_the_default_place_is_the_servers_setting(monkeypatch):
    monkeypatch.delenv(browser.ENV_TRAIN_IN, raising=False)
    assert browser.default_place(queue_busy=True) == browser.SERVER
    monkeypatch.setenv(browser.ENV_TRAIN_IN, "browser")
    assert browser.default_place(queue_busy=False) == browser.BROWSER
    monkeypatch.setenv(browser.ENV_TRAIN_IN, "auto")
    assert (browser.default_place(queue_busy=True), browser.default_place(queue_busy=False)) == (
        browser.BROWSER,
        browser.SERVER,
    )
