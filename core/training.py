"""Training jobs: Keras ``fit`` in a background thread, progress events, clean stop,
atomic save, and a process-wide queue that admits a few jobs at a time.

Nothing here knows about Streamlit: the UI polls ``TrainingJob.snapshot()``; the CLI
passes an ``on_progress`` callback.
"""

from __future__ import annotations

import itertools
import math
import os
import platform
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import keras
import numpy as np

from core import store, zoo
from core.data import FashionMNIST

ENV_MAX_JOBS = "FASHION_STUDIO_MAX_TRAINING_JOBS"
CURVE_POINTS_PER_EPOCH = 20  # train-loss samples plotted within each epoch

QUEUED, PREPARING, RUNNING, SAVING = "queued", "preparing", "running", "saving"
DONE, STOPPED, FAILED = "done", "stopped", "failed"
FINISHED = (DONE, STOPPED, FAILED)


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
    queue_position: int = 0  # jobs ahead of this one while queued
    model_id: str | None = None
    test_accuracy: float | None = None

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


def prepare_data(dataset: FashionMNIST, hp: zoo.Hyperparameters):
    """Seeded subset and train/validation split; float32 pixels 0-255 (models rescale)."""
    rng = np.random.default_rng(hp.seed)
    order = rng.permutation(len(dataset.x_train))
    if hp.subset:
        order = order[: hp.subset]
    n_val = max(1, round(len(order) * hp.validation_split))
    val, train = order[:n_val], order[n_val:]
    pixels = dataset.x_train.astype(np.float32)
    return pixels[train], dataset.y_train[train], pixels[val], dataset.y_train[val]


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


def predict_probabilities(model: keras.Model, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Class probabilities for many images, batched, without ``predict``'s per-call overhead."""
    outputs = [
        np.asarray(model(images[start : start + batch_size].astype(np.float32), training=False))
        for start in range(0, len(images), batch_size)
    ]
    return np.concatenate(outputs).astype(np.float32)


def library_versions() -> dict[str, str]:
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
    }


class _ProgressCallback(keras.callbacks.Callback):
    def __init__(self, job: TrainingJob, batches_per_epoch: int):
        super().__init__()
        self.job = job
        self.batches_per_epoch = batches_per_epoch
        self.sample_every = max(1, batches_per_epoch // CURVE_POINTS_PER_EPOCH)

    def on_epoch_begin(self, epoch, logs=None):
        self.job._update(epoch=epoch + 1, batch=0)

    def on_train_batch_end(self, batch, logs=None):
        done = batch + 1
        if done % self.sample_every == 0 or done == self.batches_per_epoch:
            self.job._record_batch(done, {key: float(value) for key, value in (logs or {}).items()})
        if self.job.stop_requested:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        self.job._record_epoch(epoch + 1, {key: float(value) for key, value in (logs or {}).items()})


class TrainingJob:
    """One training run. ``run()`` blocks; the queue calls it in a worker thread."""

    def __init__(
        self,
        spec: zoo.ModelSpec,
        hp: zoo.Hyperparameters,
        model_name: str,
        *,
        root: Path | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ):
        hp.validate()
        store.sanitize_name(model_name)  # refuse a bad name before any work is done
        self.id = uuid.uuid4().hex
        self.spec, self.hp, self.model_name = spec, hp, model_name
        self.root = root
        self.on_progress = on_progress
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
        self.queue_position: Callable[[], int] = lambda: 0

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
            self._logs = logs
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
        with self._lock:
            seconds = (
                time.perf_counter() - self._started
                if self._state in (RUNNING, SAVING) and self._started
                else self._elapsed
            )
            done = (max(self._epoch, 1) - 1) * self._batches_per_epoch + self._batch
            total = self.hp.epochs * self._batches_per_epoch
            eta = seconds / done * (total - done) if done and self._state == RUNNING else None
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
                eta_seconds=eta,
                logs=dict(self._logs),
                curve=tuple(self._curve),
                message=self._message,
                queue_position=self.queue_position() if self._state == QUEUED else 0,
                model_id=self._model_id,
                test_accuracy=self._test_accuracy,
            )

    # -- the work ---------------------------------------------------------------------
    def run(self, dataset: FashionMNIST) -> Progress:
        """Train, evaluate on the test set, save atomically. Never raises: failures end in FAILED."""
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
                callbacks=[_ProgressCallback(self, batches), *schedule_callbacks(self.hp)],
                verbose=0,
            )
            train_seconds = time.perf_counter() - self._started
            if self.stop_requested:
                self._update(state=STOPPED, elapsed=train_seconds, message="Stopped; nothing was saved.")
                return self.snapshot()
            self._update(state=SAVING, message="Evaluating on the 10,000 test images and saving…")
            artifact = self._evaluate_and_save(model, dataset, train_seconds)
            self._update(
                state=DONE,
                elapsed=train_seconds,
                model_id=artifact.model_id,
                test_accuracy=artifact.meta.test_accuracy,
                message=f"Saved as {artifact.model_id}.",
            )
        except Exception as error:  # the job reports any failure instead of killing its thread
            elapsed = time.perf_counter() - self._started if self._started else 0.0
            self._update(state=FAILED, elapsed=elapsed, message=f"Training failed: {type(error).__name__}: {error}")
        return self.snapshot()

    def _evaluate_and_save(self, model: keras.Model, dataset: FashionMNIST, train_seconds: float) -> store.Artifact:
        if self.spec.mirror_average:
            model = zoo.mirror_averaged(store.without_optimizer(model))
        probabilities = predict_probabilities(model, dataset.x_test)
        picked = probabilities[np.arange(len(dataset.y_test)), dataset.y_test]
        root = self.root or store.runs_dir()
        root.mkdir(parents=True, exist_ok=True)
        with self._lock:
            history = {key: list(values) for key, values in self._history.items()}
        meta = store.ModelMeta(
            model_id=store.unique_id(root, self.model_name),
            arch=self.spec.key,
            display_name=self.model_name.strip(),
            hyperparameters=asdict(self.hp),
            dataset_source=dataset.source,
            history=history,
            test_accuracy=float(np.mean(probabilities.argmax(axis=1) == dataset.y_test)),
            test_loss=float(np.mean(-np.log(np.clip(picked, 1e-7, 1.0)))),
            params=int(model.count_params()),
            train_seconds=round(train_seconds, 2),
            epochs_run=len(next(iter(history.values()), [])),
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            versions=library_versions(),
        )
        return store.save(model, meta, root, probabilities)


@dataclass
class TrainingQueue:
    """Admits ``max_concurrent`` jobs at a time, first come first served, in worker threads."""

    max_concurrent: int = 1
    max_remembered: int = 200
    jobs: dict[str, TrainingJob] = field(default_factory=dict)

    def __post_init__(self):
        if self.max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        self._slots = threading.Semaphore(self.max_concurrent)
        self._lock = threading.Lock()
        self._waiting: list[str] = []
        self._counter = itertools.count()

    def submit(self, job: TrainingJob, dataset: FashionMNIST) -> TrainingJob:
        with self._lock:
            self._forget_old()
            self.jobs[job.id] = job
            self._waiting.append(job.id)
        job.queue_position = lambda: self.position(job.id)
        threading.Thread(target=self._work, args=(job, dataset), name=f"train-{job.id[:8]}", daemon=True).start()
        return job

    def _work(self, job: TrainingJob, dataset: FashionMNIST) -> None:
        with self._slots:
            with self._lock:
                self._waiting.remove(job.id)
            job.run(dataset)

    def position(self, job_id: str) -> int:
        """How many jobs are ahead in the waiting line (0 when running or not waiting)."""
        with self._lock:
            return self._waiting.index(job_id) if job_id in self._waiting else 0

    def get(self, job_id: str) -> TrainingJob | None:
        with self._lock:
            return self.jobs.get(job_id)

    def active_count(self) -> int:
        with self._lock:
            return sum(1 for job in self.jobs.values() if not job.finished)

    def _forget_old(self) -> None:
        # job.finished, not job.snapshot(): a snapshot asks this queue for a position (its lock)
        finished = [job_id for job_id, job in self.jobs.items() if job.finished]
        for job_id in finished[: max(0, len(self.jobs) - self.max_remembered)]:
            del self.jobs[job_id]


_queue: TrainingQueue | None = None
_queue_lock = threading.Lock()


def default_queue() -> TrainingQueue:
    """The process-wide queue; its size comes from FASHION_STUDIO_MAX_TRAINING_JOBS (default 1)."""
    global _queue
    with _queue_lock:
        if _queue is None:
            _queue = TrainingQueue(max(1, int(os.environ.get(ENV_MAX_JOBS, "1") or 1)))
            store.sweep_partial_saves()  # once per process: saves a killed server left behind
        return _queue
