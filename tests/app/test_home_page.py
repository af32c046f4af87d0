import numpy as np
from streamlit.testing.v1 import AppTest

from core import data
from ui.shared import loaders


def test_home_shows_samples_balance_means_and_source(app):
    assert [title.value for title in app.title] == ["👗 Fashion-MNIST Studio"]
    subheaders = [header.value for header in app.subheader]
    assert subheaders == [
        "Samples of each class",
        "Class balance",
        "The mean image of each class",
        "Where the data came from",
    ]
    # one bold label per class above its row of samples
    labels = [block.value for block in app.markdown if block.value.startswith("**") and block.value.endswith("**")]
    assert labels == [f"**{name}**" for name in data.CLASS_NAMES]
    assert "Debian package dataset-fashion-mnist" in app.markdown[-1].value
    assert not app.exception


def test_shuffle_changes_the_samples(app):
    assert "home_shuffle_seed" not in app.session_state  # first visit: the fixed default sample
    app.button[0].click().run()
    assert not app.exception
    assert "home_shuffle_seed" in app.session_state


def test_missing_dataset_shows_the_fix_on_every_page(monkeypatch, tmp_path):
    for variable in (data.ENV_DIR, data.ENV_SYSTEM_DIR, "KERAS_HOME"):
        monkeypatch.setenv(variable, str(tmp_path))
    monkeypatch.setenv(data.ENV_NO_DOWNLOAD, "1")
    loaders.dataset.clear()
    try:
        at = AppTest.from_file("../../studio.py", default_timeout=120).run()
        for page in ("app_pages/home.py", "app_pages/train.py", "app_pages/evaluate.py", "app_pages/compare.py"):
            at.switch_page(page).run()
            assert not at.exception
            assert "dataset not found" in at.error[0].value
            assert any("apt-get install dataset-fashion-mnist" in code.value for code in at.code)
            assert "download through Keras" in str(at.table[0].value)
        # Predict still works on uploads and sketches: no error page there
        at.switch_page("app_pages/predict.py").run()
        assert not at.exception
        assert not at.error
    finally:
        loaders.dataset.clear()


def test_sample_rows_hold_the_right_classes(dataset):
    rows = data.sample_indices(dataset.y_train, 10, seed=0)
    assert np.all(dataset.y_train[rows] == np.arange(10)[:, None])
