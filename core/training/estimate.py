"""How long will a run take on *this* server? Measured, never a constant.

Throughput (training examples per second, validation included) is kept per architecture,
batch size and augmentation in a small JSON book beside the runs. Every finished run
updates it with its own epoch times; an architecture never trained here is measured once
by a short probe (a few real training steps of the real model).
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from core.models import store, zoo

ENV_MAX_RUN_SECONDS = "FASHION_STUDIO_MAX_RUN_SECONDS"
DEFAULT_MAX_RUN_SECONDS = 600  # one run may not hold a shared 2-core server for more than 10 minutes
BOOK_FILE = ".throughput.json"
PROBE_BATCHES = 8  # at least this many timed batches...
PROBE_EXAMPLES = 2048  # ...and about this many examples
EVALUATION_EXAMPLES = 10_000  # the test set, predicted once at the end of every run
_SMOOTHING = 0.5  # weight of the newest measurement


@dataclass(frozen=True)
class Estimate:
    seconds: float
    examples_per_second: float
    overhead_seconds: float  # building, tracing, evaluating and saving: paid once per run
    source: str  # "runs" (measured by finished runs here) or "probe"


def max_run_seconds() -> float:
    """The server-wide cap on one run's estimated duration (0 or less switches it off)."""
    raw = os.environ.get(ENV_MAX_RUN_SECONDS, "")
    try:
        return float(raw) if raw.strip() else DEFAULT_MAX_RUN_SECONDS
    except ValueError:
        return DEFAULT_MAX_RUN_SECONDS


def key(arch: str, hp: zoo.Hyperparameters) -> str:
    return f"{arch}|{hp.batch_size}|{'augment' if hp.augment else 'plain'}"


def train_examples(hp: zoo.Hyperparameters) -> int:
    total = hp.subset or zoo.TRAIN_SIZE
    return total - max(1, round(total * hp.validation_split))


class ThroughputBook:
    """Examples per second and fixed overhead per key, persisted as JSON (atomic replace)."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._probe_lock = threading.Lock()
        self._entries: dict[str, dict] = self._read()

    def _read(self) -> dict[str, dict]:
        try:
            entries = json.loads(self.path.read_text())
            return {k: v for k, v in entries.items() if isinstance(v, dict) and v.get("examples_per_second", 0) > 0}
        except (OSError, ValueError, AttributeError):
            return {}

    def _write(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temp = self.path.with_suffix(f".{os.getpid()}.tmp")
            temp.write_text(json.dumps(self._entries, indent=1, sort_keys=True))
            os.replace(temp, self.path)
        except OSError:
            pass  # an estimate that is not remembered is measured again: nothing is lost

    def get(self, entry_key: str) -> dict | None:
        with self._lock:
            entry = self._entries.get(entry_key)
            return dict(entry) if entry else None

    def record(self, entry_key: str, examples_per_second: float, overhead_seconds: float, source: str) -> None:
        if not (examples_per_second > 0 and math.isfinite(examples_per_second)):
            return
        with self._lock:
            old = self._entries.get(entry_key)
            if old and source == "runs" and old.get("source") == "runs":
                examples_per_second = _SMOOTHING * examples_per_second + (1 - _SMOOTHING) * old["examples_per_second"]
                overhead_seconds = _SMOOTHING * overhead_seconds + (1 - _SMOOTHING) * old["overhead_seconds"]
            self._entries[entry_key] = {
                "examples_per_second": round(examples_per_second, 2),
                "overhead_seconds": round(max(overhead_seconds, 0.0), 2),
                "source": source,
                "updated": round(time.time()),
            }
            self._write()

    def estimate(self, spec: zoo.ModelSpec, hp: zoo.Hyperparameters) -> Estimate | None:
        entry = self.get(key(spec.key, hp))
        if entry is None:
            return None
        rate, overhead = entry["examples_per_second"], entry["overhead_seconds"]
        return Estimate(hp.epochs * train_examples(hp) / rate + overhead, rate, overhead, entry["source"])

    def estimate_or_probe(self, spec: zoo.ModelSpec, hp: zoo.Hyperparameters, dataset) -> Estimate:
        """The estimate, probing first if this architecture was never measured here (one probe at a time)."""
        found = self.estimate(spec, hp)
        if found is not None:
            return found
        with self._probe_lock:
            found = self.estimate(spec, hp)  # another visitor may have probed it meanwhile
            if found is None:
                rate, overhead = probe(spec, hp, dataset)
                self.record(key(spec.key, hp), rate, overhead, "probe")
                found = self.estimate(spec, hp)
        return found


def probe(spec: zoo.ModelSpec, hp: zoo.Hyperparameters, dataset) -> tuple[float, float]:
    """Train the real model for a few batches: (examples per second, seconds of one-off overhead).

    Batches are timed inside one ``fit`` by a callback, from the end of the first (which pays for
    tracing) to the end of the last, so neither tracing nor ``fit``'s own set-up skews the pace.
    """
    import keras
    import numpy as np

    batches = max(PROBE_BATCHES, PROBE_EXAMPLES // hp.batch_size) + 1
    count = hp.batch_size * batches
    x = dataset.x_train[:count]  # bytes, as real runs feed them (training.prepare_data)
    y = dataset.y_train[:count]
    ends: list[float] = []
    timer = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: ends.append(time.perf_counter()))
    started = time.perf_counter()
    model = zoo.compile_model(zoo.build(spec, hp), hp, batches)
    model.fit(x, y, batch_size=hp.batch_size, epochs=1, verbose=0, callbacks=[timer])
    steady = (ends[-1] - ends[0]) / (len(ends) - 1)  # seconds per batch once traced
    sample = x[: min(count, 1000)].astype(np.float32)
    model(sample[:10], training=False)  # traces inference once, as the saved run's evaluation does
    evaluated = time.perf_counter()
    model(sample, training=False)
    evaluate_seconds = (time.perf_counter() - evaluated) * EVALUATION_EXAMPLES / len(sample)
    # Validation costs about a third of a training step per example: counted into the rate.
    rate = hp.batch_size / steady / (1 + hp.validation_split / (1 - hp.validation_split) / 3)
    return rate, (ends[0] - started) + evaluate_seconds


_books: dict[Path, ThroughputBook] = {}
_books_lock = threading.Lock()


def book(root: Path | None = None) -> ThroughputBook:
    """The book of this runs folder (one per process)."""
    path = (root or store.runs_dir()) / BOOK_FILE
    with _books_lock:
        if path not in _books:
            _books[path] = ThroughputBook(path)
        return _books[path]
