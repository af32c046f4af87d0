"""One picture of the catalogue, one source of pictures, and the ten kinds' answers as the catalogue names them."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from PIL import Image

from core.data import CLASS_NAMES

SPLITS = ("tuning", "held-out")
TOP, TROUSER, PULLOVER, DRESS, COAT, SANDAL, SHIRT, SNEAKER, BAG, BOOT = CLASS_NAMES


@dataclass(frozen=True)
class Picture:
    source: str
    name: str
    kind: str  # "garment", "clothing" (outside the ten kinds) or "other"
    labels: tuple[str, ...]  # answers that count as right (garments only)
    category: str  # the class for garments, else food, animal, object, ...
    split: str
    data: bytes  # the file a user would upload
    licence: str


@dataclass(frozen=True)
class Source:
    name: str
    split: str
    licence: str
    load: Callable[[], Iterable[Picture]]


# (name, kind, category, labels): what a source draws, in the catalogue's order (garments, clothing, the rest).
Entry = tuple[str, str, str, tuple[str, ...]]


def entries(garments: dict[str, tuple[str, ...]], clothing: Iterable[str], others: dict[str, str]) -> list[Entry]:
    """A source's table as entries: each garment with its answers, clothing outside the ten kinds, and the rest
    by category (``others`` holds each category's names separated by spaces)."""
    items: list[Entry] = [(name, "garment", labels[0], labels) for name, labels in garments.items()]
    items += [(name, "clothing", "clothing outside the ten", ()) for name in clothing]
    items += [(name, "other", category, ()) for category, names in others.items() for name in names.split()]
    return items


def png(image: Image.Image) -> bytes:
    """The image as a PNG file's bytes: what a user would upload."""
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
