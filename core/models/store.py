"""Model artifacts: atomic save, listing (broken ones flagged), safe loading; in a folder or a database.

An artifact is a folder ``<root>/<model-id>/`` holding ``model.keras``, ``meta.json``,
``history.csv`` and, once evaluated, ``test_probabilities.npy``. A folder is written
under a hidden temporary name and renamed into place only when complete, so a crash
or a stop never leaves a half-written model that would be listed.

Runs trained here go to the runs folder by default. With a store URL set
(``FASHION_STUDIO_STORE_URL``, or ``[connections.runs] url`` in Streamlit's secrets, passed in
with ``use_store_url``) they go to that database instead (``core.models.database``), and
``runs_dir()`` names this process's local copy of it: every function here that is given that
root reads and writes the database, so callers do not change.
"""

from __future__ import annotations

import io
import os
import platform
import re
import shutil
import tempfile
import time
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# What an artifact is lives in core.models.artifact; callers keep writing store.ModelMeta, store.MODEL_FILE...
from core.models.artifact import (  # noqa: F401
    HISTORY_FILE,
    META_FILE,
    META_SCHEMA,
    MODEL_FILE,
    PARTIAL_PREFIX,
    PROBABILITIES_FILE,
    Artifact,
    ArtifactError,
    ModelMeta,
    StoreUnavailable,
)

REPO_ROOT = Path(__file__).resolve().parents[2]  # core/models/store.py -> the repository
SHIPPED_DIR = REPO_ROOT / "artifacts"
ENV_RUNS_DIR = "FASHION_STUDIO_RUNS_DIR"
ENV_STORE_URL = "FASHION_STUDIO_STORE_URL"
MAX_NAME_LENGTH = 60
_TMP_PREFIX = PARTIAL_PREFIX


def runs_folder() -> Path:
    """The runs folder (git-ignored): the folder store, and where a database store keeps its local copies."""
    return Path(os.environ.get(ENV_RUNS_DIR, SHIPPED_DIR / "runs"))


def runs_dir() -> Path:
    """Where models trained in the app or the CLI go: the runs folder, or with a store URL set, the
    database's local copy (a root that save, list, find and delete send to the database)."""
    url = store_url()
    if url is None:
        return runs_folder()
    from core.models import database

    return database.cache_folder(runs_folder(), url)


def model_roots() -> list[Path]:
    return [SHIPPED_DIR, runs_dir()]


# --- which store: one setting ---------------------------------------------------------------------
def store_url() -> str | None:
    """The run store's database URL (``FASHION_STUDIO_STORE_URL``); None: the runs folder."""
    return os.environ.get(ENV_STORE_URL, "").strip() or None


def use_store_url(url: str | None) -> None:
    """Take the store URL from elsewhere (the UI passes Streamlit's secret at start). The environment
    variable, when set, wins; child processes inherit the URL."""
    if url and url.strip() and store_url() is None:
        os.environ[ENV_STORE_URL] = url.strip()


def url_from_secrets(secrets: Mapping) -> str | None:
    """``[connections.runs] url = "..."`` from Streamlit-style secrets (any mapping), or None."""
    connections = secrets.get("connections") if hasattr(secrets, "get") else None
    runs = connections.get("runs") if hasattr(connections, "get") else None
    url = runs.get("url") if hasattr(runs, "get") else None
    if not isinstance(url, str) or not url.strip():
        return None
    return url.strip()


def _database(root: Path | None):
    """The database store when ``root`` is its local copy (``runs_dir()`` with a URL set), else None."""
    url = store_url()
    if url is None or root is None:
        return None
    from core.models import database

    cache = database.cache_folder(runs_folder(), url)
    return database.DatabaseStore(url, cache) if Path(root).absolute() == cache.absolute() else None


def describe_store() -> str:
    """Where runs are kept, for people: the database's host and name, or the folder."""
    url = store_url()
    if url is None:
        return f"the folder {runs_folder()} (a hosted app loses it when it restarts)"
    from core.models import database

    return f"the database at {database.where(url)}"


def check_store() -> None:
    """Reach the configured database once (and make its tables); raises StoreUnavailable, whose message
    says where runs go, when it does not answer. Nothing to check for the folder."""
    store = _database(runs_dir())
    if store is not None:
        store.check()


def sanitize_name(name: str) -> str:
    """Turn a user-given model name into a safe folder name, or raise ValueError.

    Keeps ASCII letters (accents folded), digits, '-', '_' and '.', maps spaces to '-', refuses anything that
    is empty after cleaning, starts with a dot, or is longer than MAX_NAME_LENGTH.
    """
    if not isinstance(name, str):
        raise ValueError("The model name must be text.")
    text = unicodedata.normalize("NFKC", name).strip()
    if not text:
        raise ValueError("Give the model a name (letters, digits, '-', '_').")
    if len(text) > MAX_NAME_LENGTH:
        raise ValueError(f"The model name is {len(text)} characters long; keep it to {MAX_NAME_LENGTH}.")
    if "/" in text or "\\" in text or ".." in text:
        raise ValueError("The model name may not contain '/', '\\' or '..'; use letters, digits, '-' and '_'.")
    # Accents folded to plain letters ("modèle" -> "modele"): folder names stay ASCII.
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"\s+", "-", text)
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "", cleaned).strip("-.")
    if not cleaned:
        raise ValueError("The model name needs at least one letter or digit.")
    return cleaned


def unique_id(root: Path, name: str, taken: set[str | None] = frozenset()) -> str:
    """A free id for a new model in ``root``; never the id of a shipped or other listed model, nor one in ``taken``
    (ids reserved by runs still training)."""
    base = sanitize_name(name)
    folders, stored = [], set()
    for folder in {root, *model_roots()}:
        database = _database(folder)
        if database is None:
            folders.append(folder)
        else:
            stored |= database.ids()
    candidate, number = base, 2
    while candidate in taken or candidate in stored or any((folder / candidate).exists() for folder in folders):
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def write_history_csv(path: Path, history: dict[str, list[float]]) -> None:
    import pandas as pd

    frame = pd.DataFrame(history)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="epoch")
    frame.to_csv(path)


def save(model, meta: ModelMeta, root: Path | None = None, probabilities: np.ndarray | None = None) -> Artifact:
    """Write the artifact atomically: a hidden temp folder, renamed into place last. For the database
    store, the complete folder goes into the database in one transaction before it becomes the local copy."""
    root = root or runs_dir()
    database = _database(root)
    root.mkdir(parents=True, exist_ok=True)
    final = root / sanitize_name(meta.model_id)
    if database is None and final.exists():  # the database refuses a taken id itself (its primary key)
        raise ArtifactError(f"A model named {meta.model_id!r} already exists.")
    staging = Path(tempfile.mkdtemp(prefix=_TMP_PREFIX, dir=root))
    try:
        without_optimizer(model).save(staging / MODEL_FILE)
        meta_text = meta.to_json()
        (staging / META_FILE).write_text(meta_text)
        write_history_csv(staging / HISTORY_FILE, meta.history)
        if probabilities is not None:
            np.save(staging / PROBABILITIES_FILE, probabilities.astype(np.float32))
        staging.chmod(0o755)  # mkdtemp makes it owner-only; a model is for everyone who runs the app
        if database is None:
            os.rename(staging, final)
        else:
            database.insert(staging, final.name, meta_text, owner=meta.owner, created=meta.created)
            database.place(staging, final.name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Artifact(final.name, final, shipped=root == SHIPPED_DIR, meta=meta)


def without_optimizer(model):
    """An uncompiled twin sharing the weights: the optimizer's state would triple the file."""
    if getattr(model, "optimizer", None) is None:
        return model
    # from_config, not clone_model: Keras 3 compiles a clone of a compiled model
    twin = type(model).from_config(model.get_config())
    twin.set_weights(model.get_weights())
    return twin


def read_artifact(path: Path, shipped: bool = False) -> Artifact:
    """Describe one artifact folder; never raises for a broken one."""
    try:
        if not (path / MODEL_FILE).is_file():
            raise ArtifactError(f"{MODEL_FILE} is missing")
        if (path / MODEL_FILE).stat().st_size == 0:
            raise ArtifactError(f"{MODEL_FILE} is empty")
        meta = ModelMeta.from_json((path / META_FILE).read_text())
        return Artifact(path.name, path, shipped, meta)
    except FileNotFoundError:
        return Artifact(path.name, path, shipped, None, f"{META_FILE} is missing")
    except (ArtifactError, ValueError, TypeError, UnicodeDecodeError) as error:
        return Artifact(path.name, path, shipped, None, str(error))


def sweep_partial_saves(root: Path | None = None, older_than_seconds: float = 3600) -> list[Path]:
    """Delete the temp folders of saves that died (a killed process) and return them.

    They are never listed anyway; this only gives the disk space back. Only folders older
    than ``older_than_seconds`` go, so a save still running in another process is safe.
    """
    root = root or runs_dir()
    if not root.is_dir():
        return []
    cutoff = time.time() - older_than_seconds
    swept = [path for path in root.glob(f"{_TMP_PREFIX}*") if path.is_dir() and path.stat().st_mtime < cutoff]
    for path in swept:
        shutil.rmtree(path, ignore_errors=True)
    return swept


def list_artifacts(roots: list[Path] | None = None) -> list[Artifact]:
    """Every artifact folder under the roots, shipped first; partial saves are skipped."""
    found = []
    for root in roots or model_roots():
        database = _database(root)
        if database is not None:
            found.extend(database.artifacts())
            continue
        if not root.is_dir():
            continue
        for path in sorted(root.iterdir()):
            # the runs folder is never a model, wherever FASHION_STUDIO_RUNS_DIR points now
            if (
                path.is_dir()
                and not path.name.startswith((".", "_"))
                and path not in (runs_dir(), SHIPPED_DIR / "runs")
            ):
                found.append(read_artifact(path, shipped=root == SHIPPED_DIR))
    return found


def find(model_id: str, roots: list[Path] | None = None) -> Artifact:
    """The first model with this id, shipped first; a run from the database comes with its files local."""
    for root in roots or model_roots():
        database = _database(root)
        if database is not None:
            found = database.artifact(model_id)
        else:
            found = next((artifact for artifact in list_artifacts([root]) if artifact.model_id == model_id), None)
        if found is not None:
            return materialize(found)
    raise ArtifactError(f"No model called {model_id!r}.")


def materialize(artifact: Artifact) -> Artifact:
    """Make sure a run from the database has its files in its folder (``artifact.path``): fetched once,
    then reused while the run is unchanged. A folder artifact is returned as it is."""
    database = _database(artifact.path.parent)
    if database is not None and artifact.ok:
        database.materialize(artifact.model_id)
    return artifact


def load_model(artifact: Artifact):
    """Load the Keras model with safe mode on (no code from the file is run)."""
    import keras

    if not artifact.ok:
        raise ArtifactError(f"Model {artifact.model_id!r} is broken: {artifact.error}")
    materialize(artifact)
    try:
        return keras.saving.load_model(artifact.path / MODEL_FILE, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many types for a damaged zip
        reason = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
        raise ArtifactError(f"Model {artifact.model_id!r} could not be loaded ({reason}).") from error


def predict_probabilities(model, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Class probabilities for many images, batched, without ``predict``'s per-call overhead."""
    outputs = [
        np.asarray(model(images[start : start + batch_size].astype(np.float32), training=False))
        for start in range(0, len(images), batch_size)
    ]
    return np.concatenate(outputs).astype(np.float32)


def library_versions() -> dict[str, str]:
    """The versions a model was saved with (``meta.versions``)."""
    import keras
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
    }


def load_probabilities(artifact: Artifact) -> np.ndarray | None:
    path = materialize(artifact).path / PROBABILITIES_FILE
    if not path.is_file():
        return None
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None


def save_probabilities(artifact: Artifact, probabilities: np.ndarray) -> None:
    """Cache test-set probabilities beside a model (atomic replace); a run from the database keeps them
    there too. OSError when they could not be kept."""
    database = _database(artifact.path.parent)
    if database is not None:
        _save_probabilities_in_database(database, artifact, probabilities)
        return
    target = artifact.path / PROBABILITIES_FILE
    handle, temp = tempfile.mkstemp(dir=artifact.path, prefix=_TMP_PREFIX, suffix=".npy")
    os.close(handle)
    try:
        np.save(temp, probabilities.astype(np.float32))
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _save_probabilities_in_database(database, artifact: Artifact, probabilities: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, probabilities.astype(np.float32))
    try:
        materialize(artifact)
        version = database.replace_file(artifact.model_id, PROBABILITIES_FILE, buffer.getvalue())
    except ArtifactError as error:  # gone meanwhile, or the database does not answer: not kept
        raise OSError(str(error)) from error
    if version is None:
        raise OSError(f"the run {artifact.model_id!r} was deleted meanwhile")
    handle, temp = tempfile.mkstemp(dir=artifact.path, prefix=_TMP_PREFIX, suffix=".npy")
    with os.fdopen(handle, "wb") as file:
        file.write(buffer.getvalue())
    os.replace(temp, artifact.path / PROBABILITIES_FILE)
    database.mark_current(artifact.model_id, version)


def delete_run(model_id: str, owner: str | None = None, root: Path | None = None) -> None:
    """Remove a run trained here. ``owner`` set: only that browser's own runs (a student); None: any run (a teacher).

    Shipped models are never removed. The folder is renamed to a hidden name first, so it leaves every
    list at once even if removing its files takes a while.
    """
    root = root or runs_dir()
    database = _database(root)
    if database is not None:
        artifact = database.artifact(model_id)
    else:
        artifact = next((found for found in list_artifacts([root]) if found.model_id == model_id), None)
    if artifact is None:
        raise ArtifactError(f"No run called {model_id!r}.")
    if owner is not None and (artifact.meta is None or artifact.meta.owner != owner):
        raise PermissionError(
            f"{model_id!r} was trained in another browser; only its owner or the teacher may delete it."
        )
    if database is not None:
        database.delete([model_id])
        return
    trash = root / f"{_TMP_PREFIX}deleted-{model_id}-{os.getpid()}-{time.monotonic_ns()}"
    os.rename(artifact.path, trash)
    shutil.rmtree(trash, ignore_errors=True)


# --- retention: the runs folder has a cap ---------------------------------------------------------
ENV_MAX_RUNS = "FASHION_STUDIO_MAX_RUNS"
ENV_MAX_RUNS_MB = "FASHION_STUDIO_MAX_RUNS_MB"
DEFAULT_MAX_RUNS = 300  # a class of 30 with ten runs each
DEFAULT_MAX_RUNS_MB = 1000
_MEGABYTE = 1_000_000


def positive_int_env(name: str, default: int) -> int:
    """A whole number of at least 1 from the environment, the default when unset; ValueError says what is wrong."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} must be a whole number (got {text!r}).") from None
    if value < 1:
        raise ValueError(f"{name} must be at least 1 (got {value}).")
    return value


@dataclass(frozen=True)
class Retention:
    """How many runs, and how many bytes of them, the runs folder keeps; the oldest go beyond that."""

    max_runs: int = DEFAULT_MAX_RUNS
    max_bytes: int = DEFAULT_MAX_RUNS_MB * _MEGABYTE

    def __post_init__(self) -> None:
        if self.max_runs < 1 or self.max_bytes < 1:
            raise ValueError(f"retention limits must be positive (got {self.max_runs} runs, {self.max_bytes} bytes)")

    @classmethod
    def from_env(cls) -> Retention:
        """``FASHION_STUDIO_MAX_RUNS`` (count) and ``FASHION_STUDIO_MAX_RUNS_MB`` (total size), else the defaults."""
        return cls(
            positive_int_env(ENV_MAX_RUNS, DEFAULT_MAX_RUNS),
            positive_int_env(ENV_MAX_RUNS_MB, DEFAULT_MAX_RUNS_MB) * _MEGABYTE,
        )

    def describe(self) -> str:
        return f"at most {self.max_runs:,} runs and {self.max_bytes / _MEGABYTE:,.0f} MB ({ENV_MAX_RUNS}, {ENV_MAX_RUNS_MB})"


@dataclass(frozen=True)
class RunsUsage:
    runs: int
    total_bytes: int


def folder_bytes(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


def _run_folders(root: Path) -> list[Path]:
    """Saved runs in ``root``: complete folders (partial saves and hidden names are not runs)."""
    if not root.is_dir():
        return []
    return [path for path in root.iterdir() if path.is_dir() and not path.name.startswith((".", "_"))]


def runs_usage(root: Path | None = None) -> RunsUsage:
    root = root or runs_dir()
    database = _database(root)
    if database is not None:
        return RunsUsage(*database.usage())
    folders = _run_folders(root)
    return RunsUsage(len(folders), sum(folder_bytes(path) for path in folders))


def enforce_retention(
    root: Path | None = None, retention: Retention | None = None, keep: Sequence[str] = ()
) -> list[Path]:
    """Remove the oldest runs until the folder is within its cap; return what was removed.

    Oldest by the model file's time (the save). Runs named in ``keep`` (the one just saved) stay.
    Never touches the shipped models: refuses a root that is, or holds, the shipped folder.
    """
    root = Path(root or runs_dir())
    retention = retention or Retention.from_env()
    database = _database(root)
    if database is not None:
        return _enforce_in_database(database, retention, keep)
    resolved, shipped = root.resolve(), SHIPPED_DIR.resolve()
    if resolved == shipped or shipped.is_relative_to(resolved):
        raise ArtifactError(f"Retention never removes shipped models; {root} is not a runs folder.")

    def saved_at(path: Path) -> float:
        model_file = path / MODEL_FILE
        return (model_file if model_file.exists() else path).stat().st_mtime

    folders = sorted(_run_folders(root), key=lambda path: (saved_at(path), path.name))
    sizes = {path: folder_bytes(path) for path in folders}
    count, total = len(folders), sum(sizes.values())
    removed = []
    for path in folders:
        if count <= retention.max_runs and total <= retention.max_bytes:
            break
        if path.name in keep:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
        count, total = count - 1, total - sizes[path]
    return removed


def _enforce_in_database(database, retention: Retention, keep: Sequence[str]) -> list[Path]:
    """The same cap for the database store: the oldest saves go, in one transaction."""
    runs = database.oldest_first()
    count, total = len(runs), sum(size for _, size in runs)
    removed = []
    for model_id, size in runs:
        if count <= retention.max_runs and total <= retention.max_bytes:
            break
        if model_id in keep:
            continue
        removed.append(model_id)
        count, total = count - 1, total - size
    database.delete(removed)
    return [database.cache / model_id for model_id in removed]


def keep_within_cap(root: Path, just_saved: str) -> list[Path]:
    """After a save: the runs folder keeps to its cap (oldest out). Never the shipped folder, never the run
    just saved; a bad cap setting or a busy file never costs that run (nothing is removed then)."""
    if Path(root).resolve() == SHIPPED_DIR.resolve():
        return []
    try:
        return enforce_retention(root, keep=[just_saved])
    except (ValueError, ArtifactError, OSError):
        return []
