"""Our own photo test set, made deterministically from a seed (never committed as images).

Garment photos are rendered from Fashion-MNIST **test** images (the caller passes them; nothing
here reads the training set). Fashion-MNIST was made by negating shop photos, so a test image
``x`` (light garment on black) is turned back into one: the garment's lightness is ``255 - x``,
multiplied by a tint, laid on a light, uneven background (a pastel tone, a linear gradient and
vignetting), with a soft drop shadow, a slight rotation, off-centre, small or large, and saved
as JPEG. ``NOT_GARMENT_KINDS`` are pictures of no garment at all.

Used by the tests (accuracy on photos, "not a garment" flag rates) and by ``bench/``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

STYLES = ("colour", "dark on light", "shadow", "rotated", "off-centre", "small", "large")
NOT_GARMENT_KINDS = ("gradient", "noise", "checkerboard", "ball on a table", "landscape", "text")


@dataclass(frozen=True, eq=False)
class Photo:
    """One generated picture: JPEG bytes, what it shows, and (for garments) its test index and label."""

    data: bytes
    kind: str  # a style in STYLES, or a kind in NOT_GARMENT_KINDS
    garment: bool
    test_index: int = -1
    label: int = -1


def _jpeg(pixels: np.ndarray, quality: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8), "RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _canvas_size(rng: np.random.Generator) -> tuple[int, int]:
    width = int(rng.integers(320, 720))
    return width, int(round(width * rng.uniform(0.75, 1.34)))


def light_background(rng: np.random.Generator, width: int, height: int, *, plain: bool = False) -> np.ndarray:
    """(H, W, 3) float: a pastel tone, a linear gradient in a random direction, and vignetting."""
    tone = rng.uniform(222, 252, 3) if not plain else np.full(3, rng.uniform(238, 252))
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    xs, ys = xs / width - 0.5, ys / height - 0.5
    angle = rng.uniform(0, 2 * np.pi)
    ramp = xs * np.cos(angle) + ys * np.sin(angle)
    gradient = 0.0 if plain else rng.uniform(8, 30)
    vignette = 0.0 if plain else rng.uniform(0, 30)
    shade = gradient * ramp - vignette * (xs**2 + ys**2) * 2
    return np.clip(tone[None, None, :] + shade[..., None], 0, 255)


def render_garment(
    pixels: np.ndarray, rng: np.random.Generator, style: str = "colour"
) -> tuple[np.ndarray, np.ndarray]:
    """A 28x28 test image -> (photo (H, W, 3) float, before JPEG; where the garment is, (H, W) bool)."""
    width, height = _canvas_size(rng)
    plain = style == "dark on light"
    background = light_background(rng, width, height, plain=plain)
    scale = {"small": rng.uniform(0.22, 0.35), "large": rng.uniform(0.85, 0.95)}.get(style, rng.uniform(0.5, 0.8))
    side = max(16, int(round(min(width, height) * scale)))
    angle = rng.uniform(-12, 12) if style in ("colour", "rotated", "shadow") else rng.uniform(-3, 3)
    if style == "rotated":
        angle = rng.choice([-1, 1]) * rng.uniform(10, 20)
    lightness = Image.fromarray(255 - np.asarray(pixels, np.uint8), "L").resize((side, side), Image.Resampling.BICUBIC)
    presence = Image.fromarray(np.asarray(pixels, np.uint8), "L").resize((side, side), Image.Resampling.BICUBIC)
    lightness = np.asarray(lightness.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=255), np.float32)
    presence = np.asarray(presence.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=0), np.float32)
    alpha = np.clip(presence / 24.0, 0.0, 1.0)  # the dataset's faintest garment pixels are its edges
    if plain:
        tint = np.full(3, rng.uniform(0.9, 1.0))
    else:
        # Garment colours from pastel to saturated; a pale garment on a light ground is the hard case.
        tint = rng.uniform(0.35, 1.0, 3)
        tint = tint / max(tint.max(), 1e-6) * rng.uniform(0.75, 1.0)
    garment = lightness[..., None] * tint[None, None, :]

    box_h, box_w = alpha.shape
    if box_h > height or box_w > width:  # a large, rotated garment: shrink to fit
        fit = min(height / box_h, width / box_w) * 0.98
        size = (max(1, int(box_w * fit)), max(1, int(box_h * fit)))
        alpha = np.asarray(Image.fromarray(alpha).resize(size, Image.Resampling.BILINEAR))
        garment = np.dstack(
            [np.asarray(Image.fromarray(garment[..., c]).resize(size, Image.Resampling.BILINEAR)) for c in range(3)]
        )
        box_h, box_w = alpha.shape
    spread = 0.1 if style != "off-centre" else 0.45
    top = int(np.clip((height - box_h) / 2 + rng.uniform(-spread, spread) * (height - box_h), 0, height - box_h))
    left = int(np.clip((width - box_w) / 2 + rng.uniform(-spread, spread) * (width - box_w), 0, width - box_w))
    if style == "off-centre":
        top = int(rng.choice([0.08, 0.92]) * (height - box_h))

    full_alpha = np.zeros((height, width), np.float32)
    full_alpha[top : top + box_h, left : left + box_w] = alpha
    photo = background.copy()
    if style in ("colour", "shadow", "rotated"):
        # A soft drop shadow: the garment's silhouette, blurred, offset down and to one side.
        strength = rng.uniform(0.15, 0.3) if style == "shadow" else rng.uniform(0.05, 0.15)
        blur = max(2.0, side * rng.uniform(0.03, 0.06))
        shadow = Image.fromarray((full_alpha * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(blur))
        dx, dy = (int(side * rng.uniform(0.01, 0.05)) * rng.choice([-1, 1]), int(side * rng.uniform(0.02, 0.06)))
        shadow = np.roll(np.asarray(shadow, np.float32) / 255.0, (dy, dx), axis=(0, 1))
        photo = photo * (1.0 - strength * shadow[..., None])
    region = photo[top : top + box_h, left : left + box_w]
    photo[top : top + box_h, left : left + box_w] = region * (1 - alpha[..., None]) + garment * alpha[..., None]
    photo = photo + rng.normal(0, 1.5, photo.shape)  # sensor noise
    return photo, full_alpha > 0.5


def garment_photo(pixels: np.ndarray, rng: np.random.Generator, style: str = "colour") -> bytes:
    photo, _ = render_garment(pixels, rng, style)
    return _jpeg(photo, int(rng.integers(60, 93)))


def not_garment(kind: str, rng: np.random.Generator) -> bytes:
    """A picture of no garment at all, of the given kind (see NOT_GARMENT_KINDS)."""
    width, height = _canvas_size(rng)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    xs, ys = xs / width, ys / height
    if kind == "gradient":
        start, end = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
        angle = rng.uniform(0, 2 * np.pi)
        ramp = np.clip((xs - 0.5) * np.cos(angle) + (ys - 0.5) * np.sin(angle) + 0.5, 0, 1)[..., None]
        pixels = start * (1 - ramp) + end * ramp
    elif kind == "noise":
        if rng.random() < 0.5:
            pixels = rng.uniform(0, 255, (height, width, 3))
        else:
            grain = rng.uniform(0, 255, (height // 8 + 1, width // 8 + 1, 3)).astype(np.uint8)
            pixels = np.asarray(Image.fromarray(grain).resize((width, height), Image.Resampling.BICUBIC), np.float32)
    elif kind == "checkerboard":
        cell = rng.uniform(0.04, 0.2)
        board = ((np.floor(xs / cell) + np.floor(ys * height / width / cell)) % 2)[..., None]
        dark, light = rng.uniform(0, 90, 3), rng.uniform(160, 255, 3)
        pixels = dark * board + light * (1 - board)
    elif kind == "ball on a table":
        wall, table = rng.uniform(150, 240, 3), rng.uniform(70, 170, 3) * np.array([1.0, 0.8, 0.6])
        horizon = rng.uniform(0.45, 0.65)
        pixels = np.where((ys < horizon)[..., None], wall, table * (0.8 + 0.4 * ys[..., None]))
        radius = rng.uniform(0.12, 0.25)
        cx, cy = rng.uniform(0.3, 0.7), horizon + rng.uniform(-0.05, 0.1)
        aspect = height / width
        distance = np.sqrt((xs - cx) ** 2 + ((ys - cy) * aspect) ** 2) / radius
        colour = rng.uniform(30, 255, 3)
        light = np.clip(
            1.2 - 0.9 * np.sqrt((xs - cx + radius / 3) ** 2 + ((ys - cy) * aspect + radius / 3) ** 2) / radius, 0.2, 1.2
        )
        ball = np.clip(colour * light[..., None], 0, 255)
        pixels = np.where((distance < 1)[..., None], ball, pixels)
    elif kind == "landscape":
        sky_top, sky_low = rng.uniform([40, 90, 170], [120, 170, 255]), rng.uniform([170, 200, 220], [230, 240, 255])
        pixels = sky_top * (1 - ys[..., None]) + sky_low * ys[..., None]
        ridge = rng.uniform(0.35, 0.6) + np.cumsum(rng.normal(0, 0.006, width))[None, :] * np.ones((height, 1))
        mountain = rng.uniform([60, 60, 70], [120, 110, 130])
        pixels = np.where((ys > ridge)[..., None], mountain, pixels)
        ground = rng.uniform(0.7, 0.85)
        grass = rng.uniform([40, 90, 30], [90, 160, 70])
        pixels = np.where((ys > ground)[..., None], grass * (0.8 + 0.3 * rng.random((height, width, 1))), pixels)
    elif kind == "text":
        image = Image.new("RGB", (width, height), tuple(int(v) for v in rng.uniform(220, 255, 3)))
        draw = ImageDraw.Draw(image)
        letters = "abcdefghijklmnopqrstuvwxyz      "
        size = int(rng.integers(14, 30))
        for row in range(int(rng.integers(4, 12))):
            line = "".join(rng.choice(list(letters), int(rng.integers(12, 40))))
            draw.text(
                (int(width * 0.06), int(height * 0.06) + row * size * 1.4), line, fill=(20, 20, 20), font_size=size
            )
        pixels = np.asarray(image, np.float32)
    else:
        raise ValueError(f"unknown kind {kind!r}; choose from {', '.join(NOT_GARMENT_KINDS)}")
    pixels = np.asarray(pixels, np.float32) + rng.normal(0, 1.5, (height, width, 3))
    return _jpeg(pixels, int(rng.integers(60, 93)))


def garment_photos(
    test_images: np.ndarray, test_labels: np.ndarray, indices: np.ndarray, *, style: str = "colour", seed: int = 0
) -> list[Photo]:
    """One photo per test index, in the given style (``style="mixed"`` cycles through STYLES)."""
    rng = np.random.default_rng(seed)
    photos = []
    for position, index in enumerate(indices):
        chosen = STYLES[position % len(STYLES)] if style == "mixed" else style
        data = garment_photo(test_images[index], rng, chosen)
        photos.append(Photo(data, chosen, True, int(index), int(test_labels[index])))
    return photos


def not_garment_photos(per_kind: int = 5, *, seed: int = 0) -> list[Photo]:
    rng = np.random.default_rng(seed)
    return [Photo(not_garment(kind, rng), kind, False) for kind in NOT_GARMENT_KINDS for _ in range(per_kind)]
