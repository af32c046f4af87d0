"""Fast top-k for one image across many models: one traced function runs them all.

Measured on this 2-core machine: ``model.predict`` costs ~40 ms of overhead per call, a direct
``model(x)`` call ~5-30 ms per model (eager Keras layer dispatch), while one ``tf.function`` that
calls all eleven zoo architectures on the same input and stacks their outputs runs in ~8 ms in
total. So a ``Predictor`` traces that function once, with a fixed input signature (no retracing),
and warms it on construction so that the first visitor does not pay for the trace.

The UI binds to ``Predictor.predict``; the CLI to ``predict_file``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.data import CLASS_NAMES, IMAGE_SIDE
from core.models import store
from core.predict import garment_check, novelty, preprocess

DEFAULT_TOP_K = 3
MAX_TOP_K = len(CLASS_NAMES)


class NoModelsError(RuntimeError):
    """No model could be used; the message says why, ``skipped`` lists each model left out."""

    def __init__(self, message: str, skipped: Sequence[Skipped] = ()):
        super().__init__(message)
        self.skipped = tuple(skipped)


@dataclass(frozen=True)
class ClassScore:
    class_index: int
    class_name: str
    probability: float


@dataclass(frozen=True, eq=False)
class ModelPrediction:
    model_id: str
    display_name: str
    top: tuple[ClassScore, ...]  # best first
    probabilities: np.ndarray = field(repr=False)  # (10,) float32

    @property
    def best(self) -> ClassScore:
        return self.top[0]


@dataclass(frozen=True)
class Skipped:
    """A model left out, and why (one line). ``hidden``: another folder has its id (not an error)."""

    model_id: str
    reason: str
    hidden: bool = False


@dataclass(frozen=True, eq=False)
class NamedModel:
    model_id: str
    display_name: str
    model: Any = field(repr=False)  # a keras.Model taking (N, 28, 28) pixels 0-255


@dataclass(frozen=True)
class Consensus:
    class_name: str
    votes: int
    models: int

    @property
    def unanimous(self) -> bool:
        return self.votes == self.models


def validate_top_k(top_k: object) -> int:
    if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or not 1 <= top_k <= MAX_TOP_K:
        raise ValueError(f"top-k must be a whole number from 1 to {MAX_TOP_K} (got {top_k!r}).")
    return int(top_k)


def top_k(probabilities: np.ndarray, k: int) -> tuple[ClassScore, ...]:
    """The k most probable classes, best first; ties go to the lower class index."""
    k = validate_top_k(k)
    order = np.argsort(-np.asarray(probabilities, np.float64), kind="stable")[:k]
    return tuple(ClassScore(int(index), CLASS_NAMES[index], float(probabilities[index])) for index in order)


class Predictor:
    """Every usable model behind one compiled call: ``predict(image) -> top-k per model``.

    Models that fail a trial call on a blank image (wrong input shape, not 10 outputs) are left
    out and listed in ``skipped`` with the reason, so one odd model never stops the others.
    """

    def __init__(self, models: Sequence[NamedModel], *, skipped: Sequence[Skipped] = ()):
        import tensorflow as tf

        usable, left_out = [], list(skipped)
        blank = np.zeros((1, IMAGE_SIDE, IMAGE_SIDE), np.float32)
        for named in models:
            try:
                output = np.asarray(named.model(blank, training=False))
            except Exception as error:  # a model from disk can fail in many ways; say which and go on
                left_out.append(Skipped(named.model_id, f"cannot take a 28×28 image ({type(error).__name__})"))
                continue
            if output.shape != (1, len(CLASS_NAMES)) or not np.isfinite(output).all():
                left_out.append(Skipped(named.model_id, f"gives {output.shape} outputs, not 10 class probabilities"))
                continue
            usable.append(named)
        if not usable:
            reasons = "; ".join(f"{item.model_id}: {item.reason}" for item in left_out)
            raise NoModelsError("No model could be used" + (f" ({reasons})." if reasons else "."), left_out)
        self.models: tuple[NamedModel, ...] = tuple(usable)
        self.skipped: tuple[Skipped, ...] = tuple(left_out)
        keras_models = [named.model for named in usable]

        @tf.function(input_signature=[tf.TensorSpec((1, IMAGE_SIDE, IMAGE_SIDE), tf.float32)])
        def all_models(pixels):
            return tf.concat([model(pixels, training=False) for model in keras_models], axis=0)

        self._all_models = all_models
        self.probabilities(blank)  # trace now, not on the first visitor's image

    @property
    def model_ids(self) -> tuple[str, ...]:
        return tuple(named.model_id for named in self.models)

    def probabilities(self, pixels: np.ndarray) -> np.ndarray:
        """(1, 28, 28) float32 pixels 0-255 -> (models, 10) probabilities."""
        batch = np.asarray(pixels, np.float32).reshape(1, IMAGE_SIDE, IMAGE_SIDE)
        return self._all_models(batch).numpy()

    def predict(self, image: np.ndarray, k: int = DEFAULT_TOP_K) -> tuple[ModelPrediction, ...]:
        """A (28, 28) image in [0, 1], light on black -> each model's top-k, in model order."""
        k = validate_top_k(k)
        image = np.asarray(image, np.float32)
        if image.shape != (IMAGE_SIDE, IMAGE_SIDE):
            raise ValueError(f"expected a 28×28 image, got shape {image.shape}")
        table = self.probabilities(image * 255.0)
        return tuple(
            ModelPrediction(named.model_id, named.display_name, top_k(row, k), row)
            for named, row in zip(self.models, table, strict=True)
        )


class PredictorGroup:
    """Several Predictors asked as one: ``predict`` concatenates their answers in order.

    The shipped models share one traced Predictor for every visitor, while each visitor's own runs
    (and runs picked from the class) get one small Predictor each: a class of thirty with thirty
    different sets of models then shares the expensive part instead of tracing thirty big ones.
    """

    def __init__(self, predictors: Sequence[Predictor], skipped: Sequence[Skipped] = ()):
        if not predictors:
            raise NoModelsError("No model could be used.", skipped)
        self.predictors = tuple(predictors)
        self.skipped = tuple(skipped)

    @property
    def model_ids(self) -> tuple[str, ...]:
        return tuple(model_id for predictor in self.predictors for model_id in predictor.model_ids)

    def predict(self, image: np.ndarray, k: int = DEFAULT_TOP_K) -> tuple[ModelPrediction, ...]:
        return tuple(prediction for predictor in self.predictors for prediction in predictor.predict(image, k))


def consensus(predictions: Sequence[ModelPrediction]) -> Consensus | None:
    """The class most models put first; a tie goes to the higher summed probability."""
    if not predictions:
        return None
    votes = np.bincount([p.best.class_index for p in predictions], minlength=len(CLASS_NAMES))
    summed = np.sum([p.probabilities for p in predictions], axis=0)
    winner = max(range(len(CLASS_NAMES)), key=lambda index: (votes[index], summed[index]))
    return Consensus(CLASS_NAMES[winner], int(votes[winner]), len(predictions))


def disagreements(predictions: Sequence[ModelPrediction]) -> list[dict[str, object]]:
    """One row per model when their first choices differ (empty when they all agree)."""
    agreed = consensus(predictions)
    if agreed is None or agreed.unanimous:
        return []
    column = f"P({agreed.class_name})"
    index = CLASS_NAMES.index(agreed.class_name)
    return [
        {
            "model": p.display_name,
            "says": p.best.class_name,
            "probability": p.best.probability,
            column: float(p.probabilities[index]),
        }
        for p in predictions
    ]


# --- headless use (CLI, benchmark) ------------------------------------------------------------


def distinct(artifacts: Sequence[store.Artifact]) -> tuple[list[store.Artifact], list[Skipped]]:
    """The first artifact of each id, the way ``store.find`` resolves an id (shipped first);
    a later folder with the same id is reported as hidden rather than shown twice."""
    kept: dict[str, store.Artifact] = {}
    hidden = []
    for artifact in artifacts:
        if artifact.model_id in kept:
            where = "a shipped model" if kept[artifact.model_id].shipped else "another model"
            hidden.append(Skipped(artifact.model_id, f"hidden by {where} with the same id ({artifact.path})", True))
        else:
            kept[artifact.model_id] = artifact
    return list(kept.values()), hidden


def load_predictor(model_id: str | None = None, roots: list[Path] | None = None) -> Predictor:
    """Every saved model (or only ``model_id``) behind one Predictor; broken ones are skipped."""
    # One named model must work (its error is the answer); among all, broken ones are skipped.
    artifacts = [store.find(model_id, roots)] if model_id is not None else store.list_artifacts(roots)
    if not artifacts:
        raise NoModelsError(
            "No trained models found. Train one first, e.g. `python -m core train --arch mlp_128 --epochs 2`."
        )
    artifacts, skipped = distinct(artifacts)
    named = []
    for artifact in artifacts:
        try:
            model = store.load_model(artifact)
        except store.ArtifactError as error:
            if model_id is not None:
                raise
            skipped.append(Skipped(artifact.model_id, str(error).splitlines()[0]))
            continue
        named.append(NamedModel(artifact.model_id, artifact.meta.display_name, model))
    return Predictor(named, skipped=skipped)


def garment_verdict(
    prepared: preprocess.Preprocessed,
    predictions: Sequence[ModelPrediction],
    check: garment_check.GarmentCheck | None = None,
) -> novelty.Verdict:
    """Is it one of the ten kinds of clothing? The garment check's score on the very input the models
    saw, explained by the signs from the image and the models' answers (see ``core.predict.novelty``).
    Without a check (``None``), the signs alone decide."""
    table = np.stack([p.probabilities for p in predictions]) if predictions else np.zeros((0, len(CLASS_NAMES)))
    if check is None:
        return novelty.verdict(prepared.signs, table)
    return novelty.verdict(prepared.signs, table, check.score(prepared.image), check.meta.threshold)


def lead(predictions: Sequence[ModelPrediction], accuracies: Mapping[str, float]) -> ModelPrediction | None:
    """The answer to lead with: that of the model (or vote) with the best measured test accuracy among
    those in ``accuracies`` (ties: the earlier answer); None when none of them answered."""
    measured = [p for p in predictions if accuracies.get(p.model_id) is not None]
    return max(measured, key=lambda p: accuracies[p.model_id], default=None)


def lead_accuracies(artifacts: Sequence[store.Artifact], answering: Sequence[str]) -> dict[str, float]:
    """Who may lead, with their saved test accuracy: the shipped models that answer (the zoo, measured
    on the held-out pictures too: bench/results/world.md), or every answering model when none is shipped."""
    known = {a.model_id: a for a in artifacts if a.ok and a.meta is not None and a.model_id in answering}
    shipped = {model_id: a.meta.test_accuracy for model_id, a in known.items() if a.shipped}
    return shipped or {model_id: a.meta.test_accuracy for model_id, a in known.items()}


def as_json(
    prepared: preprocess.Preprocessed,
    predictions: Sequence[ModelPrediction],
    skipped: Sequence[Skipped] = (),
    *,
    verdict: novelty.Verdict | None = None,
    accuracies: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    agreed = consensus(predictions)
    verdict = verdict or garment_verdict(prepared, predictions)
    best = lead(predictions, accuracies or {}) if verdict.garment else None
    return {
        "input": prepared.description,
        "inverted": prepared.inverted,
        # Ways the input is unlike the dataset, then (when it is no garment) why, and what the models can tell.
        "warnings": [
            *prepared.warnings,
            *((novelty.NOT_CLOTHING,) if not verdict.garment else ()),
            *verdict.lines,
            *((novelty.ONLY_CLOTHING,) if not verdict.garment else ()),
        ],
        "maybe_not_a_garment": not verdict.garment,
        "garment_score": None if verdict.score is None else round(verdict.score, 4),
        # The answer to trust: the best measured model's, or null when the picture is no garment.
        "answer": None
        if best is None
        else {"class": best.best.class_name, "probability": round(best.best.probability, 6), "model_id": best.model_id},
        "predictions": [
            {
                "model_id": p.model_id,
                "display_name": p.display_name,
                "top_k": [{"class": score.class_name, "probability": round(score.probability, 6)} for score in p.top],
            }
            for p in predictions
        ],
        "consensus": None
        if agreed is None
        else {"class": agreed.class_name, "votes": agreed.votes, "models": agreed.models},
        "skipped": [{"model_id": item.model_id, "reason": item.reason, "hidden": item.hidden} for item in skipped],
    }


def read_image_file(path: str | os.PathLike) -> bytes:
    """The bytes of an image file, or an ImageError saying why not (one line)."""
    file = Path(path)
    if not file.exists():
        raise preprocess.ImageError(f"No such file: {file}")
    if file.is_dir():
        raise preprocess.ImageError(f"{file} is a folder, not an image file.")
    try:
        with file.open("rb") as handle:
            data = handle.read(preprocess.MAX_FILE_BYTES + 1)
    except OSError as error:
        raise preprocess.ImageError(f"Cannot read {file}: {error.strerror or error}") from None
    if len(data) > preprocess.MAX_FILE_BYTES:
        raise preprocess.ImageError(
            f"{file.name} is larger than {preprocess.MAX_FILE_BYTES / 2**20:.0f} MB. Scale it down first."
        )
    return data


def predict_files(
    paths: Sequence[str], top_k: int = DEFAULT_TOP_K, model_id: str | None = None
) -> Iterator[dict[str, Any]]:
    """``python -m core predict a.png b.jpg ...``: one JSON-ready answer per file, the models loaded once.

    Checks the cheap things first (top-k, the first file, the image) so a mistake is reported before
    TensorFlow is even imported. A later file that cannot be read yields ``{"image", "error"}`` and the
    others still get their answers.
    """
    k = validate_top_k(top_k)
    first = preprocess.preprocess(read_image_file(paths[0]))
    predictor = load_predictor(model_id)
    accuracies = lead_accuracies(store.list_artifacts(), predictor.model_ids)
    check = garment_check.GarmentCheck.load()
    for position, path in enumerate(paths):
        try:
            prepared = first if position == 0 else preprocess.preprocess(read_image_file(path))
        except preprocess.ImageError as error:
            yield {"image": str(path), "error": str(error)}
            continue
        predictions = predictor.predict(prepared.image, k)
        verdict = garment_verdict(prepared, predictions, check)
        result = as_json(prepared, predictions, predictor.skipped, verdict=verdict, accuracies=accuracies)
        yield {"image": str(path), "top_k": k, **result}


def predict_file(path: str, top_k: int = DEFAULT_TOP_K, model_id: str | None = None) -> dict[str, Any]:
    """One image file -> JSON-ready top-k from every saved model (``predict_files`` for one file)."""
    return next(predict_files([path], top_k, model_id))
