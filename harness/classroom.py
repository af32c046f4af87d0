"""A classroom's worth of runs on disk: N small but real models under new ids, with realistic meta.

Each run is a copy of a shipped quick model (MLP 128, quick CNN or shallow CNN: what students
train first) under a new id, owned by one of a few dozen browsers, saved at spread-out times,
with its cached test probabilities (so a run costs what a real evaluated run costs). Optionally
one run is broken in training: its last layer outputs the same class whatever the image, so its
test accuracy is exactly 10% (1,000 test images per class); its probabilities are written exactly.

Used by tests (the pages with 100 runs) and by the benchmarks:

    .venv/bin/python -m harness.classroom --runs 100 --out /tmp/class-runs   # then FASHION_STUDIO_RUNS_DIR=/tmp/class-runs
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from core.models import store

TEMPLATES = ("mlp_128", "cnn_quick", "cnn_shallow")
STUDENTS = 30
WEAK_ID = "run-000-untrained"


def student_owner(number: int) -> str:
    """The owner hash a browser of student ``number`` would carry (as ui.identity.owner computes it)."""
    import hashlib

    return hashlib.sha256(f"fashion-mnist-studio:student-{number:02d}".encode()).hexdigest()[:24]


def _copy_run(template: store.Artifact, target: Path, meta: store.ModelMeta, saved_at: float) -> None:
    shutil.copytree(template.path, target)
    (target / store.META_FILE).write_text(meta.to_json())
    for file in target.iterdir():
        os.utime(file, (saved_at, saved_at))


def _weak_run(template: store.Artifact, target: Path, meta: store.ModelMeta, saved_at: float) -> None:
    """The template with its last layer's kernel zeroed: the same answer for every image."""
    model = store.load_model(template)
    last = model.layers[-1]
    kernel, bias = last.get_weights()
    bias = np.zeros_like(bias)
    bias[3] = 1.0  # always "Dress"
    last.set_weights([np.zeros_like(kernel), bias])
    target.mkdir(parents=True)
    model.save(target / store.MODEL_FILE)
    (target / store.META_FILE).write_text(meta.to_json())
    store.write_history_csv(target / store.HISTORY_FILE, meta.history)
    row = np.exp(bias) / np.exp(bias).sum()
    np.save(target / store.PROBABILITIES_FILE, np.tile(row.astype(np.float32), (10_000, 1)))
    for file in target.iterdir():
        os.utime(file, (saved_at, saved_at))


def write_runs(
    root: Path,
    count: int,
    *,
    owners: Sequence[str] | None = None,
    weak: bool = True,
    seed: int = 0,
    now: float | None = None,
) -> list[str]:
    """Write ``count`` runs into ``root`` (created) and return their ids, oldest first.

    ``owners``: the browsers the runs belong to, round robin (default: 30 students). With
    ``weak``, the first run is the untrained one. Saves are spread over the last three hours.
    """
    if count < 0:
        raise ValueError(f"count must be at least 0 (got {count})")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    templates = [store.read_artifact(store.SHIPPED_DIR / key, shipped=True) for key in TEMPLATES]
    broken = [t.model_id for t in templates if not t.ok]
    if broken:
        raise store.ArtifactError(f"shipped template models missing or broken: {', '.join(broken)}")
    owners = list(owners) if owners else [student_owner(number) for number in range(STUDENTS)]
    rng = np.random.default_rng(seed)
    now = time.time() if now is None else now
    ids = []
    for number in range(count):
        template = templates[number % len(templates)]
        saved_at = now - 3 * 3600 + 3 * 3600 * (number + 1) / (count + 1)
        untrained = weak and number == 0
        model_id = WEAK_ID if untrained else f"run-{number:03d}-{template.model_id.replace('_', '-')}"
        meta = dataclasses.replace(
            template.meta,
            model_id=model_id,
            display_name=f"student {number % len(owners):02d}: {template.meta.display_name} #{number}",
            created=datetime.fromtimestamp(saved_at, UTC).isoformat(timespec="seconds"),
            train_seconds=round(float(template.meta.train_seconds) * rng.uniform(0.8, 1.6), 1),
            owner=owners[number % len(owners)],
            test_accuracy=0.1 if untrained else template.meta.test_accuracy,
            history={key: values[:1] for key, values in template.meta.history.items()}
            if untrained
            else template.meta.history,
            epochs_run=1 if untrained else template.meta.epochs_run,
        )
        (_weak_run if untrained else _copy_run)(template, root / model_id, meta, saved_at)
        ids.append(model_id)
    return ids


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--out", type=Path, required=True, help="a runs folder (FASHION_STUDIO_RUNS_DIR)")
    parser.add_argument("--no-weak", action="store_true", help="no untrained run among them")
    args = parser.parse_args(argv)
    ids = write_runs(args.out, args.runs, weak=not args.no_weak)
    print(f"{len(ids)} runs in {args.out}")


if __name__ == "__main__":
    main()
