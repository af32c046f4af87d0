"""Training jobs: Keras ``fit`` with progress events, clean stop and atomic save; the job's states and
the ``Progress`` record every other part reads.

Nothing here knows about Streamlit: the UI polls ``TrainingJob.snapshot()``; the CLI
passes an ``on_progress`` callback. Where a job trains is its ``Backend`` (``core.training.backends``);
which jobs train when is the queue's business (``core.training.fair_queue``).
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import keras
import numpy as np

from core.data import FashionMNIST
from core.models import store, zoo
from core.training import estimate

CURVE_POINTS_PER_EPOCH = 20  # train-loss samples plotted within each epoch

QUEUED, PREPARING, RUNNING, SAVING = "queued", "preparing", "running", "saving"
DONE, STOPPED, FAILED = "done", "stopped", "failed"
FINISHED = (DONE, STOPPED, FAILED)


@dataclass(frozen=True)
class QueueStatus:
    """The training line as one waiting job sees it."""

    running: int  # jobs training now
    waiting: int  # jobs waiting, this one included
    ahead: int  # waiting jobs that start before this one
    starts_in_seconds: float | None  # None when some job ahead has no estimate


@dataclass(frozen=True)
class Progress:
    """What a training job looks like at one moment (a copy, safe to hand to any thread)."""

    job_id: str
    state: str
    arch: str
    model_name: str
    epoch: int  # 1-based epoch in progress (or last finished)
    epochs: int
    batch: int  # batches done in this epoch
    batches_per_epoch: int
    seconds: float
    eta_seconds: float | None
    logs: dict[str, float]
    curve: tuple[dict, ...]  # long-form rows: epoch (fractional), metric, split, value
    message: str = ""
    queue: QueueStatus | None = None  # while queued: the line as this job sees it
    model_id: str | None = None  # reserved when the job is queued, so the page names the run as it will be saved
    test_accuracy: float | None = None
    last_epoch_logs: dict[str, float] = field(default_factory=dict)  # validation metrics stay between epochs
    estimated_seconds: float | None = None  # the estimate the run was admitted with
    warnings: tuple[str, ...] = ()  # a finished run that learned nothing or blew up says so, in plain words
    watch: tuple[tuple[int, float], ...] = ()  # (predicted class, confidence) for each WATCHED test image
    watch_epoch: int = -1  # the epoch those answers are from (0: before training)
    where: str = ""  # where it trains: "this server", or a Ray node (core.training.backends)

    @property
    def fraction(self) -> float:
        if self.state == DONE:
            return 1.0
        total = self.epochs * max(self.batches_per_epoch, 1)
        done = (max(self.epoch, 1) - 1) * self.batches_per_epoch + self.batch
        return min(done / total, 1.0) if total else 0.0

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


class Backend(Protocol):
    """Where a job trains (``core.training.backends``): ``run`` trains the job there and returns its last snapshot."""

    name: str

    def describe(self) -> str: ...

    def run(self, job: TrainingJob, dataset: FashionMNIST) -> Progress: ...


CHANCE_LEVEL = 0.15  # ten balanced classes: guessing scores 10%; below this a run learned next to nothing
WATCHED_CLASSES = (0, 0, 6, 6, 2, 4, 3, 1, 5, 7, 8, 9)  # T-shirts and shirts twice: the pair models confuse most


def watched_indices(y_test: np.ndarray) -> np.ndarray:
    """Fixed test images to watch while a model learns: the first of each class in WATCHED_CLASSES."""
    picked: list[int] = []
    for label in WATCHED_CLASSES:
        picked.append(next(int(i) for i in np.flatnonzero(y_test == label) if i not in picked))
    return np.array(picked)


def diagnose(history: dict[str, list[float]], test_accuracy: float | None) -> tuple[str, ...]:
    """Plain-language warnings for a run that blew up or ended at chance level (empty when it is fine)."""
    losses = [*history.get("loss", []), *history.get("val_loss", [])]
    warnings = []
    if any(not math.isfinite(value) for value in losses):
        warnings.append(
            "The loss became NaN (not a number): the weights blew up and the model's answers are meaningless."
            " Usually the learning rate is too large for these inputs: normalize the pixels or lower the learning rate."
        )
    elif len(train := history.get("loss", [])) >= 2 and train[-1] > 1.5 * train[0]:
        warnings.append(
            f"The loss grew instead of shrinking ({train[0]:.3g} → {train[-1]:.3g}): training diverged."
            " Lower the learning rate, or normalize the pixels."
        )
    if test_accuracy is not None and test_accuracy < CHANCE_LEVEL:
        warnings.append(
            f"Test accuracy {test_accuracy:.1%} is chance level: with ten balanced classes, guessing scores 10%."
            " This model learned nothing useful. Unnormalized pixels (0-255) with SGD often end here:"
            " switch normalization on, or try Adam or a smaller learning rate."
        )
    return tuple(warnings)


def prepare_data(dataset: FashionMNIST, hp: zoo.Hyperparameters):
    """Seeded subset and train/validation split; uint8 pixels 0-255 (models cast and rescale them).

    Kept as bytes: Keras casts each batch inside the model, and float32 copies of 60,000 images cost
    about 370 MB more at the peak of a run (measured, MLP 128: 1,310 MB against 937 MB)."""
    rng = np.random.default_rng(hp.seed)
    order = rng.permutation(len(dataset.x_train))
    if hp.subset:
        order = order[: hp.subset]
    n_val = max(1, round(len(order) * hp.validation_split))
    val, train = order[:n_val], order[n_val:]
    x = dataset.x_train
    return x[train], dataset.y_train[train], x[val], dataset.y_train[val]


def schedule_callbacks(hp: zoo.Hyperparameters) -> list[keras.callbacks.Callback]:
    callbacks: list[keras.callbacks.Callback] = []
    if hp.lr_schedule == "exponential":
        callbacks.append(keras.callbacks.LearningRateScheduler(lambda epoch: hp.learning_rate * 0.9**epoch))
    elif hp.lr_schedule == "plateau":
        callbacks.append(keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_lr=1e-5))
    if hp.early_stopping_patience:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=hp.early_stopping_patience, restore_best_weights=True
            )
        )
    return callbacks


class _ProgressCallback(keras.callbacks.Callback):
    def __init__(self, job: TrainingJob, batches_per_epoch: int, watched: np.ndarray):
        super().__init__()
        self.job = job
        self.batches_per_epoch = batches_per_epoch
        self.sample_every = max(1, batches_per_epoch // CURVE_POINTS_PER_EPOCH)
        self.watched = watched

    def _watch(self, epoch: int) -> None:
        probabilities = np.asarray(self.model(self.watched, training=False))  # ~5 ms: 12 images
        answers = tuple((int(row.argmax()), float(row.max())) for row in np.nan_to_num(probabilities))
        self.job._update(watch=answers, watch_epoch=epoch)

    def on_train_begin(self, logs=None):
        self._watch(0)

    def on_epoch_begin(self, epoch, logs=None):
        self.job._update(epoch=epoch + 1, batch=0, epoch_started=time.perf_counter())

    def on_train_batch_end(self, batch, logs=None):
        done = batch + 1
        if done % self.sample_every == 0 or done == self.batches_per_epoch:
            self.job._record_batch(done, {key: float(value) for key, value in (logs or {}).items()})
        if self.job.stop_requested:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        self._watch(epoch + 1)
        self.job._record_epoch(epoch + 1, {key: float(value) for key, value in (logs or {}).items()})


class TrainingJob:
    """One training run. ``run()`` blocks; the queue calls it in a worker thread."""

    teaches = False  # a teaching (core.training.teach.TeachJob) is followed on the Teach page, not on Train

    def __init__(
        self,
        spec: zoo.ModelSpec,
        hp: zoo.Hyperparameters,
        model_name: str,
        *,
        root: Path | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        owner: str = "",
        backend: Backend | None = None,
    ):
        hp.validate()
        store.sanitize_name(model_name)  # refuse a bad name before any work is done
        self.id = uuid.uuid4().hex  # 122 random bits: the run's link carries it, so it must not be guessable
        self.spec, self.hp, self.model_name = spec, hp, model_name
        self.root = root
        self.on_progress = on_progress
        self.owner = owner  # the browser that started it (a hash; "" for the CLI)
        self.estimated_seconds: float | None = None
        self.reserved_id: str | None = None  # set by the queue; the saved model takes this id when it is free
        self.group: str | None = None  # jobs queued together (a lesson) share the first one's id
        self.lesson: str | None = None  # the lesson's title, for a lesson's run...
        self.label: str | None = None  # ...and what sets this run apart in it ("raw pixels, SGD")
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._state = QUEUED
        self._epoch, self._batch, self._batches_per_epoch = 0, 0, 0
        self._started: float | None = None
        self._elapsed = 0.0
        self._logs: dict[str, float] = {}
        self._curve: list[dict] = []
        self._history: dict[str, list[float]] = {}
        self._message = ""
        self._model_id: str | None = None
        self._test_accuracy: float | None = None
        self._epoch_started: float | None = None
        self._epoch_seconds: list[float] = []
        self._first_batch_end: float | None = None
        self._first_batch_done = 0
        self._last_epoch_logs: dict[str, float] = {}
        self._warnings: tuple[str, ...] = ()
        self._watch: tuple[tuple[int, float], ...] = ()
        self._watch_epoch = -1
        self.queue_status: Callable[[], QueueStatus | None] = lambda: None
        self.backend = backend  # where run() trains (core.training.backends); None: in this process
        self._where = "this server"

    # -- state, guarded by the lock ---------------------------------------------------
    def _update(self, **changes) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(self, f"_{name}", value)
        if self.on_progress:
            self.on_progress(self.snapshot())

    def _record_batch(self, batch: int, logs: dict[str, float]) -> None:
        with self._lock:
            self._batch, self._logs = batch, logs
            if self._first_batch_end is None:
                self._first_batch_end, self._first_batch_done = time.perf_counter(), batch
            x = self._epoch - 1 + batch / self._batches_per_epoch
            for metric in ("loss", "accuracy"):
                if metric in logs:
                    self._curve.append(
                        {"epoch": x, "metric": metric, "split": "train (running)", "value": logs[metric]}
                    )
        if self.on_progress:
            self.on_progress(self.snapshot())

    def _record_epoch(self, epoch: int, logs: dict[str, float]) -> None:
        with self._lock:
            self._logs, self._last_epoch_logs = logs, dict(logs)
            if self._epoch_started is not None:
                self._epoch_seconds.append(time.perf_counter() - self._epoch_started)
            for key, value in logs.items():
                self._history.setdefault(key, []).append(value)
            for metric in ("loss", "accuracy"):
                for split, key in (("train", metric), ("validation", f"val_{metric}")):
                    if key in logs:
                        self._curve.append(
                            {"epoch": float(epoch), "metric": metric, "split": split, "value": logs[key]}
                        )
        if self.on_progress:
            self.on_progress(self.snapshot())

    @property
    def state(self) -> str:
        with self._lock:
            return self._state

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def request_stop(self) -> None:
        self._stop.set()

    def snapshot(self) -> Progress:
        queue = self.queue_status() if self.state == QUEUED else None  # outside the job's lock: the queue locks jobs
        with self._lock:
            now = time.perf_counter()
            seconds = now - self._started if self._state in (RUNNING, SAVING) and self._started else self._elapsed
            return Progress(
                job_id=self.id,
                state=self._state,
                arch=self.spec.key,
                model_name=self.model_name,
                epoch=self._epoch,
                epochs=self.hp.epochs,
                batch=self._batch,
                batches_per_epoch=self._batches_per_epoch,
                seconds=seconds,
                eta_seconds=self._eta(now, seconds),
                logs=dict(self._logs),
                curve=tuple(self._curve),
                message=self._message,
                queue=queue,
                model_id=self._model_id or self.reserved_id,
                test_accuracy=self._test_accuracy,
                last_epoch_logs=dict(self._last_epoch_logs),
                estimated_seconds=self.estimated_seconds,
                warnings=self._warnings,
                watch=self._watch,
                watch_epoch=self._watch_epoch,
                where=self._where,
            )

    def _eta(self, now: float, seconds: float) -> float | None:
        """Seconds left, from this run's own steady pace (the first epoch's tracing left out). Lock held."""
        if self._state == QUEUED:
            return self.estimated_seconds
        if self._state != RUNNING:
            return None
        epochs_left = self.hp.epochs - max(self._epoch, 1)
        epoch_done = self._batch / self._batches_per_epoch if self._batches_per_epoch else 0.0
        if self._epoch_seconds:  # whole epochs measured: validation included
            steady = self._epoch_seconds[1:] or self._epoch_seconds
            per_epoch = sum(steady) / len(steady)
            return per_epoch * (epochs_left + 1 - epoch_done)
        if self._first_batch_end is not None and self._batch > self._first_batch_done:
            pace = (now - self._first_batch_end) / (self._batch - self._first_batch_done)  # seconds per batch
            return pace * ((epochs_left + 1) * self._batches_per_epoch - self._batch)
        if self.estimated_seconds is not None:
            return max(self.estimated_seconds - seconds, 0.0)
        return None

    def remaining_seconds(self) -> float | None:
        """For the queue's estimate of when the next job starts."""
        progress = self.snapshot() if self.state != QUEUED else None
        if progress is None:
            return self.estimated_seconds
        if progress.finished:
            return 0.0
        return progress.eta_seconds if progress.eta_seconds is not None else self.estimated_seconds

    # -- the work ---------------------------------------------------------------------
    def run(self, dataset: FashionMNIST) -> Progress:
        """Train on this job's backend (a Ray cluster) or here. Never raises: failures end in FAILED."""
        if self.backend is not None:
            return self.backend.run(self, dataset)
        return self.run_here(dataset)

    def run_here(self, dataset: FashionMNIST) -> Progress:
        """Train in this thread, evaluate on the test set, save atomically. Never raises: failures end in FAILED."""
        run_started = time.perf_counter()
        try:
            if self.stop_requested:
                self._update(state=STOPPED, message="Stopped before it started.")
                return self.snapshot()
            self._update(state=PREPARING, message="Preparing the data and building the model…")
            x_train, y_train, x_val, y_val = prepare_data(dataset, self.hp)
            keras.utils.set_random_seed(self.hp.seed)
            batches = math.ceil(len(x_train) / self.hp.batch_size)
            model = zoo.compile_model(zoo.build(self.spec, self.hp), self.hp, batches)
            self._update(state=RUNNING, batches_per_epoch=batches, started=time.perf_counter(), message="Training…")
            model.fit(
                x_train,
                y_train,
                validation_data=(x_val, y_val),
                epochs=self.hp.epochs,
                batch_size=self.hp.batch_size,
                callbacks=[
                    _ProgressCallback(
                        self, batches, dataset.x_test[watched_indices(dataset.y_test)].astype(np.float32)
                    ),
                    keras.callbacks.TerminateOnNaN(),  # a blown-up run ends now, and says why (diagnose)
                    *schedule_callbacks(self.hp),
                ],
                verbose=0,
            )
            train_seconds = time.perf_counter() - self._started
            if self.stop_requested:
                self._update(state=STOPPED, elapsed=train_seconds, message="Stopped; nothing was saved.")
                return self.snapshot()
            self._update(state=SAVING, message="Evaluating on the 10,000 test images and saving…")
            artifact = self._evaluate_and_save(model, dataset, train_seconds)
            self._record_throughput(len(x_train), time.perf_counter() - run_started)
            self._update(
                state=DONE,
                elapsed=train_seconds,
                model_id=artifact.model_id,
                test_accuracy=artifact.meta.test_accuracy,
                warnings=diagnose(artifact.meta.history, artifact.meta.test_accuracy),
                message=f"Saved as {artifact.model_id}.",
            )
        except Exception as error:  # the job reports any failure instead of killing its thread
            elapsed = time.perf_counter() - self._started if self._started else 0.0
            self._update(state=FAILED, elapsed=elapsed, message=f"Training failed: {type(error).__name__}: {error}")
        return self.snapshot()

    def _record_throughput(self, examples: int, wall_seconds: float) -> None:
        """Teach the estimate book this architecture's pace on this server: steady epochs + one-off overhead."""
        with self._lock:
            epochs = list(self._epoch_seconds)
        if not epochs:
            return
        steady = epochs[1:] or epochs
        per_epoch = sum(steady) / len(steady)
        entry = estimate.key(self.spec.key, self.hp)
        estimate.book(self.root).record(entry, examples / per_epoch, wall_seconds - per_epoch * len(epochs), "runs")

    def _evaluate_and_save(self, model: keras.Model, dataset: FashionMNIST, train_seconds: float) -> store.Artifact:
        if self.spec.mirror_average:
            model = zoo.mirror_averaged(store.without_optimizer(model))
        probabilities = store.predict_probabilities(model, dataset.x_test)
        picked = probabilities[np.arange(len(dataset.y_test)), dataset.y_test]
        root = self.root or store.runs_dir()
        root.mkdir(parents=True, exist_ok=True)
        with self._lock:
            history = {key: list(values) for key, values in self._history.items()}
        model_id = self.reserved_id if self.reserved_id and not (root / self.reserved_id).exists() else None
        model_id = model_id or store.unique_id(root, self.model_name)
        meta = store.ModelMeta(
            model_id=model_id,
            arch=self.spec.key,
            display_name=model_id,  # ids are unique, so no two runs ever look alike in a list
            hyperparameters=asdict(self.hp),
            dataset_source=dataset.source,
            history=history,
            test_accuracy=float(np.mean(probabilities.argmax(axis=1) == dataset.y_test)),
            test_loss=float(np.mean(-np.log(np.clip(picked, 1e-7, 1.0)))),
            params=int(model.count_params()),
            train_seconds=round(train_seconds, 2),
            epochs_run=len(next(iter(history.values()), [])),
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            versions=store.library_versions(),
            owner=self.owner,
            where=self._where,
        )
        artifact = store.save(model, meta, root, probabilities)
        store.keep_within_cap(root, artifact.model_id)
        return artifact
