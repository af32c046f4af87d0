"""Photos as people take them, made at test time from Fashion-MNIST test garments (never committed as images):
a garment on a sheet of paper lying on a table (two background tones), the same with a big dark object beside it,
and the same picture as HEIC or as a camera's video file. Used by tests/e2e/test_photos.py and the AppTest tests."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

TABLE = (142, 104, 72)  # a wooden table's brown
PAPER = (242, 240, 233)  # a sheet of white paper


def _jpeg(image: Image.Image, quality: int = 85) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def paper_on_table(width: int, height: int, seed: int = 0) -> Image.Image:
    """A sheet of paper, slightly turned, covering most of a grained wooden table: the table shows along the
    bottom edge, wider in one corner, so the background has two tones."""
    rng = np.random.default_rng(seed)
    grain = rng.normal(0, 1, (height, 1)) * 6 + rng.normal(0, 1, (height, width)) * 3
    table = np.clip(np.asarray(TABLE, np.float32)[None, None, :] + grain[..., None], 0, 255)
    picture = Image.fromarray(table.astype(np.uint8), "RGB")
    sheet = Image.new("L", (width, height), 0)
    corners = [(-0.05, -0.05), (1.05, -0.05), (1.05, 0.86), (-0.05, 0.78)]  # short of the bottom edge, turned
    ImageDraw.Draw(sheet).polygon([(x * width, y * height) for x, y in corners], fill=255)
    paper = Image.new("RGB", (width, height), PAPER)
    return Image.composite(paper, picture, sheet.filter(ImageFilter.GaussianBlur(1.5)))


def lay(picture: Image.Image, garment: np.ndarray, box: tuple[float, float, float, float]) -> Image.Image:
    """A 28x28 test garment laid on the picture inside ``box`` (fractions left, top, right, bottom): dark on the
    light paper as in a shop photo (the dataset's negative), with a soft shadow."""
    left, top, right, bottom = (round(v * s) for v, s in zip(box, picture.size * 2, strict=True))
    size = (right - left, bottom - top)
    presence = Image.fromarray(np.asarray(garment, np.uint8), "L").resize(size, Image.Resampling.BICUBIC)
    mask = Image.new("L", picture.size, 0)
    mask.paste(presence.point(lambda v: min(255, v * 4)), (left, top))
    shadow = Image.new("RGB", picture.size, (90, 85, 80))
    shaded = Image.composite(shadow, picture, mask.filter(ImageFilter.GaussianBlur(6)).point(lambda v: v // 4))
    tone = Image.fromarray(255 - np.asarray(garment, np.uint8), "L").resize(size, Image.Resampling.BICUBIC)
    cloth = Image.new("RGB", picture.size)
    cloth.paste(Image.merge("RGB", [tone.point(lambda v, c=c: int(v * c)) for c in (0.35, 0.45, 0.75)]), (left, top))
    return Image.composite(cloth, shaded, mask)


def two_tone_photo(garment: np.ndarray, seed: int = 0) -> bytes:
    """The garment in the middle of the paper, the table showing at the edges: a JPEG."""
    return _jpeg(lay(paper_on_table(480, 640, seed), garment, (0.22, 0.18, 0.82, 0.68)))


GARMENT_BOX = (0.56, 0.24, 0.90, 0.70)  # where ``cluttered_photo`` lays the garment (fractions of the photo)


def cluttered_photo(garment: np.ndarray, seed: int = 0) -> bytes:
    """The garment on the right of the paper and, on its left, a big black box (a phone case, a book) larger
    than the garment: an automatic crop cannot tell which object is meant. A JPEG, 640x480."""
    picture = paper_on_table(640, 480, seed)
    ImageDraw.Draw(picture).rounded_rectangle((60, 60, 330, 390), radius=18, fill=(28, 28, 32))
    return _jpeg(lay(picture, garment, GARMENT_BOX))


def heic(jpeg: bytes) -> bytes:
    """The same picture as an iPhone would save it (HEIC, written with pillow-heif)."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    Image.open(io.BytesIO(jpeg)).save(buffer, "HEIF", quality=90)
    return buffer.getvalue()


def camera_video(jpeg: bytes, path: Path, size: tuple[int, int] = (640, 480)) -> Path:
    """A one-frame Y4M video of the picture, what Chromium's fake camera plays (--use-file-for-fake-video-capture):
    the picture fitted into a ``size`` frame filled with its corner's colour, as 4:2:0 YCbCr."""
    picture = Image.open(io.BytesIO(jpeg)).convert("RGB")
    picture.thumbnail(size, Image.Resampling.LANCZOS)
    frame = Image.new("RGB", size, picture.getpixel((0, 0)))
    frame.paste(picture, ((size[0] - picture.width) // 2, (size[1] - picture.height) // 2))
    frame = frame.convert("YCbCr")
    luma, blue, red = (np.asarray(channel) for channel in frame.split())
    chroma = [
        np.asarray(Image.fromarray(c).resize((size[0] // 2, size[1] // 2), Image.Resampling.BOX)) for c in (blue, red)
    ]
    header = f"YUV4MPEG2 W{size[0]} H{size[1]} F30:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + b"FRAME\n" + luma.tobytes() + chroma[0].tobytes() + chroma[1].tobytes())
    return path
