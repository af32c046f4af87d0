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

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from core.data import FashionMNIST
from core.models import store
from core.training.examples import Example
from core.training.jobs import Progress, TrainingJob

MIN_PER_CLASS = 2  # one to teach, one to judge on
MIN_EXAMPLES = 6
HELD_BACK_SHARE = 0.3
ORIGIN = "teach"  # meta.notes["origin"] of a taught run


class TeachError(ValueError):
    """Teaching cannot start with these examples or settings; the message says what is missing."""


def readiness(examples: Sequence[Example]) -> list[str]:
    """What is missing before these examples can teach a model, one line each (empty: ready)."""
    raise NotImplementedError


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
    raise NotImplementedError


@dataclass(frozen=True)
class TeachSpec:
    """How to teach: which saved model, the new run's name, and the fine-tune's recipe."""

    base_model_id: str
    name: str
    epochs: int = 3
    learning_rate: float = 3e-4
    copies: int = 24  # augmented copies of each taught picture per epoch
    fashion_images: int = 3000  # Fashion-MNIST training images mixed in per epoch, so it does not forget
    batch_size: int = 64
    held_back_share: float = HELD_BACK_SHARE
    seed: int = 0

    def validate(self) -> TeachSpec:
        raise NotImplementedError


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
        raise NotImplementedError

    @classmethod
    def from_json(cls, data: dict) -> BeforeAfter:
        raise NotImplementedError


def augment(pixels: np.ndarray, copies: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 28, 28) uint8 -> (n * copies, 28, 28): each picture shifted by up to 2 px, turned by up to 12
    degrees, zoomed by up to 10% and mirrored half the time, at random."""
    raise NotImplementedError


@dataclass(frozen=True)
class Taught:
    """A finished teaching: the saved run and its before/after report."""

    artifact: store.Artifact
    report: BeforeAfter
    split: Split


def teach(
    spec: TeachSpec,
    examples: Sequence[Example],
    dataset: FashionMNIST,
    *,
    owner: str = "",
    root=None,
    job: TrainingJob | None = None,
) -> Taught:
    """Split, fine-tune a copy of the base model, save it as a run, measure before/after. TeachError for too
    few examples or a bad spec; ``job`` (a TeachJob) receives progress and may ask to stop (StoppedTeaching)."""
    raise NotImplementedError


def before_after(
    base: store.Artifact, taught: store.Artifact, held_back: Sequence[Example], dataset: FashionMNIST
) -> BeforeAfter:
    """The base and the taught model on the held-back pictures and the test set (saved test probabilities
    are used when a model has them)."""
    raise NotImplementedError


def report_of(artifact: store.Artifact) -> BeforeAfter | None:
    """The before/after saved with a taught run; None for any other model."""
    raise NotImplementedError


class TeachJob(TrainingJob):
    """Teaching as a job of the fair queue: queued, watched (``snapshot()``) and stopped like a training run.
    Always runs in this process (seconds of work). When DONE, ``result`` holds the ``Taught``."""

    def __init__(
        self,
        spec: TeachSpec,
        examples: Sequence[Example],
        *,
        owner: str = "",
        root=None,
        on_progress: Callable[[Progress], None] | None = None,
    ):
        raise NotImplementedError
