"""Teach a saved model a student's own pictures, and say honestly what it changed.

The examples are split per class into *taught* and *held back* (``split``): the model never learns from a
held-back picture, and it is judged on those alone. ``teach`` fine-tunes a copy of the chosen saved model
(a run or a shipped model) on the taught pictures, each shifted, turned, zoomed and mirrored into many copies
(``augment``: a dozen drawings go far), mixed with a share of Fashion-MNIST training images so it does not
forget what it knew, for a few epochs: seconds on 2 CPUs. It is saved as an ordinary run (Evaluate, Predict,
Compare and Inside list it), whose ``meta.notes`` say what it was taught on (``origin: "teach"``, the base
model, the counts per class, the taught and held-back ids) and hold its before/after report.

``before_after`` compares the base and the taught model on the held-back pictures (each picture's answer
before and after) and on the 10,000 Fashion-MNIST test images, so the trade-off is visible.
``TeachJob`` is a ``TrainingJob`` the fair queue runs like any other (progress, stop, one per browser).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import keras
import numpy as np
from scipy import ndimage

from core.data import CLASS_NAMES, IMAGE_SIDE, FashionMNIST
from core.models import store
from core.models.settings import Hyperparameters
from core.training import jobs
from core.training.examples import Example, counts
from core.training.jobs import Progress, TrainingJob

MIN_PER_CLASS = 2  # one to teach, one to judge on
MIN_EXAMPLES = 6
HELD_BACK_SHARE = 0.3
ORIGIN = "teach"  # meta.notes["origin"] of a taught run
IMAGES_PER_SECOND = 400  # fine-tuning pace of the Studio CNN here (2 cores): the queue's estimate


class TeachError(ValueError):
    """Teaching cannot start with these examples or settings; the message says what is missing."""


class StoppedTeaching(RuntimeError):
    """The job was asked to stop while it taught; nothing was saved."""


def readiness(examples: Sequence[Example]) -> list[str]:
    """What is missing before these examples can teach a model, one line each (empty: ready)."""
    missing = []
    if len(examples) < MIN_EXAMPLES:
        missing.append(
            f"Teaching needs at least {MIN_EXAMPLES} examples; you have {len(examples)}:"
            f" add {MIN_EXAMPLES - len(examples)} more."
        )
    for label, count in counts(examples).items():
        if count < MIN_PER_CLASS:
            missing.append(
                f"{CLASS_NAMES[label]} has {count} example{'s' if count != 1 else ''}; each class you use needs at"
                f" least {MIN_PER_CLASS} (one to teach, one to judge on): add {MIN_PER_CLASS - count} more."
            )
    return missing


def check(examples: Sequence[Example]) -> None:
    """TeachError naming how many more examples are needed, when ``readiness`` finds anything missing."""
    missing = readiness(examples)
    if missing:
        raise TeachError(" ".join(missing))


@dataclass(frozen=True)
class Split:
    """The examples a model learns from, and those it is judged on (never the same picture)."""

    taught: tuple[Example, ...]
    held_back: tuple[Example, ...]


def split(examples: Sequence[Example], held_back_share: float = HELD_BACK_SHARE, seed: int = 0) -> Split:
    """Per class: about ``held_back_share`` of its pictures held back (at least one, never all), the rest
    taught; identical pictures stay together. The same examples and seed give the same split."""
    if not 0 < held_back_share < 1:
        raise TeachError(f"The share held back must be between 0 and 1 (got {held_back_share}).")
    taught: list[Example] = []
    held_back: list[Example] = []
    for label in counts(examples):
        groups: dict[bytes, list[Example]] = {}  # one group per distinct picture: a copy never judges its twin
        for example in sorted((e for e in examples if e.label == label), key=lambda e: e.example_id):
            groups.setdefault(hashlib.sha256(example.pixels.tobytes()).digest(), []).append(example)
        order = sorted(groups.values(), key=lambda group: group[0].example_id)
        order = [order[i] for i in np.random.default_rng([seed, label]).permutation(len(order))]
        if len(order) < 2:  # one distinct picture (however many copies): nothing to judge on that was not taught
            taught += order[0]
            continue
        held = min(max(1, round(len(order) * held_back_share)), len(order) - 1)
        held_back += [example for group in order[:held] for example in group]
        taught += [example for group in order[held:] for example in group]
    return Split(tuple(taught), tuple(held_back))


@dataclass(frozen=True)
class TeachSpec:
    """How to teach: which saved model, the new run's name, and the fine-tune's recipe."""

    base_model_id: str
    name: str
    epochs: int = 3
    learning_rate: float = 3e-4
    copies: int = 24  # augmented copies of each taught picture
    fashion_images: int = 3000  # Fashion-MNIST training images mixed in, so it does not forget
    batch_size: int = 64
    top_only: bool = True  # a CNN learns in its top only (after the convolutions); an MLP learns in every layer
    held_back_share: float = HELD_BACK_SHARE
    seed: int = 0

    def validate(self) -> TeachSpec:
        store.sanitize_name(self.name)
        if not isinstance(self.base_model_id, str) or not self.base_model_id:
            raise TeachError("Choose the saved model to teach.")
        limits = {"epochs": (1, 50), "copies": (1, 500), "fashion_images": (0, 60_000), "batch_size": (1, 4096)}
        for name, (low, high) in limits.items():
            value = getattr(self, name)
            if not isinstance(value, int) or not low <= value <= high:
                raise TeachError(f"{name} must be a whole number from {low} to {high} (got {value!r}).")
        if not 0 < self.learning_rate <= 1:
            raise TeachError(f"The learning rate must be above 0 and at most 1 (got {self.learning_rate}).")
        if not 0 < self.held_back_share < 1:
            raise TeachError(f"The share held back must be between 0 and 1 (got {self.held_back_share}).")
        return self

    def images(self, taught: int) -> int:
        """Pictures one epoch goes through: the augmented copies and the Fashion-MNIST mix."""
        return taught * self.copies + self.fashion_images


@dataclass(frozen=True)
class HeldBackAnswer:
    """One held-back picture: its class, and what the base and the taught model answered."""

    example_id: str
    label: int
    before: int
    after: int
    before_confidence: float
    after_confidence: float


@dataclass(frozen=True)
class BeforeAfter:
    """The base and the taught model side by side: on the held-back pictures and on the 10,000 test images."""

    base_model_id: str
    taught_model_id: str
    answers: tuple[HeldBackAnswer, ...]
    test_accuracy_before: float
    test_accuracy_after: float

    @property
    def held_back_right_before(self) -> int:
        return sum(answer.before == answer.label for answer in self.answers)

    @property
    def held_back_right_after(self) -> int:
        return sum(answer.after == answer.label for answer in self.answers)

    def as_json(self) -> dict:
        """Plain JSON: the CLI prints it, a taught run's meta keeps it."""
        held = len(self.answers)
        return {
            "base_model_id": self.base_model_id,
            "taught_model_id": self.taught_model_id,
            "held_back": held,
            "held_back_right_before": self.held_back_right_before,
            "held_back_right_after": self.held_back_right_after,
            "held_back_accuracy_before": round(self.held_back_right_before / held, 4) if held else None,
            "held_back_accuracy_after": round(self.held_back_right_after / held, 4) if held else None,
            "test_accuracy_before": round(self.test_accuracy_before, 4),
            "test_accuracy_after": round(self.test_accuracy_after, 4),
            "answers": [asdict(answer) for answer in self.answers],
        }

    @classmethod
    def from_json(cls, data: dict) -> BeforeAfter:
        return cls(
            data["base_model_id"],
            data["taught_model_id"],
            tuple(HeldBackAnswer(**answer) for answer in data["answers"]),
            float(data["test_accuracy_before"]),
            float(data["test_accuracy_after"]),
        )


def augment(pixels: np.ndarray, copies: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 28, 28) uint8 -> (n * copies, 28, 28): each picture shifted by up to 2 px, turned by up to 12
    degrees, zoomed by up to 10% and mirrored half the time, at random."""
    centre = (IMAGE_SIDE - 1) / 2
    out = np.empty((len(pixels) * copies, IMAGE_SIDE, IMAGE_SIDE), np.uint8)
    for index, picture in enumerate(np.repeat(np.asarray(pixels, np.float32), copies, axis=0)):
        angle, zoom = np.deg2rad(rng.uniform(-12, 12)), rng.uniform(0.9, 1.1)
        mirror = -1.0 if rng.random() < 0.5 else 1.0
        # output (row, col) -> input: undo the zoom and turn about the centre, mirror the columns, then shift
        cos, sin = np.cos(angle) / zoom, np.sin(angle) / zoom
        matrix = np.array([[cos, -sin * mirror], [sin, cos * mirror]])
        offset = np.array([centre, centre]) - matrix @ np.array([centre, centre]) + rng.uniform(-2, 2, 2)
        moved = ndimage.affine_transform(picture, matrix, offset=offset, order=1, mode="constant", cval=0.0)
        out[index] = np.clip(np.round(moved), 0, 255).astype(np.uint8)
    return out


@dataclass(frozen=True)
class Taught:
    """A finished teaching: the saved run and its before/after report."""

    artifact: store.Artifact
    report: BeforeAfter
    split: Split


def _training_set(spec: TeachSpec, taught: Sequence[Example], dataset: FashionMNIST) -> tuple[np.ndarray, np.ndarray]:
    """The taught pictures' augmented copies and a seeded draw of Fashion-MNIST training images, shuffled."""
    rng = np.random.default_rng(spec.seed)
    pixels = np.stack([example.pixels for example in taught])
    labels = np.array([example.label for example in taught], np.int64)
    drawn = rng.choice(len(dataset.x_train), size=spec.fashion_images, replace=False)
    x = np.concatenate([augment(pixels, spec.copies, rng), dataset.x_train[drawn]])
    y = np.concatenate([np.repeat(labels, spec.copies), dataset.y_train[drawn].astype(np.int64)])
    order = rng.permutation(len(x))
    return x[order], y[order]


def _freeze(model: keras.Model, top_only: bool) -> None:
    """What the fine-tune leaves as it was: every BatchNorm layer (frozen, it runs in inference mode, so a few
    odd pictures in a batch never shift statistics learned from 60,000), and with ``top_only`` every layer up to
    the architecture's last Flatten (a CNN's convolutions: it learns new pictures in its top, and each step
    costs about a forward pass)."""
    inner = next((layer for layer in model.layers if isinstance(layer, keras.Model)), model)  # mirror-averaged
    flattens = [index for index, layer in enumerate(inner.layers) if isinstance(layer, keras.layers.Flatten)]
    below = inner.layers[: flattens[-1] + 1] if top_only and flattens else []
    for layer in inner.layers:
        if isinstance(layer, keras.layers.BatchNormalization) or layer in below:
            layer.trainable = False


class _Report(keras.callbacks.Callback):
    """Progress into a TeachJob (the page's bar and curves), and its stop request into the fit."""

    def __init__(self, job: TrainingJob, batches: int):
        super().__init__()
        self.job, self.batches = job, batches

    def on_epoch_begin(self, epoch, logs=None):
        self.job._update(epoch=epoch + 1, batch=0, epoch_started=time.perf_counter())

    def on_train_batch_end(self, batch, logs=None):
        if (batch + 1) % max(1, self.batches // jobs.CURVE_POINTS_PER_EPOCH) == 0 or batch + 1 == self.batches:
            self.job._record_batch(batch + 1, {key: float(value) for key, value in (logs or {}).items()})
        if self.job.stop_requested:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        self.job._record_epoch(epoch + 1, {key: float(value) for key, value in (logs or {}).items()})


def fine_tune(
    model: keras.Model, spec: TeachSpec, taught: Sequence[Example], dataset: FashionMNIST, job: TrainingJob | None
) -> dict[str, list[float]]:
    """Train ``model`` in place on the taught pictures and the Fashion-MNIST mix; its history."""
    x, y = _training_set(spec, taught, dataset)
    keras.utils.set_random_seed(spec.seed)
    _freeze(model, spec.top_only)
    model.compile(
        optimizer=keras.optimizers.Adam(spec.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    batches = math.ceil(len(x) / spec.batch_size)
    if job is not None:
        job._update(state=jobs.RUNNING, batches_per_epoch=batches, started=time.perf_counter(), message="Teaching…")
    callbacks = [_Report(job, batches)] if job is not None else []
    history = model.fit(x, y, epochs=spec.epochs, batch_size=spec.batch_size, callbacks=callbacks, verbose=0)
    if job is not None and job.stop_requested:
        raise StoppedTeaching("Stopped; nothing was saved.")
    return {key: [float(value) for value in values] for key, values in history.history.items()}


def teach(
    spec: TeachSpec,
    examples: Sequence[Example],
    dataset: FashionMNIST,
    *,
    owner: str = "",
    root: Path | None = None,
    job: TrainingJob | None = None,
) -> Taught:
    """Split, fine-tune a copy of the base model, save it as a run, measure before/after. TeachError for too
    few examples or a bad spec; ``job`` (a TeachJob) receives progress and may ask to stop (StoppedTeaching)."""
    spec.validate()
    check(examples)
    parts = split(examples, spec.held_back_share, spec.seed)
    base = store.find(spec.base_model_id)
    base_model = store.load_model(base)
    model = store.load_model(base)  # the copy that learns; the base stays as it was, to compare with
    started = time.perf_counter()
    history = fine_tune(model, spec, parts.taught, dataset, job)
    seconds = time.perf_counter() - started
    if job is not None:
        job._update(state=jobs.SAVING, message="Measuring on the 10,000 test images and saving…")
    probabilities = store.predict_probabilities(model, dataset.x_test)
    base_probabilities = _test_probabilities(base, base_model, dataset)
    root = root or store.runs_dir()
    reserved = getattr(job, "reserved_id", None)
    model_id = reserved if reserved and not (root / reserved).exists() else store.unique_id(root, spec.name)
    report = _compare(
        (base.model_id, base_model, base_probabilities),
        (model_id, model, probabilities),
        parts.held_back,
        dataset,
    )
    meta = _meta(spec, base, parts, report, history, probabilities, dataset, model, seconds, owner, model_id)
    artifact = store.save(model, meta, root, probabilities)
    store.keep_within_cap(root, artifact.model_id)
    return Taught(artifact, report, parts)


def _meta(spec, base, parts, report, history, probabilities, dataset, model, seconds, owner, model_id):
    """The taught run's meta: an ordinary run's, its notes saying what it was taught on."""
    picked = probabilities[np.arange(len(dataset.y_test)), dataset.y_test]
    named = {CLASS_NAMES[label]: count for label, count in counts(parts.taught).items()}
    return store.ModelMeta(
        model_id=model_id,
        arch=base.meta.arch,
        display_name=model_id,
        hyperparameters=dict(base.meta.hyperparameters),
        dataset_source=dataset.source,
        history=history,
        test_accuracy=report.test_accuracy_after,
        test_loss=float(np.mean(-np.log(np.clip(picked, 1e-7, 1.0)))),
        params=int(model.count_params()),
        train_seconds=round(seconds, 2),
        epochs_run=len(next(iter(history.values()), [])),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        versions=store.library_versions(),
        notes={
            "origin": ORIGIN,
            "base_model_id": base.model_id,
            "taught_counts": named,
            "held_back_counts": {CLASS_NAMES[label]: count for label, count in counts(parts.held_back).items()},
            "taught_ids": [example.example_id for example in parts.taught],
            "held_back_ids": [example.example_id for example in parts.held_back],
            "recipe": asdict(spec),
            "before_after": report.as_json(),
        },
        owner=owner,
        where="this server",
    )


def _test_probabilities(artifact: store.Artifact, model: keras.Model, dataset: FashionMNIST) -> np.ndarray:
    """A model's test-set probabilities: its saved ones when they match the test set, else computed now."""
    saved = store.load_probabilities(artifact)
    if saved is not None and saved.shape == (len(dataset.y_test), len(CLASS_NAMES)):
        return saved
    return store.predict_probabilities(model, dataset.x_test)


def _compare(base, taught, held_back: Sequence[Example], dataset: FashionMNIST) -> BeforeAfter:
    """(id, model, test probabilities) of each, judged on the held-back pictures and the test labels."""
    (base_id, base_model, base_test), (taught_id, taught_model, taught_test) = base, taught
    answers: tuple[HeldBackAnswer, ...] = ()
    if held_back:
        pixels = np.stack([example.pixels for example in held_back]).astype(np.float32)
        before = store.predict_probabilities(base_model, pixels)
        after = store.predict_probabilities(taught_model, pixels)
        answers = tuple(
            HeldBackAnswer(
                example.example_id,
                example.label,
                int(old.argmax()),
                int(new.argmax()),
                round(float(old.max()), 4),
                round(float(new.max()), 4),
            )
            for example, old, new in zip(held_back, before, after, strict=True)
        )
    return BeforeAfter(
        base_id,
        taught_id,
        answers,
        float(np.mean(base_test.argmax(axis=1) == dataset.y_test)),
        float(np.mean(taught_test.argmax(axis=1) == dataset.y_test)),
    )


def before_after(
    base: store.Artifact, taught: store.Artifact, held_back: Sequence[Example], dataset: FashionMNIST
) -> BeforeAfter:
    """The base and the taught model on the held-back pictures and the test set (saved test probabilities
    are used when a model has them)."""
    base_model, taught_model = store.load_model(base), store.load_model(taught)
    return _compare(
        (base.model_id, base_model, _test_probabilities(base, base_model, dataset)),
        (taught.model_id, taught_model, _test_probabilities(taught, taught_model, dataset)),
        held_back,
        dataset,
    )


def report_of(artifact: store.Artifact) -> BeforeAfter | None:
    """The before/after saved with a taught run; None for any other model."""
    notes = artifact.meta.notes if artifact.meta is not None else {}
    if notes.get("origin") != ORIGIN or not isinstance(notes.get("before_after"), dict):
        return None
    try:
        return BeforeAfter.from_json(notes["before_after"])
    except (KeyError, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class TaughtArch:
    """What a TeachJob's progress names as its architecture: the base model's."""

    key: str


class TeachJob(TrainingJob):
    """Teaching as a job of the fair queue: queued, watched (``snapshot()``) and stopped like a training run.
    Always runs in this process (seconds of work). When DONE, ``result`` holds the ``Taught``."""

    teaches = True

    def __init__(
        self,
        spec: TeachSpec,
        examples: Sequence[Example],
        *,
        owner: str = "",
        root: Path | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ):
        spec.validate()
        check(examples)
        base = store.find(spec.base_model_id)  # ArtifactError now, not once it is its turn
        if base.meta is None:
            raise TeachError(f"The model {spec.base_model_id!r} is broken ({base.error}); choose another.")
        hp = Hyperparameters(epochs=spec.epochs, batch_size=spec.batch_size, learning_rate=spec.learning_rate)
        super().__init__(TaughtArch(base.meta.arch), hp, spec.name, root=root, on_progress=on_progress, owner=owner)
        self.teach_spec = spec
        self.examples = tuple(examples)
        self.result: Taught | None = None
        taught = len(split(self.examples, spec.held_back_share, spec.seed).taught)
        self.estimated_seconds = spec.epochs * spec.images(taught) / IMAGES_PER_SECOND + 15.0  # + loading, testing

    def run(self, dataset: FashionMNIST) -> Progress:
        self._where = "this server"  # a Ray backend the queue offers is not worth it for seconds of work
        return self.run_here(dataset)

    def run_here(self, dataset: FashionMNIST) -> Progress:
        """Teach, measure and save. Never raises: failures end in FAILED, a stop in STOPPED."""
        if self.stop_requested:
            self._update(state=jobs.STOPPED, message="Stopped before it started.")
            return self.snapshot()
        self._update(state=jobs.PREPARING, message="Loading the model and preparing your pictures…")
        try:
            result = teach(self.teach_spec, self.examples, dataset, owner=self.owner, root=self.root, job=self)
        except StoppedTeaching as stopped:
            self._update(state=jobs.STOPPED, elapsed=self._seconds(), message=str(stopped))
            return self.snapshot()
        except Exception as error:  # the job reports any failure instead of killing its thread
            self._update(state=jobs.FAILED, elapsed=self._seconds(), message=f"Teaching failed: {error}")
            return self.snapshot()
        self.result = result
        self._update(
            state=jobs.DONE,
            elapsed=self._seconds(),
            model_id=result.artifact.model_id,
            test_accuracy=result.report.test_accuracy_after,
            message=f"Saved as {result.artifact.model_id}.",
        )
        return self.snapshot()

    def _seconds(self) -> float:
        return time.perf_counter() - self._started if self._started else 0.0
