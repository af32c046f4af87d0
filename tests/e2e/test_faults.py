"""Faults in a real browser: damaged model folders, a server killed mid-training, a missing dataset.

The servers here are the module's own, on models folders of their own, so the damage they see is
seen by nobody else: damaged copies are listed as broken while every other model keeps working;
a killed run (in training, or in the saving step) is never listed; a missing dataset shows the
fix, never a traceback. The damaged folder's server is also the one killed mid-training (its last
test), and a server restarted on that folder must list none of what the kills left behind.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core import data
from core.models import store, zoo
from tests.e2e.conftest import OUTPUT_DIR, REPO_ROOT, StreamlitServer, serving, source_button, wait_for_app
from ui.shared import identity

pytestmark = pytest.mark.e2e

GOOD = "fault-good"
# each damaged copy of the tiny model, and the words its one-line reason must hold
BROKEN = {
    "fault-truncated": "could not be loaded",  # half of model.keras: the listing passes, loading fails
    "fault-bad-json": "Expecting property name",  # meta.json = "{not json"
    "fault-no-model": "model.keras is missing",
}


# The browser these runs belong to (its cookie token): Predict and Compare start from shipped + mine.
BROWSER = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
# Folders whose meta.json is never read (unreadable, or no model.keras beside it): nobody owns them, so they
# are the class's and not shown by default.
UNOWNED = ("fault-bad-json", "fault-no-model")


def as_this_browser(page: Page, server: StreamlitServer) -> None:
    page.context.add_cookies([{"name": identity.COOKIE, "value": BROWSER, "url": server.url}])


def shipped_ids() -> list[str]:
    return [item.model_id for item in store.list_artifacts([store.SHIPPED_DIR]) if item.ok]


# -- damaged model folders -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def damaged_runs(tiny_model, tmp_path_factory) -> Path:
    """One good copy of the tiny model and three damaged ones, in a models folder of their own."""
    root = tmp_path_factory.mktemp("damaged-runs")
    for name in (GOOD, *BROKEN):
        shutil.copytree(tiny_model.path, root / name)
    model_file = root / "fault-truncated" / store.MODEL_FILE
    model_file.write_bytes(model_file.read_bytes()[: model_file.stat().st_size // 2])
    for name in (GOOD, *BROKEN):  # this browser trained them
        meta = store.ModelMeta.from_json((root / name / store.META_FILE).read_text())
        (root / name / store.META_FILE).write_text(replace(meta, owner=identity.owner_of(BROWSER)).to_json())
    (root / "fault-bad-json" / store.META_FILE).write_text("{not json")
    (root / "fault-no-model" / store.MODEL_FILE).unlink()
    return root


@pytest.fixture(scope="module")
def damaged_server(damaged_runs):
    """Serves the damaged folder until test_a_run_killed_in_training_or_saving_is_never_listed kills it."""
    with serving({store.ENV_RUNS_DIR: str(damaged_runs)}, "faults-damaged") as server:
        yield server


def test_compare_ranks_the_working_models_and_names_the_broken(damaged_server, page):
    shipped = shipped_ids()
    as_this_browser(page, damaged_server)
    page.goto(f"{damaged_server.url}/compare")
    expect(page.get_by_role("heading", name="Compare models")).to_be_visible(timeout=120_000)
    # The first visit loads every model and times it: allow for a cold server.
    expect(page.get_by_role("heading", name="Leaderboard")).to_be_visible(timeout=180_000)
    wait_for_app(page)
    # By default shipped and mine: the folder nobody owns is not even looked at ...
    for model_id in UNOWNED:
        expect(page.get_by_text(model_id)).to_have_count(0)
    page.get_by_role("button", name=re.compile(r"^The class")).click()  # ... until the class's runs are shown
    wait_for_app(page)

    left_out = page.get_by_test_id("stAlertContentWarning").filter(has_text="left out of the leaderboard")
    for model_id, reason in BROKEN.items():
        expect(left_out.get_by_role("listitem").filter(has_text=model_id)).to_contain_text(reason)
    board = page.get_by_test_id("stDataFrame").first
    expect(board.get_by_text(GOOD, exact=True)).to_have_count(1, timeout=30_000)
    for model_id in shipped:  # a shipped model by the name students know (it may show twice: model, architecture)
        expect(board.get_by_text(zoo.arch_name(model_id), exact=True).first).to_be_attached()

    # must NOT happen: a traceback, an error box, a broken model ranked, the good copy called broken
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    for model_id in BROKEN:
        expect(board.get_by_text(model_id, exact=True)).to_have_count(0)
    expect(left_out.get_by_role("listitem").filter(has_text=GOOD)).to_have_count(0)


def test_predict_leaves_the_broken_out_and_predicts_with_the_rest(damaged_server, page):
    shipped = shipped_ids()
    as_this_browser(page, damaged_server)
    page.goto(f"{damaged_server.url}/predict")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Predict")).to_be_visible()
    # A cold server loads TensorFlow and every model once ("Preparing the models…"): the source buttons follow.
    expect(source_button(page, "Test image")).to_be_visible(timeout=120_000)
    left_out = page.get_by_test_id("stAlertContentWarning").filter(has_text="that can't be used")
    mine = {model_id: reason for model_id, reason in BROKEN.items() if model_id not in UNOWNED}
    expect(left_out).to_contain_text(f"Left out {len(mine)} model")
    for model_id, reason in mine.items():
        expect(left_out.get_by_role("listitem").filter(has_text=model_id)).to_contain_text(reason)
    # must NOT happen: a damaged folder nobody owns warns every visitor (it is only offered in the picker)
    for model_id in UNOWNED:
        expect(left_out.get_by_role("listitem").filter(has_text=model_id)).to_have_count(0)

    source_button(page, "Test image").click()
    good = page.locator(f".st-key-prediction-{GOOD}")
    expect(good).to_be_visible(timeout=60_000)
    expect(good.get_by_test_id("stVegaLiteChart")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Test image #[\d,]+, true label"))).to_be_visible()
    for model_id in shipped:
        expect(page.locator(f".st-key-prediction-{model_id}")).to_be_attached()

    # must NOT happen: a traceback, an error box, a prediction from a broken model
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    for model_id in BROKEN:
        expect(page.locator(f".st-key-prediction-{model_id}")).to_have_count(0)


def open_evaluate(page: Page, server: StreamlitServer, model_id: str) -> None:
    page.goto(f"{server.url}/evaluate?model={model_id}")
    # The first visit imports TensorFlow and loads the dataset: allow for a cold server.
    expect(page.get_by_role("heading", name="Evaluate a model")).to_be_visible(timeout=120_000)
    wait_for_app(page)


def test_evaluate_explains_a_broken_model_and_opens_a_good_one(damaged_server, page, tiny_model):
    accuracy = page.get_by_test_id("stMetric").filter(has_text="Test accuracy")
    error = page.get_by_test_id("stAlertContentError")

    open_evaluate(page, damaged_server, "fault-truncated")
    expect(error).to_contain_text("Model fault-truncated cannot be evaluated.")
    expect(error).to_contain_text(BROKEN["fault-truncated"])
    expect(page.get_by_text("The other models in the list still work")).to_be_visible()
    # must NOT happen: a traceback, or numbers for a model that did not load
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(accuracy).to_have_count(0)

    open_evaluate(page, damaged_server, "fault-bad-json")
    expect(error).to_contain_text("Its folder is damaged: Expecting property name")
    expect(page.get_by_test_id("stException")).to_have_count(0)

    open_evaluate(page, damaged_server, GOOD)
    expect(accuracy).to_contain_text(f"{tiny_model.meta.test_accuracy:.2%}", timeout=60_000)
    expect(page.get_by_role("tab", name="Confusion matrix")).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(error).to_have_count(0)


# -- a server killed while training, and a save killed before its rename -------------------------
KILLED = "killed-mid-training"
SAVED_AT_KILL = "killed-while-saving"
# Saves a real model through store.save, but blocks just before the final rename: every file is
# written into the hidden staging folder, whose path it prints; the test kills it right there.
SAVE_AND_HANG = """
import os, sys
from dataclasses import replace
from pathlib import Path
from core.models import store

source, root, model_id = store.read_artifact(Path(sys.argv[1])), Path(sys.argv[2]), sys.argv[3]
rename = os.rename

def rename_or_hang(src, dst):
    if Path(src).name.startswith(".partial-"):
        print("staged", src, flush=True)
        sys.stdin.readline()  # blocks until the test kills this process
    rename(src, dst)

os.rename = rename_or_hang
store.save(store.load_model(source), replace(source.meta, model_id=model_id), root, store.load_probabilities(source))
"""


def kill_while_saving(tiny_model, runs: Path, model_id: str) -> Path:
    """Kill (SIGKILL) a process in the saving step; return the staging folder it leaves behind."""
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    with open(OUTPUT_DIR / "faults-kill-while-saving.log", "w") as log:
        saver = subprocess.Popen(
            [sys.executable, "-c", SAVE_AND_HANG, str(tiny_model.path), str(runs), model_id],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            start_new_session=True,
        )
        try:
            line = saver.stdout.readline()
            assert line.startswith("staged "), f"the saver ended early: {line!r}, see {log.name}"
            os.killpg(saver.pid, signal.SIGKILL)
            assert saver.wait(30) == -signal.SIGKILL
        finally:
            if saver.poll() is None:
                saver.kill()
                saver.wait()
    return Path(line.removeprefix("staged ").strip())


def listed(runs: Path) -> set[str]:
    return {artifact.model_id for artifact in store.list_artifacts([runs])}


def test_a_run_killed_in_training_or_saving_is_never_listed(page, damaged_server, damaged_runs, tiny_model):
    # the damaged folder's server, whose other tests are done: its folder holds only the copies made for them
    runs, first = damaged_runs, damaged_server
    before = {GOOD, *BROKEN}
    assert listed(runs) == before
    page.goto(f"{first.url}/train")
    wait_for_app(page)
    # the defaults: an MLP, 15 epochs on all 60,000 examples: minutes of work
    page.get_by_role("textbox", name="Model name").fill(KILLED)
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_role("button", name="Stop training")).to_be_visible(timeout=120_000)
    expect(page.get_by_text(f"Run: {KILLED}")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Epoch \d+/15 · batch \d+/"))).to_be_visible(timeout=60_000)
    assert listed(runs) == before  # it really is mid-training: nothing saved yet
    os.killpg(first.process.pid, signal.SIGKILL)
    assert first.process.wait(30) == -signal.SIGKILL

    staged = kill_while_saving(tiny_model, runs, SAVED_AT_KILL)
    # A complete-looking folder is left under its hidden staging name...
    assert staged.parent == runs and staged.name.startswith(".partial-")
    assert {path.name for path in staged.iterdir()} >= {store.MODEL_FILE, store.META_FILE, store.HISTORY_FILE}
    # ...but neither run ever got a real name, and nothing new in the folder is listed.
    assert not (runs / KILLED).exists() and not (runs / SAVED_AT_KILL).exists()
    assert listed(runs) == before

    with serving({store.ENV_RUNS_DIR: str(runs)}, "faults-restarted-server") as second:
        warning = page.get_by_test_id("stAlertContentWarning")
        for model_id in (KILLED, SAVED_AT_KILL, staged.name):
            open_evaluate(page, second, model_id)
            expect(warning).to_contain_text(f"No model called {model_id}:")
        # The model list itself: filter it by name, as a visitor would (the list is virtual).
        shipped = shipped_ids()[0]
        page.get_by_test_id("stSelectbox").filter(has_text="Model").click()
        page.keyboard.type(shipped)
        expect(page.get_by_role("option", name=re.compile(re.escape(shipped)))).to_have_count(1)
        for text in (KILLED, SAVED_AT_KILL, ".partial-"):
            page.keyboard.press("ControlOrMeta+a")
            page.keyboard.type(text)
            # must NOT happen: the killed runs or their staging folder offered as a model
            expect(page.get_by_role("option")).to_have_text(["No results"])
        page.keyboard.press("Escape")
        expect(page.get_by_test_id("stException")).to_have_count(0)


# -- no dataset anywhere -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def no_dataset(tmp_path_factory):
    """A server that finds Fashion-MNIST nowhere: no $FASHION_MNIST_DIR, an empty system folder,
    an empty Keras home, downloads off. Yields the server and the system folder it was given."""
    base = tmp_path_factory.mktemp("no-dataset")
    system_dir, keras_home, runs = base / "system", base / "keras-home", base / "runs"
    for folder in (system_dir, keras_home, runs):
        folder.mkdir()
    env = {
        data.ENV_DIR: "",
        data.ENV_SYSTEM_DIR: str(system_dir),
        "KERAS_HOME": str(keras_home),
        data.ENV_NO_DOWNLOAD: "1",
        store.ENV_RUNS_DIR: str(runs),
    }
    with serving(env, "faults-no-dataset") as server:
        yield server, system_dir


@pytest.mark.parametrize(
    ("path", "role", "not_reached"),
    [
        ("", "heading", "Samples of each class"),
        ("train", "button", "Start training"),
        ("evaluate", "combobox", "Model"),
        ("compare", "heading", "Leaderboard"),
    ],
)
def test_missing_dataset_shows_the_fix(no_dataset, page, path, role, not_reached):
    server, system_dir = no_dataset
    page.goto(f"{server.url}/{path}")
    error = page.get_by_test_id("stAlertContentError")
    expect(error).to_contain_text("Fashion-MNIST dataset not found", timeout=120_000)
    wait_for_app(page)
    expect(page.get_by_test_id("stCode")).to_contain_text("sudo apt-get install dataset-fashion-mnist")
    looked = page.get_by_test_id("stTable")  # where the app looked, and what it found there
    expect(looked).to_contain_text(str(system_dir))
    expect(looked).to_contain_text("train-images-idx3-ubyte.gz is missing")
    expect(looked).to_contain_text(f"disabled by {data.ENV_NO_DOWNLOAD}")
    # must NOT happen: a traceback, or the page going on as if it had data
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_role(role, name=not_reached)).to_have_count(0)


def test_missing_dataset_predict_still_draws_and_names_the_fix(no_dataset, page):
    server, _ = no_dataset
    page.goto(f"{server.url}/predict")
    wait_for_app(page)
    # Drawing and uploading need no dataset: the page works with the shipped models.
    expect(source_button(page, "Draw")).to_be_visible(timeout=120_000)
    expect(page.locator(".st-key-predict_canvas_0 canvas.upper-canvas")).to_be_visible()
    source_button(page, "Test image").click()
    missing = page.get_by_test_id("stAlertContentInfo").filter(has_text="dataset not found")
    expect(missing).to_contain_text("Fashion-MNIST dataset not found")
    expect(missing).to_contain_text("sudo apt-get install dataset-fashion-mnist")
    # must NOT happen: a traceback, an error box, a test image offered
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    expect(page.get_by_role("button", name="Another test image")).to_have_count(0)
