"""scikit-image's bundled sample photos (PyPI ``scikit-image``): none is a garment."""

from __future__ import annotations

import numpy as np
from PIL import Image

from recipes.world_pictures.picture import Picture, png

SKIMAGE_PHOTOS: dict[str, str] = {
    "astronaut": "person",
    "camera": "person",
    "coffee": "food",
    "chelsea": "animal",
    "horse": "animal",
    "rocket": "vehicle and building",
    "hubble_deep_field": "scene",
    "immunohistochemistry": "scene",
    "retina": "scene",
    "coins": "object",
    "moon": "scene",
    "page": "symbol",
    "text": "symbol",
    "brick": "scene",
    "grass": "scene",
    "gravel": "scene",
    "clock": "object",
    "logo": "symbol",
    "colorwheel": "symbol",
}


def skimage_samples() -> list[Picture]:
    """Every sample photo the installed scikit-image has, as a PNG file."""
    import skimage.data

    pictures = []
    for name, category in SKIMAGE_PHOTOS.items():
        try:
            pixels = np.asarray(getattr(skimage.data, name)())
        except Exception:  # a sample the installed version lacks or cannot read offline
            continue
        if pixels.dtype != np.uint8:
            pixels = (pixels > 0).astype(np.uint8) * 255 if pixels.dtype == bool else pixels.astype(np.uint8)
        data = png(Image.fromarray(pixels[..., :3] if pixels.ndim == 3 else pixels))
        pictures.append(Picture("scikit-image sample photos", name, "other", (), category, "held-out", data, "CC0/BSD"))
    return pictures
