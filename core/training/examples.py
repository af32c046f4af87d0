"""A student's own examples: pictures they labelled, kept where runs are kept, to teach a model with.

An ``Example`` is one 28x28 model input (uint8, a light garment on black, exactly what the models see after
Predict's preprocessing) with its class, its owner (the browser's hash, as for runs; "" for the CLI), where it
came from and when. They are kept beside the runs: in the runs folder (``<runs folder>/.examples/``, one PNG
per example, its facts in the PNG's text chunks) or, when a database store is set (``FASHION_STUDIO_STORE_URL``),
in that database's ``studio_examples`` table. The same rules as runs: a student lists and removes only their
own; the teacher (``owner=None``) sees and removes every student's.

A zip (``to_zip``/``from_zip``) and a folder (``read_folder``) hold one sub-folder per class, named by the
class's index, its name (case and punctuation ignored: ``t-shirt-top``, ``ankle_boot``, ``Trouser``) or both
(``0-t-shirt-top``, what ``to_zip`` writes, so that ``keras.utils.image_dataset_from_directory``, which labels
folders in sorted order, gives each class its index). A 28x28 picture with a dark border is taken as a model
input as it is (what ``to_zip`` writes); any other picture is prepared as Predict prepares an upload.

Every bad input raises ``ExampleError`` (a ``ValueError``) with one line for a person.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass

import numpy as np
from PIL import Image, PngImagePlugin

from core.data import CLASS_NAMES, IMAGE_SIDE

SOURCES = ("sketch", "upload", "camera", "folder")
FOLDER = ".examples"  # inside the runs folder: hidden, so no listing of runs ever takes it for a run
MAX_PER_OWNER = 1000  # a class of 30 adding a few dozen each stays far below; a runaway script does not
MAX_ZIP_BYTES = 50 * 1024 * 1024
MAX_ZIP_FILES = 2000
MIN_INK_PIXELS = 8  # a picture with fewer pixels brighter than INK_LEVEL is blank
INK_LEVEL = 32  # of 255
PICTURE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp"}


class ExampleError(ValueError):
    """An example that cannot be kept or read; ``str(error)`` is one line for a person."""


@dataclass(frozen=True, eq=False)
class Example:
    """One labelled picture of a student's, as the model sees it."""

    example_id: str  # random hex: unguessable, like a run's job id
    label: int  # 0-9, an index of core.data.CLASS_NAMES
    owner: str  # the browser's hash (ui.shared.identity.owner); "" for the CLI
    source: str  # one of SOURCES
    created: str  # ISO time, UTC, seconds
    pixels: np.ndarray  # (28, 28) uint8: the model input (Preprocessed.model_input, as bytes)

    @property
    def class_name(self) -> str:
        return CLASS_NAMES[self.label]

    def png(self) -> bytes:
        """The 28x28 picture as a PNG file (grayscale)."""
        return _png(self.pixels)


# --- checks ------------------------------------------------------------------------------------
def as_pixels(pixels: np.ndarray) -> np.ndarray:
    """Any 784 values in 0-255 ((28, 28) or (1, 28, 28): ``Preprocessed.model_input()``) -> (28, 28) uint8.
    ExampleError for another shape, values outside 0-255, or a blank picture."""
    array = np.asarray(pixels)
    if array.size != IMAGE_SIDE * IMAGE_SIDE or not np.issubdtype(array.dtype, np.number):
        raise ExampleError(
            f"An example is a {IMAGE_SIDE}x{IMAGE_SIDE} model input; got an array of shape {array.shape}."
        )
    array = array.reshape(IMAGE_SIDE, IMAGE_SIDE).astype(np.float64)
    if not np.isfinite(array).all() or array.min() < 0 or array.max() > 255:
        raise ExampleError("An example's pixels must be numbers from 0 to 255.")
    result = np.round(array).astype(np.uint8)
    if int((result > INK_LEVEL).sum()) < MIN_INK_PIXELS:
        raise ExampleError("The picture is blank: draw or photograph a garment before adding it.")
    return result


def label_of(value: int | str) -> int:
    """A class index 0-9 from an index or a class name (case and punctuation ignored); ExampleError otherwise."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if 0 <= int(value) < len(CLASS_NAMES):
            return int(value)
        raise ExampleError(f"The class must be 0-{len(CLASS_NAMES) - 1}; got {value}.")
    if isinstance(value, str):
        found = class_of_folder(value)
        if found is not None:
            return found
    raise ExampleError(f"Unknown class {value!r}: use 0-9 or one of {', '.join(CLASS_NAMES)}.")


def _folded(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


_BY_NAME = {_folded(name): index for index, name in enumerate(CLASS_NAMES)}


def class_of_folder(name: str) -> int | None:
    """The class a folder's name means: ``3``, ``dress``, ``T-Shirt_Top``, ``ankle-boots`` or ``9-ankle-boot``;
    None when it means none (or its number and name disagree)."""
    text = name.strip()
    match = re.fullmatch(r"(\d+)(?:[\s_.-]+(.*))?", text)
    if match:
        number = int(match.group(1))
        if number >= len(CLASS_NAMES):
            return None
        rest = match.group(2)
        return number if not rest or _named(rest) == number else None
    return _named(text)


def folder_name(label: int) -> str:
    """The folder ``to_zip`` writes a class into: ``0-t-shirt-top`` ... ``9-ankle-boot``."""
    return f"{label}-{re.sub(r'[^a-z0-9]+', '-', CLASS_NAMES[label].lower()).strip('-')}"


def _named(text: str) -> int | None:
    folded = _folded(text)
    if folded in _BY_NAME:
        return _BY_NAME[folded]
    for ending in ("es", "s"):  # plurals: trousers, sandals, ankle boots
        if folded.endswith(ending) and folded[: -len(ending)] in _BY_NAME:
            return _BY_NAME[folded[: -len(ending)]]
    return None


# --- keeping them ------------------------------------------------------------------------------
def add(owner: str, label: int, pixels: np.ndarray, source: str) -> Example:
    """Keep one example of ``owner``'s; ExampleError for a bad one (blank, wrong class, too many)."""
    raise NotImplementedError


def list_examples(owner: str | None = None) -> list[Example]:
    """``owner``'s examples, oldest first; None: every student's (the teacher's view)."""
    raise NotImplementedError


def remove(example_id: str, owner: str | None = None) -> None:
    """Remove one example. ``owner`` set: only their own (PermissionError otherwise); None: any (the teacher).
    ExampleError when there is no such example."""
    raise NotImplementedError


def owners() -> list[str]:
    """Everyone who has examples, sorted (the teacher's view)."""
    raise NotImplementedError


# --- zips and folders --------------------------------------------------------------------------
def to_zip(owner: str | None) -> bytes:
    """``owner``'s examples (None: everyone's) as a zip: one folder per class (``0-t-shirt-top/``...), one
    28x28 PNG per example, named by its id."""
    raise NotImplementedError


def from_zip(owner: str, data: bytes, source: str = "upload") -> tuple[list[Example], list[str]]:
    """Add every picture of a zip laid out as ``to_zip`` writes it; (the examples added, one line per picture
    or folder that was not). A zip that cannot be read at all raises ExampleError."""
    raise NotImplementedError


def read_folder(path: str | os.PathLike) -> tuple[list[tuple[int, np.ndarray]], list[str]]:
    """(label, pixels) for every picture in ``path``'s class folders, and one line per file or folder that could
    not be used. ExampleError when ``path`` is no folder or holds no class folder."""
    raise NotImplementedError


def _png(pixels: np.ndarray, text: dict[str, str] | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(pixels, np.uint8), "L").save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()
