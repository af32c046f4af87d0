"""Find, verify and parse the four original Fashion-MNIST IDX files.

Search order (first complete, verified set wins):
1. the directory named by ``FASHION_MNIST_DIR``;
2. ``/usr/share/datasets/fashion-mnist`` (Debian package ``dataset-fashion-mnist``);
3. Keras's dataset cache (``~/.keras/datasets/fashion-mnist``);
4. a download through Keras, unless ``FASHION_MNIST_NO_DOWNLOAD=1``.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ENV_DIR = "FASHION_MNIST_DIR"
ENV_NO_DOWNLOAD = "FASHION_MNIST_NO_DOWNLOAD"
ENV_SYSTEM_DIR = "FASHION_MNIST_SYSTEM_DIR"  # where the Debian package lives; tests move it
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")

CLASS_NAMES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
IMAGE_SIDE = 28
IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension


@dataclass(frozen=True)
class IdxFile:
    name: str
    kind: str  # "images" or "labels"
    count: int
    published_gzip_md5: str
    # The published MD5s are of the .gz wrappers, which differ between mirrors that
    # recompress (Debian does); the SHA-256 of the decompressed IDX bytes does not.
    payload_sha256: str


FILES: dict[str, IdxFile] = {
    "train_images": IdxFile(
        "train-images-idx3-ubyte.gz",
        "images",
        60_000,
        "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    ),
    "train_labels": IdxFile(
        "train-labels-idx1-ubyte.gz",
        "labels",
        60_000,
        "25c81989df183df01b3e8a0aad5dffbe",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    ),
    "test_images": IdxFile(
        "t10k-images-idx3-ubyte.gz",
        "images",
        10_000,
        "bef4ecab320f06d8554ea6380940ec79",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    ),
    "test_labels": IdxFile(
        "t10k-labels-idx1-ubyte.gz",
        "labels",
        10_000,
        "bb300cfdad3c16e7a12a480ee83fd310",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ),
}

FIX_HINT = (
    "Install the Debian/Ubuntu package `dataset-fashion-mnist` "
    "(`sudo apt-get install dataset-fashion-mnist`), or point the environment variable "
    f"`{ENV_DIR}` at a folder holding the four original files: " + ", ".join(f.name for f in FILES.values()) + "."
)


class DataFileError(ValueError):
    """One IDX file is unreadable or not what Fashion-MNIST publishes."""


class DatasetNotFoundError(RuntimeError):
    """No place held a complete, valid copy; ``attempts`` says what each place gave."""

    def __init__(self, attempts: list[tuple[str, str]]):
        self.attempts = attempts
        tried = "; ".join(f"{place}: {reason}" for place, reason in attempts)
        super().__init__(f"Fashion-MNIST not found. Tried {tried}. Fix: {FIX_HINT}")


@dataclass(frozen=True, eq=False)
class FashionMNIST:
    x_train: np.ndarray  # (60000, 28, 28) uint8
    y_train: np.ndarray  # (60000,) uint8
    x_test: np.ndarray  # (10000, 28, 28) uint8
    y_test: np.ndarray  # (10000,) uint8
    source: str  # where the files were found, for display and provenance

    class_names: tuple[str, ...] = CLASS_NAMES


def parse_images(raw: bytes, name: str = "images") -> np.ndarray:
    """Parse an uncompressed IDX3 image file into a (n, 28, 28) uint8 array."""
    if len(raw) < 16:
        raise DataFileError(f"{name}: only {len(raw)} bytes, too short for an IDX image header")
    magic, count, rows, cols = struct.unpack(">IIII", raw[:16])
    if magic != IMAGES_MAGIC:
        raise DataFileError(f"{name}: magic number {magic}, expected {IMAGES_MAGIC} (IDX images)")
    if (rows, cols) != (IMAGE_SIDE, IMAGE_SIDE):
        raise DataFileError(f"{name}: images are {rows}x{cols}, expected 28x28")
    expected = 16 + count * rows * cols
    if len(raw) != expected:
        raise DataFileError(
            f"{name}: header promises {count} images ({expected} bytes) but the file has {len(raw)} bytes"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(count, rows, cols)


def parse_labels(raw: bytes, name: str = "labels") -> np.ndarray:
    """Parse an uncompressed IDX1 label file into a (n,) uint8 array of 0-9."""
    if len(raw) < 8:
        raise DataFileError(f"{name}: only {len(raw)} bytes, too short for an IDX label header")
    magic, count = struct.unpack(">II", raw[:8])
    if magic != LABELS_MAGIC:
        raise DataFileError(f"{name}: magic number {magic}, expected {LABELS_MAGIC} (IDX labels)")
    if len(raw) != 8 + count:
        raise DataFileError(f"{name}: header promises {count} labels but the file has {len(raw) - 8}")
    labels = np.frombuffer(raw, dtype=np.uint8, offset=8)
    if labels.size and labels.max() >= len(CLASS_NAMES):
        raise DataFileError(f"{name}: label {int(labels.max())} is outside 0-9")
    return labels


def _read_gzip(path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as handle:
            return handle.read()
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise DataFileError(f"{path.name}: not a readable gzip file ({error})") from error


def _verify_checksum(path: Path, raw: bytes, spec: IdxFile) -> None:
    if hashlib.sha256(raw).hexdigest() == spec.payload_sha256:
        return
    if hashlib.md5(path.read_bytes()).hexdigest() == spec.published_gzip_md5:
        return
    raise DataFileError(f"{path.name}: checksum does not match the published Fashion-MNIST file")


def load_from_dir(directory: Path | str, *, verify_checksums: bool = True) -> FashionMNIST:
    """Load and check the four files in ``directory``.

    ``verify_checksums=False`` keeps every structural check (magic, dimensions, counts,
    labels) but accepts any number of examples: for small files made in tests.
    """
    directory = Path(directory)
    arrays: dict[str, np.ndarray] = {}
    for key, spec in FILES.items():
        path = directory / spec.name
        if not path.is_file():
            raise FileNotFoundError(f"{spec.name} is missing")
        raw = _read_gzip(path)
        if verify_checksums:
            _verify_checksum(path, raw, spec)
        parse = parse_images if spec.kind == "images" else parse_labels
        arrays[key] = parse(raw, spec.name)
        if verify_checksums and len(arrays[key]) != spec.count:
            raise DataFileError(f"{spec.name}: {len(arrays[key])} examples, expected {spec.count}")
    for split in ("train", "test"):
        n_images, n_labels = len(arrays[f"{split}_images"]), len(arrays[f"{split}_labels"])
        if n_images != n_labels:
            raise DataFileError(f"{split} split: {n_images} images but {n_labels} labels")
    return FashionMNIST(
        x_train=arrays["train_images"],
        y_train=arrays["train_labels"],
        x_test=arrays["test_images"],
        y_test=arrays["test_labels"],
        source=str(directory),
    )


def candidate_dirs() -> list[tuple[str, Path]]:
    """The places searched, in order, as (description, directory)."""
    places = []
    if os.environ.get(ENV_DIR):
        places.append((f"${ENV_DIR}", Path(os.environ[ENV_DIR])))
    places.append(("Debian package dataset-fashion-mnist", Path(os.environ.get(ENV_SYSTEM_DIR) or DEBIAN_DIR)))
    places.append(("Keras cache", keras_cache_dir()))
    return places


def keras_cache_dir() -> Path:
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras") / "datasets" / "fashion-mnist"


def _download_with_keras() -> Path:
    """Let Keras fetch the files into its cache; returns that cache directory."""
    import socket

    from keras.utils import get_file

    base = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(15)
    try:
        for spec in FILES.values():
            get_file(spec.name, origin=base + spec.name, cache_subdir="datasets/fashion-mnist")
    finally:
        socket.setdefaulttimeout(previous)
    return keras_cache_dir()


def load() -> FashionMNIST:
    """Load Fashion-MNIST from the first place that has a complete, valid copy.

    Raises DatasetNotFoundError naming every place tried and the fix.
    """
    attempts: list[tuple[str, str]] = []
    for description, directory in candidate_dirs():
        label = f"{description} ({directory})"
        if not directory.is_dir():
            attempts.append((label, "no such folder"))
            continue
        try:
            dataset = load_from_dir(directory)
        except (OSError, DataFileError) as error:
            attempts.append((label, str(error)))
            continue
        return FashionMNIST(dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test, label)
    if os.environ.get(ENV_NO_DOWNLOAD, "") in ("1", "true", "yes"):
        attempts.append(("download through Keras", f"disabled by {ENV_NO_DOWNLOAD}"))
    else:
        try:
            directory = _download_with_keras()
            dataset = load_from_dir(directory)
            return FashionMNIST(
                dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test, f"Keras download ({directory})"
            )
        except Exception as error:  # any network or file failure means "not here"
            attempts.append(("download through Keras", f"{type(error).__name__}: {error}"))
    raise DatasetNotFoundError(attempts)


def sample_indices(labels: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """(10, per_class) indices of random examples of each class, reproducible by seed."""
    rng = np.random.default_rng(seed)
    return np.stack(
        [rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in range(len(CLASS_NAMES))]
    )


def mean_images(images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(10, 28, 28) mean image of each class, float 0-255."""
    return np.stack([images[labels == c].mean(axis=0) for c in range(len(CLASS_NAMES))])
