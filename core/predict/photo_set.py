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


# --- scenes: a garment photographed the way people take photos -------------------------------------------
#
# A garment "layer" (its colour and where it is, (h, w, 3) float and (h, w) alpha) is laid on a background
# made the way a real one looks: a sheet of paper on a table, a floor meeting a wall, a textured surface
# (scikit-image's sample textures: photos others made), a strong lighting gradient, a cast shadow across
# the scene, or held up by a person. The benchmark (bench/bench_real_photos.py) keeps a held-out part with
# other textures, other garments and other seeds.

SCENES = (
    "paper on a table",
    "floor meets wall",
    "textured",
    "gradient",
    "cast shadow",
    "rotated",
    "small, off-centre",
    "held or worn",
)
TEXTURES = {"tuning": ("brick", "grass"), "held-out": ("gravel", "moon")}  # skimage.data's sample images

Layer = tuple[np.ndarray, np.ndarray]  # (colour (h, w, 3) float 0-255, alpha (h, w) float 0-1)


def fashion_layer(pixels: np.ndarray, rng: np.random.Generator) -> Layer:
    """A 28x28 test image as a garment: lightness ``255 - x`` (the shop photo it came from), tinted, at 4x."""
    big = Image.fromarray(np.asarray(pixels, np.uint8), "L").resize((112, 112), Image.Resampling.BICUBIC)
    presence = np.asarray(big, np.float32)
    tint = rng.uniform(0.3, 1.0, 3)
    tint = tint / max(tint.max(), 1e-6) * rng.uniform(0.7, 1.0)
    colour = (255.0 - presence)[..., None] * tint[None, None, :]
    return colour, np.clip(presence / 24.0, 0.0, 1.0)


def picture_layer(image: Image.Image, rng: np.random.Generator) -> Layer:
    """A drawn garment (an emoji cut-out, or a black icon on white) as a layer: a cut-out keeps its colours and
    alpha; an opaque icon becomes a garment of one random colour where it is dark."""
    if image.mode in ("RGBA", "LA", "PA", "P"):
        rgba = np.asarray(image.convert("RGBA"), np.float32)
        if float(rgba[..., 3].min()) < 128:
            return rgba[..., :3], rgba[..., 3] / 255.0
    gray = np.asarray(image.convert("L"), np.float32)
    colour = np.broadcast_to(rng.uniform(20, 200, 3), (*gray.shape, 3)).astype(np.float32)
    return colour, np.clip((255.0 - gray) / 255.0, 0.0, 1.0)


def _texture(name: str, rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """(H, W, 3): a random part of a scikit-image sample texture, tinted, softened to a surface's contrast."""
    from skimage import data as samples

    source = np.asarray(getattr(samples, name)(), np.float32)
    if source.ndim == 3:
        source = source[..., :3].mean(axis=2)
    side = int(min(source.shape) * rng.uniform(0.4, 1.0))
    top, left = (int(rng.integers(0, s - side + 1)) for s in source.shape)
    part = Image.fromarray(source[top : top + side, left : left + side]).resize((width, height))
    values = np.asarray(part, np.float32)
    values = (values - values.mean()) * rng.uniform(0.35, 0.8) + rng.uniform(110, 210)
    return values[..., None] * (rng.uniform(0.8, 1.0, 3) / 1.0)[None, None, :]


def _polygon_mask(width: int, height: int, points: list[tuple[float, float]], blur: float = 0.0) -> np.ndarray:
    image = Image.new("L", (width, height), 0)
    ImageDraw.Draw(image).polygon(points, fill=255)
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    return np.asarray(image, np.float32) / 255.0


def scene_background(scene: str, rng: np.random.Generator, width: int, height: int, textures: tuple[str, ...]):
    """(H, W, 3) float, and the (x, y, share) the garment goes at: its centre and size as a share of the
    shorter side."""
    light = light_background(rng, width, height)
    place = (width * rng.uniform(0.42, 0.58), height * rng.uniform(0.42, 0.58), rng.uniform(0.45, 0.7))
    if scene == "paper on a table":
        table = rng.uniform(60, 170, 3) * np.array([1.0, 0.82, 0.62]) * rng.uniform(0.8, 1.2)
        background = np.broadcast_to(table, (height, width, 3)) + rng.normal(0, 4, (height, width, 1))
        cx, cy = width * rng.uniform(0.4, 0.6), height * rng.uniform(0.4, 0.6)
        half_w, half_h, angle = width * rng.uniform(0.3, 0.45), height * rng.uniform(0.32, 0.45), rng.uniform(-0.2, 0.2)
        corners = [(-half_w, -half_h), (half_w, -half_h), (half_w, half_h), (-half_w, half_h)]
        points = [
            (cx + x * np.cos(angle) - y * np.sin(angle), cy + x * np.sin(angle) + y * np.cos(angle)) for x, y in corners
        ]
        paper = _polygon_mask(width, height, points, blur=1.0)[..., None]
        background = background * (1 - paper) + light * paper
        place = (cx, cy, rng.uniform(0.6, 0.85) * min(half_w, half_h) * 2 / min(width, height))
    elif scene == "floor meets wall":
        horizon = height * rng.uniform(0.3, 0.6)
        floor = rng.uniform(70, 180, 3) * np.array([1.0, 0.85, 0.7])
        ys = np.arange(height)[:, None, None]
        background = np.where(ys < horizon, light, floor * (0.85 + 0.3 * ys / height))
        place = (place[0], horizon + rng.uniform(-0.1, 0.1) * height, place[2])
    elif scene == "textured":
        background = _texture(str(rng.choice(textures)), rng, width, height)
    elif scene == "gradient":
        start, end = rng.uniform(90, 250, 3), rng.uniform(90, 250, 3)
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        angle = rng.uniform(0, 2 * np.pi)
        ramp = np.clip((xs / width - 0.5) * np.cos(angle) + (ys / height - 0.5) * np.sin(angle) + 0.5, 0, 1)
        vignette = 1.0 - rng.uniform(0.1, 0.35) * ((xs / width - 0.5) ** 2 + (ys / height - 0.5) ** 2) * 2
        background = (start * (1 - ramp[..., None]) + end * ramp[..., None]) * vignette[..., None]
    elif scene == "held or worn":
        background = _room(rng, width, height, light)
    else:
        background = light
    if scene == "small, off-centre":
        share = rng.uniform(0.2, 0.32)
        place = (width * rng.choice([0.22, 0.78]), height * rng.uniform(0.25, 0.75), share)
    return np.asarray(background, np.float32), place


def _room(rng: np.random.Generator, width: int, height: int, wall: np.ndarray) -> np.ndarray:
    """A wall with a door frame or a picture on it and a floor: what is behind a garment held up indoors."""
    room = wall.copy()
    horizon = int(height * rng.uniform(0.7, 0.9))
    room[horizon:] = rng.uniform(60, 160, 3) * np.array([1.0, 0.85, 0.7])
    left = int(width * rng.uniform(0.0, 0.25))
    room[:horizon, left : left + int(width * rng.uniform(0.03, 0.08))] *= rng.uniform(0.6, 0.85)
    return room


def _person(rng: np.random.Generator, width: int, height: int, cx: float, cy: float, side: float) -> Layer:
    """A person (skin-toned head and hands, a sleeve-coloured body) behind the garment, or a hand holding it."""
    skin = rng.uniform([150, 100, 80], [240, 190, 160])
    sleeve = rng.uniform(30, 220, 3)
    layer = np.zeros((height, width), np.float32)
    colour = np.zeros((height, width, 3), np.float32)
    draw_on = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(draw_on)
    if rng.random() < 0.5:  # worn: a head above, arms at the sides
        head = side * 0.22
        draw.ellipse((cx - head, cy - side * 0.5 - head * 2, cx + head, cy - side * 0.5), fill=1)
        colour[:] = skin
        body = Image.new("L", (width, height), 0)
        ImageDraw.Draw(body).rectangle(
            (cx - side * 0.55, cy - side * 0.45, cx + side * 0.55, cy + side * 0.6), fill=255
        )
        torso = np.asarray(body, np.float32) / 255.0
        colour = colour * (1 - torso[..., None]) + sleeve * torso[..., None]
        layer = np.maximum(np.asarray(draw_on, np.float32), torso)
    else:  # held: a hand over the garment's top corner
        hand = side * rng.uniform(0.1, 0.16)
        hx = cx + rng.choice([-1, 1]) * side * rng.uniform(0.1, 0.35)
        draw.ellipse((hx - hand, cy - side * 0.5 - hand, hx + hand, cy - side * 0.5 + hand * 1.2), fill=1)
        draw.rectangle((hx - hand * 0.7, cy - side * 0.5 - hand * 4, hx + hand * 0.7, cy - side * 0.5), fill=1)
        colour[:] = skin
        layer = np.asarray(draw_on, np.float32)
    return colour, layer


def _lay(photo: np.ndarray, layer: Layer, left: int, top: int) -> np.ndarray:
    colour, alpha = layer
    height, width = alpha.shape
    region = photo[top : top + height, left : left + width]
    a = alpha[: region.shape[0], : region.shape[1], None]
    photo[top : top + height, left : left + width] = region * (1 - a) + colour[: region.shape[0], : region.shape[1]] * a
    return photo


def scene_photo(garment: Layer, scene: str, rng: np.random.Generator, textures: tuple[str, ...]) -> bytes:
    """The garment laid in a scene (one of SCENES), shadowed, with sensor noise, as a phone's JPEG."""
    width, height = _canvas_size(rng)
    background, (cx, cy, share) = scene_background(scene, rng, width, height, textures)
    side = max(24, int(min(width, height) * share))
    angle = rng.uniform(20, 40) * rng.choice([-1, 1]) if scene == "rotated" else rng.uniform(-8, 8)
    colour, alpha = garment
    scale = side / max(alpha.shape)
    size = (max(1, round(alpha.shape[1] * scale)), max(1, round(alpha.shape[0] * scale)))
    alpha_image = Image.fromarray(alpha.astype(np.float32)).resize(size, Image.Resampling.BILINEAR)
    alpha = np.asarray(alpha_image.rotate(angle, Image.Resampling.BILINEAR, expand=True), np.float32)
    colour = np.dstack(
        [
            np.asarray(
                Image.fromarray(colour[..., c].astype(np.float32))
                .resize(size, Image.Resampling.BILINEAR)
                .rotate(angle, Image.Resampling.BILINEAR, expand=True),
                np.float32,
            )
            for c in range(3)
        ]
    )
    height_g, width_g = alpha.shape
    top = int(np.clip(cy - height_g / 2, 0, max(0, height - height_g)))
    left = int(np.clip(cx - width_g / 2, 0, max(0, width - width_g)))
    photo = background.copy()
    full = np.zeros((height, width), np.float32)
    full[top : top + height_g, left : left + width_g] = alpha[: height - top, : width - left]
    blur, offset = max(2.0, side * 0.04), (int(side * 0.04), int(side * rng.uniform(-0.04, 0.04)))
    shadow = (
        np.asarray(Image.fromarray((full * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(blur)), np.float32)
        / 255
    )
    photo *= 1.0 - rng.uniform(0.1, 0.25) * np.roll(shadow, offset, axis=(0, 1))[..., None]
    worn = (
        _person(rng, width, height, left + width_g / 2, top + height_g / 2, side) if scene == "held or worn" else None
    )
    if worn is not None and worn[1][int(min(height - 1, top + height_g / 2)), int(left + width_g / 2)] > 0:
        photo = _lay(photo, worn, 0, 0)  # a body behind the garment
        worn = None
    photo = _lay(photo, (colour, alpha), left, top)
    if worn is not None:
        photo = _lay(photo, worn, 0, 0)  # a hand in front of it
    if scene == "cast shadow":
        edge = [
            (width * rng.uniform(0.2, 0.8), 0),
            (width * rng.uniform(0.2, 0.8), height),
            (width, height),
            (width, 0),
        ]
        band = _polygon_mask(width, height, edge if rng.random() < 0.5 else [(width - x, y) for x, y in edge], 3.0)
        photo *= 1.0 - rng.uniform(0.25, 0.45) * band[..., None]
    photo = photo + rng.normal(0, 2.0, photo.shape)
    return _jpeg(photo, int(rng.integers(60, 93)))
