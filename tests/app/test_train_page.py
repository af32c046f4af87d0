import math
import time

import pytest

from core.models import store, zoo


def run_until(at, condition, timeout: float = 180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception
        if condition(at):
            return at
        time.sleep(0.5)
    raise AssertionError("the page never reached the expected state")


def test_train_page_describes_the_architecture(app):
    at = app.switch_page("app_pages/train.py").run()
    assert not at.exception
    architecture = at.selectbox[0]
    architecture.set_value(zoo.get_spec("mlp_512_256_128_dropout").name).run()
    assert "567,434 parameters" in " ".join(caption.value for caption in at.caption)
    assert "Adam at 0.0005" in " ".join(block.value for block in at.markdown)


def test_tiny_training_run_finishes_and_is_saved(app, runs_dir):
    at = app.switch_page("app_pages/train.py").run()
    at.selectbox[0].set_value(zoo.get_spec("mlp_128").name).run()
    at.number_input[0].set_value(1)  # epochs
    at.select_slider[1].set_value(1_000)  # training examples
    at.text_input[0].set_value("apptest-tiny")
    at.button[0].click().run()
    assert not at.exception
    run_until(at, lambda page: len(page.success) > 0)
    assert "Test accuracy" in at.success[0].value
    saved = store.find("apptest-tiny", [runs_dir])
    assert saved.ok and saved.meta.hyperparameters["subset"] == 1000


def by_label(widgets, label: str):
    """The one widget of a kind with this label (AppTest has no lookup by label)."""
    matches = [widget for widget in widgets if widget.label == label]
    assert len(matches) == 1, f"{len(matches)} widgets labelled {label!r}"
    return matches[0]


def tiny_run(at, name: str):
    """Settings for a run of seconds: 1 epoch on 1,000 examples of MLP 128."""
    by_label(at.selectbox, "Architecture").set_value(zoo.get_spec("mlp_128").name).run()
    by_label(at.number_input, "Epochs").set_value(1)
    by_label(at.select_slider, "Training examples").set_value(1_000)
    by_label(at.text_input, "Model name").set_value(name)
    return at


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../../etc/evil", "may not contain"),
        ("models/mine", "may not contain"),
        ("C:\\temp\\x", "may not contain"),
        ("..", "may not contain"),
        ("     ", "Give the model a name"),
        ("!!!???", "at least one letter or digit"),
    ],
)
def test_bad_model_names_get_a_clear_message_and_start_nothing(app, runs_dir, name, message):
    before = sorted(path.name for path in runs_dir.iterdir())
    at = app.switch_page("app_pages/train.py").run()
    by_label(at.text_input, "Model name").set_value(name)
    by_label(at.button, "▶ Start training").click().run()
    assert not at.exception
    assert [message in error.value for error in at.error] == [True]
    # must NOT happen: a run starts, or anything is written
    assert not [header for header in at.subheader if header.value.startswith("Run:")]
    assert sorted(path.name for path in runs_dir.iterdir()) == before


def test_a_500_character_name_is_cut_to_the_limit_and_saved_inside_the_runs_folder(app, runs_dir):
    at = tiny_run(app.switch_page("app_pages/train.py").run(), "é" * 500)
    by_label(at.button, "▶ Start training").click().run()
    assert not at.exception
    assert len(by_label(at.text_input, "Model name").value) == store.MAX_NAME_LENGTH
    run_until(at, lambda page: len(page.success) > 0)
    saved = store.find("e" * store.MAX_NAME_LENGTH, [runs_dir])  # accents folded to plain letters
    assert saved.ok and saved.path.parent == runs_dir


ABSURD = [
    (lambda at: at.number_input, "Epochs", 10**9),
    (lambda at: at.number_input, "Epochs", -3),
    (lambda at: at.number_input, "Learning rate", -1.0),
    (lambda at: at.number_input, "Learning rate", math.nan),
    (lambda at: at.number_input, "Learning rate", math.inf),
    (lambda at: at.number_input, "Early-stopping patience (0 = off)", -7),
    (lambda at: at.number_input, "Random seed", -5),
    (lambda at: at.number_input, "Random seed", 2**80),
    (lambda at: at.slider, "Validation split", 7.5),
    (lambda at: at.slider, "Dropout rate", 1.0),
]


@pytest.mark.parametrize(("kind", "label", "value"), ABSURD, ids=[f"{label}={value}" for _, label, value in ABSURD])
def test_absurd_widget_values_are_refused_without_a_traceback(app, kind, label, value):
    at = app.switch_page("app_pages/train.py").run()
    by_label(at.selectbox, "Architecture").set_value(zoo.get_spec("cnn_shallow").name).run()  # has dropout
    widget = by_label(kind(at), label)
    low, high = widget.min, widget.max
    widget.set_value(value).run()
    assert not at.exception
    kept = by_label(kind(at), label).value
    assert low <= kept <= high, f"{label} kept {kept!r}, outside {low}..{high}"
    assert kept != value


def test_absurd_values_never_reach_a_training_run(app, runs_dir):
    at = tiny_run(app.switch_page("app_pages/train.py").run(), "absurd-inputs")
    by_label(at.number_input, "Learning rate").set_value(-1.0)
    by_label(at.number_input, "Random seed").set_value(-5)
    by_label(at.button, "▶ Start training").click().run()
    assert not at.exception
    run_until(at, lambda page: len(page.success) > 0)
    hyperparameters = store.find("absurd-inputs", [runs_dir]).meta.hyperparameters
    defaults = zoo.get_spec("mlp_128").defaults
    assert hyperparameters["learning_rate"] == defaults.learning_rate and hyperparameters["seed"] == defaults.seed
    assert hyperparameters["epochs"] == 1 and hyperparameters["subset"] == 1_000


def test_a_link_opens_the_exact_setup(app):
    at = app.switch_page("app_pages/train.py")
    shared = {
        "arch": "Shallow CNN", "epochs": "7", "batch_size": "128", "optimizer": "rmsprop", "learning_rate": "0.002",
        "lr_schedule": "cosine", "patience": "2", "validation_split": "0.2", "dropout_rate": "0.4",
        "examples": "5000", "seed": "99", "normalize": "false", "augment": "true", "name": "teachers-setup",
    }  # fmt: skip
    for key, value in shared.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    assert by_label(at.selectbox, "Architecture").value == "Shallow CNN"
    assert by_label(at.number_input, "Epochs").value == 7
    assert by_label(at.select_slider, "Batch size").value == 128
    assert by_label(at.selectbox, "Optimizer").value == "rmsprop"
    assert by_label(at.number_input, "Learning rate").value == pytest.approx(0.002)
    assert by_label(at.selectbox, "LR schedule").value == "cosine"
    assert by_label(at.number_input, "Early-stopping patience (0 = off)").value == 2
    assert by_label(at.slider, "Validation split").value == pytest.approx(0.2)
    assert by_label(at.slider, "Dropout rate").value == pytest.approx(0.4)
    assert by_label(at.select_slider, "Training examples").value == 5000
    assert by_label(at.number_input, "Random seed").value == 99
    assert [t.value for t in at.toggle if t.label.startswith(("Normalize", "Augment"))] == [False, True]
    assert by_label(at.text_input, "Model name").value == "teachers-setup"
    # the code to take home is the same setup
    code = next(block.value for block in at.code if block.language == "python")
    assert "'epochs': 7," in code and "'optimizer': 'rmsprop'," in code and "'normalize': False," in code


def test_changing_the_architecture_starts_from_its_own_recipe(app):
    at = app.switch_page("app_pages/train.py").run()
    by_label(at.number_input, "Epochs").set_value(33).run()
    by_label(at.selectbox, "Architecture").set_value(zoo.get_spec("cnn_quick").name).run()
    assert not at.exception
    quick = zoo.get_spec("cnn_quick").defaults
    assert by_label(at.number_input, "Epochs").value == quick.epochs
    assert by_label(at.select_slider, "Batch size").value == quick.batch_size
    assert by_label(at.text_input, "Model name").value == "my-cnn_quick"


def test_the_layers_of_the_chosen_settings_are_shown_before_training(app):
    at = app.switch_page("app_pages/train.py").run()
    by_label(at.selectbox, "Architecture").set_value(zoo.get_spec("cnn_shallow").name).run()
    table = at.dataframe[0].value
    assert list(table.columns) == ["layer", "type", "output shape", "parameters"]
    assert table["parameters"].sum() == zoo.build(zoo.get_spec("cnn_shallow")).count_params()
    assert "Conv2D" in set(table["type"]) and table["output shape"].iloc[-1] == "10"


def test_a_chance_level_run_explains_itself_instead_of_celebrating(app, runs_dir):
    at = tiny_run(app.switch_page("app_pages/train.py").run(), "raw-sgd")
    by_label(at.toggle, "Normalize pixels").set_value(False)
    by_label(at.selectbox, "Optimizer").set_value("sgd")
    by_label(at.number_input, "Learning rate").set_value(0.01)
    by_label(at.button, "▶ Start training").click().run()
    run_until(at, lambda page: any("Test accuracy" in w.value for w in page.warning) or len(page.success) > 0)
    assert not at.success, "a chance-level run must not get a success box"
    words = " ".join(w.value for w in at.warning)
    assert "chance level" in words and "guessing scores 10%" in words
    assert store.find("raw-sgd", [runs_dir]).meta.test_accuracy < 0.15


@pytest.mark.slow  # the Studio CNN's speed is probed: its first choice on a fresh runs folder
def test_where_it_trains_says_why_a_run_stays_on_the_server(app, monkeypatch):
    at = app.switch_page("app_pages/train.py").run()
    at.selectbox[0].set_value(zoo.get_spec("studio_cnn").name).run()  # its shifts and erasing: not in TensorFlow.js
    captions = " ".join(caption.value for caption in at.caption)
    assert "Trains on this server. Studio CNN (ours) trains on the server only" in captions
    assert "RandomTranslation" in captions and "switch augmentation off" in captions
    # a server that could not reach npm:
    monkeypatch.setattr("core.training.browser_runtime.runtime_installed", lambda: False)
    at.selectbox[0].set_value(zoo.get_spec("mlp_128").name).run()
    captions = " ".join(caption.value for caption in at.caption)
    assert "needs TensorFlow.js, which this server could not install" in captions
    assert "Keep this tab open" not in captions  # must NOT happen: the browser offered anyway
    assert not at.exception


def test_every_row_of_the_settings_table_is_a_form_widget_bound_to_its_url_key(app):
    """The form is derived from core/models/settings.py: each row is a widget under its URL key, with its label, and
    a value in the URL opens the form with it (a shared link opens the exact setup)."""
    from core.models import settings
    from tests.unit.test_settings import ARCH, other_value

    wanted = {row.key: other_value(row) for row in settings.SETTINGS}
    for row in settings.SETTINGS:
        shown = wanted[row.key]
        app.query_params[row.key] = str(shown).lower() if isinstance(shown, bool) else str(shown)
    app.query_params["arch"] = zoo.get_spec(ARCH).name
    at = app.switch_page("app_pages/train.py").run()
    assert not at.exception
    for row in settings.SETTINGS:
        found = [
            w
            for kind in ("number_input", "select_slider", "selectbox", "slider", "toggle")
            for w in getattr(at, kind)
            if w.key == row.key
        ]
        assert len(found) == 1, f"{row.name}: {len(found)} widgets under the URL key {row.key!r}"
        assert found[0].label == row.label
        expected = row.stops[-1] if row.optional and wanted[row.key] is None else wanted[row.key]
        assert found[0].value == expected, f"{row.name}: the URL said {expected!r}, the form shows {found[0].value!r}"
