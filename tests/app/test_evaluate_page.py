"""The Evaluate page through AppTest: the real script, real models, broken folders beside them."""

import shutil

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.data import CLASS_NAMES
from core.models import store
from core.understand import evaluation as ev
from tests.conftest import REPO_ROOT
from ui.shared import state
from ui.shared.models import MODEL_KEY


@pytest.fixture
def runs(tiny_model, tmp_path, monkeypatch):
    """A private runs folder: the tiny model, a truncated copy, one with unreadable meta.json.

    Shipped models are hidden (an empty folder) so the page sees exactly these three.
    """
    root = tmp_path / "runs"
    shutil.copytree(tiny_model.path, root / tiny_model.model_id)
    model_file = shutil.copytree(tiny_model.path, root / "truncated") / store.MODEL_FILE
    model_file.write_bytes(model_file.read_bytes()[:500])
    (shutil.copytree(tiny_model.path, root / "bad-json") / store.META_FILE).write_text("not json")
    monkeypatch.setenv(store.ENV_RUNS_DIR, str(root))
    monkeypatch.setattr(store, "SHIPPED_DIR", tmp_path / "no-shipped-models")
    return root


def open_page(selected: str | None = None, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(REPO_ROOT / "studio.py"), default_timeout=120)
    if selected is not None:
        at.session_state[state.SELECTED_MODEL] = selected
    at.run()
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.switch_page("app_pages/evaluate.py").run()
    assert not at.exception, [item.value for item in at.exception]
    return at


def report_table(at: AppTest):
    """The classification report: the one table with a precision column."""
    tables = [table.value for table in at.dataframe if "precision" in table.value.columns]
    assert len(tables) == 1
    return tables[0]


def test_page_shows_every_section_for_a_model(runs, tiny_model, dataset):
    at = open_page(selected=tiny_model.model_id)
    assert not at.error
    assert at.selectbox(key=MODEL_KEY).value == tiny_model.model_id
    assert at.query_params["model"] == tiny_model.model_id  # the URL follows the choice: links reopen it
    expected = ev.evaluate(tiny_model, dataset.x_test, dataset.y_test)

    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Test accuracy"] == f"{tiny_model.meta.test_accuracy:.2%}"
    assert metrics["Mistakes (of 10,000)"] == f"{expected.errors:,}"

    report = report_table(at)
    assert list(report["class"]) == [*CLASS_NAMES, ev.MACRO, ev.WEIGHTED]
    np.testing.assert_allclose(report["f1"], expected.report["f1"])
    assert report["support"].iloc[:10].tolist() == [1000] * 10

    captions = [caption.value for caption in at.caption]
    assert f"Showing 60 of {expected.errors:,}, most confident first." in captions  # misclassified gallery
    assert any("Click any cell" in info.value for info in at.info)  # no cell clicked yet

    headings = [markdown.value for markdown in at.markdown]
    shirt_as_tee = expected.confusion[6, 0]
    assert f"##### Shirt predicted as T-shirt/top ({shirt_as_tee:,})" in headings  # the pair inspector default
    assert at.selectbox(key="evaluate_pair_a").value == "Shirt"
    assert at.selectbox(key="evaluate_pair_b").value == "T-shirt/top"


def test_misclassified_filters_narrow_the_gallery(runs, tiny_model, dataset):
    at = open_page(selected=tiny_model.model_id)
    at.selectbox(key="evaluate_mistakes_true").select("Shirt").run()
    at.selectbox(key="evaluate_mistakes_predicted").select("T-shirt/top").run()
    assert not at.exception
    count = ev.evaluate(tiny_model, dataset.x_test, dataset.y_test).confusion[6, 0]
    wanted = (
        f"Showing 60 of {count:,}, most confident first."
        if count > 60
        else f"{count:,} image(s), most confident first."
    )
    assert wanted in [caption.value for caption in at.caption]


def test_pair_inspector_switches_classes(runs, tiny_model):
    at = open_page(selected=tiny_model.model_id)
    at.selectbox(key="evaluate_pair_a").select("Pullover").run()
    at.selectbox(key="evaluate_pair_b").select("Coat").run()
    assert not at.exception
    headings = [markdown.value for markdown in at.markdown]
    assert any(text.startswith("##### Pullover predicted as Coat") for text in headings)
    at.selectbox(key="evaluate_pair_b").select("Pullover").run()
    assert any("two different classes" in warning.value for warning in at.warning)


def test_unreadable_meta_shows_error_and_other_models_still_work(runs, tiny_model):
    at = open_page(selected="bad-json")
    assert len(at.error) == 1
    message = at.error[0].value
    assert "bad-json" in message and "cannot be evaluated" in message and "Expecting value" in message
    assert not at.dataframe  # nothing evaluated for a broken model
    chooser = at.selectbox(key=MODEL_KEY)
    assert chooser.options == [
        f"{tiny_model.model_id} · {tiny_model.meta.test_accuracy:.1%} · trained here",
        f"{tiny_model.meta.display_name} (truncated) · {tiny_model.meta.test_accuracy:.1%} · trained here",
        "⚠ bad-json (broken)",
    ]
    chooser.select(tiny_model.model_id).run()
    assert not at.exception and not at.error
    assert len(report_table(at)) == 12


def test_truncated_model_file_shows_error(runs):
    at = open_page(selected="truncated")
    assert len(at.error) == 1
    message = at.error[0].value
    assert "truncated" in message and "could not be loaded" in message
    assert not at.metric


def test_model_that_fails_on_the_test_images_shows_error(runs, tiny_model):
    import keras

    five_classes = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(5)])
    target = shutil.copytree(tiny_model.path, runs / "five-classes")
    (target / store.PROBABILITIES_FILE).unlink()
    five_classes.save(target / store.MODEL_FILE)
    at = open_page(selected="five-classes")
    assert len(at.error) == 1
    assert "five-classes" in at.error[0].value and "not 10 classes" in at.error[0].value
    assert not at.metric


def test_unknown_model_id_in_the_link_warns_and_opens_another(runs, tiny_model):
    at = open_page(query={"model": "no-such-model"})
    assert any("No model called `no-such-model`" in warning.value for warning in at.warning)
    assert at.selectbox(key=MODEL_KEY).value == tiny_model.model_id  # the first working model
    assert not at.error


def test_link_opens_the_named_model(runs, tiny_model):
    at = open_page(selected=tiny_model.model_id, query={"model": "truncated"})
    assert at.selectbox(key=MODEL_KEY).value == "truncated"

    # Train saves another model (it sets SELECTED_MODEL): the page switches to it once,
    # then leaves the visitor's own choice alone.
    at.session_state[state.SELECTED_MODEL] = tiny_model.model_id + "-newer"
    shutil.copytree(runs / tiny_model.model_id, runs / (tiny_model.model_id + "-newer"))
    at.run()
    assert at.selectbox(key=MODEL_KEY).value == tiny_model.model_id + "-newer"
    at.selectbox(key=MODEL_KEY).select(tiny_model.model_id).run()
    assert at.selectbox(key=MODEL_KEY).value == tiny_model.model_id
    assert not at.exception


def test_no_models_points_to_the_train_page(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_RUNS_DIR, str(tmp_path / "empty-runs"))
    monkeypatch.setattr(store, "SHIPPED_DIR", tmp_path / "no-shipped-models")
    at = open_page()
    assert any("No models yet" in info.value for info in at.info)
    assert not at.error and not at.selectbox
    links = at.get("page_link")
    assert len(links) == 1 and links[0].proto.page == "train"
