"""The Predict page through AppTest: the real script with real models; the canvas itself is replaced
by a stand-in that returns a drawing (the real one needs a browser: see tests/e2e/test_predict.py)."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import sys
import types

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import streamlit
from PIL import Image, ImageDraw
from streamlit.testing.v1 import AppTest

from core.data import CLASS_NAMES
from core.models import store
from core.predict import inference, preprocess
from core.understand import vote
from tests import photo_scenes
from tests.conftest import REPO_ROOT
from tests.unit import bad_inputs
from ui import predict
from ui.shared import crop, identity, images

DRAW, UPLOAD, TEST_IMAGE, CAMERA = "✏️ Draw", "📁 Upload", "🎲 Test image", "📷 Camera"


BROWSER = "0123456789abcdef0123456789abcdef"  # this test browser's cookie token: the runs below are its own


def own(folder) -> None:
    """Make a copied run this browser's, as if the visitor had trained it in the app."""
    meta = store.ModelMeta.from_json((folder / store.META_FILE).read_text())
    (folder / store.META_FILE).write_text(dataclasses.replace(meta, owner=identity.owner_of(BROWSER)).to_json())


@pytest.fixture
def runs(tiny_model, tmp_path, monkeypatch):
    """The tiny model and a damaged copy of it, both this browser's; shipped models hidden so the page
    sees exactly these."""
    root = tmp_path / "runs"
    own(shutil.copytree(tiny_model.path, root / tiny_model.model_id))
    damaged = shutil.copytree(tiny_model.path, root / "damaged")
    own(damaged)
    (damaged / store.MODEL_FILE).write_bytes((damaged / store.MODEL_FILE).read_bytes()[:500])
    monkeypatch.setenv(store.ENV_RUNS_DIR, str(root))
    monkeypatch.setattr(store, "SHIPPED_DIR", tmp_path / "no-shipped-models")
    return root


def open_page(source: str | None = None) -> AppTest:
    at = AppTest.from_file(str(REPO_ROOT / "studio.py"), default_timeout=120)
    at.session_state[identity._SESSION_KEY] = BROWSER  # what the cookie would give back
    at.run()
    if source is not None:
        at.session_state[predict.SOURCE_KEY] = source
    at.switch_page("app_pages/predict.py").run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    parts = [
        e.value for kind in ("markdown", "caption", "success", "info", "warning", "error") for e in getattr(at, kind)
    ]
    return "\n".join(str(part) for part in parts)


def shows_predictions_for(at: AppTest, display_name: str) -> bool:
    return "#### Predictions" in texts(at) and f"**{display_name}**" in texts(at)


class FakeCanvas:
    """Stands in for streamlit_drawable_canvas: records its arguments, returns a drawing or nothing."""

    def __init__(self):
        self.calls: list[dict] = []
        self.drawing: np.ndarray | None = None
        self.dragged: tuple[float, float, float, float] | None = None  # a box to drag, (left, top, right, bottom)

    def crop_canvas(self, **kwargs):
        """What the real canvas does when a box is dragged on it: its drawing (the box it was given and the new
        one) goes into the session under its key, then the page's callback runs."""
        if self.dragged is not None:
            left, top, right, bottom = self.dragged
            self.dragged = None
            dragged = {"type": "LabeledRect", "left": left, "top": top, "width": right - left, "height": bottom - top}
            objects = [*kwargs["initial_drawing"]["objects"], dragged]
            streamlit.session_state[kwargs["key"]] = {"drawing": {"raw": {"objects": objects}}}
            kwargs["on_change"]()
        return types.SimpleNamespace(image_data=None, json_data=kwargs["initial_drawing"])

    def st_canvas(self, **kwargs):
        self.calls.append(kwargs)
        if kwargs["drawing_mode"] == "labeled_rect":  # the crop by hand's canvas
            return self.crop_canvas(**kwargs)
        if self.drawing is None:
            return types.SimpleNamespace(image_data=None, json_data={"objects": []})
        return types.SimpleNamespace(image_data=self.drawing, json_data={"objects": [{"type": "path"}]})


@pytest.fixture
def canvas(monkeypatch) -> FakeCanvas:
    fake = FakeCanvas()
    module = types.ModuleType("streamlit_drawable_canvas")
    module.st_canvas = fake.st_canvas
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", module)
    return fake


def drawn_trousers(stroke: int = 255, background: int = 0) -> np.ndarray:
    """An RGBA canvas image of two thick legs, as the canvas returns it."""
    image = Image.new("L", (280, 280), background)
    draw = ImageDraw.Draw(image)
    draw.rectangle((95, 30, 185, 80), fill=stroke)
    draw.polygon([(95, 80), (135, 80), (130, 260), (100, 260)], fill=stroke)
    draw.polygon([(145, 80), (185, 80), (180, 260), (150, 260)], fill=stroke)
    gray = np.asarray(image)
    return np.dstack([gray, gray, gray, np.full_like(gray, 255)])


def page_components(at) -> list[str]:
    """The page's own components (studio.py also mounts the identity cookie's, on every page)."""
    return [component.key for component in at.get("bidi_component") if component.key != "fms_cookie"]


def test_the_real_canvas_page_runs_under_apptest(runs, tiny_model):
    """No stand-in: the drawable canvas component itself renders, nothing is predicted yet."""
    at = open_page()
    assert page_components(at) == ["predict_canvas_0"]
    assert at.slider(key="predict_stroke_width").value == 22
    assert at.radio(key="predict_background").value.startswith("Black")
    assert "Draw a garment above" in texts(at)
    assert "#### Predictions" not in texts(at)


def test_no_models_points_to_the_train_page(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_RUNS_DIR, str(tmp_path / "empty-runs"))
    monkeypatch.setattr(store, "SHIPPED_DIR", tmp_path / "no-shipped-models")
    at = open_page()
    assert "no trained models" in at.info[0].value
    links = at.get("page_link")
    assert len(links) == 1 and links[0].proto.page == "train"
    assert not page_components(at)  # no canvas without models


def test_only_broken_models_are_each_named_and_point_to_training(tmp_path, monkeypatch, tiny_model):
    root = tmp_path / "runs"
    damaged = shutil.copytree(tiny_model.path, root / "damaged")
    own(damaged)
    (damaged / store.MODEL_FILE).write_bytes((damaged / store.MODEL_FILE).read_bytes()[:500])
    (shutil.copytree(tiny_model.path, root / "bad-json") / store.META_FILE).write_text("not json")
    monkeypatch.setenv(store.ENV_RUNS_DIR, str(root))
    monkeypatch.setattr(store, "SHIPPED_DIR", tmp_path / "no-shipped-models")
    at = open_page()
    (note,) = at.warning  # this browser's broken run is named; a folder nobody owns is only offered
    assert "Left out 1 model" in note.value and "**damaged**" in note.value and "bad-json" not in note.value
    assert "bad-json" in at.multiselect(key=predict.EXTRA_MODELS_KEY).options[0]
    at.multiselect(key=predict.EXTRA_MODELS_KEY).select("bad-json").run()
    (note,) = at.warning  # picked: now it is asked, and named with its reason
    assert "Left out 2 models" in note.value and "**damaged**" in note.value and "**bad-json**" in note.value
    assert "None of the saved models can be used" in at.info[0].value
    assert len(at.get("page_link")) == 1


def test_a_drawing_is_predicted_and_the_broken_model_is_named(runs, tiny_model, canvas):
    canvas.drawing = drawn_trousers()
    at = open_page()
    # The contract with the canvas: free drawing, white on black like the dataset, image data back.
    call = canvas.calls[-1]
    assert call["drawing_mode"] == "freedraw" and call["update_streamlit"] and call["return_image_data"]
    assert (call["stroke_color"], call["background_color"]) == ("#ffffff", "#000000")
    assert call["stroke_width"] == 22 and call["key"] == "predict_canvas_0"

    assert shows_predictions_for(at, tiny_model.meta.display_name)
    assert "drawing, 280×280" in texts(at)
    (note,) = at.warning
    assert "Left out 1 model" in note.value and "**damaged**" in note.value and "could not be loaded" in note.value
    assert "The model says" in at.success[0].value


def test_white_background_draws_black_and_clear_gives_a_fresh_canvas(runs, canvas):
    at = open_page()
    at.radio(key="predict_background").set_value("White (like paper)").run()
    at.slider(key="predict_stroke_width").set_value(30).run()
    call = canvas.calls[-1]
    assert (call["stroke_color"], call["background_color"], call["stroke_width"]) == ("#000000", "#ffffff", 30)
    canvas.drawing = drawn_trousers(stroke=0, background=255)
    at.run()
    assert "dark on light, so inverted" in texts(at) and not at.exception

    at.button(key="predict_clear").click().run()
    assert canvas.calls[-1]["key"] == "predict_canvas_1"


def chart_data(at: AppTest) -> list[pd.DataFrame]:
    """The data behind each top-k bar chart on the page."""
    return [
        pa.ipc.open_stream(chart.proto.datasets[0].data.data).read_all().to_pandas()
        for chart in at.get("vega_lite_chart")
    ]


def test_top_k_changes_how_many_classes_are_listed(runs, tiny_model, canvas):
    canvas.drawing = drawn_trousers()
    at = open_page()
    (chart,) = chart_data(at)
    assert len(chart) == 3 and chart["probability"].is_monotonic_decreasing
    at.slider(key="predict_top_k").set_value(7).run()
    assert not at.exception
    (chart,) = chart_data(at)
    assert len(chart) == 7 and set(chart["class"]) <= set(CLASS_NAMES)


def test_upload_good_then_bad_files(runs, tiny_model, dataset):
    at = open_page(UPLOAD)
    uploader = at.file_uploader(key=predict.UPLOAD_KEY)
    assert {".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".svg", ".pdf"} <= set(uploader.allowed_type)

    uploader.set_value(("boot.jpg", preprocess.render_as_photo(dataset.x_test[0]), "image/jpeg")).run()
    assert not at.exception and not at.error
    assert shows_predictions_for(at, tiny_model.meta.display_name)
    assert "JPEG, 364×364, RGB · dark on light, so inverted" in texts(at)

    for name in ("text renamed .png", "SVG", "truncated PNG", "decompression bomb (Pillow's guard)"):
        build, message = bad_inputs.BAD[name]
        at.file_uploader(key=predict.UPLOAD_KEY).set_value(("input.png", build(dataset.x_test[0]), "image/png")).run()
        assert not at.exception, name
        (error,) = at.error
        assert re.search(message, error.value), (name, error.value)
        assert "\n" not in error.value
        assert "#### Predictions" not in texts(at), name


def test_animated_gif_upload_warns_and_predicts(runs, tiny_model, dataset):
    at = open_page(UPLOAD)
    gif = bad_inputs.animated_gif(dataset.x_test[0])
    at.file_uploader(key=predict.UPLOAD_KEY).set_value(("walk.gif", gif, "image/gif")).run()
    assert not at.exception
    assert any("using the first frame" in w.value for w in at.warning)
    assert shows_predictions_for(at, tiny_model.meta.display_name)


def shown_test_image(at: AppTest, dataset) -> tuple[int, str]:
    index = at.session_state[images.TEST_INDEX]
    label = dataset.class_names[dataset.y_test[index]]
    assert f"Test image **#{index:,}**, true label **{label}**" in texts(at)
    assert f"The true label is **{label}**" in texts(at)
    return index, label


def test_random_test_image_with_its_true_label(runs, tiny_model, dataset):
    at = open_page(TEST_IMAGE)
    index, label = shown_test_image(at, dataset)
    assert shows_predictions_for(at, tiny_model.meta.display_name)
    (chart,) = chart_data(at)
    # The true label, when among the top 3, is the one bar drawn as such.
    assert chart.loc[chart["kind"] == "true label", "class"].tolist() in ([], [label])
    assert (label in chart["class"].tolist()) == (chart["kind"] == "true label").any()

    at.toggle[0].set_value(True).run()
    assert "JPEG, 364×364, RGB · dark on light, so inverted" in texts(at)

    shown = {index}
    for _ in range(3):  # three more random draws: at least one differs (10,000 images)
        at.button(key="predict_another").click().run()
        assert not at.exception
        shown.add(shown_test_image(at, dataset)[0])
    assert len(shown) > 1


def test_a_picture_of_no_garment_is_called_out_and_a_garment_photo_is_not(runs, tiny_model, dataset):
    from core.predict import novelty, photo_set

    at = open_page(UPLOAD)
    rng = np.random.default_rng(3)
    gradient = photo_set.not_garment("gradient", rng)
    at.file_uploader(key=predict.UPLOAD_KEY).set_value(("sky.jpg", gradient, "image/jpeg")).run()
    assert not at.exception and not at.error
    doubts = [w.value for w in at.warning if novelty.NOT_CLOTHING in w.value]
    assert len(doubts) == 1, texts(at)
    assert "no clear object" in doubts[0] and "ten kinds of clothing" in doubts[0]
    assert all(name in doubts[0] for name in CLASS_NAMES)
    assert shows_predictions_for(at, tiny_model.meta.display_name)  # still answered, as a guess

    photo = photo_set.garment_photo(dataset.x_test[0], rng, "colour")
    at.file_uploader(key=predict.UPLOAD_KEY).set_value(("boot.jpg", photo, "image/jpeg")).run()
    assert not at.exception and not at.error
    assert not any(novelty.NOT_CLOTHING in w.value for w in at.warning), texts(at)
    assert "ten kinds of clothing" not in texts(at)
    assert shows_predictions_for(at, tiny_model.meta.display_name)


def test_a_white_step_is_outlined_so_it_shows_on_a_white_page():
    # A cut-out's background step is plain white: without an outline it vanishes into the page.
    white = preprocess.Step("Background (the transparent pixels, on white)", np.full((28, 28), 255, np.uint8))
    framed = images._framed(white)
    assert framed.shape == (112, 112, 4)
    edge = framed[0, :, :3]
    assert (edge == 128).all() and (framed[0, :, 3] == 255).all()
    assert (framed[1:-1, 1:-1, :3] == 255).all()


def _said(model_id: str, class_index: int) -> inference.ModelPrediction:
    score = inference.ClassScore(class_index, CLASS_NAMES[class_index], 0.9)
    return inference.ModelPrediction(model_id, model_id, (score,), np.zeros(10, np.float32))


def test_the_lead_card_says_what_the_other_models_answer():
    lead = _said("best", 0)
    others = [_said("a", 6), _said("b", 6), _said("c", 0), _said("near-chance", 3)]
    found = predict.Answers((lead, *others), lead, 0.95, "")
    assert predict.others_say(found, weak={"near-chance"}) == "Of the other 3, 2 say Shirt, 1 T-shirt/top."
    agreeing = predict.Answers((lead, _said("a", 0), _said("b", 0)), lead, 0.95, "")
    assert predict.others_say(agreeing) == "All 2 others say T-shirt/top too."
    # must NOT happen: the vote counted as one more model (it repeats its members' answers)
    voted = predict.Answers((lead, _said(vote.VOTE_ID, 6), _said("a", 0)), lead, 0.95, "")
    assert predict.others_say(voted) == "The other model says T-shirt/top too."


def test_a_camera_photo_goes_through_the_steps_of_an_upload(runs, tiny_model, dataset):
    at = open_page(CAMERA)
    camera = at.camera_input(key="predict_camera")
    assert crop.CAMERA_TIP in texts(at)  # what works best, before any photo
    assert "#### Predictions" not in texts(at)

    camera.set_value(("photo.jpg", preprocess.render_as_photo(dataset.x_test[0]), "image/jpeg")).run()
    assert not at.exception and not at.error
    assert shows_predictions_for(at, tiny_model.meta.display_name)
    assert "JPEG, 364×364, RGB · dark on light, so inverted" in texts(at)
    assert at.toggle(key=crop.Keys.of("predict_camera").toggle).value is False  # the crop is offered, not forced


def top_k(at: AppTest) -> pd.DataFrame:
    (chart,) = chart_data(at)  # the tiny model's answer
    return chart


def test_a_box_from_the_sliders_or_dragged_on_the_picture_crops_the_photo(runs, tiny_model, dataset, canvas):
    keys = crop.Keys.of(predict.UPLOAD_KEY)
    at = open_page(UPLOAD)
    cluttered = photo_scenes.cluttered_photo(dataset.x_test[2])  # trousers beside a big black box
    at.file_uploader(key=predict.UPLOAD_KEY).set_value(("desk.jpg", cluttered, "image/jpeg")).run()
    automatic = top_k(at)
    assert canvas.calls == []  # the crop waits behind its switch

    at.toggle(key=keys.toggle).set_value(True).run()
    call = canvas.calls[-1]
    assert call["drawing_mode"] == "labeled_rect" and call["initial_drawing"] == {"objects": []}
    assert (call["width"], call["height"]) == (280, 210)  # the 640x480 photo fitted to the column
    assert Image.open(io.BytesIO(call["background_image"])).size == (280, 210)
    assert at.slider(key=keys.across).value == at.slider(key=keys.down).value == (0, 100)
    assert top_k(at).equals(automatic)  # no box yet: the automatic crop

    # the keyboard's way: the sliders' ends are the box's edges, and the canvas draws the box
    at.slider(key=keys.across).set_value((52, 94)).run()
    at.slider(key=keys.down).set_value((18, 76)).run()
    assert not at.exception and not at.error
    assert at.session_state[keys.box] == preprocess.Box(0.52, 0.18, 0.94, 0.76)
    (drawn,) = canvas.calls[-1]["initial_drawing"]["objects"]
    assert (drawn["left"], drawn["top"], drawn["width"], drawn["height"]) == (145.6, 37.8, 117.6, 121.8)
    by_sliders = top_k(at)
    assert not by_sliders.equals(automatic)  # the answer followed the box

    at.button(key=keys.reset).click().run()
    assert at.session_state[keys.box] is None
    assert at.slider(key=keys.across).value == at.slider(key=keys.down).value == (0, 100)
    assert canvas.calls[-1]["key"] != call["key"] and canvas.calls[-1]["initial_drawing"] == {"objects": []}
    assert top_k(at).equals(automatic)

    # the pointer's way: a box dragged on the picture moves the sliders too
    canvas.dragged = (145.6, 37.8, 263.2, 159.6)
    at.run()
    assert not at.exception
    assert at.slider(key=keys.across).value == (52, 94) and at.slider(key=keys.down).value == (18, 76)
    box = at.session_state[keys.box]
    assert np.allclose([box.left, box.top, box.right, box.bottom], [0.52, 0.18, 0.94, 0.76])
    assert not top_k(at).equals(automatic)
    canvas.dragged = (100.0, 100.0, 103.0, 102.0)  # a tap, not a box
    at.run()
    assert at.session_state[keys.box] == box

    # a box too small to hold a garment is said in one line; a new photo starts without a box
    at.slider(key=keys.across).set_value((50, 51)).run()
    (error,) = at.error
    assert "drag a bigger box" in error.value and "\n" not in error.value and not at.exception
    other = photo_scenes.cluttered_photo(dataset.x_test[0])
    at.file_uploader(key=predict.UPLOAD_KEY).set_value(("boot.jpg", other, "image/jpeg")).run()
    assert at.session_state[keys.box] is None and not at.error
    assert at.slider(key=keys.across).value == (0, 100)


def test_a_picture_whose_object_cannot_be_told_apart_offers_the_crop(runs, tiny_model, canvas):
    from core.predict import photo_set

    static = photo_set.not_garment("noise", np.random.default_rng(0))  # no object to find on any background
    advice = preprocess.preprocess(static).crop_advice
    assert advice, "preprocessing should say it could not tell the object apart in static"
    keys = crop.Keys.of(predict.UPLOAD_KEY)
    at = open_page(UPLOAD)
    at.file_uploader(key=predict.UPLOAD_KEY).set_value(("static.jpg", static, "image/jpeg")).run()
    assert not at.exception
    assert any(item.value == f"{advice} Turn on **✂️ Crop by hand** below." for item in at.info)
    at.toggle(key=keys.toggle).set_value(True).run()
    assert any(item.value == f"{advice} Drag a box around it on the picture below." for item in at.info)
    assert canvas.calls[-1]["drawing_mode"] == "labeled_rect"
