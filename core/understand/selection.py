"""Which models answer: the shipped ones and this browser's own runs by default, the class's on request.

With a classroom of runs on disk, asking every model about every image is slow (each one loaded),
noisy (one untrained model dissents on every image) and unreadable (a 24-row table). This module
sorts artifacts by origin and says which ones a page starts from; a picker adds the others.

A model near chance (test accuracy below ``WEAK_ACCURACY``: ten classes, so chance is 10%) still
shows its own answer, but never sets a chart's axis or counts in a consensus.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.models import store

SHIPPED, MINE, CLASS = "shipped", "mine", "class"
ORIGINS = (SHIPPED, MINE, CLASS)
ORIGIN_LABELS = {SHIPPED: "Shipped", MINE: "Mine", CLASS: "The class"}
WEAK_ACCURACY = 0.2  # twice chance: an untrained or broken-in-training model


def origin(artifact: store.Artifact, owner: str) -> str:
    """shipped, mine (trained in this browser) or class (anyone else's run, CLI runs included)."""
    if artifact.shipped:
        return SHIPPED
    meta_owner = artifact.meta.owner if artifact.meta is not None else ""
    return MINE if owner and meta_owner == owner else CLASS


def is_weak(accuracy: float | None) -> bool:
    """Near chance: shown, but kept out of consensus and axes. Unknown accuracy is not weak."""
    return accuracy is not None and accuracy < WEAK_ACCURACY


def weak_ids(artifacts: Sequence[store.Artifact]) -> set[str]:
    """Ids of readable models whose saved test accuracy is near chance."""
    return {a.model_id for a in artifacts if a.meta is not None and is_weak(a.meta.test_accuracy)}


@dataclass(frozen=True)
class Choice:
    """A model a picker can offer: its id, a label naming it, and where it comes from."""

    model_id: str
    label: str
    origin: str


def _label(artifact: store.Artifact, where: str) -> str:
    meta = artifact.meta
    if meta is None:
        return f"{artifact.model_id} (broken)"
    name = meta.display_name if meta.display_name == artifact.model_id else f"{meta.display_name} ({artifact.model_id})"
    weak = " · near chance" if is_weak(meta.test_accuracy) else ""
    return f"{ORIGIN_LABELS[where]} · {name} · {meta.test_accuracy:.1%}{weak}"


def choices(artifacts: Sequence[store.Artifact], owner: str) -> list[Choice]:
    """Every model, grouped: shipped first, then mine (newest first), then the class's (newest first)."""
    grouped: dict[str, list[store.Artifact]] = {key: [] for key in ORIGINS}
    for artifact in artifacts:
        grouped[origin(artifact, owner)].append(artifact)
    ordered = []
    for key in ORIGINS:
        members = grouped[key]
        if key != SHIPPED:
            members = sorted(members, key=lambda a: a.meta.created if a.meta else "", reverse=True)
        ordered.extend(Choice(a.model_id, _label(a, key), key) for a in members)
    return ordered


def default_ids(artifacts: Sequence[store.Artifact], owner: str) -> list[str]:
    """What a page starts from: every shipped model and this browser's own runs."""
    return [a.model_id for a in artifacts if origin(a, owner) in (SHIPPED, MINE)]


def of_origins(artifacts: Sequence[store.Artifact], owner: str, wanted: Sequence[str]) -> list[store.Artifact]:
    """The artifacts whose origin is among ``wanted``, in their listed order."""
    unknown = set(wanted) - set(ORIGINS)
    if unknown:
        raise ValueError(f"unknown origin(s) {sorted(unknown)}; choose from {list(ORIGINS)}")
    return [a for a in artifacts if origin(a, owner) in wanted]
