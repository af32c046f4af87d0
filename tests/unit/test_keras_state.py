"""Streamlit clears Keras after every script run unless the app says not to (ui.loaders.keep_keras_state).

The clearing runs a full garbage collection, drops TensorFlow's kernel cache and resets Keras's
global state for every thread: with shared models and a training thread it slowed training
several-fold under load (tests/e2e/test_load.py).
"""

import keras
from streamlit.runtime.scriptrunner import script_runner

from ui import loaders


def test_streamlit_stops_clearing_keras_after_each_run(monkeypatch):
    cleared = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *args, **kwargs: cleared.append(True))
    monkeypatch.setattr(script_runner, "_clean_problem_modules", script_runner._clean_problem_modules)

    script_runner._clean_problem_modules()  # Streamlit's own post-run hook, as it runs after every rerun
    assert cleared == [True]  # if this fails, Streamlit changed its hook: check keep_keras_state still applies

    loaders.keep_keras_state()
    script_runner._clean_problem_modules()
    # must NOT happen: a second clearing
    assert cleared == [True]
