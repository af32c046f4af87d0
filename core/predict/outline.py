"""Line art -> the silhouette it outlines: what a drawing's strokes enclose, filled in.

Fashion-MNIST's garments are filled silhouettes (shop photos, negated), so an outline drawing (black strokes
on white: most icon sets, many students' sketches) reaches the models as a thin frame, and a coat drawn that
way reads as a T-shirt. ``fill`` decides from measurable signs of the object whether it is line art, and if
so fills what its strokes enclose (after closing small gaps, so that an outline left a little open still
fills); interior detail lines (a collar, buttons) lie inside the filled region and do not stop it.

Line art, as measured here (``OutlineSigns``), is all of:

- drawn big enough to tell (the object's longer side at least ``MIN_SIDE`` pixels: a 28x28 dataset image
  is never touched);
- in one solid ink: most stroke pixels are near the full contrast (``SOLID_INK``), where a photographed
  garment's pixels are graded;
- thin strokes: the mean stroke width (ink area / skeleton length) at most ``MAX_STROKE`` of the object's
  size;
- around a wide, empty inside: what the strokes enclose is at least ``MIN_ENCLOSED`` of the filled shape,
  its widest point at least ``MIN_INSIDE`` of the object's size, and it is the background's colour
  (``EMPTY_INSIDE``).

The thresholds were chosen on the outline benchmark's tuning sets (Tabler, Phosphor, Mingcute, Iconoir
outlines; bench/bench_outline.py) against filled icons, emoji and Fashion-MNIST *training* images (as 28x28
PNGs and as photos), never on its held-out sets or the test set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from skimage import morphology

MIN_SIDE = 48  # pixels: the object's longer side, at the working size
INK_LEVEL = 0.4  # a pixel is ink from this share of the contrast up
SOLID_INK = 0.7  # share of the ink pixels at least SOLID_LEVEL of the contrast
SOLID_LEVEL = 0.8
MAX_STROKE = 0.18  # mean stroke width, as a share of the object's longer side
MIN_ENCLOSED = 0.3  # the enclosed inside's share of the filled shape
MIN_INSIDE = 0.16  # the inside's widest point, as a share of the object's longer side
EMPTY_INSIDE = 0.05  # the inside's median difference from the background, as a share of the contrast
GAP_SHARES = (0.06, 0.12)  # closing radii tried in turn (share of the object's size): gaps an outline may leave
FILL_LEVEL = 0.8  # the filled inside's brightness, as a share of the contrast (its outline stays brighter)
SEAM_LEVEL = 0.0  # a line drawn inside the outline, as a share of the contrast: a dark seam, a cut-out


@dataclass(frozen=True)
class OutlineSigns:
    """What says whether the object is line art (see the module's docstring); sizes are shares of its longer side."""

    side: int  # the object's longer side, in pixels
    solid_ink: float  # share of the ink pixels near the full contrast
    stroke: float  # mean stroke width
    enclosed: float  # the enclosed inside's share of the filled shape
    inside: float  # the inside's widest point
    inside_level: float  # the inside's median difference from the background, as a share of the contrast

    @property
    def line_art(self) -> bool:
        return (
            self.side >= MIN_SIDE
            and self.solid_ink >= SOLID_INK
            and self.stroke <= MAX_STROKE
            and self.enclosed >= MIN_ENCLOSED
            and self.inside >= MIN_INSIDE
            and self.inside_level <= EMPTY_INSIDE
        )


@dataclass(frozen=True, eq=False)
class Filled:
    """An outline filled: the difference image with its inside at FILL_LEVEL, and the object's new mask."""

    difference: np.ndarray  # (H, W) float32, grey levels like the input
    mask: np.ndarray  # (H, W) bool
    inside: np.ndarray  # (H, W) bool: what was filled
    signs: OutlineSigns


def _padded(operation: Callable[..., np.ndarray], mask: np.ndarray, radius: int) -> np.ndarray:
    """A binary morphology ``operation`` with a disk, on a padded copy so that the image's edge does not cut it."""
    pad = radius + 1
    done = operation(np.pad(mask, pad), morphology.disk(radius))
    return done[pad:-pad, pad:-pad]


def _closed(ink: np.ndarray, radius: int) -> np.ndarray:
    """Morphological closing with a disk: gaps up to about twice ``radius`` bridged."""
    return _padded(ndimage.binary_closing, ink, radius) | ink


def _enclosed(ink: np.ndarray, side: int) -> np.ndarray:
    """What the strokes enclose (not the strokes themselves), closing wider gaps only when the narrow closing
    encloses too little."""
    inside = np.zeros_like(ink)
    for share in GAP_SHARES:
        inside = ndimage.binary_fill_holes(_closed(ink, max(1, round(share * side)))) & ~ink
        if inside.sum() >= MIN_ENCLOSED * (inside.sum() + ink.sum()):
            break
    return inside


def measure(difference: np.ndarray, mask: np.ndarray, contrast: float) -> tuple[OutlineSigns, np.ndarray] | None:
    """The object's outline signs and its enclosed inside; None when there is no object to measure or it is
    plainly no line art (too small, not one solid ink, thick strokes), before the costlier measures."""
    if contrast < 1.0 or not mask.any():
        return None
    ink = (difference >= INK_LEVEL * contrast) & mask
    if not ink.any():
        return None
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    side = int(max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1)
    solid_ink = float((difference[ink] >= SOLID_LEVEL * contrast).mean())
    if side < MIN_SIDE or solid_ink < SOLID_INK:
        return None
    stroke = float(ink.sum()) / max(int(morphology.skeletonize(ink).sum()), 1) / side
    if stroke > MAX_STROKE:  # a filled silhouette (every drawing in the dataset's style): no closing to pay for
        return None
    inside = _enclosed(ink, side)
    if not inside.any():
        return None
    signs = OutlineSigns(
        side=side,
        solid_ink=solid_ink,
        stroke=stroke,
        enclosed=float(inside.sum()) / float(inside.sum() + ink.sum()),
        inside=2.0 * float(ndimage.distance_transform_edt(inside).max()) / side,
        inside_level=float(np.median(difference[inside])) / contrast,
    )
    return signs, inside


def fill(difference: np.ndarray, mask: np.ndarray, contrast: float) -> Filled | None:
    """Line art with its inside filled (see the module's docstring); None for anything else, left as it is."""
    measured = measure(difference, mask, contrast)
    if measured is None or not measured[0].line_art:
        return None
    signs, inside = measured
    ink = (difference >= INK_LEVEL * contrast) & mask
    shape = inside | ink
    # The outer contour stays the silhouette's edge; a line drawn inside it (a collar, a sleeve's seam) becomes a
    # darker seam on the filled garment, as seams look in the dataset's negated photos.
    band = max(1, round(signs.stroke * signs.side))
    edge = shape & ~_padded(ndimage.binary_erosion, shape, band)
    seams = ink & ~edge
    filled = np.where(inside, FILL_LEVEL * contrast, difference)
    filled = np.where(seams, contrast - (1.0 - SEAM_LEVEL) * difference, filled).astype(np.float32)
    return Filled(filled, mask | inside, inside, signs)
