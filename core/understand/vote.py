"""All models vote: the averaged probabilities of the best few shipped models, shown as one more model.

Averaging probabilities is the plainest ensemble. Its members are the ``MEMBERS`` shipped models with
the best saved test accuracy, so every visitor sees the same vote, and no student's run (good or
broken) changes it. Its test accuracy is measured from the members' cached test probabilities, never
assumed. On the shipped set it beats every member but the best (bench/results/vote.md): a vote helps
when its members are about as good as each other and make different mistakes, less when one is far
ahead of the rest. That is worth seeing too.

Nothing is loaded or run for it: Predict averages the answers its members already gave, Compare the
evaluations it already holds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.models import store
from core.predict import inference
from core.understand import evaluation as ev
from core.understand import selection

VOTE_ID = "all models vote"  # a space: no saved model can have this id (store.sanitize_name turns spaces into '-')
TITLE = "All models vote"
MEMBERS = 3


def members(artifacts: Sequence[store.Artifact]) -> list[store.Artifact]:
    """The best ``MEMBERS`` readable shipped models by saved test accuracy (ties: by id); [] when fewer than 2."""
    shipped = [
        a
        for a in artifacts
        if a.shipped and a.ok and a.meta is not None and not selection.is_weak(a.meta.test_accuracy)
    ]
    best = sorted(shipped, key=lambda a: (-a.meta.test_accuracy, a.model_id))[:MEMBERS]
    return best if len(best) >= 2 else []


def average(probabilities: Sequence[np.ndarray]) -> np.ndarray:
    """The members' probabilities averaged (rows still sum to 1)."""
    if not probabilities:
        raise ValueError("a vote needs at least one member")
    return np.mean(np.stack([np.asarray(p, np.float32) for p in probabilities]), axis=0)


def title(accuracy: float | None = None) -> str:
    """The card's heading: "All models vote · 93.71% on the test set" (the figure when it is known)."""
    return TITLE + (f" · {accuracy:.2%} on the test set" if accuracy is not None else "")


def members_text(member_names: Sequence[str]) -> str:
    """Who votes: "The average of a, b and c, the 3 best shipped models." """
    names = ", ".join(member_names[:-1]) + f" and {member_names[-1]}" if len(member_names) > 1 else member_names[0]
    return f"The average of {names}, the {len(member_names)} best shipped models."


def evaluation(evaluations: Sequence[ev.Evaluation]) -> ev.Evaluation:
    """The vote's evaluation on the test set, from its members' (the same images, in the same order)."""
    first = evaluations[0]
    if any(not np.array_equal(e.labels, first.labels) for e in evaluations[1:]):
        raise ValueError("the members were evaluated on different test images")
    probabilities = average([e.probabilities for e in evaluations])
    probabilities.setflags(write=False)
    used = ", ".join(e.model_id for e in evaluations)
    return ev.Evaluation(
        VOTE_ID, first.labels, probabilities, f"averaged ({used})", sum(e.seconds for e in evaluations)
    )


def prediction(
    predictions: Sequence[inference.ModelPrediction], member_ids: Sequence[str], k: int, name: str = TITLE
) -> inference.ModelPrediction | None:
    """The vote on one image, from the answers its members gave; None unless every member answered."""
    by_id = {p.model_id: p for p in predictions}
    if not member_ids or any(model_id not in by_id for model_id in member_ids):
        return None
    probabilities = average([by_id[model_id].probabilities for model_id in member_ids])
    return inference.ModelPrediction(VOTE_ID, name, inference.top_k(probabilities, k), probabilities)
