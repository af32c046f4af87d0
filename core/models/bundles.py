"""A run as one file: a zip of its folder (model.keras, meta.json, history.csv, cached predictions) to
download and upload back later or on another server, and one zip of every run for the teacher.

Files written at run time are lost when a hosted app restarts; a bundle is how a run outlives that.
An uploaded bundle is checked before anything is kept: only known file names (no folders, no ``..``,
no absolute paths), sizes read from the zip's listing before unpacking, ``meta.json`` parsed as data,
the model loaded in safe mode and checked to take the Studio's input and give ten probabilities. It
is then saved through the store's atomic save under a free id.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from core.data import CLASS_NAMES, IMAGE_SIDE
from core.models import importing, store

BUNDLE_FILES = (store.MODEL_FILE, store.META_FILE, store.HISTORY_FILE, store.PROBABILITIES_FILE)
MAX_CLASS_BUNDLES = 1000


def bundle(artifact: store.Artifact) -> bytes:
    """The run's folder as one zip (its caches besides the test predictions are rebuilt where it lands)."""
    store.materialize(artifact)  # a run from the database store: its files, here once
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in BUNDLE_FILES:
            if (artifact.path / name).is_file():
                archive.write(artifact.path / name, name)
    return buffer.getvalue()


def class_bundle(artifacts: list[store.Artifact]) -> bytes:
    """Every run as one zip of bundles, ``<model-id>.zip`` each (the teacher's export)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for artifact in artifacts:
            if artifact.ok:
                archive.writestr(f"{artifact.model_id}.zip", bundle(artifact))
    return buffer.getvalue()


def _members(data: bytes, filename: str, allowed, max_bytes: int) -> dict[str, bytes]:
    """A zip's members by name, read only once every name is allowed and the total size is within the cap."""
    importing.check_zip(data, filename, max_bytes)  # damaged, or unpacking past the cap: refused unread
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        for name in names:
            if not allowed(name):
                raise importing.ImportRefused(f"{filename!r} holds {name!r}, which is not part of a run's bundle.")
        if len(set(names)) != len(names):
            raise importing.ImportRefused(f"{filename!r} names a file twice.")
        return {name: archive.read(name) for name in names}


def import_bundle(
    data: bytes,
    filename: str,
    *,
    owner: str | None,
    root: Path | None = None,
    caps: importing.Caps | None = None,
) -> store.Artifact:
    """Save a run's bundle as a run. ``owner`` rewrites whose it is (the uploader's); None keeps the
    bundle's (the teacher restoring the class). ImportRefused says why a bundle is not taken."""
    caps = caps or importing.Caps.from_env()
    if len(data) > caps.max_bytes:
        raise importing.ImportRefused(f"{filename!r} is over this server's {caps.max_bytes / 1e6:,.0f} MB.")
    members = _members(data, filename, lambda name: name in BUNDLE_FILES, caps.max_bytes)
    for needed in (store.MODEL_FILE, store.META_FILE):
        if needed not in members:
            raise importing.ImportRefused(f"{filename!r} has no {needed}, so it is not a run's bundle.")
    try:
        meta = store.ModelMeta.from_json(members[store.META_FILE].decode())
    except (ValueError, TypeError, UnicodeDecodeError) as error:
        raise importing.ImportRefused(f"{filename!r} has an unreadable meta.json ({error}).") from None
    model = importing.load_upload(members[store.MODEL_FILE], store.MODEL_FILE, caps)
    if importing.check_shapes(model, filename, caps) != (IMAGE_SIDE, IMAGE_SIDE):  # ten classes, params capped
        raise importing.ImportRefused(f"{filename!r} holds a model that does not take the Studio's (28, 28) pixels.")
    probabilities = None
    if store.PROBABILITIES_FILE in members:
        probabilities = np.load(io.BytesIO(members[store.PROBABILITIES_FILE]), allow_pickle=False)
        if probabilities.shape[1:] != (len(CLASS_NAMES),) or not np.all(np.isfinite(probabilities)):
            probabilities = None  # rebuilt on first use, like any run's cache
    root = root or store.runs_dir()
    model_id = store.unique_id(root, meta.model_id)
    kept = replace(meta, model_id=model_id, display_name=model_id, owner=meta.owner if owner is None else owner)
    artifact = store.save(model, kept, root, probabilities)
    store.keep_within_cap(root, artifact.model_id)
    return artifact


def import_class_bundle(data: bytes, filename: str, root: Path | None = None) -> tuple[list[store.Artifact], list[str]]:
    """The teacher's import: every bundle in the zip, each keeping its owner; the runs saved and one line
    per bundle refused."""
    caps = importing.Caps.from_env()
    limit = 2 * max(len(data), caps.max_bytes)  # bundles are stored, not compressed again: no bigger unpacked

    def allowed(name: str) -> bool:
        return name.endswith(".zip") and "/" not in name and "\\" not in name and ".." not in name

    members = _members(data, filename, allowed, limit)
    if len(members) > MAX_CLASS_BUNDLES:
        raise importing.ImportRefused(f"{filename!r} holds {len(members):,} bundles; at most {MAX_CLASS_BUNDLES:,}.")
    saved, refused = [], []
    for name, payload in members.items():
        try:
            saved.append(import_bundle(payload, name, owner=None, root=root, caps=caps))
        except (importing.ImportRefused, store.ArtifactError, OSError) as error:
            refused.append(str(error))
    return saved, refused
