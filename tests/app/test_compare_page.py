"""The Compare page through AppTest: real models (the tiny one and a changed copy), broken folders beside them."""

import os
import shutil
import time

import keras
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core import data
from core.data import CLASS_NAMES
from core.models import store
from core.understand import compare, selection
from core.understand import evaluation as ev
from tests.conftest import REPO_ROOT
from ui import compare as compare_page
from ui.shared import loaders, state

SHIRT_LOVER = "shirt-lover"  # the tiny model with its Shirt output pushed up: a second, different model


@pytest.fixture(scope="module")
def shirt_lover(tiny_model, tmp_path_factory):
    """A copy of the tiny model whose last layer favours Shirt, saved without cached test predictions."""
    folder = tmp_path_factory.mktemp("models") / SHIRT_LOVER
    shutil.copytree(tiny_model.path, folder)
    (folder / store.PROBABILITIES_FILE).unlink()
    model = store.load_model(tiny_model)
    last = model.layers[-1]
    last.bias.assign(last.bias.numpy() + 2.0 * keras.utils.to_categorical(CLASS_NAMES.index("Shirt"), 10))
    model.save(folder / store.MODEL_FILE)
    return folder


@pytest.fixture
def runs(tiny_model, shirt_lover, tmp_path, monkeypatch):
    """A private runs folder: two working models, a truncated copy, one with unreadable meta.json.

    Shipped models are hidden (an empty folder) so the page ranks exactly these.
    """
    root = tmp_path / "runs"
    shutil.copytree(tiny_model.path, root / tiny_model.model_id)
    shutil.copytree(shirt_lover, root / SHIRT_LOVER)
    model_file = shutil.copytree(tiny_model.path, root / "truncated") / store.MODEL_FILE
    model_file.write_bytes(model_file.read_bytes()[:500])
    (shutil.copytree(tiny_model.path, root / "bad-json") / store.META_FILE).write_text("not json")
    monkeypatch.setenv(store.ENV_RUNS_DIR, str(root))
    monkeypatch.setattr(store, "SHIPPED_DIR", tmp_path / "no-shipped-models")
    return root


def open_page(selected: str | None = None) -> AppTest:
    at = AppTest.from_file(str(REPO_ROOT / "studio.py"), default_timeout=120)
    if selected is not None:
        at.session_state[state.SELECTED_MODEL] = selected
    at.session_state[compare_page.ORIGINS_KEY] = list(selection.ORIGINS)  # these runs have no owner: the class's
    at.run()
    at.switch_page("app_pages/compare.py").run()
    assert not at.exception, [item.value for item in at.exception]
    return at


def leaderboard(at: AppTest):
    tables = [table.value for table in at.dataframe if "shirt_recall" in table.value.columns]
    assert len(tables) == 1
    return tables[0]


def expected_evaluation(folder, dataset) -> ev.Evaluation:
    return ev.evaluate(store.read_artifact(folder), dataset.x_test, dataset.y_test, use_cache=False)


def test_leaderboard_ranks_working_models_and_names_broken_ones(runs, tiny_model, dataset):
    # A fresh file time: this model's test predictions are computed on this visit, whatever ran before.
    now = time.time()
    os.utime(runs / SHIRT_LOVER / store.MODEL_FILE, (now, now))
    at = open_page()
    board = leaderboard(at)

    tiny = expected_evaluation(runs / tiny_model.model_id, dataset)
    lover = expected_evaluation(runs / SHIRT_LOVER, dataset)
    assert lover.accuracy != tiny.accuracy  # two different models
    ranked = sorted([(tiny_model.model_id, tiny.accuracy), (SHIRT_LOVER, lover.accuracy)], key=lambda x: -x[1])
    assert list(board["model"]) == [model_id for model_id, _ in ranked]
    assert list(board["rank"]) == [1, 2]
    rows = board.set_index("model")
    for model_id, result in ((tiny_model.model_id, tiny), (SHIRT_LOVER, lover)):
        report = result.report.set_index("class")
        assert rows.at[model_id, "accuracy"] == pytest.approx(result.accuracy)
        assert rows.at[model_id, "macro_f1"] == pytest.approx(report.at[ev.MACRO, "f1"])
        assert rows.at[model_id, "shirt_recall"] == pytest.approx(report.at["Shirt", "recall"])
        assert rows.at[model_id, "size_mb"] == pytest.approx((runs / model_id / store.MODEL_FILE).stat().st_size / 1e6)
        assert rows.at[model_id, "latency_ms"] > 0  # measured (its value is for bench/, not for tests)
        assert rows.at[model_id, "origin"] == selection.CLASS
    assert rows.at[SHIRT_LOVER, "shirt_recall"] > rows.at[tiny_model.model_id, "shirt_recall"]
    assert (runs / SHIRT_LOVER / store.PROBABILITIES_FILE).is_file()  # computed once, cached beside it

    assert len(at.warning) == 1  # the broken ones: named, with the reason, never a traceback
    warning = at.warning[0].value
    assert "2 models left out" in warning
    assert "**truncated**" in warning and "could not be loaded" in warning
    assert "**bad-json**" in warning and "Expecting value" in warning
    assert not at.error
    assert [header.value for header in at.subheader] == ["🏆 Leaderboard", "📈 Learning curves", "↔️ Side by side"]


def test_side_by_side_compares_b_with_a(runs, tiny_model, dataset):
    at = open_page()
    board = leaderboard(at)
    best, runner_up = board["model"]
    assert at.selectbox(key=compare_page.MODEL_B_KEY).value == best  # B the best, A the runner-up
    assert at.selectbox(key=compare_page.MODEL_A_KEY).value == runner_up

    at.selectbox(key=compare_page.MODEL_A_KEY).select(best).run()
    at.selectbox(key=compare_page.MODEL_B_KEY).select(runner_up).run()
    assert not at.exception
    a = expected_evaluation(runs / best, dataset)
    b = expected_evaluation(runs / runner_up, dataset)
    metrics = {metric.label: metric for metric in at.metric}
    assert metrics["Test accuracy of B"].value == f"{b.accuracy:.2%}"
    assert metrics["Test accuracy of B"].delta == f"{(b.accuracy - a.accuracy) * 100:+.2f} pts"
    overlap = compare.agreement(a, b)
    assert metrics["Same prediction"].value == f"{overlap.same_prediction / overlap.total:.1%}"
    assert any(
        f"only A gets **{overlap.only_a_right:,}** right, only B **{overlap.only_b_right:,}**" in caption.value
        for caption in at.caption
    )

    at.selectbox(key=compare_page.MODEL_B_KEY).select(best).run()
    assert any("two different models" in warning.value for warning in at.warning)
    assert "Test accuracy of B" not in [metric.label for metric in at.metric]


def test_learning_curves_follow_the_choice(runs, tiny_model):
    at = open_page()
    chooser = at.multiselect(key=compare_page.CURVES_KEY)
    assert sorted(chooser.value) == sorted([tiny_model.model_id, SHIRT_LOVER])  # the best three: both here
    chooser.unselect(tiny_model.model_id).unselect(SHIRT_LOVER).run()
    assert any("Pick one or more models" in info.value for info in at.info)
    at.multiselect(key=compare_page.CURVES_KEY).select(SHIRT_LOVER).run()
    at.toggle(key=compare_page.CURVES_TRAIN_KEY).set_value(True).run()
    assert not at.exception and not at.info
    assert at.multiselect(key=compare_page.CURVES_KEY).value == [SHIRT_LOVER]


def test_a_model_just_trained_is_marked_and_becomes_model_b(runs, tiny_model):
    at = open_page()
    worst = leaderboard(at)["model"].iloc[-1]
    at.session_state[state.SELECTED_MODEL] = worst  # what the Train page does after saving
    at.run()
    assert not at.exception
    board = leaderboard(at).set_index("model")
    assert board.at[worst, "origin"] == "class · new"
    assert at.selectbox(key=compare_page.MODEL_B_KEY).value == worst
    assert at.selectbox(key=compare_page.MODEL_A_KEY).value != worst
    # The visitor's own pick then stands: the page switches to a new model once, not on every run.
    other = next(model_id for model_id in board.index if model_id != worst)
    at.selectbox(key=compare_page.MODEL_A_KEY).select(worst).run()
    at.selectbox(key=compare_page.MODEL_B_KEY).select(other).run()
    assert at.selectbox(key=compare_page.MODEL_B_KEY).value == other


def test_only_broken_models_explain_themselves(tiny_model, tmp_path, monkeypatch):
    root = tmp_path / "runs"
    (shutil.copytree(tiny_model.path, root / "bad-json") / store.META_FILE).write_text("{}")
    monkeypatch.setenv(store.ENV_RUNS_DIR, str(root))
    monkeypatch.setattr(store, "SHIPPED_DIR", tmp_path / "no-shipped-models")
    at = open_page()
    assert "**bad-json**" in at.warning[0].value and "meta.json lacks" in at.warning[0].value
    assert any("None of the saved models can be used" in info.value for info in at.info)
    assert not at.dataframe and not at.error
    links = at.get("page_link")
    assert len(links) == 1 and links[0].proto.page == "train"


def test_no_models_points_to_the_train_page(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_RUNS_DIR, str(tmp_path / "empty-runs"))
    monkeypatch.setattr(store, "SHIPPED_DIR", tmp_path / "no-shipped-models")
    at = open_page()
    assert any("No models yet" in info.value for info in at.info)
    assert not at.error and not at.dataframe and not at.selectbox
    links = at.get("page_link")
    assert len(links) == 1 and links[0].proto.page == "train"


def test_shipped_and_session_models_are_ranked_together(tiny_model, tmp_path, monkeypatch):
    """Every shipped model plus one trained in this session, as a visitor sees them.

    The shipped folders are copied first: a model without cached predictions gets them written
    beside it, and tests never write into artifacts/.
    """
    shipped_copy = tmp_path / "artifacts"
    for folder in store.SHIPPED_DIR.iterdir():
        if folder.is_dir() and folder.name != "runs" and folder.name[0] not in "._":
            shutil.copytree(folder, shipped_copy / folder.name)
    root = tmp_path / "runs"
    shutil.copytree(tiny_model.path, root / tiny_model.model_id)
    monkeypatch.setenv(store.ENV_RUNS_DIR, str(root))
    monkeypatch.setattr(store, "SHIPPED_DIR", shipped_copy)
    shipped = [item.model_id for item in store.list_artifacts([shipped_copy]) if item.ok]
    at = open_page()
    board = leaderboard(at).set_index("model")
    assert set(shipped) <= set(board.index) and tiny_model.model_id in board.index
    assert board.at[tiny_model.model_id, "origin"] == selection.CLASS
    assert (board.loc[shipped, "origin"] == selection.SHIPPED).all()
    assert board["accuracy"].is_monotonic_decreasing
    assert np.isfinite(board["latency_ms"]).all()
    assert not at.warning  # no shipped model is broken


def test_missing_dataset_shows_the_fix(monkeypatch, tmp_path):
    for variable in (data.ENV_DIR, data.ENV_SYSTEM_DIR, "KERAS_HOME"):
        monkeypatch.setenv(variable, str(tmp_path))
    monkeypatch.setenv(data.ENV_NO_DOWNLOAD, "1")
    loaders.dataset.clear()
    try:
        at = open_page()
        assert "dataset not found" in at.error[0].value
        assert not at.dataframe and not at.get("progress")
    finally:
        loaders.dataset.clear()


def test_a_single_model_is_ranked_without_a_head_to_head(tiny_model, tmp_path, monkeypatch):
    root = tmp_path / "runs"
    shutil.copytree(tiny_model.path, root / tiny_model.model_id)
    monkeypatch.setenv(store.ENV_RUNS_DIR, str(root))
    monkeypatch.setattr(store, "SHIPPED_DIR", tmp_path / "no-shipped-models")
    at = open_page()
    assert list(leaderboard(at)["model"]) == [tiny_model.model_id]
    assert at.multiselect(key=compare_page.CURVES_KEY).value == [tiny_model.model_id]
    assert any("Train another to compare two side by side" in info.value for info in at.info)
    assert not at.metric and not at.warning and not at.error
