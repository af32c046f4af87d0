"""Likely label mistakes in the training set: k-fold out-of-sample probabilities + cleanlab.

Confident learning (Northcutt et al., 2021) needs, for every training image, class
probabilities from a model that never trained on that image. ``out_of_sample_probabilities``
makes them: the 60,000 images are split into stratified folds; for each fold fresh
zoo models (by default two quick classroom CNNs, differently initialized, with their own
recipe) train on the other folds and score only the held-out one; their probabilities are
averaged. One model alone is sometimes confidently wrong about a plain image (a sandal
called a bag at 99.8%), which would rank it first; two independent models rarely share
such a slip, while a real label mistake fools both. ``cleanlab`` then ranks the images
whose given label disagrees most with those probabilities. The ranking comes from the probabilities
alone, never from a list of known mistakes.

The probabilities of the shipped run live in ``artifacts/train_oof_probabilities.npz``
(float16, with each image's fold and the recipe); ``make label-issues`` remakes it.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.data import CLASS_NAMES
from core.models import store

OOF_FILE = store.SHIPPED_DIR / "train_oof_probabilities.npz"
NUM_CLASSES = len(CLASS_NAMES)


@dataclass(frozen=True)
class KFoldRecipe:
    """How the out-of-sample probabilities were made: enough to remake them exactly."""

    arch: str = "cnn_quick"
    folds: int = 5
    epochs: int | None = None  # None: the architecture's own default
    seed: int = 42
    repeats: int = 2  # independently initialized models per fold, averaged

    def validate(self) -> KFoldRecipe:
        from core.models import zoo

        zoo.get_spec(self.arch)  # ValueError for an unknown architecture
        if not isinstance(self.folds, int) or not 2 <= self.folds <= 20:
            raise ValueError(f"folds must be a whole number from 2 to 20 (got {self.folds!r})")
        if self.epochs is not None and (not isinstance(self.epochs, int) or not 1 <= self.epochs <= 100):
            raise ValueError(f"epochs must be a whole number from 1 to 100 (got {self.epochs!r})")
        if not isinstance(self.repeats, int) or not 1 <= self.repeats <= 10:
            raise ValueError(f"repeats must be a whole number from 1 to 10 (got {self.repeats!r})")
        return self

    def init_seed(self, fold: int, repeat: int) -> int:
        """The weights' seed of one fold's model; repeat 0 is the single-model recipe's seed."""
        return self.seed + fold + 1000 * repeat


@dataclass(frozen=True)
class OutOfSample:
    """Probabilities for every training image from the one model that held it out."""

    probabilities: np.ndarray  # (n, 10) float32
    folds: np.ndarray  # (n,) the fold each image was held out in
    recipe: KFoldRecipe
    seconds: float


def fold_plan(labels: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Each image's held-out fold (0..folds-1): stratified by class, shuffled by ``seed``."""
    from sklearn.model_selection import StratifiedKFold

    labels = np.asarray(labels)
    assignment = np.full(len(labels), -1, dtype=np.int8)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fold, (_, held_out) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
        assignment[held_out] = fold
    return assignment


def out_of_sample_probabilities(
    images: np.ndarray,
    labels: np.ndarray,
    recipe: KFoldRecipe = KFoldRecipe(),
    *,
    on_fold: Callable[[int, np.ndarray, np.ndarray], None] | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> OutOfSample:
    """Train ``recipe.repeats`` models per fold on the other folds; average their scores of the held-out images.

    ``on_fold(fold, trained_on, scored)`` is told the indices of each model's training
    and scored images (the tests check they never overlap).
    """
    recipe.validate()
    labels = np.asarray(labels).astype(np.int64)
    folds = fold_plan(labels, recipe.folds, recipe.seed)
    started = time.perf_counter()
    passes = [
        one_pass(images, labels, folds, recipe, repeat, on_fold=on_fold, log=log) for repeat in range(recipe.repeats)
    ]
    probabilities = np.mean(passes, axis=0, dtype=np.float32)
    return OutOfSample(probabilities, folds, recipe, time.perf_counter() - started)


def one_pass(
    images: np.ndarray,
    labels: np.ndarray,
    folds: np.ndarray,
    recipe: KFoldRecipe,
    repeat: int,
    *,
    on_fold: Callable[[int, np.ndarray, np.ndarray], None] | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> np.ndarray:
    """One model per fold (weights seeded by ``recipe.init_seed(fold, repeat)``): every image scored once."""
    import keras

    from core.models import zoo

    spec = zoo.get_spec(recipe.arch)
    hp = zoo.with_overrides(spec, **({"epochs": recipe.epochs} if recipe.epochs else {}))
    probabilities = np.full((len(labels), NUM_CLASSES), np.nan, dtype=np.float32)
    started = time.perf_counter()
    name = f"repeat {repeat + 1}/{recipe.repeats} fold"
    for fold in range(recipe.folds):
        trained_on, scored = np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)
        if on_fold is not None:
            on_fold(fold, trained_on, scored)
        keras.utils.set_random_seed(recipe.init_seed(fold, repeat))
        steps = int(np.ceil(len(trained_on) / hp.batch_size))
        model = zoo.compile_model(zoo.build(spec, hp), hp, steps)
        # No validation split: the epochs are fixed (cosine to zero), and every held-in image
        # should teach. The held-out fold is never seen until it is scored below.
        model.fit(
            images[trained_on].astype(np.float32),
            labels[trained_on],
            epochs=hp.epochs,
            batch_size=hp.batch_size,
            verbose=0,
            callbacks=[
                keras.callbacks.LambdaCallback(
                    on_epoch_end=lambda epoch, logs, fold=fold: log(
                        f"{name} {fold + 1}/{recipe.folds} epoch {epoch + 1}/{hp.epochs}: "
                        + " ".join(f"{key}={value:.4f}" for key, value in (logs or {}).items())
                    )
                )
            ],
        )
        probabilities[scored] = store.predict_probabilities(model, images[scored])
        accuracy = float((probabilities[scored].argmax(axis=1) == labels[scored]).mean())
        log(
            f"{name} {fold + 1}/{recipe.folds}: held-out accuracy {accuracy:.4f} ({time.perf_counter() - started:.0f} s)"
        )
        keras.backend.clear_session()
    return probabilities


def save(result: OutOfSample, path: Path = OOF_FILE) -> None:
    """float16 probabilities (rows renormalized on load), folds and recipe, compressed."""
    np.savez_compressed(
        path,
        probabilities=result.probabilities.astype(np.float16),
        folds=result.folds.astype(np.int8),
        recipe=np.array(json.dumps(asdict(result.recipe) | {"seconds": round(result.seconds, 1)})),
    )


def load(path: Path = OOF_FILE) -> OutOfSample:
    """The shipped (or remade) out-of-sample probabilities; ArtifactError when missing or damaged."""
    if not Path(path).is_file():
        raise store.ArtifactError(
            f"No out-of-sample probabilities at {path}: make them with `make label-issues` "
            "(python -m core.understand.label_issues)."
        )
    try:
        with np.load(path, allow_pickle=False) as stored:
            probabilities = stored["probabilities"].astype(np.float32)
            folds = stored["folds"].astype(np.int8)
            recipe_fields = json.loads(str(stored["recipe"]))
    except (OSError, ValueError, KeyError) as error:
        raise store.ArtifactError(
            f"{Path(path).name} is damaged ({error}); remake it with `make label-issues`."
        ) from error
    seconds = float(recipe_fields.pop("seconds", 0.0))
    recipe_fields.setdefault("repeats", 1)  # files made before repeats existed held one model per fold
    if probabilities.ndim != 2 or probabilities.shape[1] != NUM_CLASSES or folds.shape != (len(probabilities),):
        raise store.ArtifactError(f"{Path(path).name} holds arrays of the wrong shape; remake it.")
    probabilities /= probabilities.sum(axis=1, keepdims=True)  # float16 rounding
    return OutOfSample(probabilities, folds, KFoldRecipe(**recipe_fields), seconds)


def rank(labels: np.ndarray, probabilities: np.ndarray) -> pd.DataFrame:
    """The images cleanlab flags as likely label mistakes, most likely first.

    Columns: index (into the training set), given, suggested (the most probable class),
    score (cleanlab's label quality, the out-of-sample probability of the given label:
    0-1, lower is more suspicious), suggested_probability (that of the suggested class). Flagging is confident learning's prune-by-noise-rate;
    the order is by self-confidence.
    """
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    labels = np.asarray(labels).astype(np.int64)
    probabilities = np.asarray(probabilities, dtype=np.float32)
    if probabilities.shape != (len(labels), NUM_CLASSES):
        raise ValueError(f"need ({len(labels)}, {NUM_CLASSES}) probabilities, got {probabilities.shape}")
    # n_jobs=1: cleanlab's default forks a multiprocessing pool, and a fork of the server's
    # process (TensorFlow's and Tornado's threads holding locks) can hang forever; on
    # 60,000 images one process takes ~0.1 s anyway.
    flagged = find_label_issues(labels, probabilities, return_indices_ranked_by="self_confidence", n_jobs=1)
    scores = get_label_quality_scores(labels, probabilities, method="self_confidence")
    return pd.DataFrame(
        {
            "index": flagged.astype(np.int64),
            "given": labels[flagged],
            "suggested": probabilities[flagged].argmax(axis=1).astype(np.int64),
            "score": scores[flagged].astype(np.float64),
            "suggested_probability": probabilities[flagged].max(axis=1).astype(np.float64),
        }
    )


def issues_for_cli(top: int | None = None) -> list[dict]:
    """The ranked issues as JSON-ready objects (``python -m core label-issues``)."""
    from core import data

    if top is not None and top < 1:
        raise ValueError(f"--top must be at least 1 (got {top})")
    dataset = data.load()
    stored = load()
    if len(stored.probabilities) != len(dataset.y_train):
        raise store.ArtifactError("the stored probabilities do not match the training set; remake them")
    ranked = rank(dataset.y_train, stored.probabilities)
    if top is not None:
        ranked = ranked.head(top)
    return [
        {
            "index": int(row.index),
            "given": CLASS_NAMES[int(row.given)],
            "suggested": CLASS_NAMES[int(row.suggested)],
            "score": round(float(row.score), 6),
        }
        for row in ranked.itertuples(index=False)
    ]


def main(argv: list[str] | None = None) -> int:
    """Remake the shipped probabilities: ``python -m core.understand.label_issues [--folds 5] [--epochs N] [--repeats 2]``."""
    import argparse

    from core import data

    parser = argparse.ArgumentParser(description="k-fold out-of-sample probabilities for the training set")
    parser.add_argument("--arch", default=KFoldRecipe.arch)
    parser.add_argument("--folds", type=int, default=KFoldRecipe.folds)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--seed", type=int, default=KFoldRecipe.seed)
    parser.add_argument("--repeats", type=int, default=KFoldRecipe.repeats)
    parser.add_argument("--out", default=str(OOF_FILE))
    args = parser.parse_args(argv)
    recipe = KFoldRecipe(args.arch, args.folds, args.epochs, args.seed, args.repeats).validate()
    dataset = data.load()
    result = out_of_sample_probabilities(
        dataset.x_train, dataset.y_train, recipe, log=lambda line: print(line, file=sys.stderr, flush=True)
    )
    save(result, Path(args.out))
    accuracy = float((result.probabilities.argmax(axis=1) == dataset.y_train).mean())
    print(json.dumps({"out": args.out, "seconds": round(result.seconds, 1), "out_of_sample_accuracy": accuracy}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
