"""The pages over the run store in a real PostgreSQL server (started by the tests): a stored run is listed; the
database going away mid-class is said on the page (shipped models still answer) and the next rerun after it is
back recovers; an unreachable store at start says where runs go and saves nothing to a folder instead."""

from __future__ import annotations

import socket

from streamlit.testing.v1 import AppTest

from core.models import database, store
from tests.app.conftest import open_page
from tests.unit.test_store_database import save_copy
from ui.shared import models as model_picker

UNREACHABLE = "The class's runs cannot be reached right now."


def listed(at: AppTest, text: str) -> bool:
    """Whether a model whose label holds ``text`` is offered by the model picker."""
    return any(text in label for label in at.selectbox(key=model_picker.MODEL_KEY).options)


def errors(at: AppTest) -> str:
    return " ".join(item.value for item in at.error)


def test_a_stored_run_is_listed_and_a_database_gone_mid_class_is_said_then_recovered(store_url, postgres, tiny_model):
    save_copy(tiny_model, "stored-run")
    at = open_page("evaluate")
    assert listed(at, "stored-run")
    postgres.pg_ctl("stop")
    try:
        at.run()
        assert not at.exception, [item.value for item in at.exception]
        assert UNREACHABLE in errors(at) and "which does not answer" in errors(at)
        assert not listed(at, "stored-run") and listed(at, "shipped")  # must NOT happen: a page with no models
    finally:
        postgres.pg_ctl("start")
    at.run()
    assert not at.exception and UNREACHABLE not in errors(at)
    assert listed(at, "stored-run")


def test_an_unreachable_store_at_start_is_said_and_nothing_goes_to_a_folder(monkeypatch, tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(store.ENV_STORE_URL, f"postgresql://studio:secret@127.0.0.1:{port}/classroom")
    monkeypatch.setenv(store.ENV_RUNS_DIR, str(tmp_path / "runs"))
    try:
        at = open_page("evaluate")
        assert UNREACHABLE in errors(at) and f"127.0.0.1:{port}/classroom" in errors(at)
        assert "secret" not in errors(at)  # must NOT happen: the password shown on the page
        at.switch_page("app_pages/teacher.py").run()
        assert not at.exception
        assert not (tmp_path / "runs").exists() or not [p for p in (tmp_path / "runs").iterdir() if p.name[0] != "."]
    finally:
        database.dispose_engines()
