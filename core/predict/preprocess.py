"""Any user image -> the 28x28 input the models were trained on, keeping every step for display.

Fashion-MNIST was made from shop photos (Xiao, Rasul and Vollgraf 2017): trim the background,
scale the longest edge to 28 px, centre, negate, 8-bit grayscale. So a dataset garment is light
on black, fills the frame edge to edge along its longest side (89% of test images span all 28
pixels, so we add no margin by default) and its brightest pixel is ~255. A user's image differs
in format, colour, polarity, framing and size, and a photo's background is seldom flat:
``preprocess`` fits the background from the image's border (tone, gradient, vignetting), takes
each pixel's colour distance from it (so the background is 0 and the garment light, whatever its
colour or polarity), finds the object with thresholds and morphology (scikit-image), then trims,
squares, resizes and stretches. It keeps each intermediate image, so the page can show what the
model really sees, and the ``ImageSigns`` that ``core.predict.novelty`` reads as "not a garment".

``STAGES`` lists the stages in order, each a function with the title its step has in the Predict page's
strip: a stage takes the ``Work`` done so far, adds its own results and returns the picture of what it did
(``Shown``), or None when it had nothing to do (an opaque image has no transparency to flatten);
``preprocess_image`` runs them in turn and names each step from its stage's title.

Every failure is an ``ImageError`` (a ``ValueError``) with a one-line message for a person.
"""

from __future__ import annotations

import io
import numbers
import struct
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np
import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage
from skimage import morphology

from core.data import IMAGE_SIDE
from core.predict import outline, segment, straighten

pillow_heif.register_heif_opener()  # HEIC/HEIF (the iPhone's photos) open like any Pillow format

ALLOWED_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "HEIF")
FORMAT_NAMES = "PNG, JPEG, WebP, GIF, BMP or HEIC"
# What an uploader should let through: the readable formats, plus SVG and PDF so that a person
# who picks one is told why it can't be used instead of being silently refused.
UPLOAD_EXTENSIONS = ("png", "jpg", "jpeg", "webp", "gif", "bmp", "heic", "heif", "svg", "pdf")
HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")  # ISO BMFF 'ftyp' brands
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a 50-megapixel photo; the header is checked before any pixel is decoded
MIN_SIDE = 8
WORKING_SIDE = 192  # big images are shrunk to this first: ~7x the output is plenty to find the object
DISPLAY_SIDE = 160  # the step images kept for display are at most this big
MARGIN = 0.0  # empty border added around the object, as a fraction of its longest side (see above)
FOREGROUND_LEVEL = 0.05  # a pixel is "object" above this fraction of the contrast (the dataset trimmed at 5%)
LOW_CONTRAST = 24.0  # grey levels (of 255) between background and brightest object pixel
NEARLY_BLANK = 0.003  # object fraction of the image below which it is "nearly blank"
ALMOST_ALL_FOREGROUND = 0.9
BORDER_SHARE = 0.02  # the border ring the background is fitted on, as a share of the shorter side
MORPHOLOGY_SHARE = 0.012  # closing and margin radius, as a share of the longer side (2 px at 192)
KEEP_PART_SHARE = 0.1  # parts of the object at least this share of the largest are kept (sandal straps)
PIECE_SHARE = 0.0005  # parts counted as "pieces" (texture, noise) from this share of the image up
EDGE_LEVEL = 0.15  # Sobel magnitude (of the contrast) that counts as a strong edge
EDGE_SIDE = 160  # ... measured with the object's box at least this big (longest side)
TRANSPARENT_SHARE = 0.05  # an image this much transparent is a cut-out: its transparent pixels are the background
ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")  # Pillow modes with an alpha channel
# When the border is not one smooth background, the object is cut out by segmentation (core.predict.segment):
SEGMENT_FIT = 0.9  # less of the border than this fits the smooth background (a second tone, a scene)
SEGMENT_NOISE = 0.04  # ... or the border's noise is above this share of the contrast (a texture) ...
SEGMENT_TOUCH = 0.25  # ... or the object found covers more of the image's edge than this (a band of table)
SEGMENT_MIN_SIDE = 48  # pictures smaller than this (a 28x28 dataset image) are never segmented
CROP_ADVICE = (
    "Could not tell the garment from the background: drag a box around it, "
    "or lay it flat on a plain surface and fill the frame."
)


class ImageError(ValueError):
    """A file or array that cannot become a model input; ``str(error)`` is one line for a person."""


class Step(NamedTuple):
    """One intermediate image, for display: uint8, grayscale (H, W) or colour (H, W, 3|4), named by its stage."""

    name: str
    image: np.ndarray


@dataclass(frozen=True)
class ImageSigns:
    """What the image itself says about whether it shows one object on a plain background.

    Measured while the background is removed, before any model runs; ``core.predict.novelty`` turns
    them (with the models' answers) into plain-words warnings.
    """

    contrast: float  # grey levels between the background and the object's strongest pixel
    noise: float  # robust spread of the border around the fitted background (grey levels)
    background_fit: float  # share of the border that the smooth background model explains
    separability: float  # Otsu's effectiveness (0-1): how two-toned object vs background is
    object_fraction: float  # share of the image the object covers
    border_touch: float  # share of the image's border the object covers
    pieces: int  # separate parts of the object (after closing small gaps)
    kept_share: float  # share of the above-threshold pixels that the kept object holds
    solidity: float  # object area / its convex hull's area
    edge_density: float  # share of the object's box that is strong edges (texture, text)


@dataclass(frozen=True)
class Box:
    """A part of the decoded original (after EXIF orientation) a person marked: fractions 0-1 of its width
    (``left``, ``right``) and height (``top``, ``bottom``). Only what is inside is used, and the outside is
    taken as background. A box that is not finite, not inside 0-1 or has no width or height is an ImageError."""

    left: float
    top: float
    right: float
    bottom: float

    def __post_init__(self) -> None:
        values = (self.left, self.top, self.right, self.bottom)
        if not all(isinstance(value, numbers.Real) and np.isfinite(value) for value in values):
            raise ImageError("The crop box needs four finite numbers (left, top, right, bottom).")
        if not (0.0 <= self.left < self.right <= 1.0 and 0.0 <= self.top < self.bottom <= 1.0):
            raise ImageError(
                "The crop box must lie inside the picture and have some width and height "
                f"(got left {self.left:.2f}, top {self.top:.2f}, right {self.right:.2f}, bottom {self.bottom:.2f})."
            )

    @classmethod
    def from_pixels(cls, left: float, top: float, right: float, bottom: float, width: int, height: int) -> Box:
        """A box given in pixels of a ``width`` x ``height`` picture (corners in any order, clipped to it)."""
        if width <= 0 or height <= 0:
            raise ImageError("The crop box needs the picture's size in pixels.")
        xs = sorted(min(max(float(x), 0.0), float(width)) for x in (left, right))
        ys = sorted(min(max(float(y), 0.0), float(height)) for y in (top, bottom))
        return cls(xs[0] / width, ys[0] / height, xs[1] / width, ys[1] / height)

    def pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) in whole pixels of a ``width`` x ``height`` picture, at least one wide."""
        left, top = int(np.floor(self.left * width)), int(np.floor(self.top * height))
        right = max(left + 1, min(width, int(np.ceil(self.right * width))))
        bottom = max(top + 1, min(height, int(np.ceil(self.bottom * height))))
        return left, top, right, bottom


@dataclass(frozen=True, eq=False)
class Preprocessed:
    image: np.ndarray  # (28, 28) float32 in [0, 1]: a light garment on black, like the dataset
    steps: tuple[Step, ...]
    warnings: tuple[str, ...]  # ways the input is unlike the dataset, one line each
    inverted: bool  # the input was dark on light and was negated
    description: str  # what came in, e.g. "JPEG, 1200×900, RGB"
    signs: ImageSigns | None = None  # None for a dataset image (nothing was measured)
    # One line for a person when the object could not be told from its background (e.g. "drag a box
    # around it"), instead of a silent guess; None when the cut-out is trusted.
    crop_advice: str | None = None

    def model_input(self) -> np.ndarray:
        """(1, 28, 28) float32 in 0-255: what every model takes (normalization is inside it)."""
        return (self.image * 255.0).astype(np.float32).reshape(1, IMAGE_SIDE, IMAGE_SIDE)


# --- decoding ---------------------------------------------------------------------------------

_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
    b"BM": "BMP",
}


def _magic_format(data: bytes) -> str | None:
    """The readable format the first bytes announce, even when the rest is damaged."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "HEIC"
    for magic, name in _MAGIC.items():
        if data.startswith(magic):
            return name
    return None


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    printable = sum(32 <= byte < 127 or byte in b"\t\r\n" or byte >= 128 for byte in head)
    return printable / len(head) > 0.95


def _unsupported_reason(data: bytes) -> str:
    """Why Pillow could not identify ``data``, as a one-line message."""
    head = data[:4096]
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith(b"%pdf-"):
        return "This is a PDF document, not an image: export the page as PNG or JPEG first."
    if stripped.startswith(b"<svg") or (stripped.startswith((b"<?xml", b"<!--", b"<!doctype")) and b"<svg" in stripped):
        return "SVG is a vector drawing, not pixels: export it as PNG first."
    if head[4:8] == b"ftyp":
        if head[8:12] in (b"avif", b"avis"):
            return "AVIF images aren't supported: save it as PNG or JPEG first."
        if head[8:12] not in HEIF_BRANDS:
            return f"This video or ISO media file isn't an image this app can read: use a {FORMAT_NAMES} file."
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return f"TIFF images aren't supported: save it as {FORMAT_NAMES} first."
    if head.startswith(b"8BPS"):
        return "Photoshop files aren't supported: export the image as PNG or JPEG first."
    damaged = _magic_format(data)
    if damaged:
        return f"The {damaged} file is damaged or cut off: its header can't be read. Re-save it and try again."
    if _looks_like_text(head):
        return f"This file holds text, not an image (was it renamed?). Use a {FORMAT_NAMES} file."
    return f"This file isn't an image this app can read: use a {FORMAT_NAMES} file."


def _check_dimensions(width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise ImageError(
            f"The image is {width:,}×{height:,} pixels ({width * height / 1e6:,.0f} megapixels); "
            f"the limit is {MAX_PIXELS / 1e6:.0f} megapixels. Scale it down first."
        )
    if min(width, height) < MIN_SIDE:
        raise ImageError(
            f"The image is only {width}×{height} pixels: too small to show a garment "
            f"(at least {MIN_SIDE}×{MIN_SIDE} needed)."
        )


def decode(data: bytes) -> tuple[Image.Image, str, list[str]]:
    """Bytes -> (first frame, EXIF-rotated and loaded; description; warnings). Raises ImageError."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ImageError("Expected the bytes of an image file.")
    data = bytes(data)
    if not data:
        raise ImageError("The file is empty (0 bytes).")
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(
            f"The file is {len(data) / 2**20:.1f} MB; the limit is {MAX_FILE_BYTES / 2**20:.0f} MB. Scale it down first."
        )
    notes: list[str] = []
    image_format = _magic_format(data) or "image"
    try:
        with warnings.catch_warnings():
            # Pillow only warns between 89 and 179 megapixels; make that an error too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
            image_format = image.format or image_format
            size = image.size  # as stored: draft() below may decode a JPEG smaller
            _check_dimensions(*size)
            frames = getattr(image, "n_frames", 1)
            if frames > 1:
                image.seek(0)
                notes.append(f"Animated image ({frames} frames): using the first frame.")
            shrink = WORKING_SIDE / max(image.size)
            if image_format in ("JPEG", "MPO", "HEIF") and shrink < 1:
                # Decode a big JPEG at 1/2, 1/4 or 1/8 scale straight away (never below the working
                # size): a 12-megapixel photo decodes ~10x faster and in a fraction of the memory.
                # A HEIC photo's embedded thumbnail is taken instead when one is at least that big.
                image.draft(None, (round(image.width * shrink), round(image.height * shrink)))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(
            f"The image header claims far too many pixels to open safely (a decompression bomb?); "
            f"the limit is {MAX_PIXELS / 1e6:.0f} megapixels."
        ) from None
    except UnidentifiedImageError:
        raise ImageError(_unsupported_reason(data)) from None
    except ImageError:
        raise
    except MemoryError:
        raise ImageError("The image is too large to decode in the memory available.") from None
    except (
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        IndexError,
        KeyError,
        TypeError,
        struct.error,
        zlib.error,
    ) as error:
        detail = (str(error).splitlines() or [type(error).__name__])[0][:80]
        raise ImageError(
            f"The {image_format} file is damaged or cut off ({detail}). Re-save it and try again."
        ) from None
    description = f"{image_format}, {size[0]}×{size[1]}, {image.mode}"
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # malformed EXIF must not lose an otherwise good image
        notes.append("The EXIF orientation tag could not be read: the image is used as stored.")
    return image, description, notes


# --- measuring: the background, the object, its shape -----------------------------------------


def _background_model(colour: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Fit the background from the image's border: (background (H, W, C), noise, share of border fitted).

    A smooth surface per channel, ``a + bx + cy + dx² + ey² + fxy``: its colour, a linear
    gradient and vignetting (a radial falloff is ``x² + y²``). Fitted by least squares, refitted
    on the border pixels it explains (an object touching the border is left out), growing from a
    flat colour to the full surface so that a border mostly covered by the object stays flat.
    """
    height, width = colour.shape[:2]
    ring = max(1, round(min(height, width) * BORDER_SHARE))
    on_ring = np.zeros((height, width), bool)
    on_ring[:ring] = on_ring[-ring:] = on_ring[:, :ring] = on_ring[:, -ring:] = True
    ys, xs = np.nonzero(on_ring)
    every = max(1, len(ys) // 1500)  # plenty for six coefficients, and cheap
    ys, xs = ys[::every], xs[::every]
    samples = colour[ys, xs].astype(np.float64)
    u_scale, v_scale = 2.0 / max(width - 1, 1), 2.0 / max(height - 1, 1)
    u, v = xs * u_scale - 1.0, ys * v_scale - 1.0
    terms = np.stack([np.ones_like(u), u, v, u * u, v * v, u * v], axis=-1)
    coefficients = np.zeros((6, colour.shape[2]))
    coefficients[0] = np.median(samples, axis=0)
    used = 1
    residual = np.sqrt(((samples - coefficients[0]) ** 2).mean(axis=1))
    inliers = np.ones(len(samples), bool)
    for used_next in (1, 3, 6, 6):
        spread = 1.4826 * float(np.median(residual[inliers])) if inliers.any() else 0.0
        inliers = residual <= max(3.0 * spread, 4.0)
        if inliers.sum() < 8 * used_next or inliers.mean() < 0.5:
            break
        used = used_next
        # The normal equations of a 6-term fit (with a whisker of ridge): a 6x6 solve, where
        # np.linalg.lstsq's SVD cost milliseconds on a busy 2-core machine.
        basis = terms[inliers, :used]
        gram = basis.T @ basis + 1e-6 * np.eye(used)
        coefficients = np.zeros((6, colour.shape[2]))
        coefficients[:used] = np.linalg.solve(gram, basis.T @ samples[inliers])
        residual = np.sqrt(((samples - terms @ coefficients) ** 2).mean(axis=1))
    noise = 1.4826 * float(np.median(residual[inliers])) if inliers.any() else float(np.median(residual))
    fitted = float((residual <= max(3.0 * noise, 4.0)).mean())
    # The surface on the whole image: a row part plus a column part plus the cross term, so only
    # two full-size operations (no (H, W, 6) design matrix).
    c = coefficients.astype(np.float32)
    grid_u = np.arange(width, dtype=np.float32) * u_scale - 1.0
    grid_v = np.arange(height, dtype=np.float32) * v_scale - 1.0
    along_u = c[0] + np.outer(grid_u, c[1]) + np.outer(grid_u**2, c[3])  # (W, C)
    along_v = np.outer(grid_v, c[2]) + np.outer(grid_v**2, c[4])  # (H, C)
    background = along_v[:, None, :] + along_u[None, :, :]
    if used == 6:
        background += np.outer(grid_v, grid_u)[..., None] * c[5]
    return background, noise, fitted


def _disk(radius: int) -> np.ndarray:
    return morphology.disk(radius).astype(bool)


def _morphology_radius(shape: tuple[int, ...]) -> int:
    """The closing (and kept margin) radius for an image of this shape: MORPHOLOGY_SHARE of its longer side."""
    return max(1, round(max(shape) * MORPHOLOGY_SHARE))


@dataclass(frozen=True)
class ObjectParts:
    """How the object's mask came out: the signs ``ImageSigns`` takes from it."""

    separability: float  # Otsu's effectiveness on the difference (see _otsu_effectiveness)
    pieces: int  # parts from PIECE_SHARE of the image up
    kept_share: float  # share of the closed above-threshold pixels the kept parts hold


_NO_PARTS = ObjectParts(separability=0.0, pieces=0, kept_share=0.0)


def _object_mask(difference: np.ndarray, noise: float, contrast: float) -> tuple[np.ndarray, ObjectParts]:
    """Which pixels are the object: hysteresis on the difference from the background, Otsu's
    threshold as the strong level, then closing, filled holes and the main parts only."""
    from skimage import filters

    strong = float(filters.threshold_otsu(difference))
    separability = _otsu_effectiveness(difference, strong)
    strong = max(strong, 3.0 * noise + 4.0, 0.1 * contrast)
    weak = max(3.0 * noise + 3.0, 0.2 * strong)
    above = filters.apply_hysteresis_threshold(difference, weak, strong)
    closed = ndimage.binary_fill_holes(morphology.closing(above, _disk(_morphology_radius(difference.shape))))
    labels, count = ndimage.label(closed)
    areas = np.bincount(labels.ravel())[1:] if count else np.zeros(0, int)
    if not count:
        return closed, ObjectParts(separability=separability, pieces=0, kept_share=0.0)
    keep = np.flatnonzero(areas >= KEEP_PART_SHARE * areas.max()) + 1
    mask = np.isin(labels, keep)
    counted = int((areas >= max(4, PIECE_SHARE * difference.size)).sum())
    kept_share = float(mask.sum() / max(closed.sum(), 1))
    return mask, ObjectParts(separability=separability, pieces=counted, kept_share=kept_share)


def _otsu_effectiveness(values: np.ndarray, threshold: float) -> float:
    """Between-class over total variance at the threshold: 1 for two flat tones, ~0 for one smear."""
    total = float(values.var())
    if total <= 1e-9:
        return 0.0
    above = values > threshold
    share = float(above.mean())
    if share in (0.0, 1.0):
        return 0.0
    gap = float(values[above].mean()) - float(values[~above].mean())
    return share * (1.0 - share) * gap * gap / total


def _shape_signs(mask: np.ndarray, difference: np.ndarray, contrast: float) -> tuple[float, float, float]:
    """(border touch, solidity, edge density) of the object, on a small copy of its mask."""
    from skimage import filters
    from skimage.morphology import convex_hull_image

    edge = np.concatenate([mask[0], mask[-1], mask[:, 0], mask[:, -1]])
    border_touch = float(edge.mean())
    step = max(1, max(mask.shape) // 96)
    small = mask[::step, ::step]
    solidity = float(small.sum() / max(convex_hull_image(small).sum(), 1)) if small.any() else 0.0
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if not len(rows):
        return border_touch, solidity, 0.0
    box = difference[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] / max(contrast, 1e-6)
    # A small object is enlarged (smoothly) to at least EDGE_SIDE pixels first, so that the same
    # garment gives the same density at any size; a big one is measured as it is (shrinking
    # would blur text away).
    scale = max(1.0, EDGE_SIDE / max(box.shape))
    size = (max(1, round(box.shape[1] * scale)), max(1, round(box.shape[0] * scale)))
    box = np.asarray(Image.fromarray(box.astype(np.float32), "F").resize(size, Image.Resampling.BILINEAR))
    edges = filters.sobel(box) > EDGE_LEVEL
    return border_touch, solidity, float(edges.mean())


# --- pixels and display copies ----------------------------------------------------------------


def _normalized_mode(image: Image.Image) -> Image.Image:
    """Only four modes go on: "L", "RGB", "RGBA" (8-bit) and "F" (deep grayscale, 0-255 floats)."""
    mode = image.mode
    if mode.startswith("I") or mode == "F":
        values = np.asarray(image, dtype=np.float32)
        peak = float(values.max()) if values.size else 0.0
        if mode.startswith("I;16") or 255 < peak <= 65535:
            values = values / 257.0  # 16-bit: 65535 -> 255
        elif peak > 65535:
            values = values * (255.0 / peak)
        elif mode == "F" and peak <= 1.0:
            values = values * 255.0
        return Image.fromarray(np.clip(values, 0, 255).astype(np.float32), "F")
    has_alpha = mode in ALPHA_MODES or "transparency" in image.info
    if has_alpha:
        return image.convert("RGBA")
    if mode == "1":
        return image.convert("L")
    if mode in ("L", "RGB"):
        return image
    return image.convert("RGB")  # P, CMYK, YCbCr, LAB, HSV


def _as_uint8(values: np.ndarray, scale: float = 1.0) -> np.ndarray:
    return np.clip(np.rint(values * scale), 0, 255).astype(np.uint8)


def _thumbnail(pixels: np.ndarray) -> np.ndarray:
    """A display copy no bigger than DISPLAY_SIDE; the 28x28 result is kept as is.

    A box filter: antialiased like Lanczos for a shrink but ~5x cheaper, and these copies are
    only looked at (the model input is made with Lanczos).
    """
    height, width = pixels.shape[:2]
    if max(height, width) <= DISPLAY_SIDE:
        return pixels
    scale = DISPLAY_SIDE / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.BOX))


def _flatten_fill(gray: np.ndarray, alpha: np.ndarray, keyed: bool) -> float:
    """The grey level to put behind transparent pixels.

    A keyed-out image (a palette GIF or PNG whose black was made the transparent colour) keeps
    its background colour under its transparent pixels: when the object stands out from it, that
    colour was the background. An alpha channel's hidden colour means nothing (editors and emoji
    fonts store black), so a cut-out goes on black or white, whichever it contrasts with, judged
    from its opaque pixels.
    """
    weight = float(alpha.sum())
    object_level = float((gray * alpha).sum() / weight) if weight > 0 else 255.0
    hidden = gray[alpha < 0.02]
    if keyed and hidden.size and float(hidden.std()) < 2.0 and abs(object_level - float(hidden.mean())) > 32:
        return float(hidden.mean())
    return 0.0 if object_level >= 127.5 else 255.0


def _resize(values: np.ndarray, side: int) -> np.ndarray:
    """Antialiased resize of a float image (Lanczos widens its kernel when shrinking)."""
    image = Image.fromarray(values.astype(np.float32), "F")
    return np.asarray(image.resize((side, side), Image.Resampling.LANCZOS), dtype=np.float32)


# --- the stages -------------------------------------------------------------------------------


def _unset() -> np.ndarray:
    """A ``Work`` array no stage has filled in yet."""
    return np.zeros((0, 0), np.float32)


@dataclass(frozen=True, eq=False)
class Work:
    """The image as it goes from stage to stage: each stage fills in its own fields, later ones read them."""

    image: Image.Image  # the working copy: mode L, RGB, RGBA or F, at most WORKING_SIDE
    keyed: bool  # one colour of a palette or gray image is transparent (no alpha channel of its own)
    warnings: tuple[str, ...]  # ways the input is unlike the dataset, in the order they were found
    colour: np.ndarray = field(default_factory=_unset)  # (H, W, 1|3) float32 0-255, flattened if transparent
    alpha: np.ndarray | None = None  # (H, W) opacity 0-1, for an image with an alpha channel
    fill: float | None = None  # the grey behind the transparent pixels, when they are the background
    background: np.ndarray = field(default_factory=_unset)  # (H, W, 1|3) the image without the object
    noise: float = 0.0  # spread of the border around the background (grey levels)
    background_fit: float = 0.0  # share of the border the background explains
    difference: np.ndarray = field(default_factory=_unset)  # (H, W) each pixel's colour distance from it
    contrast: float = 0.0  # the largest difference
    mask: np.ndarray = field(default_factory=_unset)  # (H, W) bool: the object
    parts: ObjectParts = _NO_PARTS
    inverted: bool = False  # the object is darker than its background
    cropped: np.ndarray = field(default_factory=_unset)  # the object's box, 0-1
    square: np.ndarray = field(default_factory=_unset)  # the box centred on a black square
    result: np.ndarray = field(default_factory=_unset)  # (28, 28) float32 0-1: the model input
    boxed: bool = False  # a person drew a box: the image is what was inside it, its edge is background
    crop_advice: str | None = None  # set when the object could not be told from the background


class Shown(NamedTuple):
    """What a stage shows in the strip: its picture (uint8) and what fills its title's ``{detail}``."""

    image: np.ndarray
    detail: str = ""


Staged = tuple[Work, Shown | None]  # what a stage returns: the work with its results added, and its picture


@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline: the function that does it, and the name its step has in the strip."""

    title: str  # the step's name in the strip; ``{detail}`` is filled in from what the stage shows
    run: Callable[[Work], Staged]


def read_pixels(work: Work) -> Staged:
    """The working image as float pixels (and its opacity); shown as it came in, at working size."""
    image = work.image
    if image.mode == "F":
        colour = np.asarray(image, dtype=np.float32)[..., None]
        return replace(work, colour=colour), Shown(_as_uint8(colour[..., 0]))
    pixels = np.asarray(image)
    values = pixels.astype(np.float32)
    alpha = values[..., 3] / 255.0 if image.mode == "RGBA" else None
    colour = values[..., None] if image.mode == "L" else values[..., :3]
    return replace(work, colour=colour, alpha=alpha), Shown(pixels)


def flatten_onto_background(work: Work) -> Staged:
    """A transparent image laid on the grey it stands out from (see ``_flatten_fill``); opaque ones pass."""
    alpha = work.alpha
    if alpha is None or float(alpha.min()) >= 0.98:
        return work, None
    fill = _flatten_fill(_luma(work.colour), alpha, work.keyed)
    colour = work.colour * alpha[..., None] + fill * (1.0 - alpha[..., None])
    warns = work.warnings
    if float(alpha.sum()) < 1.0:
        warns += ("The image is fully transparent: there is nothing to see.",)
    # A cut-out says where its background is: under the transparent pixels. Its border may be
    # mostly object (an emoji drawn edge to edge), so the border is not asked.
    known = float((alpha < 0.02).mean()) >= TRANSPARENT_SHARE
    flattened = replace(work, colour=colour, warnings=warns, fill=fill if known else None)
    return flattened, Shown(_as_uint8(_displayable(colour)), _shade(fill))


def fit_background(work: Work) -> Staged:
    """The image without the object: a cut-out's fill, or fitted from the border (its colour, gradient and
    vignetting, see ``_background_model``)."""
    if work.fill is not None:
        background, noise, background_fit = np.full_like(work.colour, work.fill), 0.0, 1.0
        source = f"the transparent pixels, on {_shade(work.fill)}"
    else:
        background, noise, background_fit = _background_model(work.colour)
        source = "from the border"
    fitted = replace(work, background=background, noise=noise, background_fit=background_fit)
    return fitted, Shown(_as_uint8(_displayable(background)), source)


def remove_background(work: Work) -> Staged:
    """How far each pixel is from the background, in any colour: a dark garment on white and a light one on
    black both come out light on black, as in the dataset."""
    difference = np.sqrt(((work.colour - work.background) ** 2).mean(axis=2))
    contrast = float(difference.max())
    removed = replace(work, difference=difference, contrast=contrast)
    return removed, Shown(_as_uint8(difference, 255.0 / max(contrast, 1.0)))


def mask_object(work: Work) -> Staged:
    """Which pixels are the object (thresholds and morphology on the difference), what that says about the
    image, and whether the object is darker than its background."""
    difference, contrast = work.difference, work.contrast
    warns = list(work.warnings)
    if contrast < 1.0:
        mask, parts = np.ones(difference.shape, bool), _NO_PARTS
        if not any("transparent" in text for text in warns):
            warns.append("The image is blank (one flat colour): there is nothing to classify.")
    else:
        mask, parts = _object_mask(difference, work.noise, contrast)
        if not mask.any():
            mask = difference >= contrast * 0.5
    warns += _object_warnings(float(mask.mean()), contrast)
    inverted = float((_luma(work.colour) - _luma(work.background))[mask].mean()) < 0 if mask.any() else False
    found = replace(work, mask=mask, parts=parts, inverted=inverted, warnings=tuple(warns))
    return found, Shown(_as_uint8(mask.astype(np.float32), 255))


def fill_outline(work: Work) -> Staged:
    """Line art (thin solid strokes round an empty inside) with what its strokes enclose filled, as the dataset's
    garments are silhouettes (``core.predict.outline``); anything else passes untouched."""
    filled = outline.fill(work.difference, work.mask, work.contrast)
    if filled is None:
        return work, None
    shown = Shown(_as_uint8(filled.difference, 255.0 / max(work.contrast, 1.0)))
    return replace(work, difference=filled.difference, mask=filled.mask), shown


def _background_doubtful(work: Work) -> bool:
    """Whether the border fit may have taken part of the background as object: the border is not one smooth
    surface, is textured, or the object found runs along the image's edge."""
    if work.contrast < 1.0:
        return False
    mask = work.mask
    touch = float(np.concatenate([mask[0], mask[-1], mask[:, 0], mask[:, -1]]).mean())
    textured = work.noise > max(4.0, SEGMENT_NOISE * work.contrast)
    return work.background_fit < SEGMENT_FIT or textured or touch > SEGMENT_TOUCH


def cut_out_object(work: Work) -> Staged:
    """When the background is more than one smooth surface (or a box was drawn), the object cut out by
    segmentation (``core.predict.segment``), shown with what was taken as background dimmed. When the object
    can't be told from the background, the mask found so far is kept and ``crop_advice`` says what to do."""
    if work.fill is not None or min(work.mask.shape) < SEGMENT_MIN_SIDE:
        return work, None
    doubtful = _background_doubtful(work)  # a box's edge is the border: what is outside it is background
    sheet = work.contrast >= 1.0 and segment.looks_like_sheet(work.mask, work.difference)
    if not (doubtful or sheet):
        return work, None
    cut = segment.segment(work.colour, work.mask, sheet=sheet)
    if sheet and not cut.certain and not doubtful:
        return work, None  # nothing lies on it: the object found fills its box (a bag), as found
    source = "outside your box" if work.boxed else "the sheet it lies on" if sheet else "every colour at the border"
    if not cut.certain:
        shown = Shown(_as_uint8(_displayable(work.colour * (0.3 + 0.7 * cut.mask[..., None]))), "not told apart")
        return replace(work, crop_advice=CROP_ADVICE), shown
    mask = cut.mask
    inverted = float((_luma(work.colour) - _luma(cut.background))[mask].mean()) < 0
    pieces = int(ndimage.label(mask)[1])
    # The background is known now, as a cut-out's is: what the border's noise and fit said is explained.
    found = replace(
        work,
        mask=mask,
        background=cut.background,
        difference=cut.difference,
        contrast=float(cut.difference.max()),
        noise=0.0,
        background_fit=1.0,
        parts=replace(work.parts, pieces=pieces, kept_share=1.0),
        inverted=inverted,
    )
    return found, Shown(_as_uint8(_displayable(work.colour * (0.3 + 0.7 * mask[..., None]))), source)


def straighten_object(work: Work) -> Staged:
    """An object photographed at a slant turned upright (``core.predict.straighten``), as the dataset's garments
    stand; a picture as small as the model's input, one the object fills, or one whose object could not be told
    from its background is left as it is."""
    mask = work.mask
    unsure = work.crop_advice is not None or work.contrast < 1.0 or mask.mean() > segment.LARGEST
    if unsure or min(mask.shape) < SEGMENT_MIN_SIDE:
        return work, None
    degrees = straighten.tilt(mask)
    if degrees is None:
        return work, None
    difference = np.clip(straighten.turn(work.difference, degrees), 0.0, None)
    mask = straighten.turn(mask.astype(np.float32), degrees, order=0) > 0.5
    shown = Shown(_as_uint8(difference, 255.0 / max(work.contrast, 1.0)), f"{abs(degrees):.0f}°")
    return replace(work, difference=difference, mask=mask), shown


def crop_to_object(work: Work) -> Staged:
    """The dataset's trim: the object and a pixel or two around it, cut to its box, its brightest pixel 1."""
    mask, contrast = work.mask, work.contrast
    near = ndimage.binary_dilation(mask, _disk(_morphology_radius(mask.shape))) if contrast >= 1.0 else mask
    scaled = np.where(near, work.difference, 0.0) / max(contrast, 1e-6)
    peak = float(scaled.max())
    foreground = scaled > FOREGROUND_LEVEL * peak if peak > 0 else mask
    rows = np.flatnonzero(foreground.any(axis=1))
    cols = np.flatnonzero(foreground.any(axis=0))
    cropped = scaled[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    if peak > 0:
        cropped = cropped / peak
    return replace(work, cropped=cropped), Shown(_as_uint8(cropped, 255))


def centre_on_square(work: Work) -> Staged:
    """The box centred on a black square (with MARGIN around it), as the dataset centred its garments."""
    height, width = work.cropped.shape
    pad = round(max(height, width) * MARGIN)
    side = max(height, width) + 2 * pad
    square = np.zeros((side, side), np.float32)
    top, left = (side - height) // 2, (side - width) // 2
    square[top : top + height, left : left + width] = work.cropped
    return replace(work, square=square), Shown(_as_uint8(square, 255))


def resize_to_input(work: Work) -> Staged:
    """The square at 28x28 (Lanczos), its brightest pixel back to 1 as in the dataset."""
    warns = work.warnings
    if min(work.image.size) < IMAGE_SIDE:
        warns += (f"The image is smaller than {IMAGE_SIDE}×{IMAGE_SIDE}: it was enlarged and may look blurry.",)
    small = np.clip(_resize(work.square, IMAGE_SIDE), 0.0, 1.0)
    top_value = float(small.max())
    if top_value > 0.05:
        small = small / top_value  # thin strokes fade when shrunk; the dataset's brightest pixel is ~255
    result = small.astype(np.float32)
    return replace(work, result=result, warnings=warns), Shown(_as_uint8(result, 255))


STAGES: tuple[Stage, ...] = (
    Stage("Original", read_pixels),
    Stage("On {detail}", flatten_onto_background),
    Stage("Background ({detail})", fit_background),
    Stage("Background removed", remove_background),
    Stage("Object found", mask_object),
    Stage("Cut out ({detail})", cut_out_object),
    Stage("Outline filled", fill_outline),
    Stage("Straightened ({detail})", straighten_object),
    Stage("Cropped", crop_to_object),
    Stage("Squared", centre_on_square),
    Stage("28×28 input", resize_to_input),
)


def preprocess_image(
    image: Image.Image, description: str = "", notes: list[str] | None = None, crop: Box | None = None
) -> Preprocessed:
    """A decoded Pillow image -> the model input, through STAGES; each stage that acts adds its step.

    With a ``crop`` box only what is inside it is used."""
    keyed = "transparency" in image.info and image.mode not in ALPHA_MODES
    image = _normalized_mode(image)
    if crop is not None:
        image = _cropped(image, crop)
    _check_dimensions(*image.size)
    description = description or f"{image.width}×{image.height}, {image.mode}"
    if max(image.size) > WORKING_SIDE:
        image.thumbnail((WORKING_SIDE, WORKING_SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    work, steps = Work(image, keyed, tuple(notes or ()), boxed=crop is not None), []
    for stage in STAGES:
        work, shown = stage.run(work)
        if shown is not None:
            steps.append(Step(stage.title.format(detail=shown.detail), _thumbnail(shown.image)))
    warns = tuple(dict.fromkeys(work.warnings))
    return Preprocessed(
        work.result, tuple(steps), warns, work.inverted, description, _signs(work), crop_advice=work.crop_advice
    )


def _signs(work: Work) -> ImageSigns:
    """What the finished stages say about whether the image shows one object on a plain background."""
    border_touch, solidity, edge_density = _shape_signs(work.mask, work.difference, work.contrast)
    return ImageSigns(
        contrast=work.contrast,
        noise=work.noise,
        background_fit=work.background_fit,
        separability=float(work.parts.separability),
        object_fraction=float(work.mask.mean()),
        border_touch=border_touch,
        pieces=int(work.parts.pieces),
        kept_share=float(work.parts.kept_share),
        solidity=solidity,
        edge_density=edge_density,
    )


def _object_warnings(fraction: float, contrast: float) -> list[str]:
    """What the object's size and contrast say about the image, one line each."""
    warns = []
    if contrast >= 1.0 and fraction < NEARLY_BLANK:
        warns.append(
            f"The image is nearly blank: the object covers only {fraction:.2%} of it, so the prediction is a guess."
        )
    elif fraction > ALMOST_ALL_FOREGROUND:
        warns.append(
            f"The object fills {fraction:.0%} of the image: leave plain background around it so it can be cut out."
        )
    if 1.0 <= contrast < LOW_CONTRAST:
        warns.append(
            f"Very low contrast ({contrast:.0f} of 255 grey levels between object and background): "
            "the result may be mostly noise."
        )
    return warns


def _luma(colour: np.ndarray) -> np.ndarray:
    """(H, W, 1|3) -> (H, W) grey: ITU-R 601 luma, the same weights as Pillow's convert("L")."""
    weights = np.array([0.299, 0.587, 0.114], np.float32) if colour.shape[2] == 3 else np.ones(1, np.float32)
    return colour @ weights


def _displayable(values: np.ndarray) -> np.ndarray:
    """(H, W, 1|3) -> what an image shows: (H, W) for gray, (H, W, 3) for colour."""
    return values[..., 0] if values.shape[2] == 1 else values


def _shade(fill: float) -> str:
    return "black" if fill < 64 else "white" if fill > 192 else "grey"


# --- entry points, one per picture source -----------------------------------------------------


def preprocess(data: bytes, crop: Box | None = None) -> Preprocessed:
    """Image file bytes -> model input (only what is inside ``crop``, when given). Raises ImageError."""
    image, description, notes = decode(data)
    return preprocess_image(image, description, notes, crop)


def _cropped(image: Image.Image, crop: Box) -> Image.Image:
    """The part of ``image`` inside the box; a box too small to hold a garment is an ImageError."""
    left, top, right, bottom = crop.pixels(image.width, image.height)
    if min(right - left, bottom - top) < MIN_SIDE:
        raise ImageError(
            f"The box is only {right - left}×{bottom - top} pixels of the picture: drag a bigger box "
            f"(at least {MIN_SIDE}×{MIN_SIDE})."
        )
    return image.crop((left, top, right, bottom))


def preprocess_pixels(pixels: np.ndarray, crop: Box | None = None) -> Preprocessed:
    """A uint8 array, (H, W) gray, (H, W, 3) RGB or (H, W, 4) RGBA (a canvas drawing) -> model input."""
    array = np.asarray(pixels)
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
        raise ImageError(f"Expected a gray, RGB or RGBA image array, got shape {array.shape}.")
    if array.size == 0:
        raise ImageError("The image is empty.")
    if array.dtype != np.uint8:
        if not np.issubdtype(array.dtype, np.number) or not np.isfinite(array).all():
            raise ImageError("The image array holds values that aren't finite numbers.")
        scale = 255.0 if float(array.max()) <= 1.0 else 1.0
        array = np.clip(array * scale, 0, 255).astype(np.uint8)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    mode = {2: "L", 3: "RGB", 4: "RGBA"}[array.shape[2] if array.ndim == 3 else 2]
    image = Image.fromarray(np.ascontiguousarray(array), mode)
    return preprocess_image(image, f"drawing, {image.width}×{image.height}", crop=crop)


def dataset_image(pixels: np.ndarray, label: str = "") -> Preprocessed:
    """A 28x28 uint8 Fashion-MNIST image is already a model input: no step changes it."""
    array = np.asarray(pixels)
    if array.shape != (IMAGE_SIDE, IMAGE_SIDE):
        raise ImageError(f"A dataset image is {IMAGE_SIDE}×{IMAGE_SIDE}, got {array.shape}.")
    steps = (Step("Test image, as is", array.astype(np.uint8)),)
    return Preprocessed(
        (array.astype(np.float32) / 255.0),
        steps,
        (),
        False,
        f"Fashion-MNIST test image{f' ({label})' if label else ''}",
    )


def render_as_photo(
    pixels: np.ndarray,
    side: int = 280,
    *,
    dark_on_light: bool = True,
    padding: float = 0.15,
    image_format: str = "JPEG",
    quality: int = 90,
) -> bytes:
    """A dataset image drawn the way a shop photo looks: large, with a plain border, dark on white.

    For demos and tests: a faithful preprocessing must bring it back to (nearly) the original.
    """
    big = Image.fromarray(np.asarray(pixels, np.uint8), "L").resize((side, side), Image.Resampling.BICUBIC)
    border = round(side * padding)
    framed = Image.new("L", (side + 2 * border, side + 2 * border), 0)
    framed.paste(big, (border, border))
    if dark_on_light:
        framed = ImageOps.invert(framed)
    buffer = io.BytesIO()
    if image_format.upper() == "JPEG":
        framed.convert("RGB").save(buffer, "JPEG", quality=quality)
    else:
        framed.save(buffer, image_format)
    return buffer.getvalue()
