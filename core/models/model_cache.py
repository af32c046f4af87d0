"""A bounded, least-recently-used cache of loaded models, shared by every visitor.

With a hundred student runs on disk, a cache that keeps every model it ever loaded grows
with the runs folder (the server reached 1.3 GB). This one holds at most ``max_models``
models and about ``max_bytes`` of weights; the least recently used go first. The newest
entry always stays, even alone over the byte budget, so a large model can still be used.

Sizes are the weights' bytes (``count_params() * 4``): close to what a loaded model costs,
and known without guessing at TensorFlow's allocator. Thread-safe: Streamlit runs each
session's script in its own thread. Two sessions asking for the same missing model at once
may both load it; the second result replaces the first (correct, only wasteful).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from core.models.store import positive_int_env

ENV_MAX_MODELS = "FASHION_STUDIO_MAX_LOADED_MODELS"
ENV_MAX_MB = "FASHION_STUDIO_MAX_LOADED_MB"
DEFAULT_MAX_MODELS = 24  # the 11 shipped models, a visitor's own runs, and a few picked from the class
DEFAULT_MAX_MB = 200  # weights only; the shipped eleven hold about 40 MB of them
MEGABYTE = 1_000_000


@dataclass(frozen=True)
class CacheLimits:
    max_models: int = DEFAULT_MAX_MODELS
    max_bytes: int = DEFAULT_MAX_MB * MEGABYTE

    def __post_init__(self) -> None:
        if self.max_models < 1 or self.max_bytes < 1:
            raise ValueError(f"cache limits must be positive (got {self.max_models} models, {self.max_bytes} bytes)")

    @classmethod
    def from_env(cls) -> CacheLimits:
        """``FASHION_STUDIO_MAX_LOADED_MODELS`` and ``FASHION_STUDIO_MAX_LOADED_MB``, else the defaults."""
        return cls(
            positive_int_env(ENV_MAX_MODELS, DEFAULT_MAX_MODELS),
            positive_int_env(ENV_MAX_MB, DEFAULT_MAX_MB) * MEGABYTE,
        )


def weight_bytes(model: Any) -> int:
    """What a loaded Keras model holds in weights (float32); 0 for anything without ``count_params``."""
    try:
        return int(model.count_params()) * 4
    except Exception:  # not built, or not a Keras model (tests use plain objects)
        return 0


class ModelCache:
    """``get(key, load)`` returns the cached value or loads it, evicting the least recently used."""

    def __init__(self, limits: CacheLimits | None = None, size_of: Callable[[Any], int] = weight_bytes):
        self.limits = limits or CacheLimits()
        self._size_of = size_of
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.loads = 0
        self.evictions = 0

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key][0]
        value = load()  # outside the lock: loading takes a while, other sessions go on meanwhile
        size = self._size_of(value)
        with self._lock:
            self.loads += 1
            self._entries[key] = (value, size)
            self._entries.move_to_end(key)
            self._evict()
        return value

    def _evict(self) -> None:
        while len(self._entries) > 1 and (
            len(self._entries) > self.limits.max_models or self.total_bytes > self.limits.max_bytes
        ):
            self._entries.popitem(last=False)
            self.evictions += 1

    def drop(self, predicate: Callable[[Hashable], bool]) -> int:
        """Forget every entry whose key matches (e.g. the old file time of a replaced model)."""
        with self._lock:
            gone = [key for key in self._entries if predicate(key)]
            for key in gone:
                del self._entries[key]
            return len(gone)

    @property
    def total_bytes(self) -> int:
        return sum(size for _, size in self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def keys(self) -> list[Hashable]:
        """Least recently used first."""
        with self._lock:
            return list(self._entries)
