"""Model artifacts on disk: atomic save, listing (broken ones flagged), safe loading.

An artifact is a folder ``<root>/<model-id>/`` holding ``model.keras``, ``meta.json``,
``history.csv`` and, once evaluated, ``test_probabilities.npy``. A folder is written
under a hidden temporary name and renamed into place only when complete, so a crash
or a stop never leaves a half-written model that would be listed.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import tempfile
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]  # core/models/store.py -> the repository
SHIPPED_DIR = REPO_ROOT / "artifacts"
ENV_RUNS_DIR = "FASHION_STUDIO_RUNS_DIR"
MODEL_FILE = "model.keras"
META_FILE = "meta.json"
HISTORY_FILE = "history.csv"
PROBABILITIES_FILE = "test_probabilities.npy"
META_SCHEMA = 1
MAX_NAME_LENGTH = 60
_TMP_PREFIX = ".partial-"


def runs_dir() -> Path:
    """Where models trained in the app or the CLI go (git-ignored)."""
    return Path(os.environ.get(ENV_RUNS_DIR, SHIPPED_DIR / "runs"))


def model_roots() -> list[Path]:
    return [SHIPPED_DIR, runs_dir()]


class ArtifactError(RuntimeError):
    """An artifact is missing, unreadable or not a model this app can load."""


@dataclass(frozen=True)
class ModelMeta:
    model_id: str
    arch: str
    display_name: str
    hyperparameters: dict
    dataset_source: str
    history: dict[str, list[float]]
    test_accuracy: float
    test_loss: float
    params: int
    train_seconds: float
    epochs_run: int
    created: str
    versions: dict[str, str]
    schema: int = META_SCHEMA
    notes: dict = field(default_factory=dict)
    owner: str = ""  # a hash of the browser that trained it (ui.identity.owner); "" for shipped and CLI runs
    where: str = ""  # where it trained: "this server", a Ray node, "a browser (TensorFlow.js, webgl)"

    @classmethod
    def from_json(cls, text: str) -> ModelMeta:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("meta.json does not hold an object")
        known = {name for name in cls.__dataclass_fields__}
        missing = [name for name in known if name not in data and name not in ("schema", "notes", "owner", "where")]
        if missing:
            raise ValueError(f"meta.json lacks {', '.join(sorted(missing))}")
        return cls(**{key: value for key, value in data.items() if key in known})

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


@dataclass(frozen=True)
class Artifact:
    """One folder found on disk: ``meta`` when readable, else ``error`` says why."""

    model_id: str
    path: Path
    shipped: bool
    meta: ModelMeta | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


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
    roots = {root, *model_roots()}
    candidate, number = base, 2
    while candidate in taken or any((folder / candidate).exists() for folder in roots):
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def write_history_csv(path: Path, history: dict[str, list[float]]) -> None:
    import pandas as pd

    frame = pd.DataFrame(history)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="epoch")
    frame.to_csv(path)


def save(model, meta: ModelMeta, root: Path | None = None, probabilities: np.ndarray | None = None) -> Artifact:
    """Write the artifact atomically: a hidden temp folder, renamed into place last."""
    root = root or runs_dir()
    root.mkdir(parents=True, exist_ok=True)
    final = root / sanitize_name(meta.model_id)
    if final.exists():
        raise ArtifactError(f"A model named {meta.model_id!r} already exists.")
    staging = Path(tempfile.mkdtemp(prefix=_TMP_PREFIX, dir=root))
    try:
        without_optimizer(model).save(staging / MODEL_FILE)
        (staging / META_FILE).write_text(meta.to_json())
        write_history_csv(staging / HISTORY_FILE, meta.history)
        if probabilities is not None:
            np.save(staging / PROBABILITIES_FILE, probabilities.astype(np.float32))
        staging.chmod(0o755)  # mkdtemp makes it owner-only; a model is for everyone who runs the app
        os.rename(staging, final)
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
    for artifact in list_artifacts(roots):
        if artifact.model_id == model_id:
            return artifact
    raise ArtifactError(f"No model called {model_id!r}.")


def load_model(artifact: Artifact):
    """Load the Keras model with safe mode on (no code from the file is run)."""
    import keras

    if not artifact.ok:
        raise ArtifactError(f"Model {artifact.model_id!r} is broken: {artifact.error}")
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
    path = artifact.path / PROBABILITIES_FILE
    if not path.is_file():
        return None
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None


def save_probabilities(artifact: Artifact, probabilities: np.ndarray) -> None:
    """Cache test-set probabilities beside a model (atomic replace)."""
    target = artifact.path / PROBABILITIES_FILE
    handle, temp = tempfile.mkstemp(dir=artifact.path, prefix=_TMP_PREFIX, suffix=".npy")
    os.close(handle)
    try:
        np.save(temp, probabilities.astype(np.float32))
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def delete_run(model_id: str, owner: str | None = None, root: Path | None = None) -> None:
    """Remove a run trained here. ``owner`` set: only that browser's own runs (a student); None: any run (a teacher).

    Shipped models are never removed. The folder is renamed to a hidden name first, so it leaves every
    list at once even if removing its files takes a while.
    """
    root = root or runs_dir()
    artifact = next((found for found in list_artifacts([root]) if found.model_id == model_id), None)
    if artifact is None:
        raise ArtifactError(f"No run called {model_id!r}.")
    if owner is not None and (artifact.meta is None or artifact.meta.owner != owner):
        raise PermissionError(
            f"{model_id!r} was trained in another browser; only its owner or the teacher may delete it."
        )
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
    folders = _run_folders(root or runs_dir())
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


def keep_within_cap(root: Path, just_saved: str) -> list[Path]:
    """After a save: the runs folder keeps to its cap (oldest out). Never the shipped folder, never the run
    just saved; a bad cap setting or a busy file never costs that run (nothing is removed then)."""
    if Path(root).resolve() == SHIPPED_DIR.resolve():
        return []
    try:
        return enforce_retention(root, keep=[just_saved])
    except (ValueError, ArtifactError, OSError):
        return []
