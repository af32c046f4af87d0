"""A garment photographed at a slant, turned upright: Fashion-MNIST's garments all stand straight in their box.

The object's smallest enclosing rectangle (OpenCV's ``minAreaRect``, rotating calipers) says how it is turned. A
garment standing straight fills its upright box about as well as any turned one, so the picture is turned only
when the turned rectangle is clearly smaller than the upright box (``TIGHTER``): then the object is tilted, and
it is turned by the smaller of the two angles that make that rectangle upright. Near 45 degrees the two are
as small as each other (a shoe stands level, a dress upright: which one this is, is the model's question), so
such a tilt, like a photo on its side, is left as it is."""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage

TIGHTER = 0.8  # the turned rectangle's area over the upright box's at most this: the object is tilted
SMALLEST_TURN = 5.0  # degrees: a smaller tilt is left as it is
LARGEST_TURN = 40.0  # degrees: a larger one is as near to the other upright as to this one


def tilt(mask: np.ndarray) -> float | None:
    """Degrees to ``turn`` the picture by so that the object in ``mask`` stands straight, or None when it already
    does or no rectangle tells."""
    points = cv2.findNonZero(mask.astype(np.uint8))
    if points is None or len(points) < 16:
        return None
    (_, _), (side_a, side_b), angle = cv2.minAreaRect(points)
    left, top, width, height = cv2.boundingRect(points)
    if side_a * side_b > TIGHTER * width * height:
        return None
    turn = (angle + 45.0) % 90.0 - 45.0  # the rectangle's edge nearest to upright, -45..45 degrees
    return float(turn) if SMALLEST_TURN <= abs(turn) <= LARGEST_TURN else None


def turn(values: np.ndarray, degrees: float, order: int = 1) -> np.ndarray:
    """``values`` (H, W) turned by ``degrees`` about its centre, grown to hold all of it, the new corners 0."""
    return ndimage.rotate(values, degrees, reshape=True, order=order, mode="constant", cval=0.0)
