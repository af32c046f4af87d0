"""A corpus of awkward image files, built in memory with Pillow (no binaries in the repository).

``BAD`` maps a name to (builder, pattern the one-line error must match); ``ODD_BUT_READABLE``
maps a name to (builder, pattern one of the warnings must match, or None). Builders take a
28x28 uint8 garment (light on black) so the readable ones carry a real picture.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

import numpy as np
from PIL import Image

Builder = Callable[[np.ndarray], bytes]


def encode(image: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def garment_photo(garment: np.ndarray, side: int = 140) -> Image.Image:
    """The garment enlarged, dark on a white background, with a white border."""
    big = Image.fromarray(255 - garment, "L").resize((side, side), Image.Resampling.BICUBIC)
    framed = Image.new("L", (side + 40, side + 40), 255)
    framed.paste(big, (20, 20))
    return framed


def png_with_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels: a decompression bomb's shape."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def truncated(image_format: str) -> Builder:
    def build(garment: np.ndarray) -> bytes:
        data = encode(garment_photo(garment).convert("RGB"), image_format)
        return data[: len(data) // 2]

    return build


def animated_gif(garment: np.ndarray) -> bytes:
    frames = [Image.fromarray(garment, "L"), Image.new("L", (28, 28), 0), Image.fromarray(garment[::-1], "L")]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def sixteen_bit_png(garment: np.ndarray) -> bytes:
    deep = garment_photo(garment)
    values = np.asarray(deep, np.uint16) * 257  # full 16-bit range: 255 -> 65535
    return encode(Image.fromarray(values), "PNG")


def cmyk_jpeg(garment: np.ndarray) -> bytes:
    return encode(garment_photo(garment).convert("CMYK"), "JPEG", quality=95)


def palette_png(garment: np.ndarray) -> bytes:
    return encode(garment_photo(garment).convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE), "PNG")


def cut_out_png(colour: int) -> Builder:
    """A cut-out product shot: one flat colour, the garment's shape in the alpha channel, and
    transparent pixels whose hidden colour is black (what most editors store)."""

    def build(garment: np.ndarray) -> bytes:
        alpha = np.asarray(Image.fromarray(garment, "L").resize((140, 140), Image.Resampling.BICUBIC))
        rgba = np.zeros((140, 140, 4), np.uint8)
        rgba[..., :3] = colour
        rgba[..., 3] = alpha
        rgba[alpha == 0, :3] = 0
        return encode(Image.fromarray(rgba, "RGBA"), "PNG")

    return build


def transparent_palette_gif(garment: np.ndarray) -> bytes:
    """A light garment on black in a palette image whose black is the transparent colour."""
    image = Image.fromarray(garment, "L").resize((84, 84), Image.Resampling.NEAREST).convert("P")
    return encode(image, "GIF", transparency=0)


BAD: dict[str, tuple[Builder, str]] = {
    "empty file": (lambda garment: b"", r"empty \(0 bytes\)"),
    "text renamed .png": (
        lambda garment: b"Shopping list:\n- 2 T-shirts\n- 1 pair of sneakers\n" * 3,
        r"holds text, not an image",
    ),
    "truncated PNG": (truncated("PNG"), r"PNG file is damaged or cut off"),
    "truncated JPEG": (truncated("JPEG"), r"JPEG file is damaged or cut off"),
    "PNG header only": (lambda garment: b"\x89PNG\r\n\x1a\n\x00\x00", r"PNG file is damaged or cut off"),
    "decompression bomb (Pillow's guard)": (
        lambda garment: png_with_header_only(30_000, 30_000),
        r"too many pixels to open safely",
    ),
    "huge dimensions (our limit)": (
        lambda garment: png_with_header_only(9_000, 9_000),
        r"9,000×9,000 pixels \(81 megapixels\); the limit is 50 megapixels",
    ),
    "1x1 pixel": (lambda garment: encode(Image.new("RGB", (1, 1), "white"), "PNG"), r"only 1×1 pixels"),
    "SVG": (
        lambda garment: (
            b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28">'
            b'<rect width="20" height="20" fill="white"/></svg>\n'
        ),
        r"SVG is a vector drawing",
    ),
    "PDF": (lambda garment: b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n", r"PDF document"),
    "TIFF": (lambda garment: encode(garment_photo(garment), "TIFF"), r"TIFF images aren't supported"),
    "random bytes": (lambda garment: bytes(range(256)) * 4, r"isn't an image this app can read"),
}

ODD_BUT_READABLE: dict[str, tuple[Builder, str | None]] = {
    "animated GIF": (animated_gif, r"Animated image \(3 frames\): using the first frame"),
    "16-bit PNG": (sixteen_bit_png, None),
    "CMYK JPEG": (cmyk_jpeg, None),
    "palette PNG": (palette_png, None),
    "black garment cut out on transparency": (cut_out_png(0), None),
    "white garment cut out on transparency": (cut_out_png(255), None),
    "transparent palette GIF": (transparent_palette_gif, None),
    "WebP": (lambda garment: encode(garment_photo(garment), "WEBP", quality=95), None),
    "BMP": (lambda garment: encode(garment_photo(garment).convert("RGB"), "BMP"), None),
}
