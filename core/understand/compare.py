"""Comparing saved models: the leaderboard, learning curves side by side, and two models head to head.

Every quality number comes from ``core.understand.evaluation`` (the test-set probabilities cached beside
each model), so nothing here re-implements a metric. What this module adds is what a leaderboard
needs beyond that — size on disk and single-image latency — and the differences between two
evaluations: per-class F1 change, confusion-matrix difference, and who got which images right.

Used by the Compare page (``ui/compare.py``) and by ``bench/``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.data import CLASS_NAMES, IMAGE_SIDE
from core.models import store
from core.understand import evaluation as ev

SHIRT = CLASS_NAMES.index("Shirt")  # the hardest class: its recall separates good models from great ones
SHIPPED, TRAINED_HERE = "shipped", "trained here"
LATENCY_REPEATS = 5
LATENCY_WARMUPS = 1
MEGABYTE = 1_000_000

# The leaderboard's columns, in display order (``leaderboard`` returns exactly these).
LEADERBOARD_COLUMNS = (
    "model",
    "name",
    "origin",
    "arch",
    "accuracy",
    "published_accuracy",
    "published_is_target",
    "macro_f1",
    "shirt_recall",
    "params",
    "epochs",
    "train_seconds",
    "size_mb",
    "latency_ms",
)


@dataclass(frozen=True)
class LeaderboardRow:
    """One working model: its test-set quality (from its evaluation) and its costs."""

    model_id: str
    display_name: str
    arch: str
    shipped: bool
    accuracy: float  # share of the 10,000 test images classified correctly
    macro_f1: float
    shirt_recall: float  # share of the Shirt test images called Shirt
    params: int
    epochs: int
    train_seconds: float
    size_bytes: int  # model.keras on disk
    latency_ms: float | None  # median direct model call on one image; None when not measured
    published_accuracy: float | None  # what the architecture's source reports, 0-1
    published_is_target: bool = False  # the source gives it as a goal, not as a measured result


@dataclass(frozen=True)
class BrokenModel:
    """A model folder that cannot be ranked, and why (one line)."""

    model_id: str
    path: Path
    reason: str


# -- costs ---------------------------------------------------------------------------------------
def size_on_disk(artifact: store.Artifact) -> int:
    """Bytes of the model file (what a deployment ships and loads; 0 when it is missing)."""
    try:
        return (Path(artifact.path) / store.MODEL_FILE).stat().st_size
    except OSError:
        return 0


def single_image_latency_ms(
    model: Callable, *, repeats: int = LATENCY_REPEATS, warmups: int = LATENCY_WARMUPS
) -> float:
    """Median milliseconds of a direct ``model(x)`` call on one 28x28 image, after warm-up calls.

    A direct call, not ``model.predict`` (about 40 ms of overhead per call here): this is what
    answering one visitor's image costs. The first call builds the model's eager state, so
    it is made (``warmups`` times) before timing. Each output is turned into numpy so that the
    time includes the work itself, not just queueing it.
    """
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be a whole number of at least 1 (got {repeats!r})")
    if isinstance(warmups, bool) or not isinstance(warmups, int) or warmups < 0:
        raise ValueError(f"warmups must be a whole number of at least 0 (got {warmups!r})")
    pixels = np.zeros((1, IMAGE_SIDE, IMAGE_SIDE), np.float32)
    for _ in range(warmups):
        np.asarray(model(pixels, training=False))
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        np.asarray(model(pixels, training=False))
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds) * 1000


def published_accuracy(arch: str) -> float | None:
    """The test accuracy the architecture's source reports, if the zoo knows one."""
    from core.models import zoo  # imports Keras: only the page that ranks models needs it

    spec = zoo.ZOO.get(arch)
    return None if spec is None else spec.published_accuracy


def published_is_target(arch: str) -> bool:
    """Whether the source's figure is a target ("aim for >= 90%") rather than a result."""
    from core.models import zoo

    spec = zoo.ZOO.get(arch)
    return spec is not None and spec.published_is_target


def published_text(value: float | None, is_target: bool) -> str:
    """How a leaderboard prints the source's figure: "89.2%", "≥ 90% (target)", or "—" when there is none."""
    if value is None or value != value:  # None or NaN
        return "—"
    return f"≥ {value:.0%} (target)" if is_target else f"{value:.1%}"


# -- the leaderboard ------------------------------------------------------------------------------
def _report_value(evaluation: ev.Evaluation, row: str, metric: str) -> float:
    return float(evaluation.report.set_index("class").at[row, metric])


def leaderboard_row(artifact: store.Artifact, evaluation: ev.Evaluation, latency_ms: float | None) -> LeaderboardRow:
    """A working model's row; quality from its evaluation, the rest from its metadata and files."""
    if not artifact.ok or artifact.meta is None:
        raise ValueError(f"model {artifact.model_id!r} is broken ({artifact.error}); list it as a BrokenModel")
    if evaluation.model_id != artifact.model_id:
        raise ValueError(f"evaluation of {evaluation.model_id!r} given for model {artifact.model_id!r}")
    meta = artifact.meta
    return LeaderboardRow(
        model_id=artifact.model_id,
        display_name=meta.display_name,
        arch=meta.arch,
        shipped=artifact.shipped,
        **_quality(evaluation),
        params=int(meta.params),
        epochs=int(meta.epochs_run),
        train_seconds=float(meta.train_seconds),
        size_bytes=size_on_disk(artifact),
        latency_ms=latency_ms,
        published_accuracy=published_accuracy(meta.arch),
        published_is_target=published_is_target(meta.arch),
    )


def _quality(evaluation: ev.Evaluation) -> dict[str, float]:
    return {
        "accuracy": evaluation.accuracy,
        "macro_f1": _report_value(evaluation, ev.MACRO, "f1"),
        "shirt_recall": _report_value(evaluation, CLASS_NAMES[SHIRT], "recall"),
    }


def vote_row(members: Sequence[LeaderboardRow], evaluation: ev.Evaluation) -> LeaderboardRow:
    """The vote of ``members`` (``core.understand.vote``): quality from its own evaluation, costs the sum of theirs
    (answering asks every member), no published figure."""
    latencies = [row.latency_ms for row in members]
    return LeaderboardRow(
        model_id=evaluation.model_id,
        display_name=evaluation.model_id,
        arch=f"vote of {len(members)}",
        shipped=all(row.shipped for row in members),
        **_quality(evaluation),
        params=sum(row.params for row in members),
        epochs=sum(row.epochs for row in members),
        train_seconds=sum(row.train_seconds for row in members),
        size_bytes=sum(row.size_bytes for row in members),
        latency_ms=None if None in latencies else sum(latencies),
        published_accuracy=None,
    )


def leaderboard(rows: Sequence[LeaderboardRow]) -> pd.DataFrame:
    """The rows as a table, best test accuracy first (ties: fewer parameters first, then id).

    Columns are ``LEADERBOARD_COLUMNS``; ``origin`` says shipped or trained here, sizes are in
    MB, missing numbers (no published accuracy, latency not measured) are NaN.
    """
    ordered = sorted(rows, key=lambda row: (-row.accuracy, row.params, row.model_id))
    records = [
        {
            "model": row.model_id,
            "name": row.display_name,
            "origin": SHIPPED if row.shipped else TRAINED_HERE,
            "arch": row.arch,
            "accuracy": row.accuracy,
            "published_accuracy": np.nan if row.published_accuracy is None else row.published_accuracy,
            "published_is_target": row.published_is_target,
            "macro_f1": row.macro_f1,
            "shirt_recall": row.shirt_recall,
            "params": row.params,
            "epochs": row.epochs,
            "train_seconds": row.train_seconds,
            "size_mb": row.size_bytes / MEGABYTE,
            "latency_ms": np.nan if row.latency_ms is None else row.latency_ms,
        }
        for row in ordered
    ]
    frame = pd.DataFrame(records, columns=list(LEADERBOARD_COLUMNS))
    return frame.astype({"params": "int64", "epochs": "int64"})


# -- learning curves --------------------------------------------------------------------------------
def learning_curves(histories: dict[str, dict[str, list[float]]]) -> pd.DataFrame:
    """Per-epoch history of several models in long form, for overlaid curves.

    ``histories`` maps model id -> stored Keras history. Columns: model, epoch (from 1),
    metric ("accuracy" or "loss"), split ("train" or "validation"), value. A model without
    a history simply has no rows.
    """
    rows = []
    for model_id, history in histories.items():
        for metric in ("accuracy", "loss"):
            for split, key in (("train", metric), ("validation", f"val_{metric}")):
                for epoch, value in enumerate(history.get(key) or [], start=1):
                    rows.append({"model": model_id, "epoch": epoch, "metric": metric, "split": split, "value": value})
    return pd.DataFrame(rows, columns=["model", "epoch", "metric", "split", "value"]).astype(
        {"epoch": "int64", "value": "float64"}
    )


# -- two models head to head ---------------------------------------------------------------------
def _same_test_set(a: ev.Evaluation, b: ev.Evaluation) -> None:
    if a.labels.shape != b.labels.shape or not np.array_equal(a.labels, b.labels):
        raise ValueError(f"{a.model_id!r} and {b.model_id!r} were evaluated on different test images")
    if a.class_names != b.class_names:
        raise ValueError(f"{a.model_id!r} and {b.model_id!r} have different classes")


def f1_change(a: ev.Evaluation, b: ev.Evaluation) -> pd.DataFrame:
    """Per-class F1 of A and of B and the change B − A, one row per class in class order.

    Columns: class, f1_a, f1_b, change (positive: B is better at that class).
    """
    _same_test_set(a, b)
    classes = len(a.class_names)
    f1_a = a.report["f1"].to_numpy()[:classes]
    f1_b = b.report["f1"].to_numpy()[:classes]
    return pd.DataFrame({"class": list(a.class_names), "f1_a": f1_a, "f1_b": f1_b, "change": f1_b - f1_a})


def confusion_difference(a: ev.Evaluation, b: ev.Evaluation) -> pd.DataFrame:
    """B's confusion matrix minus A's, in long form (one row per cell, zeros included).

    Columns: true, predicted (class names), count_a, count_b, change (B − A), and
    gain_for_b: the change signed so that positive is always good for B — more images
    on the diagonal (right), fewer off it (a mistake). Every row of ``change`` sums to
    zero: both models see the same images of each true class.
    """
    _same_test_set(a, b)
    names = a.class_names
    true, predicted = np.meshgrid(np.arange(len(names)), np.arange(len(names)), indexing="ij")
    change = b.confusion - a.confusion
    diagonal = true == predicted
    return pd.DataFrame(
        {
            "true": [names[i] for i in true.ravel()],
            "predicted": [names[i] for i in predicted.ravel()],
            "count_a": a.confusion.ravel().astype(np.int64),
            "count_b": b.confusion.ravel().astype(np.int64),
            "change": change.ravel().astype(np.int64),
            "gain_for_b": np.where(diagonal, change, -change).ravel().astype(np.int64),
        }
    )


@dataclass(frozen=True)
class Agreement:
    """How two models' right and wrong answers overlap on the same test images."""

    both_right: int
    only_a_right: int
    only_b_right: int
    both_wrong: int
    same_prediction: int  # images where both predicted the same class, right or wrong

    @property
    def total(self) -> int:
        return self.both_right + self.only_a_right + self.only_b_right + self.both_wrong


def agreement(a: ev.Evaluation, b: ev.Evaluation) -> Agreement:
    _same_test_set(a, b)
    right_a = a.predictions == a.labels
    right_b = b.predictions == b.labels
    return Agreement(
        both_right=int(np.sum(right_a & right_b)),
        only_a_right=int(np.sum(right_a & ~right_b)),
        only_b_right=int(np.sum(~right_a & right_b)),
        both_wrong=int(np.sum(~right_a & ~right_b)),
        same_prediction=int(np.sum(a.predictions == b.predictions)),
    )
