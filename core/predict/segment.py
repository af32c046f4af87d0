"""Telling an object from a background that is not one smooth surface: a second tone (paper on a table, a floor
meeting a wall), a texture, a cast shadow. OpenCV's GrabCut (Rother, Kolmogorov and Blake 2004) models the
object's and the background's colours as two mixtures of Gaussians and cuts the picture between them where
neighbouring pixels differ most (a graph cut), so a background may have several tones.

It is seeded the way a person would: the picture's border is background (for a box drawn by hand, the box's
edge, as GrabCut's rectangle mode does), and the object found so far is probably object. It runs on a small
copy (``SEGMENT_SIDE``): GrabCut costs ~40 ms at 64 px on the shared 2-core machine and ~300 ms at 192 px.
Afterwards the background is fitted again on a ring around the object alone (a plane per channel), so that
the object's pixels are measured against the surface it lies on, not against a blend of every tone.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

SEGMENT_SIDE = 64  # longest side of the copy GrabCut runs on
ITERATIONS = 3  # GrabCut's rounds of refitting the colour models
RING_SHARE = 0.06  # the ring the background is refitted on, as a share of the longer side
SMALLEST = 0.01  # an object under this share of the picture was not found
LARGEST = 0.85  # ... nor one over this share (the background was taken as object)
SEPARATION = 1.5  # the object's median distance from the background over the ring's 90th percentile
TONES = 3  # the background's main colours around the object, each measured apart
SEAM_REACH = 2  # a thin line of the object this close to the picture's edge (GrabCut side) is a seam
SHEET_FILL = 0.9  # an object filling this much of its smallest rectangle is a sheet the garment may lie on


def looks_like_sheet(mask: np.ndarray, difference: np.ndarray) -> bool:
    """Whether the object found is big and fills the smallest (turned) rectangle around it, as a sheet of paper
    or a towel does (few garments do), and most of it is the tone of its rim (a surface, not a drawn frame
    round an empty inside): then the garment may be lying on it."""
    if mask.mean() < 0.15:
        return False
    points = cv2.findNonZero(mask.astype(np.uint8))
    (_, _), (side_a, side_b), _ = cv2.minAreaRect(points)
    if float(mask.sum()) < SHEET_FILL * max(side_a * side_b, 1.0):
        return False
    rim = mask & ~ndimage.binary_erosion(mask, iterations=3)
    surface, inside = float(np.median(difference[rim])), float(np.median(difference[mask]))
    return surface > 0 and abs(inside - surface) <= 0.25 * surface


@dataclass(frozen=True, eq=False)
class Segmentation:
    mask: np.ndarray  # (H, W) bool: the object
    background: np.ndarray  # (H, W, C) float32: the surface under the object, fitted on the ring around it
    difference: np.ndarray  # (H, W) float32: each object pixel's colour distance from it; 0 outside the object
    separation: float  # the object's median difference over the ring's 90th percentile (see SEPARATION)
    certain: bool  # the object stands apart from its background: neither lost nor the whole picture


def _small_copy(colour: np.ndarray) -> np.ndarray:
    """(H, W, 1|3) float 0-255 -> (h, w, 3) uint8 with the longer side SEGMENT_SIDE, as GrabCut takes it."""
    height, width = colour.shape[:2]
    scale = min(1.0, SEGMENT_SIDE / max(height, width))
    size = (max(4, round(width * scale)), max(4, round(height * scale)))
    small = cv2.resize(np.ascontiguousarray(colour, np.float32), size, interpolation=cv2.INTER_AREA)
    small = small.reshape(size[1], size[0], -1)
    if small.shape[2] == 1:
        small = np.repeat(small, 3, axis=2)
    return np.clip(np.rint(small), 0, 255).astype(np.uint8)


def _seeds(shape: tuple[int, int], found: np.ndarray | None, sheet: bool) -> np.ndarray:
    """GrabCut's starting labels: the border ring is background, the object found so far (or, without one, the
    middle of the picture) probably object, the rest probably background. For a ``sheet`` (the object found is
    a surface the garment lies on, like paper on a table) the sheet's rim is background too and the middle of
    its box probably object."""
    height, width = shape
    labels = np.full(shape, cv2.GC_PR_BGD, np.uint8)
    small = None
    if found is not None and 0.0 < float(found.mean()) < 0.98:
        small = cv2.resize(found.astype(np.float32), (width, height), interpolation=cv2.INTER_AREA) > 0.5
    if small is not None and small.any() and sheet:
        rows, cols = np.flatnonzero(small.any(axis=1)), np.flatnonzero(small.any(axis=0))
        top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        inset_y, inset_x = (bottom - top) // 6, (right - left) // 6
        labels[top + inset_y : bottom - inset_y, left + inset_x : right - inset_x] = cv2.GC_PR_FGD
        labels[small & ~ndimage.binary_erosion(small, iterations=2)] = cv2.GC_BGD
    elif small is not None and small.any() and float(small.mean()) < LARGEST:
        labels[small] = cv2.GC_PR_FGD
    else:
        labels[height // 6 : height - height // 6, width // 6 : width - width // 6] = cv2.GC_PR_FGD
    labels[0, :] = labels[-1, :] = labels[:, 0] = labels[:, -1] = cv2.GC_BGD
    return labels


def _without_seams(chosen: np.ndarray) -> np.ndarray:
    """GrabCut's object less the seams: where two background tones meet (a floor and a wall), their blend is
    neither, and a line one pixel thin runs from the object to the picture's edge. Thin parts that stay inside
    the picture (a sandal's straps) are kept."""
    opened = cv2.morphologyEx(
        chosen.astype(np.uint8), cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    )
    thin, count = ndimage.label(chosen & ~opened.astype(bool))
    if not count:
        return chosen
    height, width = chosen.shape
    reaching = {
        number
        for number, (rows, cols) in enumerate(ndimage.find_objects(thin), start=1)
        if rows.start <= SEAM_REACH
        or cols.start <= SEAM_REACH
        or rows.stop >= height - SEAM_REACH
        or cols.stop >= width - SEAM_REACH
    }
    return chosen & ~np.isin(thin, list(reaching))


def _ring_plane(colour: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The background under the object: a plane per channel fitted on a ring around the mask; and the ring."""
    height, width = mask.shape
    reach = max(2, round(max(height, width) * RING_SHARE))
    distance = ndimage.distance_transform_cdt(~mask, metric="chessboard")
    ring = (distance > 1) & (distance <= reach)
    if ring.sum() < 12:
        ring = ~mask
    ys, xs = np.nonzero(ring)
    terms = np.stack([np.ones(len(xs)), xs / width - 0.5, ys / height - 0.5], axis=1)
    coefficients, *_ = np.linalg.lstsq(terms, colour[ys, xs].astype(np.float64), rcond=None)
    grid_y, grid_x = np.mgrid[0:height, 0:width].astype(np.float32)
    c = coefficients.astype(np.float32)
    plane = c[0] + (grid_x / width - 0.5)[..., None] * c[1] + (grid_y / height - 0.5)[..., None] * c[2]
    return plane, ring


def segment(colour: np.ndarray, found: np.ndarray | None = None, *, sheet: bool = False) -> Segmentation:
    """Cut the object out of ``colour`` ((H, W, 1|3) float 0-255), seeded by the object ``found`` so far (or,
    with ``sheet``, by the surface it was found to lie on, see ``_seeds``)."""
    height, width = colour.shape[:2]
    small = _small_copy(colour)
    labels = _seeds(small.shape[:2], found, sheet)
    background_model, object_model = np.zeros((1, 65)), np.zeros((1, 65))
    if (labels == cv2.GC_PR_FGD).any():
        cv2.grabCut(small, labels, None, background_model, object_model, ITERATIONS, cv2.GC_INIT_WITH_MASK)
    chosen = _without_seams((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)).astype(np.float32)
    mask = cv2.resize(chosen, (width, height), interpolation=cv2.INTER_LINEAR) > 0.5
    mask = _main_parts(ndimage.binary_fill_holes(mask))
    if not mask.any():
        empty = np.zeros((height, width), np.float32)
        return Segmentation(mask, colour.astype(np.float32), empty, 0.0, False)
    plane, ring = _ring_plane(colour, mask)
    distance = _distance_from_tones(colour, ring)
    separation = float(np.median(distance[mask]) / (np.percentile(distance[ring], 90) + 1.0))
    share = float(mask.mean())
    certain = SMALLEST <= share <= LARGEST and separation >= SEPARATION
    return Segmentation(mask, plane, np.where(mask, distance, 0.0).astype(np.float32), separation, certain)


def _distance_from_tones(colour: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """(H, W) each pixel's colour distance from the nearest of the ring's TONES main colours (k-means): the
    background around an object may be two surfaces meeting, or lit and shadowed."""
    samples = colour[ring].reshape(-1, colour.shape[2]).astype(np.float32)
    samples = samples[:: max(1, len(samples) // 600)]
    tones = min(TONES, len(samples))
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 10, 1.0)
    cv2.setRNGSeed(0)  # k-means starts from random centres: the same picture gives the same answer
    _, _, centres = cv2.kmeans(samples, tones, None, criteria, 1, cv2.KMEANS_PP_CENTERS)
    squared = ((colour[..., None, :] - centres[None, None, :, :]) ** 2).mean(axis=3)
    return np.sqrt(squared.min(axis=2)).astype(np.float32)


def _main_parts(mask: np.ndarray, keep_share: float = 0.1) -> np.ndarray:
    """The mask's parts at least ``keep_share`` of the largest (a sandal's straps stay, specks go)."""
    labels, count = ndimage.label(mask)
    if count <= 1:
        return mask
    areas = np.bincount(labels.ravel())[1:]
    return np.isin(labels, np.flatnonzero(areas >= keep_share * areas.max()) + 1)
