"""The Teach page, Predict's "Add to my examples" and the Teacher's class examples through AppTest: examples are
added through core (or the page), shown per class, removed, zipped both ways; too few to teach is said; teaching
runs through the real queue to its before/after."""

from __future__ import annotations

import secrets
import shutil
import sys
import time
import types

import numpy as np
import pytest
from PIL import Image, ImageDraw
from streamlit.testing.v1 import AppTest

from core.models import store
from core.predict import preprocess
from core.training import examples as kept
from core.training import teach
from tests.conftest import REPO_ROOT
from ui import predict, teacher
from ui.shared import crop, examples, identity, widgets

TEACHER_SECRET = "apptest-teacher-secret"


def visitor(page: str, token: str, before=None) -> AppTest:
    """A browser (its cookie's token) opening ``app_pages/<page>.py``; ``before(at)`` sets session state first."""
    at = AppTest.from_file(str(REPO_ROOT / "studio.py"), default_timeout=120)
    at.session_state[identity._SESSION_KEY] = token
    at.run()
    if before is not None:
        before(at)
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [item.value for item in at.exception]
    return at


def new_browser() -> tuple[str, str]:
    token = secrets.token_hex(16)
    return token, identity.owner_of(token)


def add(owner: str, label: int, count: int, dataset) -> list[kept.Example]:
    """``count`` test images of a class as this browser's examples (as if drawn on Predict)."""
    indices = np.flatnonzero(dataset.y_test == label)[:count]
    return [kept.add(owner, label, dataset.x_test[index], "sketch") for index in indices]


def texts(at: AppTest, *kinds: str) -> str:
    return "\n".join(str(element.value) for kind in kinds for element in getattr(at, kind))


def image_alts(at: AppTest) -> list[str]:
    return [image.alt for images in at.get("image") for image in images.proto.imgs]


def test_the_grid_shows_each_class_and_removes_one(dataset):
    _, other = new_browser()
    theirs = add(other, 0, 1, dataset)[0]
    token, owner = new_browser()
    coats, bags = add(owner, 4, 3, dataset), add(owner, 8, 2, dataset)
    at = visitor("teach", token)
    shown = texts(at, "markdown", "caption")
    assert "**Coat** · 3" in shown and "**Bag** · 2" in shown
    assert "5 example(s): 3 Coat, 2 Bag." in shown
    alts = [alt for alt in image_alts(at) if alt.startswith("Example")]
    assert len(alts) == 5 and "Example 1 of Coat: a drawing, added " in alts[0]

    at.button(key=f"mine-remove-{coats[1].example_id}").click().run()
    assert not at.exception
    kept_ids = {example.example_id for example in kept.list_examples(owner)}
    assert kept_ids == {coats[0].example_id, coats[2].example_id, *(bag.example_id for bag in bags)}
    assert "**Coat** · 2" in texts(at, "markdown")
    # must NOT happen: another browser's example listed or removable here
    keys = {button.key for button in at.button}
    assert f"mine-remove-{theirs.example_id}" not in keys and f"mine-remove-{coats[1].example_id}" not in keys
    assert len(kept.list_examples(other)) == 1


def test_too_few_examples_say_how_many_more_and_teach_stays_off(dataset):
    token, owner = new_browser()
    at = visitor("teach", token)
    assert "No examples yet" in texts(at, "info")
    assert at.button(key="teach-start").disabled

    add(owner, 4, 4, dataset)
    at.run()
    assert "Teaching needs at least 6 examples; you have 4: add 2 more." in texts(at, "info")
    assert at.button(key="teach-start").disabled
    # must NOT happen: a job queued for this browser
    assert teach.TeachJob not in {type(job) for job in predict_queue_jobs(owner)}


def predict_queue_jobs(owner: str) -> list:
    from core.training import fair_queue

    return [job for job in fair_queue.default_queue().all_jobs() if job.owner == owner]


def test_the_zip_goes_down_and_comes_back_up_in_another_browser(dataset):
    _, first = new_browser()
    add(first, 9, 2, dataset)
    add(first, 1, 1, dataset)
    zipped = kept.to_zip(first)
    token, owner = new_browser()
    at = visitor("teach", token)
    assert at.download_button(key="mine-zip").disabled  # nothing to download yet

    at.file_uploader(key="examples-zip").set_value(("class-folders.zip", zipped, "application/zip")).run()
    at.button(key="examples-zip-add").click().run()
    assert not at.exception
    assert "Added 3 example(s) from class-folders.zip." in texts(at, "success")
    assert sorted(example.label for example in kept.list_examples(owner)) == [1, 9, 9]
    assert "**Ankle boot** · 2" in texts(at, "markdown")
    assert at.download_button(key="mine-zip").label == "⬇ Download your 3 example(s) (.zip)"
    assert not at.download_button(key="mine-zip").disabled

    at.file_uploader(key="examples-zip").set_value(("broken.zip", b"PK\x03\x04 not really", "application/zip")).run()
    at.button(key="examples-zip-add").click().run()
    assert not at.exception  # a one-line message, never a traceback
    assert len(at.error) == 1 and "zip" in at.error[0].value.lower()
    assert len(kept.list_examples(owner)) == 3


class FakeCanvas:
    """Stands in for streamlit_drawable_canvas (it needs a browser): returns two thick trouser legs."""

    @staticmethod
    def st_canvas(**_):
        image = Image.new("L", (280, 280), 0)
        draw = ImageDraw.Draw(image)
        draw.rectangle((95, 30, 185, 80), fill=255)
        draw.polygon([(95, 80), (135, 80), (130, 260), (100, 260)], fill=255)
        draw.polygon([(145, 80), (185, 80), (180, 260), (150, 260)], fill=255)
        gray = np.asarray(image)
        pixels = np.dstack([gray, gray, gray, np.full_like(gray, 255)])
        return types.SimpleNamespace(image_data=pixels, json_data={"objects": [{"type": "path"}]})


@pytest.fixture
def one_shipped_model(monkeypatch, tmp_path):
    """Predict asks only MLP 128 (a copy of the shipped one): no test waits for eleven models to load."""
    shipped = tmp_path / "shipped"
    shutil.copytree(store.SHIPPED_DIR / "mlp_128", shipped / "mlp_128")
    monkeypatch.setattr(store, "SHIPPED_DIR", shipped)
    module = types.ModuleType("streamlit_drawable_canvas")
    module.st_canvas = FakeCanvas.st_canvas
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", module)


def test_predict_adds_the_drawing_the_models_saw(one_shipped_model):
    token, owner = new_browser()
    at = visitor("predict", token, lambda at: at.session_state.__setitem__(predict.SOURCE_KEY, widgets.DRAW))
    choice = at.selectbox(key=examples.ADD_CLASS_KEY)
    assert choice.value is None and at.button(key="add-example-button").disabled  # nothing preselected
    assert kept.list_examples(owner) == []

    choice.set_value(1).run()
    at.button(key="add-example-button").click().run()
    assert not at.exception
    assert "Added to your examples as **Trouser** (1 of that class)." in texts(at, "success")
    (example,) = kept.list_examples(owner)
    assert (example.label, example.source, example.pixels.shape) == (1, "sketch", (28, 28))
    assert example.pixels.max() > 200  # the light-on-black model input, not the raw canvas

    # must NOT happen: a dataset test image offered as one's own example
    at.session_state[predict.SOURCE_KEY] = widgets.TEST_IMAGE
    at.run()
    assert not at.exception
    assert examples.ADD_CLASS_KEY not in {box.key for box in at.selectbox}


def test_an_upload_and_a_camera_photo_are_kept_with_where_they_came_from(one_shipped_model, dataset):
    token, owner = new_browser()
    photo = ("boot.jpg", preprocess.render_as_photo(dataset.x_test[0]), "image/jpeg")  # an ankle boot, dark on white
    at = visitor("predict", token, lambda at: at.session_state.__setitem__(predict.SOURCE_KEY, widgets.UPLOAD))
    at.file_uploader(key=predict.UPLOAD_KEY).set_value(photo).run()
    at.selectbox(key=examples.ADD_CLASS_KEY).set_value(9).run()
    at.button(key="add-example-button").click().run()
    at.session_state[predict.SOURCE_KEY] = crop.CAMERA
    at.run()
    at.camera_input(key="predict_camera").set_value(photo).run()
    at.selectbox(key=examples.ADD_CLASS_KEY).set_value(9).run()
    at.button(key="add-example-button").click().run()
    assert not at.exception
    assert "Added to your examples as **Ankle boot** (2 of that class)." in texts(at, "success")
    assert sorted((example.label, example.source) for example in kept.list_examples(owner)) == [
        (9, "camera"),
        (9, "upload"),
    ]


def test_the_teacher_sees_every_students_examples_and_removes_one(dataset, monkeypatch):
    monkeypatch.setenv(teacher.ENV_SECRET, TEACHER_SECRET)
    students = [new_browser()[1] for _ in range(2)]
    first = add(students[0], 4, 2, dataset)
    second = add(students[1], 7, 1, dataset)
    at = visitor("teacher", secrets.token_hex(16))
    at.text_input[0].set_value(TEACHER_SECRET)
    at.button[0].click().run()
    assert not at.exception
    keys = {button.key for button in at.button}
    for owner, theirs in zip(students, (first, second), strict=True):
        assert {f"class-{owner[:12]}-remove-{example.example_id}" for example in theirs} <= keys
        assert f"Browser `{owner[:6]}`** · {len(theirs)} example(s)" in texts(at, "markdown")

    at.button(key=f"class-{students[0][:12]}-remove-{first[0].example_id}").click().run()
    assert not at.exception
    assert [example.example_id for example in kept.list_examples(students[0])] == [first[1].example_id]
    assert len(kept.list_examples(students[1])) == 1  # must NOT happen: another student's example touched
    assert at.download_button(key="class-examples-zip").label.startswith("⬇ Download all ")


@pytest.mark.slow
def test_teaching_queues_a_job_and_shows_the_before_and_after(dataset):
    token, owner = new_browser()
    add(owner, 4, 4, dataset)
    add(owner, 8, 4, dataset)
    at = visitor("teach", token)
    at.selectbox(key="teach_base").set_value("mlp_128").run()
    at.button(key="teach-start").click().run()
    assert not at.exception and not at.error
    deadline = time.monotonic() + 180
    while "Before and after" not in texts(at, "subheader"):
        assert time.monotonic() < deadline, texts(at, "error", "warning")
        time.sleep(0.5)
        at.run()
        assert not at.exception
    (taught,) = [a for a in store.list_artifacts([store.runs_dir()]) if a.meta and a.meta.owner == owner]
    assert taught.model_id.startswith("mlp_128-taught")  # the name suggested from the base
    assert taught.meta.notes["origin"] == teach.ORIGIN and taught.meta.notes["base_model_id"] == "mlp_128"
    report = teach.report_of(taught)
    held = len(report.answers)
    assert held >= 2
    assert texts(at, "metric").startswith(f"{report.held_back_right_after} of {held}")
    assert f"On the {held} picture(s) of yours it never learned from" in texts(at, "markdown")
    held_alts = [alt for alt in image_alts(at) if alt.startswith("Held-back")]
    assert len(held_alts) == held and "the base model said" in held_alts[0]
