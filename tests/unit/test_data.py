"""core.data on small IDX files written here, and on the real dataset."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from core import data


def write_idx_set(
    folder: Path,
    n_train: int = 12,
    n_test: int = 5,
    *,
    image_magic: int = data.IMAGES_MAGIC,
    label_magic: int = data.LABELS_MAGIC,
    labels_count_delta: int = 0,
    bad_label: int | None = None,
    truncate_train_images: int = 0,
) -> dict[str, np.ndarray]:
    """Write the four gzip IDX files with random content; returns what was written."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for split, count in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
        labels = (np.arange(count + labels_count_delta) % 10).astype(np.uint8)
        if bad_label is not None:
            labels[0] = bad_label
        image_bytes = struct.pack(">IIII", image_magic, count, 28, 28) + images.tobytes()
        if split == "train" and truncate_train_images:
            image_bytes = image_bytes[:-truncate_train_images]
        label_bytes = struct.pack(">II", label_magic, len(labels)) + labels.tobytes()
        (folder / f"{split}-images-idx3-ubyte.gz").write_bytes(gzip.compress(image_bytes))
        (folder / f"{split}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(label_bytes))
        written[split] = images
        written[f"{split}_labels"] = labels
    return written


def test_good_small_files_round_trip(tmp_path):
    written = write_idx_set(tmp_path)
    loaded = data.load_from_dir(tmp_path, verify_checksums=False)
    assert loaded.x_train.shape == (12, 28, 28) and loaded.x_train.dtype == np.uint8
    assert loaded.x_test.shape == (5, 28, 28)
    np.testing.assert_array_equal(loaded.x_train, written["train"])
    np.testing.assert_array_equal(loaded.y_test, written["t10k_labels"])


def test_small_files_fail_checksum_verification(tmp_path):
    write_idx_set(tmp_path)
    with pytest.raises(data.DataFileError, match="checksum"):
        data.load_from_dir(tmp_path)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"truncate_train_images": 100}, "header promises 12 images"),
        ({"image_magic": 2049}, "magic number 2049, expected 2051"),
        ({"label_magic": 2051}, "magic number 2051, expected 2049"),
        ({"labels_count_delta": 1}, "12 images but 13 labels"),
        ({"bad_label": 10}, "label 10 is outside 0-9"),
    ],
)
def test_bad_files_are_refused_with_the_reason(tmp_path, kwargs, message):
    write_idx_set(tmp_path, **kwargs)
    with pytest.raises(data.DataFileError, match=message):
        data.load_from_dir(tmp_path, verify_checksums=False)


def test_not_gzip_and_missing_file(tmp_path):
    write_idx_set(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"this is not gzip")
    with pytest.raises(data.DataFileError, match="not a readable gzip file"):
        data.load_from_dir(tmp_path, verify_checksums=False)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte.gz is missing"):
        data.load_from_dir(tmp_path, verify_checksums=False)


def test_too_short_headers():
    with pytest.raises(data.DataFileError, match="too short"):
        data.parse_images(b"\x00\x00\x08\x03")
    with pytest.raises(data.DataFileError, match="too short"):
        data.parse_labels(b"")


def _isolate_search(monkeypatch, tmp_path: Path, env_dir: Path) -> None:
    monkeypatch.setenv(data.ENV_DIR, str(env_dir))
    monkeypatch.setenv(data.ENV_SYSTEM_DIR, str(tmp_path / "no-system"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "no-keras"))
    monkeypatch.setenv(data.ENV_NO_DOWNLOAD, "1")


def test_nothing_found_names_every_place_and_the_fix(monkeypatch, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    _isolate_search(monkeypatch, tmp_path, empty)
    with pytest.raises(data.DatasetNotFoundError) as caught:
        data.load()
    message = str(caught.value)
    places = [place for place, _ in caught.value.attempts]
    assert len(places) == 4
    assert str(empty) in message and "no-system" in message and "no-keras" in message
    assert "download through Keras" in message
    assert "apt-get install dataset-fashion-mnist" in message and data.ENV_DIR in message


def test_env_dir_with_corrupt_copy_falls_through_to_the_next_place(monkeypatch, tmp_path):
    """A corrupt file in the first place is reported, and a good copy further down is used."""
    bad = tmp_path / "bad"
    write_idx_set(bad)  # right format, wrong content: fails the checksum
    _isolate_search(monkeypatch, tmp_path, bad)
    monkeypatch.setenv(data.ENV_SYSTEM_DIR, str(data.DEBIAN_DIR))
    loaded = data.load()
    assert loaded.source.startswith("Debian package")


def test_real_dataset_shapes_labels_and_speed(dataset):
    assert dataset.x_train.shape == (60000, 28, 28) and dataset.x_train.dtype == np.uint8
    assert dataset.y_train.shape == (60000,) and dataset.x_test.shape == (10000, 28, 28)
    assert dataset.y_test.shape == (10000,)
    assert np.bincount(dataset.y_train).tolist() == [6000] * 10
    assert np.bincount(dataset.y_test).tolist() == [1000] * 10
    assert dataset.class_names[6] == "Shirt" and len(dataset.class_names) == 10
    # The first test label of the published set is an ankle boot (9), the first train label too.
    assert dataset.y_test[0] == 9 and dataset.y_train[0] == 9


def test_sample_indices_and_mean_images(dataset):
    indices = data.sample_indices(dataset.y_train, 5, seed=3)
    assert indices.shape == (10, 5)
    for label, row in enumerate(indices):
        assert (dataset.y_train[row] == label).all()
    np.testing.assert_array_equal(indices, data.sample_indices(dataset.y_train, 5, seed=3))
    means = data.mean_images(dataset.x_train, dataset.y_train)
    assert means.shape == (10, 28, 28)
    # Trousers leave a dark gap between the legs; bags are wide: their means differ clearly
    assert abs(means[1].mean() - means[8].mean()) > 5
