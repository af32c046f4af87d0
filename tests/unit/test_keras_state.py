"""Streamlit clears Keras after every script run unless the app says not to (ui.shared.loaders.keep_keras_state).

The clearing runs a full garbage collection, drops TensorFlow's kernel cache and resets Keras's
global state for every thread: with shared models and a training thread it slowed training
several-fold under load (tests/e2e/test_load.py).
"""

import keras
from streamlit.runtime.scriptrunner import script_runner

from ui.shared import loaders


def test_streamlit_stops_clearing_keras_after_each_run(monkeypatch):
    cleared = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *args, **kwargs: cleared.append(True))
    loaders.keep_keras_state()  # idempotent: AppTests in this process may have run it already
    loaders.keep_keras_state()

    loaders.streamlit_clean_up()  # Streamlit's own post-run hook
    assert cleared == [True]  # if this fails, Streamlit changed its hook: check keep_keras_state still applies

    script_runner._clean_problem_modules()  # what now runs after every rerun
    # must NOT happen: a second clearing
    assert cleared == [True]
