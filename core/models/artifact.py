"""What a saved model is, wherever it is kept: its folder's files, its meta, and the errors of reading one.

An artifact is a folder ``<model-id>/`` holding ``model.keras``, ``meta.json``, ``history.csv`` and, once
evaluated, ``test_probabilities.npy``. ``core.models.store`` keeps them in a folder or a database
(``core.models.database``); both read and write this format.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

MODEL_FILE = "model.keras"
META_FILE = "meta.json"
HISTORY_FILE = "history.csv"
PROBABILITIES_FILE = "test_probabilities.npy"
META_SCHEMA = 1
PARTIAL_PREFIX = ".partial-"  # a folder or file being written: never listed, swept when old


class ArtifactError(RuntimeError):
    """An artifact is missing, unreadable or not a model this app can load."""


class StoreUnavailable(ArtifactError):
    """The configured run store (a database) does not answer; its message says where runs go."""


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
    owner: str = ""  # a hash of the browser that trained it (ui.shared.identity.owner); "" for shipped and CLI runs
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
