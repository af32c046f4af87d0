"""A student's examples: kept in the runs folder or the database store, theirs alone, a zip that goes out and comes
back, class folders named as people name them, and one clear line for each bad picture."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from core.models import store
from core.training import examples


def garment(seed: int, side: int = 28) -> np.ndarray:
    """A light blob on black, different for each seed: a picture a model could take."""
    rng = np.random.default_rng(seed)
    pixels = np.zeros((side, side), np.uint8)
    top, left = rng.integers(2, side // 3, 2)
    pixels[top : top + side // 2, left : left + side // 2] = rng.integers(120, 255)
    return pixels


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def outline_drawing(side: int = 128) -> bytes:
    """Black strokes on white, as an icon or a scanned drawing comes: an L."""
    image = np.full((side, side), 255, np.uint8)
    image[30:100, 40:46] = image[94:100, 40:100] = 0
    return png(image)


@pytest.fixture
def folder_store(tmp_path, monkeypatch):
    """An empty runs folder as the store (no database)."""
    monkeypatch.setenv(store.ENV_RUNS_DIR, str(tmp_path / "runs"))
    monkeypatch.delenv(store.ENV_STORE_URL, raising=False)
    return tmp_path / "runs"


def keeps_examples_apart_by_owner() -> None:
    """What both stores must do: add, list per owner and for the teacher, refuse another's removal."""
    mine = examples.add("student-a", 4, garment(1)[None].astype(np.float32), "sketch")  # model_input()'s shape
    examples.add("student-a", "ankle_boot", garment(2), "upload")
    theirs = examples.add("student-b", 0, garment(3), "camera")
    assert [e.label for e in examples.list_examples("student-a")] == [4, 9]
    assert {e.example_id for e in examples.list_examples(None)} == {
        mine.example_id,
        theirs.example_id,
        *(e.example_id for e in examples.list_examples("student-a")),
    }
    assert examples.list_examples("student-c") == []
    assert examples.owners() == ["student-a", "student-b"]
    kept = next(e for e in examples.list_examples("student-a") if e.example_id == mine.example_id)
    assert np.array_equal(kept.pixels, garment(1)) and kept.source == "sketch" and kept.class_name == "Coat"
    with pytest.raises(PermissionError, match="another browser"):
        examples.remove(mine.example_id, owner="student-b")
    examples.remove(mine.example_id, owner="student-a")
    examples.remove(theirs.example_id)  # the teacher may remove anyone's
    assert [e.label for e in examples.list_examples(None)] == [9]
    with pytest.raises(examples.ExampleError, match="gone already"):
        examples.remove(mine.example_id)


def test_the_runs_folder_keeps_examples_where_no_run_listing_sees_them(folder_store):
    keeps_examples_apart_by_owner()
    assert (folder_store / examples.FOLDER).is_dir()
    assert store.list_artifacts([folder_store]) == []  # the hidden folder is never taken for a run


def test_the_database_store_keeps_examples_in_its_own_table(store_url):
    keeps_examples_apart_by_owner()
    assert not (store.runs_folder() / examples.FOLDER).exists()  # nothing went to a folder that would vanish


def test_an_unreachable_database_says_where_examples_go(monkeypatch, tmp_path):
    monkeypatch.setenv(store.ENV_RUNS_DIR, str(tmp_path))
    monkeypatch.setenv(store.ENV_STORE_URL, "postgresql://nobody:secret@127.0.0.1:9/none")
    with pytest.raises(store.StoreUnavailable, match="does not answer") as refused:
        examples.add("student-a", 1, garment(1), "sketch")
    assert "secret" not in str(refused.value)


def test_a_zip_goes_out_in_class_folders_and_comes_back_whole(folder_store):
    added = [examples.add("student-a", label, garment(seed), "sketch") for seed, label in enumerate((0, 4, 4, 9))]
    data = examples.to_zip("student-a")
    names = sorted(zipfile.ZipFile(io.BytesIO(data)).namelist())
    assert names == sorted(f"{examples.folder_name(e.label)}/{e.example_id}.png" for e in added)
    assert [name.split("/")[0] for name in names] == ["0-t-shirt-top", "4-coat", "4-coat", "9-ankle-boot"]
    # sorted folder names are the class order, as keras.utils.image_dataset_from_directory labels them
    assert sorted(examples.folder_name(label) for label in range(10)) == [examples.folder_name(i) for i in range(10)]

    back, problems = examples.from_zip("student-b", data)
    assert problems == []
    assert sorted((e.label, e.pixels.tobytes()) for e in back) == sorted((e.label, e.pixels.tobytes()) for e in added)
    assert {e.owner for e in back} == {"student-b"}
    again, problems = examples.from_zip("student-b", data)  # the same zip twice adds nothing twice
    assert again == [] and len(problems) == 4 and all("already in your examples" in line for line in problems)


def test_class_folders_are_read_by_index_or_name_whatever_the_case_and_punctuation():
    for name, label in {
        "0": 0,
        "t-shirt-top": 0,
        "T-Shirt_Top": 0,
        "Trouser": 1,
        "trousers": 1,
        "ankle_boot": 9,
        "Ankle Boots": 9,
        "9-ankle-boot": 9,
        "4 coat": 4,
    }.items():
        assert examples.class_of_folder(name) == label, name
    for name in ("10", "shoes", "3-coat", "", "hat"):
        assert examples.class_of_folder(name) is None, name


def test_a_folder_of_drawings_is_read_as_predict_prepares_each_picture(tmp_path):
    (tmp_path / "coat").mkdir()
    (tmp_path / "coat" / "drawn.png").write_bytes(outline_drawing())
    (tmp_path / "9").mkdir()
    (tmp_path / "9" / "input.png").write_bytes(png(garment(5)))  # a 28x28 model input is taken as it is
    (tmp_path / "shoes").mkdir()
    (tmp_path / "shoes" / "a.png").write_bytes(png(garment(6)))
    (tmp_path / "Trouser").mkdir()
    (tmp_path / "Trouser" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    (tmp_path / "Trouser" / "blank.png").write_bytes(png(np.zeros((28, 28), np.uint8)))
    (tmp_path / "Trouser" / "notes.txt").write_text("my trousers")
    (tmp_path / "loose.png").write_bytes(png(garment(7)))

    found, problems = examples.read_folder(tmp_path)
    by_label = dict(found)
    assert sorted(by_label) == [4, 9]
    assert np.array_equal(by_label[9], garment(5))
    drawn = by_label[4]
    assert drawn.shape == (28, 28) and drawn.dtype == np.uint8
    assert drawn[0, -1] < 32 and drawn.max() > 200  # a light L on black, like the dataset: the drawing was negated
    text = "\n".join(problems)
    assert "shoes/: no class is called 'shoes'" in text
    assert "Trouser/broken.png: The PNG file is damaged" in text
    assert "Trouser/blank.png: The picture is blank" in text
    assert "Trouser/notes.txt: not a picture" in text
    assert "loose.png: not in a class folder" in text
    assert len(problems) == 5


def test_bad_examples_get_one_clear_line(folder_store):
    with pytest.raises(examples.ExampleError, match="blank"):
        examples.add("student-a", 2, np.zeros((1, 28, 28), np.float32), "sketch")
    with pytest.raises(examples.ExampleError, match="28x28"):
        examples.add("student-a", 2, np.ones((64, 64)), "upload")
    with pytest.raises(examples.ExampleError, match="0 to 255"):
        examples.add("student-a", 2, garment(1) * 2.0, "upload")
    with pytest.raises(examples.ExampleError, match="Unknown class 'hat'"):
        examples.add("student-a", "hat", garment(1), "upload")
    with pytest.raises(examples.ExampleError, match="0-9"):
        examples.add("student-a", 10, garment(1), "upload")
    with pytest.raises(examples.ExampleError, match="Unknown source"):
        examples.add("student-a", 1, garment(1), "scanner")
    with pytest.raises(examples.ExampleError, match="not a zip"):
        examples.from_zip("student-a", b"PK\x03\x04 but cut off")
    with pytest.raises(examples.ExampleError, match="not a folder"):
        examples.read_folder(folder_store / "missing")
    assert examples.list_examples(None) == []


def test_one_browser_keeps_at_most_its_share(folder_store, monkeypatch):
    monkeypatch.setattr(examples, "MAX_PER_OWNER", 2)
    examples.add("student-a", 1, garment(1), "sketch")
    examples.add("student-a", 1, garment(2), "sketch")
    with pytest.raises(examples.ExampleError, match="remove some"):
        examples.add("student-a", 1, garment(3), "sketch")
    examples.add("student-b", 1, garment(3), "sketch")  # another browser has its own share
