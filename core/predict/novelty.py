"""An honest "that's not a garment": the verdict, and the signs that explain it in plain words.

Every model answers every image with ten probabilities that sum to one, so a confident answer
proves nothing: a colour gradient comes out as "Bag". The verdict rests on the garment check
(``core.predict.garment_check``), a small model that looks at the 28x28 input the classifiers see and
scores how much it looks like any of the ten kinds of clothing. Signs from the image itself (measured
while its background was removed, ``preprocess.ImageSigns``) and from the models' answers explain a
"no" in plain words; on their own they condemn only a picture with no clear object, so that a garment
photographed against a two-toned background is not doubted for its background. Nothing here knows
where an image came from.

Without the shipped check the signs decide alone, as they did before it: their thresholds were set on
pictures from ``core.predict.photo_set`` (seed 5) and on Fashion-MNIST test images.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.data import CLASS_NAMES
from core.predict.preprocess import LOW_CONTRAST, ImageSigns

ONLY_CLOTHING = (
    "The models know only ten kinds of clothing ("
    + ", ".join(CLASS_NAMES)
    + "): whatever the picture shows, they answer with one of these."
)
LEAD = "This may not be a garment: "
NOT_CLOTHING = "This doesn't look like any of the ten kinds of clothing these models know."
CHECK_REASON = "the garment check, which looks at the 28×28 image the models receive, finds it unlike all ten kinds."

# Image signs (see ImageSigns): values beyond these are rare in garment photos.
NOISE_SHARE = 0.04  # border noise above this share of the object's contrast: texture or grain
NOISE_FLOOR = 6.0  # ... and above this many grey levels (JPEG and sensor noise stay below ~3)
BACKGROUND_FIT = 0.75  # less of the border than this fits one smooth background: a scene or pattern
BORDER_TOUCH = 0.3  # the object covers more of the image's edge than this: it does not stand alone
EDGE_DENSITY = 0.21  # more of the object's box than this is sharp edges: text or a pattern
MANY_PIECES = 3  # this many separate parts: scattered marks, not one garment
LOW_SOLIDITY = 0.35  # the object fills less of its convex hull than this: an implausible outline
# Model signs: most models unsure and split.
UNSURE = 0.55  # mean top probability across models below this ...
SPLIT = 0.5  # ... and no class chosen by more than this share of the models


BLANK = "there is no clear object, only a nearly even colour or a soft gradient."
NOISE = "the picture is grainy or textured all over (noise), with no plain background."
MARKS = "it is made of many small marks or sharp edges, like text or a pattern."
# With the garment check, these signs still condemn a picture on their own: no object at all, noise all over,
# and text or a pattern unless the check is sure it is a garment (a score of 1/2 or more: a patterned shirt
# has many sharp edges too). The others (a two-toned background, a shape that touches the edges, a ragged outline)
# only explain a "no" the check gives, so a garment photographed on a wall and a table is not doubted for it.
DECISIVE = (BLANK, NOISE, MARKS)
SURE = 0.5  # the check's own even odds


def image_reasons(signs: ImageSigns | None) -> list[str]:
    """Plain-words reasons the image itself looks unlike a garment photo (empty when it looks fine)."""
    if signs is None:  # a dataset image: nothing to doubt
        return []
    reasons = []
    if signs.contrast < LOW_CONTRAST:
        reasons.append(BLANK)
    elif signs.noise > max(NOISE_FLOOR, NOISE_SHARE * signs.contrast):
        reasons.append(NOISE)
    elif signs.background_fit < BACKGROUND_FIT:
        reasons.append("its edges are not one plain background: it looks like a scene or a pattern.")
    if signs.contrast >= LOW_CONTRAST and (signs.border_touch > BORDER_TOUCH or signs.object_fraction > 0.9):
        reasons.append("the shape runs off the edges of the picture instead of standing alone on a background.")
    if signs.contrast >= LOW_CONTRAST and (signs.edge_density > EDGE_DENSITY or signs.pieces >= MANY_PIECES):
        reasons.append(MARKS)
    elif signs.contrast >= LOW_CONTRAST and signs.solidity < LOW_SOLIDITY:
        reasons.append("its outline is too ragged and hollow for a garment.")
    return reasons


def model_reasons(probabilities: np.ndarray) -> list[str]:
    """Plain-words reasons from the models' answers: (models, 10) probabilities."""
    table = np.asarray(probabilities, np.float64)
    if table.ndim != 2 or not len(table):
        return []
    firsts = np.bincount(table.argmax(axis=1), minlength=table.shape[1])
    if table.max(axis=1).mean() < UNSURE and firsts.max() / len(table) <= SPLIT:
        return ["the models are unsure and disagree with each other about what it is."]
    return []


def warnings(signs: ImageSigns | None, probabilities: np.ndarray | Sequence[np.ndarray]) -> tuple[str, ...]:
    """The signs' "not a garment" warnings alone (no garment check), one line each (empty for a garment)."""
    return verdict(signs, probabilities).lines


@dataclass(frozen=True)
class Verdict:
    """Is it a garment? ``reasons`` say why not, one plain line each (empty for a garment)."""

    garment: bool
    reasons: tuple[str, ...] = ()
    score: float | None = None  # the garment check's score in 0-1 (None: no check was available)

    @property
    def lines(self) -> tuple[str, ...]:
        """The reasons as warnings, each a sentence: "This may not be a garment: ..." ."""
        return tuple(LEAD + reason for reason in self.reasons)


def verdict(
    signs: ImageSigns | None,
    probabilities: np.ndarray | Sequence[np.ndarray],
    score: float | None = None,
    threshold: float | None = None,
) -> Verdict:
    """The verdict from the garment check's ``score`` (when there is one) and the signs.

    With a check: no garment when its score is under ``threshold``, or when a ``DECISIVE`` sign says
    so (no object, noise, text or a pattern); the signs then say what else is odd. Without one: the signs alone.
    """
    image = image_reasons(signs)
    models = model_reasons(np.asarray(probabilities))
    if score is None or threshold is None:
        reasons = image + models
        return Verdict(not reasons, tuple(dict.fromkeys(reasons)))
    decisive = [reason for reason in image if reason in DECISIVE and not (reason == MARKS and score >= SURE)]
    if score >= threshold and not decisive:
        return Verdict(True, (), score)
    reasons = ([] if score >= threshold or BLANK in image else [CHECK_REASON]) + image + models
    return Verdict(False, tuple(dict.fromkeys(reasons)), score)
