"""The run store in a real PostgreSQL server (started by the tests): save, list, load and delete through the
database; another process sees the runs; thirty saves at once; a server restart; an unreachable server; a
save killed half-way."""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading

import numpy as np
import pytest
import sqlalchemy as sa

from core.models import bundles, database, store
from tests.cli import run_cli_process
from tests.conftest import REPO_ROOT


def stored_rows(url: str) -> list[tuple[str, str]]:
    """(id, owner) of every run row, read straight from the database."""
    engine = sa.create_engine(database.driver_url(url))
    try:
        with engine.connect() as connection:
            return [
                tuple(row)
                for row in connection.execute(sa.select(database.runs_table.c.id, database.runs_table.c.owner))
            ]
    finally:
        engine.dispose()


def save_copy(
    artifact: store.Artifact, model_id: str, *, owner: str = "", probabilities: bool = True
) -> store.Artifact:
    """A real save of ``artifact``'s model under a new id, into the configured store."""
    meta = dataclasses.replace(artifact.meta, model_id=model_id, owner=owner)
    kept = store.load_probabilities(artifact) if probabilities else None
    return store.save(store.load_model(artifact), meta, store.runs_dir(), kept)


def plain_folder_runs() -> list[str]:
    """What the folder store would list: non-hidden folders in the runs folder."""
    folder = store.runs_folder()
    return sorted(path.name for path in folder.iterdir() if not path.name.startswith(".")) if folder.is_dir() else []


@pytest.fixture(scope="module")
def tiny_keras(tiny_model):
    return store.load_model(tiny_model)


def test_save_list_load_and_delete_go_through_the_database(store_url, tiny_model):
    assert store.runs_dir().is_relative_to(store.runs_folder() / database.CACHE_FOLDER)
    saved = save_copy(tiny_model, "db-run", owner="browser-a")
    assert stored_rows(store_url) == [("db-run", "browser-a")]
    listed = {artifact.model_id: artifact for artifact in store.list_artifacts()}
    assert not listed["db-run"].shipped and listed["db-run"].meta.owner == "browser-a"
    assert any(artifact.shipped for artifact in listed.values())  # the shipped models are listed beside it
    assert plain_folder_runs() == []  # nothing went to a folder that would vanish

    shutil.rmtree(store.runs_dir())  # a restarted server: no local copy left
    found = store.find("db-run")
    assert found.path == saved.path and (found.path / store.MODEL_FILE).is_file()
    assert store.load_model(found).count_params() == tiny_model.meta.params
    np.testing.assert_array_equal(store.load_probabilities(found), store.load_probabilities(tiny_model))
    assert store.runs_usage() == store.RunsUsage(1, store.runs_usage().total_bytes)
    assert store.runs_usage().total_bytes > (found.path / store.MODEL_FILE).stat().st_size

    with pytest.raises(PermissionError, match="only its owner or the teacher"):
        store.delete_run("db-run", owner="browser-b")
    store.delete_run("db-run", owner="browser-a")
    assert stored_rows(store_url) == [] and not found.path.exists()
    assert "db-run" not in {artifact.model_id for artifact in store.list_artifacts()}
    with pytest.raises(store.ArtifactError, match="No model called 'db-run'"):
        store.find("db-run")


def test_ids_stay_unique_against_the_database(store_url, tiny_model):
    save_copy(tiny_model, "run")
    shutil.rmtree(store.runs_dir())  # the id is taken in the database even with no local copy
    assert store.unique_id(store.runs_dir(), "run") == "run-2"
    with pytest.raises(store.ArtifactError, match="already exists"):
        save_copy(tiny_model, "run")


def test_probabilities_computed_later_are_kept_in_the_database(store_url, tiny_model, dataset):
    from core.understand import evaluation

    save_copy(tiny_model, "no-probabilities", probabilities=False)
    first = evaluation.evaluate(store.find("no-probabilities"), dataset.x_test, dataset.y_test)
    assert first.source == evaluation.COMPUTED
    shutil.rmtree(store.runs_dir())
    again = evaluation.evaluate(store.find("no-probabilities"), dataset.x_test, dataset.y_test)
    assert again.source != evaluation.COMPUTED and again.accuracy == first.accuracy


def test_the_class_zip_holds_every_file_of_runs_not_yet_copied_here(store_url, tiny_model):
    save_copy(tiny_model, "zipped")
    shutil.rmtree(store.runs_dir())
    (listed,) = [artifact for artifact in store.list_artifacts([store.runs_dir()])]
    assert (listed.path / store.MODEL_FILE).exists() is False  # listing fetched no file
    restored = bundles.import_bundle(bundles.bundle(listed), "zipped.zip", owner="", root=None)
    assert restored.model_id == "zipped-2" and restored.meta.params == tiny_model.meta.params


def test_the_cap_removes_the_oldest_runs_from_the_database(store_url, tiny_model, monkeypatch):
    monkeypatch.setenv(store.ENV_MAX_RUNS, "3")
    for number in range(5):
        artifact = save_copy(tiny_model, f"capped-{number}")
        store.keep_within_cap(store.runs_dir(), artifact.model_id)
    assert sorted(model_id for model_id, _ in stored_rows(store_url)) == ["capped-2", "capped-3", "capped-4"]
    assert not (store.runs_dir() / "capped-0").exists()


def test_thirty_saves_at_once_lose_nothing_and_duplicate_nothing(store_url, tiny_model, tiny_keras):
    students = [f"student-{number:02d}" for number in range(30)]
    start = threading.Barrier(len(students) + 5)
    errors: dict[str, BaseException] = {}
    won: list[str] = []

    def save(model_id: str, record: str) -> None:
        meta = dataclasses.replace(tiny_model.meta, model_id=model_id, owner=record)
        start.wait()
        try:
            store.save(tiny_keras, meta, store.runs_dir())
            won.append(record)
        except store.ArtifactError as error:
            errors[record] = error

    threads = [threading.Thread(target=save, args=(name, name)) for name in students]
    threads += [threading.Thread(target=save, args=("same-name", f"racer-{number}")) for number in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = stored_rows(store_url)
    assert sorted(model_id for model_id, _ in rows) == sorted([*students, "same-name"])  # none lost, none twice
    assert all(name in won for name in students)
    assert len(errors) == 4 and all("already exists" in str(error) for error in errors.values())
    assert dict(rows)["same-name"] in won  # the one that won is the one stored
    assert sorted(a.model_id for a in store.list_artifacts([store.runs_dir()])) == sorted([*students, "same-name"])


def test_the_next_call_after_a_server_restart_works(store_url, postgres, tiny_model):
    save_copy(tiny_model, "before-restart")
    assert [a.model_id for a in store.list_artifacts([store.runs_dir()])] == ["before-restart"]  # pooled
    postgres.pg_ctl("restart")
    assert [a.model_id for a in store.list_artifacts([store.runs_dir()])] == ["before-restart"]
    save_copy(tiny_model, "after-restart")
    assert sorted(model_id for model_id, _ in stored_rows(store_url)) == ["after-restart", "before-restart"]


def test_a_server_down_mid_class_is_said_and_recovered_from(store_url, postgres, tiny_model, monkeypatch):
    monkeypatch.setattr(database, "SAVE_PATIENCE_SECONDS", 0)  # a save gives up at once instead of waiting
    save_copy(tiny_model, "kept")
    postgres.pg_ctl("stop")
    try:
        with pytest.raises(store.StoreUnavailable, match=r"127\.0\.0\.1:\d+/store_\w+, which does not answer"):
            store.list_artifacts()
        with pytest.raises(store.StoreUnavailable):
            save_copy(tiny_model, "while-down")
        assert plain_folder_runs() == []
    finally:
        postgres.pg_ctl("start")
    assert [a.model_id for a in store.list_artifacts([store.runs_dir()])] == ["kept"]


def test_a_finished_training_waits_for_a_restarting_server(store_url, postgres, tiny_model):
    """The save of a run just trained tries again while the server is down, and lands once it is back."""
    store.check_store()
    postgres.pg_ctl("stop")
    refused = threading.Event()
    sa.event.listen(database._engine(store_url), "handle_error", lambda context: refused.set())
    saved: list[store.Artifact] = []
    saving = threading.Thread(target=lambda: saved.append(save_copy(tiny_model, "waited")))
    saving.start()
    try:
        assert refused.wait(timeout=120), "the save never reached the stopped server"
    finally:
        postgres.pg_ctl("start")
    saving.join(timeout=database.SAVE_PATIENCE_SECONDS + 60)
    assert [artifact.model_id for artifact in saved] == ["waited"]
    assert stored_rows(store_url) == [("waited", "")]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_store_says_where_runs_go_and_saves_nothing_elsewhere(monkeypatch, tmp_path, tiny_model):
    monkeypatch.setattr(database, "SAVE_PATIENCE_SECONDS", 0)
    monkeypatch.setenv(store.ENV_STORE_URL, f"postgresql://studio:secret@127.0.0.1:{free_port()}/classroom")
    monkeypatch.setenv(store.ENV_RUNS_DIR, str(tmp_path / "runs"))
    with pytest.raises(store.StoreUnavailable) as raised:
        store.check_store()
    message = str(raised.value)
    assert "Runs are saved to the database at 127.0.0.1:" in message and "/classroom, which does not answer" in message
    assert "Nothing is being saved to a folder that would vanish instead" in message and "secret" not in message
    with pytest.raises(store.StoreUnavailable):
        store.list_artifacts()
    with pytest.raises(store.StoreUnavailable):
        save_copy(tiny_model, "nowhere")
    assert plain_folder_runs() == []


@pytest.mark.slow  # a CLI subprocess
def test_the_cli_says_where_runs_go_when_the_store_is_unreachable(monkeypatch, tmp_path):
    monkeypatch.setenv(store.ENV_STORE_URL, f"postgresql://studio@127.0.0.1:{free_port()}/classroom")
    monkeypatch.setenv(store.ENV_RUNS_DIR, str(tmp_path / "runs"))
    done = run_cli_process("runs")
    assert done.returncode == 2 and done.stderr.strip().splitlines()[-1].startswith("error: Runs are saved to")
    assert "/classroom, which does not answer" in done.stderr and "Traceback" not in done.stderr


def test_a_bad_url_is_refused_not_ignored(monkeypatch):
    monkeypatch.setenv(store.ENV_STORE_URL, "not a url")
    with pytest.raises(store.StoreUnavailable, match="is not a database URL"):
        store.list_artifacts()


def test_the_url_comes_from_the_environment_or_the_secrets(monkeypatch):
    secrets = {"connections": {"runs": {"url": " postgresql://u@h/db "}}}
    assert store.url_from_secrets(secrets) == "postgresql://u@h/db"
    assert store.url_from_secrets({}) is None and store.url_from_secrets({"connections": {"runs": {}}}) is None
    monkeypatch.setenv(store.ENV_STORE_URL, "")  # unset, and restored after the test
    assert store.store_url() is None and store.runs_dir() == store.runs_folder()  # nothing set: the folder
    store.use_store_url(store.url_from_secrets(secrets))
    assert store.store_url() == "postgresql://u@h/db"
    store.use_store_url("postgresql://other@h/db")  # the environment, once set, wins
    assert store.store_url() == "postgresql://u@h/db"
    assert store.describe_store() == "the database at h/db"


@pytest.mark.slow  # CLI subprocesses
def test_a_fresh_process_lists_a_run_saved_by_another(store_url, tiny_model, tmp_path):
    save_copy(tiny_model, "from-another-process")
    fresh = {store.ENV_RUNS_DIR: str(tmp_path / "fresh-clone-runs")}
    done = run_cli_process("runs", env=fresh)
    assert done.returncode == 0, done.stderr
    ids = [line.split("\t")[0] for line in done.stdout.splitlines()]
    assert "from-another-process" in ids and ids[-1] == "from-another-process"  # shipped first, then the store's
    assert "the database at 127.0.0.1:" in done.stderr
    without = run_cli_process("runs", env={**fresh, store.ENV_STORE_URL: ""})
    assert without.returncode == 0 and "from-another-process" not in without.stdout


# A save in another process, stopped by SIGKILL at a chosen point: while writing its files, or inside
# the database transaction (its run row written, its files not yet). The child says where it is, then waits.
KILLED_SAVE = """
import dataclasses, sys, threading
from pathlib import Path
import sqlalchemy as sa
from core.models import store

def pause(where):
    print(where, flush=True)
    threading.Event().wait()

if sys.argv[1] == "files":
    original = store.write_history_csv
    store.write_history_csv = lambda path, history: (original(path, history), pause("files"))
else:
    @sa.event.listens_for(sa.Engine, "after_cursor_execute")
    def after(connection, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO studio_runs "):
            pause("transaction")
artifact = store.read_artifact(Path(sys.argv[2]))
store.save(store.load_model(artifact), dataclasses.replace(artifact.meta, model_id="killed"))
"""


@pytest.mark.slow  # a subprocess importing TensorFlow to save
@pytest.mark.parametrize("moment", ["files", "transaction"])
def test_a_save_killed_half_way_leaves_no_half_run(store_url, tiny_model, moment):
    store.check_store()  # the tables exist before the child starts
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_SAVE, moment, str(tiny_model.path)],
        cwd=REPO_ROOT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == moment, child.stderr.read() if child.poll() is not None else ""
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    assert stored_rows(store_url) == []
    assert "killed" not in {artifact.model_id for artifact in store.list_artifacts()}
    save_copy(tiny_model, "killed")  # the id is free: nothing of the dead save holds it
    assert [model_id for model_id, _ in stored_rows(store_url)] == ["killed"]


def test_the_teacher_page_lists_and_deletes_the_class_runs_in_the_database(store_url, tiny_model, monkeypatch):
    from streamlit.testing.v1 import AppTest

    save_copy(tiny_model, "class-run", owner="a-student")
    monkeypatch.setenv("FASHION_STUDIO_TEACHER_SECRET", "a-long-teacher-secret")
    at = AppTest.from_file(str(REPO_ROOT / "studio.py"), default_timeout=120)
    at.run()
    at.session_state["teacher_unlocked"] = "a-long-teacher-secret"
    at.switch_page("app_pages/teacher.py").run()
    assert not at.exception, [item.value for item in at.exception]
    assert any("kept in the database at 127.0.0.1:" in caption.value for caption in at.caption)
    assert any(text.value.startswith("**class-run**") for text in at.markdown)
    at.button(key="run-delete-class-run").click().run()
    assert not at.exception and stored_rows(store_url) == []


def test_a_run_saved_again_under_its_id_is_listed_anew(store_url, tiny_model):
    """Listings keep the meta of runs already seen; a run deleted and saved again (a new version) is read again."""
    save_copy(tiny_model, "again", owner="first")
    assert [a.meta.owner for a in store.list_artifacts([store.runs_dir()])] == ["first"]
    store.delete_run("again")
    assert store.list_artifacts([store.runs_dir()]) == []
    save_copy(tiny_model, "again", owner="second")
    assert [a.meta.owner for a in store.list_artifacts([store.runs_dir()])] == ["second"]
    assert store.find("again").meta.owner == "second"
