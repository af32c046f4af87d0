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
import tempfile
import threading
import uuid
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import numpy as np
import sqlalchemy as sa
from PIL import Image, PngImagePlugin, UnidentifiedImageError

from core.data import CLASS_NAMES, IMAGE_SIDE
from core.models import database, store
from core.predict import preprocess

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
    created: str  # ISO time, UTC, to the microsecond: examples list in the order they were added
    pixels: np.ndarray = field(repr=False)  # (28, 28) uint8: the model input (Preprocessed.model_input, as bytes)

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
def new_example(label: int | str, pixels: np.ndarray, source: str, owner: str = "", example_id: str = "") -> Example:
    """A checked example, not kept anywhere (``add`` keeps one; the CLI teaches from a folder's)."""
    if source not in SOURCES:
        raise ExampleError(f"Unknown source {source!r}: one of {', '.join(SOURCES)}.")
    if not isinstance(owner, str):
        raise ExampleError("The owner must be text.")
    return Example(
        example_id or uuid.uuid4().hex,
        label_of(label),
        owner,
        source,
        datetime.now(UTC).isoformat(timespec="microseconds"),
        as_pixels(pixels),
    )


def add(owner: str, label: int, pixels: np.ndarray, source: str) -> Example:
    """Keep one example of ``owner``'s; ExampleError for a bad one (blank, wrong class, too many);
    StoreUnavailable when the database store does not answer."""
    example = new_example(label, pixels, source, owner)
    database = _database()
    if database is not None:
        _db_insert(database, example)
    else:
        _folder_insert(example)
    return example


def list_examples(owner: str | None = None) -> list[Example]:
    """``owner``'s examples, oldest first; None: every student's (the teacher's view)."""
    database = _database()
    found = _db_list(database, owner) if database is not None else _folder_list(owner)
    return sorted(found, key=lambda example: (example.created, example.example_id))


def remove(example_id: str, owner: str | None = None) -> None:
    """Remove one example. ``owner`` set: only their own (PermissionError otherwise); None: any (the teacher).
    ExampleError when there is no such example."""
    database = _database()
    found = _db_owner(database, example_id) if database is not None else _folder_owner(example_id)
    if found is None:
        raise ExampleError("That example is gone already (removed in another tab, or by the teacher).")
    if owner is not None and found != owner:
        raise PermissionError("That example was added in another browser; only its owner or the teacher may remove it.")
    if database is not None:
        _db_delete(database, example_id)
    else:
        (_folder() / f"{example_id}.png").unlink(missing_ok=True)


def owners() -> list[str]:
    """Everyone who has examples, sorted (the teacher's view)."""
    return sorted({example.owner for example in list_examples(None)})


def counts(examples: Iterable[Example]) -> dict[int, int]:
    """How many examples of each class (only the classes that have some), by class index."""
    found: dict[int, int] = {}
    for example in examples:
        found[example.label] = found.get(example.label, 0) + 1
    return dict(sorted(found.items()))


# --- the folder store: one PNG per example, its facts in the PNG's text chunks -------------------
def _folder() -> Path:
    return store.runs_folder() / FOLDER


def _folder_insert(example: Example) -> None:
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    with _lock:
        if sum(1 for _ in _folder_list(example.owner)) >= MAX_PER_OWNER:
            raise ExampleError(_too_many())
        facts = {"owner": example.owner, "label": str(example.label), "source": example.source}
        data = _png(example.pixels, {**facts, "created": example.created})
        handle, temp = tempfile.mkstemp(dir=folder, prefix=store.PARTIAL_PREFIX, suffix=".png")
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temp, folder / f"{example.example_id}.png")  # whole or not at all


def _folder_read(path: Path) -> Example | None:
    try:
        with Image.open(path) as image:
            facts = dict(getattr(image, "text", {}))
            pixels = np.asarray(image.convert("L"), np.uint8)
        return Example(path.stem, int(facts["label"]), facts["owner"], facts["source"], facts["created"], pixels)
    except (OSError, KeyError, ValueError, UnidentifiedImageError):
        return None  # removed meanwhile, or not an example: never listed


def _folder_list(owner: str | None) -> list[Example]:
    folder = _folder()
    if not folder.is_dir():
        return []
    found = (_folder_read(path) for path in folder.glob("*.png") if not path.name.startswith("."))
    return [example for example in found if example is not None and owner in (None, example.owner)]


def _folder_owner(example_id: str) -> str | None:
    if not re.fullmatch(r"[0-9a-f]{32}", example_id or ""):
        return None
    example = _folder_read(_folder() / f"{example_id}.png")
    return None if example is None else example.owner


def _too_many() -> str:
    return f"You have {MAX_PER_OWNER} examples, the most one browser may keep: remove some before adding more."


# --- the database store: one row per example -----------------------------------------------------
metadata = sa.MetaData()
examples_table = sa.Table(
    "studio_examples",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("owner", sa.String(200), nullable=False, index=True),
    sa.Column("label", sa.SmallInteger, nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("created", sa.String(64), nullable=False),
    sa.Column("pixels", sa.LargeBinary, nullable=False),  # 784 bytes, row by row
)
_tables_ready: set[str] = set()
_lock = threading.Lock()


def _database() -> database.DatabaseStore | None:
    """The database store when a store URL is set (its table made once per process), else None."""
    url = store.store_url()
    if url is None:
        return None
    found = database.DatabaseStore(url, database.cache_folder(store.runs_folder(), url))
    if url not in _tables_ready:
        try:
            with found.connection(write=True) as connection:
                metadata.create_all(connection)
        except (sa.exc.ProgrammingError, sa.exc.IntegrityError):
            with found.connection() as connection:  # made by another process at the same moment: fine once there
                if not sa.inspect(connection).has_table(examples_table.name):
                    raise
        _tables_ready.add(url)
    return found


def _db_insert(found: database.DatabaseStore, example: Example) -> None:
    with found.connection(write=True) as connection:
        mine = connection.execute(
            sa.select(sa.func.count()).select_from(examples_table).where(examples_table.c.owner == example.owner)
        ).scalar()
        if mine >= MAX_PER_OWNER:
            raise ExampleError(_too_many())
        connection.execute(
            sa.insert(examples_table),
            {
                "id": example.example_id,
                "owner": example.owner,
                "label": example.label,
                "source": example.source,
                "created": example.created,
                "pixels": example.pixels.tobytes(),
            },
        )


def _db_list(found: database.DatabaseStore, owner: str | None) -> list[Example]:
    query = sa.select(examples_table)
    if owner is not None:
        query = query.where(examples_table.c.owner == owner)
    with found.connection() as connection:
        rows = connection.execute(query).all()
    return [
        Example(
            row.id,
            int(row.label),
            row.owner,
            row.source,
            row.created,
            np.frombuffer(row.pixels, np.uint8).reshape(IMAGE_SIDE, IMAGE_SIDE).copy(),
        )
        for row in rows
    ]


def _db_owner(found: database.DatabaseStore, example_id: str) -> str | None:
    with found.connection() as connection:
        return connection.execute(sa.select(examples_table.c.owner).where(examples_table.c.id == example_id)).scalar()


def _db_delete(found: database.DatabaseStore, example_id: str) -> None:
    with found.connection(write=True) as connection:
        connection.execute(sa.delete(examples_table).where(examples_table.c.id == example_id))


# --- zips and folders --------------------------------------------------------------------------
def to_zip(owner: str | None) -> bytes:
    """``owner``'s examples (None: everyone's) as a zip: one folder per class (``0-t-shirt-top/``...), one
    28x28 PNG per example, named by its id."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for example in list_examples(owner):
            archive.writestr(f"{folder_name(example.label)}/{example.example_id}.png", example.png())
    return buffer.getvalue()


def from_zip(owner: str, data: bytes, source: str = "upload") -> tuple[list[Example], list[str]]:
    """Add every picture of a zip laid out as ``to_zip`` writes it; (the examples added, one line per picture
    or folder that was not). A zip that cannot be read at all raises ExampleError."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
        members = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ExampleError(
            "This file is not a zip archive (or it is damaged): upload a .zip of class folders."
        ) from None
    if len(members) > MAX_ZIP_FILES:
        raise ExampleError(f"The zip holds {len(members):,} files; at most {MAX_ZIP_FILES:,} are read at once.")
    if sum(info.file_size for info in members) > MAX_ZIP_BYTES:
        raise ExampleError(f"The zip unpacks to more than {MAX_ZIP_BYTES // 2**20} MB; send fewer or smaller pictures.")
    with archive:
        pictures, problems = _read_pictures((info.filename, lambda info=info: archive.read(info)) for info in members)
    have = {(example.label, example.pixels.tobytes()) for example in list_examples(owner)}
    added = []
    for name, label, pixels in pictures:
        if (label, pixels.tobytes()) in have:
            problems.append(f"{name}: already in your examples; skipped.")
            continue
        try:
            added.append(add(owner, label, pixels, source))
        except ExampleError as error:
            problems.append(f"{name}: {error}")
            if str(error) == _too_many():
                break  # every later picture would be refused the same way
        have.add((label, pixels.tobytes()))
    return added, problems


def read_folder(path: str | os.PathLike) -> tuple[list[tuple[int, np.ndarray]], list[str]]:
    """(label, pixels) for every picture in ``path``'s class folders, and one line per file or folder that could
    not be used. ExampleError when ``path`` is no folder or holds no picture in a class folder."""
    named, problems = _folder_pictures(path)
    return [(label, pixels) for _, label, pixels in named], problems


def folder_examples(path: str | os.PathLike) -> tuple[list[Example], list[str]]:
    """``read_folder`` as examples (source "folder", owner ""), each named by its file's path under ``path``."""
    named, problems = _folder_pictures(path)
    return [new_example(label, pixels, "folder", example_id=name) for name, label, pixels in named], problems


def _folder_pictures(path: str | os.PathLike) -> tuple[list[tuple[str, int, np.ndarray]], list[str]]:
    root = Path(path)
    if not root.is_dir():
        raise ExampleError(f"{root} is not a folder: give a folder holding one sub-folder per class.")
    files = sorted(file for file in root.rglob("*") if file.is_file())
    named, problems = _read_pictures(
        (file.relative_to(root).as_posix(), lambda file=file: file.read_bytes()) for file in files
    )
    if not named:
        raise ExampleError(
            f"No pictures found in class folders under {root}"
            + (f" ({problems[0]})" if problems else "")
            + ". Put each class's pictures in a folder named 0-9 or by the class (coat, ankle-boot, ...)."
        )
    return named, problems


def _read_pictures(
    entries: Iterable[tuple[str, Callable[[], bytes]]],
) -> tuple[list[tuple[str, int, np.ndarray]], list[str]]:
    """(name, label, pixels) of each picture under a class folder, and one line per file or folder not used."""
    pictures, problems, bad_folders = [], [], set()
    for name, read in entries:
        parts = PurePosixPath(name).parts
        if any(part.startswith(".") or part == "__MACOSX" for part in parts):
            continue  # hidden files and the Finder's resource forks
        if len(parts) < 2:
            problems.append(f"{name}: not in a class folder; put it in a folder named by its class (e.g. coat/).")
            continue
        label = class_of_folder(parts[-2])
        if label is None:
            if parts[-2] not in bad_folders:
                bad_folders.add(parts[-2])
                problems.append(f"{parts[-2]}/: {_unknown_folder(parts[-2])}")
            continue
        if PurePosixPath(name).suffix.lower() not in PICTURE_SUFFIXES:
            problems.append(f"{name}: not a picture ({preprocess.FORMAT_NAMES} files are read).")
            continue
        try:
            pictures.append((name, label, picture_pixels(read())))
        except (ExampleError, preprocess.ImageError) as error:
            problems.append(f"{name}: {error}")
    return pictures, problems


def _unknown_folder(name: str) -> str:
    return f"no class is called {name!r}; name a class folder 0-9 or by its class: {', '.join(CLASS_NAMES)}."


def picture_pixels(data: bytes) -> np.ndarray:
    """A picture file -> its (28, 28) uint8 model input: a 28x28 picture with a dark border as it is (a model
    input, as ``to_zip`` writes it), any other prepared as Predict prepares an upload. ExampleError/ImageError."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.size == (IMAGE_SIDE, IMAGE_SIDE):
                gray = np.asarray(image.convert("L"), np.uint8)
                border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
                if float(border.mean()) < INK_LEVEL:
                    return as_pixels(gray)
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        pass  # the preprocessing says what is wrong with the file, in its words
    prepared = preprocess.preprocess(data)
    return as_pixels(np.round(prepared.image * 255.0))


def _png(pixels: np.ndarray, text: dict[str, str] | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(pixels, np.uint8), "L").save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()
