"""Training in the visitor's browser (TensorFlow.js): the server plans the run, serves its data, follows its
progress and keeps the truth.

The browser gets a *plan*: the zoo's own Keras model, layer by layer (each layer's kind, its settings and the
shapes of its weights), so TensorFlow.js builds the same architecture with the same parameter count, plus the
recipe and twelve watched test images. Its training images come once, as bytes (``training_data``: the seeded
subset and validation split that a server run of the same settings uses). While it trains it reports batches
and epochs (``BrowserJob.report``), whose answer carries Stop back. At the end it sends its weights
(``BrowserJob.finish``): they are checked against the plan (count, shapes, finite values, size), put into a
Keras model built from the same spec, evaluated here on the 10,000 test images and saved as an ordinary run.
Nothing the browser says about accuracy is believed; the curves it reports are only drawn.

A browser run holds no slot of the server's queue (its compute is the browser's) but is listed in it, so its
owner, the teacher's view and the one-run-per-browser rule see it like any run.
"""

from __future__ import annotations

import base64
import math
import os
import struct
import threading
import time
from functools import lru_cache
from typing import Any

import keras
import numpy as np

from core.data import IMAGE_SIDE, FashionMNIST
from core.models import zoo
from core.training import jobs

ENV_TRAIN_IN = "FASHION_STUDIO_TRAIN_IN"  # the Train page's default place: server | browser | auto
SERVER, BROWSER, AUTO = "server", "browser", "auto"
SILENCE_SECONDS = 60.0  # a browser run that has not reported for this long is over (its tab was closed)
DATA_MAGIC = b"FMS1"
MAX_PARAMS = 5_000_000  # the largest model a browser may send back (the zoo's biggest has under 1.5 million)


class BrowserRefusal(ValueError):
    """A browser run cannot start, or its report or weights are refused; the message says why in plain words."""


def default_place(queue_busy: bool) -> str:
    """Where the Train page proposes to train: the server's setting (``FASHION_STUDIO_TRAIN_IN``, default
    "server"); "auto" proposes the browser while the server's training line is busy."""
    setting = os.environ.get(ENV_TRAIN_IN, SERVER).strip().lower()
    if setting == AUTO:
        return BROWSER if queue_busy else SERVER
    return BROWSER if setting == BROWSER else SERVER


# -- the plan: the zoo's Keras model, described for TensorFlow.js ------------------------------------------------------
def _pair(value) -> list[int]:
    return [int(side) for side in value] if isinstance(value, (list, tuple)) else [int(value), int(value)]


def _layer_plan(layer: keras.layers.Layer) -> dict[str, Any]:
    """One layer as TensorFlow.js builds it; BrowserRefusal for a layer it cannot (the run stays on the server)."""
    config = layer.get_config()
    kind = type(layer).__name__
    if kind == "Rescaling":
        planned = {"kind": "rescaling", "scale": float(config["scale"]), "offset": float(config["offset"])}
    elif kind == "Reshape":
        planned = {"kind": "reshape", "target_shape": [int(side) for side in config["target_shape"]]}
    elif kind == "Flatten":
        planned = {"kind": "flatten"}
    elif kind == "Dense":
        planned = {
            "kind": "dense",
            "units": int(config["units"]),
            "activation": config["activation"],
            "use_bias": bool(config["use_bias"]),
        }
    elif kind == "Dropout":
        planned = {"kind": "dropout", "rate": float(config["rate"])}
    elif kind == "BatchNormalization":
        planned = {"kind": "batch_norm", "momentum": float(config["momentum"]), "epsilon": float(config["epsilon"])}
    elif kind == "LeakyReLU":
        planned = {"kind": "leaky_relu", "alpha": float(config["negative_slope"])}
    elif kind == "ReLU" and not config.get("max_value") and not config.get("negative_slope"):
        planned = {"kind": "relu"}
    elif kind == "Conv2D" and tuple(config["dilation_rate"]) == (1, 1) and config["groups"] == 1:
        planned = {
            "kind": "conv2d",
            "filters": int(config["filters"]),
            "kernel_size": _pair(config["kernel_size"]),
            "strides": _pair(config["strides"]),
            "padding": config["padding"],
            "activation": config["activation"],
            "use_bias": bool(config["use_bias"]),
        }
    elif kind == "MaxPooling2D":
        planned = {
            "kind": "max_pool",
            "pool_size": _pair(config["pool_size"]),
            "strides": _pair(config["strides"] or config["pool_size"]),
            "padding": config["padding"],
        }
    elif kind == "RandomFlip" and config["mode"] == "horizontal":
        planned = {"kind": "random_flip"}
    else:
        raise BrowserRefusal(f"its {kind} layer cannot train in a browser yet")
    return {**planned, "name": layer.name, "weights": [list(weight.shape) for weight in layer.weights]}


def plan(spec: zoo.ModelSpec, hp: zoo.Hyperparameters) -> dict[str, Any]:
    """What a browser needs to build and train this run, or BrowserRefusal saying why it cannot."""
    hp.validate()
    model = zoo.build(spec, hp)
    try:
        layers = [_layer_plan(layer) for layer in model.layers]
    except BrowserRefusal as refusal:
        raise BrowserRefusal(
            f"{spec.name} trains on the server only with these settings: {refusal}"
            + (" (switch augmentation off, or keep it on the server)." if hp.augment else ".")
        ) from None
    return {
        "arch": spec.key,
        "input_shape": [IMAGE_SIDE, IMAGE_SIDE],
        "layers": layers,
        "params": int(model.count_params()),
        "recipe": {
            "epochs": hp.epochs,
            "batch_size": hp.batch_size,
            "optimizer": hp.optimizer,
            "learning_rate": hp.learning_rate,
            "lr_schedule": hp.lr_schedule,
            "early_stopping_patience": hp.early_stopping_patience,
            "seed": hp.seed,
        },
        "curve_points_per_epoch": jobs.CURVE_POINTS_PER_EPOCH,
    }


def refusal_reason(spec: zoo.ModelSpec, hp: zoo.Hyperparameters) -> str | None:
    """Why this run cannot train in a browser, or None when it can."""
    try:
        plan(spec, hp)
    except BrowserRefusal as refusal:
        return str(refusal)
    return None


# -- the data: the run's training images, once ---------------------------------------------------------------------
def training_data(dataset: FashionMNIST, subset: int | None, validation_split: float, seed: int) -> bytes:
    """The run's training and validation images and labels, uint8, exactly as a server run splits them:
    ``FMS1``, two little-endian uint32 counts (train, validation), then the train images, train labels,
    validation images and validation labels. The test set never leaves the server."""
    hp = zoo.Hyperparameters(subset=subset, validation_split=validation_split, seed=seed).validate(len(dataset.x_train))
    x_train, y_train, x_val, y_val = jobs.prepare_data(dataset, hp)
    parts = [np.ascontiguousarray(part, dtype=np.uint8).tobytes() for part in (x_train, y_train, x_val, y_val)]
    return DATA_MAGIC + struct.pack("<II", len(y_train), len(y_val)) + b"".join(parts)


@lru_cache(maxsize=4)
def compressed_training_data(dataset: FashionMNIST, subset: int | None, validation_split: float, seed: int) -> bytes:
    """``training_data`` gzipped (what the route sends, once per set of values in this process)."""
    import gzip

    return gzip.compress(training_data(dataset, subset, validation_split, seed), compresslevel=6, mtime=0)


# -- the weights that come back --------------------------------------------------------------------------------------
def read_weights(model: keras.Model, payload: Any) -> list[list[np.ndarray]]:
    """The weights a browser sent, checked against the Keras model they must fit: one list per layer that has
    weights, in order; each weight ``{"shape": [...], "data": base64 of little-endian float32}``. BrowserRefusal
    names the first problem: wrong count or shape, bad encoding, a value that is not a finite number."""
    expected = [layer for layer in model.layers if layer.weights]
    sent = payload.get("weights") if isinstance(payload, dict) else None
    if not isinstance(sent, list):
        raise BrowserRefusal("The weights are missing: the browser sent no list of layers.")
    if len(sent) != len(expected):
        raise BrowserRefusal(f"The model has {len(expected)} layers with weights; the browser sent {len(sent)}.")
    if model.count_params() > MAX_PARAMS:
        raise BrowserRefusal(f"A browser may send at most {MAX_PARAMS:,} weights back.")
    read: list[list[np.ndarray]] = []
    for layer, tensors in zip(expected, sent, strict=True):
        shapes = [tuple(weight.shape) for weight in layer.weights]
        if not isinstance(tensors, list) or len(tensors) != len(shapes):
            raise BrowserRefusal(
                f"Layer {layer.name} has {len(shapes)} weight tensors; the browser sent another number."
            )
        arrays = []
        for shape, tensor in zip(shapes, tensors, strict=True):
            got = tuple(tensor.get("shape", ())) if isinstance(tensor, dict) else ()
            if got != shape:
                raise BrowserRefusal(f"Layer {layer.name} needs weights of shape {list(shape)}; got {list(got)}.")
            try:
                raw = base64.b64decode(tensor.get("data", ""), validate=True)
            except (ValueError, TypeError):
                raise BrowserRefusal(f"Layer {layer.name}'s weights are not valid base64.") from None
            if len(raw) != 4 * math.prod(shape):
                raise BrowserRefusal(f"Layer {layer.name}'s weights hold {len(raw)} bytes, not {4 * math.prod(shape)}.")
            array = np.frombuffer(raw, dtype="<f4").reshape(shape)
            if not np.isfinite(array).all():
                raise BrowserRefusal(
                    f"Layer {layer.name}'s weights hold values that are not numbers (NaN or infinite)."
                )
            arrays.append(array.astype(np.float32))
        read.append(arrays)
    return read


# -- the run ---------------------------------------------------------------------------------------------------------
def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BrowserRefusal(f"A report held {value!r} where a number belongs.")
    return float(value)


_LOG_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy", "learning_rate")


class BrowserJob(jobs.TrainingJob):
    """A run that trains in its owner's browser; the server follows it and evaluates and saves the result."""

    def __init__(self, spec: zoo.ModelSpec, hp: zoo.Hyperparameters, model_name: str, **kwargs):
        super().__init__(spec, hp, model_name, **kwargs)
        self.plan = plan(spec, hp)  # BrowserRefusal here: the run never exists
        self._where = "a browser"
        self._state = jobs.PREPARING  # never queued: it starts as soon as its tab has TensorFlow.js ready
        self._message = "Starting TensorFlow.js in your browser…"
        self._last_seen = time.monotonic()
        self._finishing = threading.Lock()

    def run(self, dataset: FashionMNIST) -> jobs.Progress:  # a browser run is never dispatched to a worker
        raise RuntimeError("a browser run trains in the browser; it is followed with report() and finish()")

    def snapshot(self) -> jobs.Progress:
        with self._lock:
            silent = self._state not in jobs.FINISHED and time.monotonic() - self._last_seen > SILENCE_SECONDS
        if silent:
            self.abandon(
                f"The browser stopped reporting for over {SILENCE_SECONDS:.0f} s (its tab was closed, reloaded or"
                " put to sleep), so the run ended; nothing was saved."
            )
        return super().snapshot()

    def request_stop(self) -> None:
        """Stop now: the browser learns it from the answer to its next report (its tab may be gone already)."""
        super().request_stop()
        if not self.finished:
            self._update(state=jobs.STOPPED, elapsed=self._seconds_so_far(), message="Stopped; nothing was saved.")

    def abandon(self, message: str) -> None:
        """End a run whose browser went away (reloaded, closed): nothing is saved."""
        if not self.finished:
            self._update(state=jobs.FAILED, message=message, elapsed=self._seconds_so_far())

    def _seconds_so_far(self) -> float:
        return time.perf_counter() - self._started if self._started else 0.0

    def report(self, events: Any) -> bool:
        """Apply the browser's progress events in order; True when it should stop. BrowserRefusal for nonsense."""
        if not isinstance(events, list) or len(events) > 1000:
            raise BrowserRefusal("A report must be a list of at most 1,000 events.")
        with self._lock:
            self._last_seen = time.monotonic()
        for event in events:
            if self.finished:
                break
            self._apply(event if isinstance(event, dict) else {})
        if self.stop_requested and not self.finished:
            self._update(state=jobs.STOPPED, elapsed=self._seconds_so_far(), message="Stopped; nothing was saved.")
        return self.stop_requested or self.finished

    def _apply(self, event: dict) -> None:
        kind = event.get("kind")
        if kind == "begin":
            batches = int(_number(event.get("batches_per_epoch")))
            backend = str(event.get("backend", ""))[:20]
            if event.get("params") != self.plan["params"]:
                raise BrowserRefusal(f"The browser built {event.get('params')} parameters, not {self.plan['params']}.")
            self._update(
                state=jobs.RUNNING,
                batches_per_epoch=max(batches, 1),
                started=time.perf_counter(),
                where=f"a browser (TensorFlow.js, {backend})",
                message="Training in your browser…",
            )
        elif kind == "epoch_begin":
            epoch = int(_number(event.get("epoch")))
            if not 1 <= epoch <= self.hp.epochs:
                raise BrowserRefusal(f"Epoch {epoch} is not one of this run's {self.hp.epochs}.")
            self._update(epoch=epoch, batch=0, epoch_started=time.perf_counter())
        elif kind == "batch":
            batch = int(_number(event.get("batch")))
            with self._lock:
                batches = self._batches_per_epoch
            if not 1 <= batch <= batches:
                raise BrowserRefusal(f"Batch {batch} is not one of this epoch's {batches}.")
            self._record_batch(batch, self._logs_of(event))
        elif kind == "epoch":
            epoch = int(_number(event.get("epoch")))
            answers = self._answers_of(event)
            if answers:
                self._update(watch=answers, watch_epoch=epoch)
            self._record_epoch(epoch, self._logs_of(event))
        elif kind == "watch":  # before training: what the untrained model answers
            self._update(watch=self._answers_of(event), watch_epoch=0)
        elif kind == "failed":
            self._update(
                state=jobs.FAILED,
                elapsed=self._seconds_so_far(),
                message=f"Training in the browser failed: {str(event.get('message', ''))[:300]}",
            )
        else:
            raise BrowserRefusal(f"Unknown report {kind!r}.")

    @staticmethod
    def _answers_of(event: dict) -> tuple[tuple[int, float], ...]:
        """The watched test images' (class, confidence) pairs, one per watched image or none."""
        answers = event.get("watch") or []
        if not isinstance(answers, list) or len(answers) not in (0, len(jobs.WATCHED_CLASSES)):
            raise BrowserRefusal(f"Expected {len(jobs.WATCHED_CLASSES)} answers for the watched images.")
        pairs = []
        for answer in answers:
            if not isinstance(answer, list) or len(answer) != 2:
                raise BrowserRefusal("A watched image's answer must be [class, confidence].")
            cls, confidence = _number(answer[0]), _number(answer[1])
            if cls not in range(10) or not 0 <= confidence <= 1 + 1e-6:
                raise BrowserRefusal("A watched image's answer is not a class 0-9 with a confidence from 0 to 1.")
            pairs.append((int(cls), min(confidence, 1.0)))
        return tuple(pairs)

    @staticmethod
    def _logs_of(event: dict) -> dict[str, float]:
        logs = event.get("logs") if isinstance(event.get("logs"), dict) else {}
        return {key: _number(value) for key, value in logs.items() if key in _LOG_KEYS}

    def finish(self, payload: Any, dataset: FashionMNIST, backend: str = "") -> jobs.Progress:
        """The browser's trained weights: checked, evaluated on the test set here, saved as this browser's run.
        BrowserRefusal (nothing saved, the run goes on failing only if it was over) when they do not fit."""
        with self._finishing:
            if self.finished:
                raise BrowserRefusal(f"This run is over ({self.state}); nothing more can be saved for it.")
            model = zoo.build(self.spec, self.hp)
            for layer, arrays in zip(
                [layer for layer in model.layers if layer.weights], read_weights(model, payload), strict=True
            ):
                layer.set_weights(arrays)
            train_seconds = self._seconds_so_far()
            self._update(state=jobs.SAVING, message="Evaluating on the 10,000 test images here and saving…")
            try:
                artifact = self._evaluate_and_save(model, dataset, train_seconds)
            except Exception as error:
                self._update(state=jobs.FAILED, elapsed=train_seconds, message=f"Saving failed: {error}")
                raise
            self._update(
                state=jobs.DONE,
                elapsed=train_seconds,
                model_id=artifact.model_id,
                test_accuracy=artifact.meta.test_accuracy,
                warnings=jobs.diagnose(artifact.meta.history, artifact.meta.test_accuracy),
                message=f"Trained in your browser, evaluated on this server, saved as {artifact.model_id}.",
            )
            return self.snapshot()
