"""The Inside page through AppTest: the real script on real shipped models."""

from streamlit.testing.v1 import AppTest

from tests.conftest import REPO_ROOT


def open_inside(model_id: str, index: int = 7) -> AppTest:
    at = AppTest.from_file(str(REPO_ROOT / "studio.py"), default_timeout=180)
    at.run()
    at.query_params["model"] = model_id
    at.session_state["inside_test_index"] = index
    at.switch_page("app_pages/inside.py").run()
    assert not at.exception, [item.value for item in at.exception]
    return at


def texts(at: AppTest) -> str:
    return "\n".join(item.value for item in [*at.markdown, *at.caption, *at.info])


def test_a_cnn_shows_its_convolutions_filters_and_grad_cam(dataset):
    at = open_inside("cnn_quick", index=7)
    shown = texts(at)
    assert "test image #7" in shown
    assert "Convolution `conv2d`**: 16 maps of 26×26, strongest first" in shown
    assert "Convolution `conv2d_1`**: 32 maps of 11×11, strongest first" in shown
    assert "first convolution's 16 filters" in shown
    assert "Grad-CAM asks which regions" in shown
    assert "Drag a box on the map" in shown  # the embedding map, from the shipped cache
    at.number_input(key="inside_test_index").set_value(12).run()
    assert not at.exception and "test image #12" in texts(at)


def test_an_mlp_shows_templates_and_no_grad_cam():
    at = open_inside("mlp_128")
    shown = texts(at)
    assert "first dense layer's templates" in shown and "Dense `dense`**: 128 units" in shown
    assert "Grad-CAM needs convolution maps" in shown
    assert "Grad-CAM asks which regions" not in shown and "Convolution" not in shown


def test_the_studio_cnn_is_looked_at_inside_its_mirror_wrapper():
    at = open_inside("studio_cnn")
    shown = texts(at)
    assert "averages its answer over the image and its mirror" in shown
    assert shown.count("**Convolution") + shown.count(". Convolution") >= 6
    assert "128 maps of 7×7; the 32 strongest" in shown  # more maps than the grid shows: the strongest


def test_draw_and_upload_wait_for_an_image():
    at = open_inside("cnn_quick")
    at.segmented_control(key="inside_source").set_value("✏️ Draw").run()
    assert not at.exception, [item.value for item in at.exception]
    assert "Draw or upload an image" in texts(at)
    assert "Activations, layer by layer" not in texts(at)  # nothing to look inside yet
    at.segmented_control(key="inside_source").set_value("📁 Upload").run()
    assert not at.exception and "Draw or upload an image" in texts(at)


def test_a_camera_photo_is_looked_inside_like_an_upload(dataset):
    from core.predict import preprocess
    from ui.shared import crop

    at = open_inside("cnn_quick")
    at.segmented_control(key="inside_source").set_value(crop.CAMERA).run()
    assert crop.CAMERA_TIP in texts(at) and "Activations, layer by layer" not in texts(at)
    at.camera_input(key="inside_camera").set_value(
        ("photo.jpg", preprocess.render_as_photo(dataset.x_test[2]), "image/jpeg")
    )
    at.run()
    assert not at.exception, [item.value for item in at.exception]
    assert "Why? (your photo)" in texts(at) and "Activations, layer by layer" in texts(at)
    assert at.toggle(key=crop.Keys.of("inside_camera").toggle).value is False  # the crop by hand, offered
