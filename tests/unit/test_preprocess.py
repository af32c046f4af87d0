"""core.predict.preprocess: every awkward file gets its one-line message; real pictures come out like the dataset."""

from __future__ import annotations

import contextlib
import inspect
import io
import re

import numpy as np
import pytest
from PIL import Image, ImageDraw

from core.predict import preprocess
from core.predict.preprocess import ImageError
from tests.unit import bad_inputs


@pytest.fixture(scope="module")
def garment(dataset) -> np.ndarray:
    """A test-set pullover: light on black, 28x28 uint8."""
    return dataset.x_test[1]


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel())[0, 1])


def aligned_correlation(a: np.ndarray, b: np.ndarray, reach: int = 2) -> float:
    """The best correlation over shifts of up to ``reach`` pixels.

    Preprocessing recentres the object on its bounding box, which for an asymmetric garment moves
    it a pixel or two from where the dataset put it; that is the same picture.
    """
    return max(
        correlation(np.roll(a, (dy, dx), axis=(0, 1)), b)
        for dy in range(-reach, reach + 1)
        for dx in range(-reach, reach + 1)
    )


def border(image: np.ndarray) -> np.ndarray:
    return np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])


def png(array: np.ndarray) -> bytes:
    return bad_inputs.encode(Image.fromarray(array), "PNG")


@pytest.mark.parametrize("name", list(bad_inputs.BAD))
def test_every_bad_input_gets_its_one_line_message(name, garment):
    build, message = bad_inputs.BAD[name]
    with pytest.raises(ImageError, match=message) as caught:
        preprocess.preprocess(build(garment))
    text = str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert "\n" not in text and 20 < len(text) < 200
    assert "Traceback" not in text and "PIL." not in text


@pytest.mark.parametrize("index", [0, 1])
@pytest.mark.parametrize("name", list(bad_inputs.ODD_BUT_READABLE))
def test_odd_but_readable_inputs_come_out_like_a_plain_png(name, index, dataset):
    garment = dataset.x_test[index]
    reference = preprocess.preprocess(png(garment)).image
    build, warning = bad_inputs.ODD_BUT_READABLE[name]
    result = preprocess.preprocess(build(garment))
    assert result.image.shape == (28, 28) and result.image.dtype == np.float32
    assert result.image.min() >= 0.0 and result.image.max() == pytest.approx(1.0)
    assert correlation(result.image, reference) > 0.93, f"{name}: {result.description}"
    if warning:
        assert any(re.search(warning, text) for text in result.warnings), result.warnings
    else:
        assert result.warnings == ()


def test_sixteen_bit_values_are_scaled_not_clipped(garment):
    eight = preprocess.preprocess(bad_inputs.encode(bad_inputs.garment_photo(garment), "PNG"))
    sixteen = preprocess.preprocess(bad_inputs.sixteen_bit_png(garment))
    assert "I;16" in sixteen.description
    np.testing.assert_allclose(sixteen.image, eight.image, atol=0.02)


def test_transparency_is_flattened_onto_the_background_that_contrasts():
    shape = np.zeros((60, 60), np.uint8)
    shape[10:50, 20:40] = 255
    for colour, expected_step, inverted in ((0, "On white", True), (255, "On black", False)):
        rgba = np.zeros((60, 60, 4), np.uint8)
        rgba[..., :3] = colour
        rgba[..., 3] = shape
        result = preprocess.preprocess(png(rgba))
        names = [step.name for step in result.steps]
        assert expected_step in names and result.inverted is inverted
        assert result.image[14, 14] > 0.9 and border(result.image)[:28].max() > 0.9  # the bar fills the height
        assert result.image[:, :5].max() < 0.05  # the sides of the square stay black


def titled_by(stage: preprocess.Stage, name: str) -> bool:
    """Whether a step's name is its stage's title, with the title's ``{detail}`` filled in."""
    return re.fullmatch(re.escape(stage.title).replace(re.escape("{detail}"), ".+"), name) is not None


def test_the_steps_strip_is_the_stages_in_order_one_step_each(garment):
    """Every stage function is in STAGES, once; a transparent cut-out goes through all of them and shows one
    step per stage, named by it; an opaque photo skips only the flattening."""
    stage_functions = [
        function
        for _, function in inspect.getmembers(preprocess, inspect.isfunction)
        if function.__module__ == preprocess.__name__ and function.__annotations__.get("return") == "Staged"
    ]
    runs = [stage.run for stage in preprocess.STAGES]
    assert set(runs) == set(stage_functions) and len(runs) == len(stage_functions)

    cut_out = np.zeros((60, 60, 4), np.uint8)
    cut_out[10:50, 20:40, 3] = 255  # a black bar on a transparent canvas
    names = [step.name for step in preprocess.preprocess(png(cut_out)).steps]
    # Line art alone is filled, only a background that is not one smooth surface is cut out, only a slant turned.
    acting_on_some = (preprocess.fill_outline, preprocess.cut_out_object, preprocess.straighten_object)
    stages = [s for s in preprocess.STAGES if s.run not in acting_on_some]
    assert len(names) == len(stages), names
    for stage, name in zip(stages, names, strict=True):
        assert titled_by(stage, name), f"{stage.run.__name__} showed {name!r}, not its title {stage.title!r}"

    opaque = [step.name for step in preprocess.preprocess(preprocess.render_as_photo(garment)).steps]
    shown = [s for s in preprocess.STAGES if s.run not in (preprocess.flatten_onto_background, *acting_on_some)]
    assert len(opaque) == len(shown) and all(titled_by(s, name) for s, name in zip(shown, opaque, strict=True))


def test_a_cut_out_drawn_edge_to_edge_is_separated_by_its_transparency():
    """A brown briefcase drawn to both edges of a transparent canvas, as emoji are drawn: most of the
    border is briefcase, so a background fitted from the border would be brown and the briefcase
    black. Its transparent pixels say where the background is."""
    rgba = np.zeros((64, 64, 4), np.uint8)
    rgba[22:60, :] = (154, 78, 28, 255)  # the body, from edge to edge
    rgba[8:22, 20:44] = (154, 78, 28, 255)  # the handle ...
    rgba[12:22, 26:38, 3] = 0  # ... and the hole in it
    rgba[34:40, 26:38] = (205, 205, 215, 255)  # a light clasp
    result = preprocess.preprocess(png(rgba))

    assert "Background (the transparent pixels, on white)" in [step.name for step in result.steps]
    assert result.inverted  # a dark object, on white
    body = result.image[16:26, 2:26]
    assert body.mean() > 0.7  # the briefcase is light on black, as in the dataset
    assert result.image[:6, :8].max() < 0.1  # beside the handle: background


def test_white_background_product_photo_becomes_light_on_dark():
    """A navy T-shirt on a white studio background, as a JPEG: the dataset's look comes out."""
    photo = Image.new("RGB", (600, 450), (250, 250, 248))
    draw = ImageDraw.Draw(photo)
    shirt = [
        (230, 80),
        (370, 80),
        (450, 150),
        (410, 190),
        (380, 170),
        (380, 400),
        (220, 400),
        (220, 170),
        (190, 190),
        (150, 150),
    ]
    draw.polygon(shirt, fill=(25, 35, 80))
    draw.ellipse((270, 70, 330, 110), fill=(250, 250, 248))  # the neckline
    result = preprocess.preprocess(bad_inputs.encode(photo, "JPEG", quality=85))

    assert result.inverted
    assert [step.name for step in result.steps] == [
        "Original",
        "Background (from the border)",
        "Background removed",
        "Object found",
        "Cropped",
        "Squared",
        "28×28 input",
    ]
    image = result.image
    assert image.shape == (28, 28)
    # Light garment on black: the corners are background, the chest is bright, nothing is grey noise.
    assert image[0, 0] < 0.05 and image[-1, 0] < 0.05 and image[-1, -1] < 0.05
    assert image[14, 14] > 0.8
    assert image.max() == pytest.approx(1.0)
    # Like the dataset, the garment touches the top and bottom edges (it is taller than wide).
    assert image[0].max() > 0.5 and image[-1].max() > 0.5
    assert result.warnings == ()


def test_light_on_dark_input_is_not_inverted(garment):
    result = preprocess.preprocess(png(garment))
    assert not result.inverted
    assert aligned_correlation(result.image, garment) > 0.95


@pytest.mark.parametrize("index", [0, 2, 3, 7, 11])
def test_a_dataset_image_rendered_as_a_photo_comes_back(dataset, index):
    original = dataset.x_test[index]
    result = preprocess.preprocess(preprocess.render_as_photo(original))
    assert result.inverted and result.description.startswith("JPEG")
    # Sub-pixel recentring blurs fine texture a little (the model-level check is in
    # test_inference); a wrong polarity, crop or scale would fall far below this.
    assert aligned_correlation(result.image, original) > 0.85


def test_exif_orientation_is_applied(garment):
    photo = bad_inputs.garment_photo(garment).convert("RGB")
    upright = preprocess.preprocess(bad_inputs.encode(photo, "JPEG", quality=95))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display": the pixels are stored rotated back
    stored = photo.transpose(Image.Transpose.ROTATE_90)
    rotated = preprocess.preprocess(bad_inputs.encode(stored, "JPEG", quality=95, exif=exif))
    assert correlation(rotated.image, upright.image) > 0.95
    assert correlation(rotated.image, np.rot90(upright.image)) < 0.9


def _canvas(stroke: int, background: int, alpha: bool = False) -> np.ndarray:
    image = Image.new("L", (280, 280), background)
    ImageDraw.Draw(image).line([(80, 60), (200, 60), (200, 220), (80, 220), (80, 60)], fill=stroke, width=24)
    gray = np.asarray(image)
    if not alpha:
        return np.dstack([gray, gray, gray, np.full_like(gray, 255)])
    drawn = (gray != background).astype(np.uint8) * 255
    return np.dstack([gray, gray, gray, drawn])


@pytest.mark.parametrize(
    ("stroke", "background", "alpha", "inverted"),
    [(255, 0, False, False), (0, 255, False, True), (255, 0, True, False), (0, 255, True, True)],
)
def test_canvas_drawings_in_either_colour_become_the_same_input(stroke, background, alpha, inverted):
    reference = preprocess.preprocess_pixels(_canvas(255, 0))
    result = preprocess.preprocess_pixels(_canvas(stroke, background, alpha))
    assert result.inverted is inverted
    assert result.description == "drawing, 280×280"
    np.testing.assert_allclose(result.image, reference.image, atol=0.05)
    # A hollow outline, taller than wide: line art, so its inside is filled (core.predict.outline); black margins.
    assert result.image[14, 14] > 0.5 and result.image[14, :8].max() > 0.9 and result.image[14, 0] < 0.05


@pytest.mark.parametrize(
    ("pixels", "message"),
    [
        (np.full((100, 100), 255, np.uint8), r"blank \(one flat colour\)"),
        (np.pad(np.full((2, 2), 255, np.uint8), 99), r"nearly blank: the object covers only 0\.01%"),
        (np.pad(np.full((96, 96), 200, np.uint8), 2), r"The object fills 92% of the image"),
        (np.pad(np.full((40, 40), 130, np.uint8), 30, constant_values=120), r"Very low contrast \(10 of 255"),
        (np.zeros((12, 12, 4), np.uint8), r"fully transparent"),
        (np.pad(np.full((10, 6), 255, np.uint8), 2), r"smaller than 28×28: it was enlarged"),
    ],
    ids=["blank", "nearly blank", "almost all foreground", "low contrast", "transparent", "small"],
)
def test_inputs_unlike_the_dataset_are_warned_about(pixels, message):
    result = preprocess.preprocess_pixels(pixels)
    assert result.image.shape == (28, 28) and np.isfinite(result.image).all()
    assert any(re.search(message, text) for text in result.warnings), result.warnings


def test_a_plain_garment_has_no_warnings(garment):
    assert preprocess.preprocess(bad_inputs.encode(bad_inputs.garment_photo(garment), "PNG")).warnings == ()


def test_a_big_photo_is_shrunk_first_and_steps_stay_small(garment):
    big = bad_inputs.garment_photo(garment, side=2400).convert("RGB")
    result = preprocess.preprocess(bad_inputs.encode(big, "JPEG", quality=80))
    assert result.description.startswith("JPEG") and correlation(result.image, garment) > 0.9
    for step in result.steps:
        assert step.image.dtype == np.uint8 and max(step.image.shape[:2]) <= preprocess.DISPLAY_SIDE


def test_file_size_limit():
    with pytest.raises(ImageError, match=r"limit is 20 MB"):
        preprocess.preprocess(b"\x89PNG\r\n\x1a\n" + bytes(preprocess.MAX_FILE_BYTES))


@pytest.mark.parametrize(
    ("pixels", "message"),
    [
        (np.zeros((28, 28, 2), np.uint8), r"gray, RGB or RGBA"),
        (np.zeros((0, 0), np.uint8), r"empty"),
        (np.full((28, 28), np.nan), r"finite"),
        (np.zeros((4, 300), np.uint8), r"only 300×4 pixels"),
    ],
)
def test_bad_arrays_are_refused(pixels, message):
    with pytest.raises(ImageError, match=message):
        preprocess.preprocess_pixels(pixels)


def test_float_arrays_in_zero_one_are_accepted(garment):
    result = preprocess.preprocess_pixels(garment / 255.0)
    assert aligned_correlation(result.image, garment) > 0.95


def test_dataset_images_pass_through_unchanged(garment):
    result = preprocess.dataset_image(garment, "Pullover")
    np.testing.assert_array_equal(result.image, garment / np.float32(255))
    assert result.model_input().shape == (1, 28, 28) and result.model_input().max() <= 255
    assert result.description == "Fashion-MNIST test image (Pullover)" and len(result.steps) == 1
    with pytest.raises(ImageError):
        preprocess.dataset_image(np.zeros((28, 27)))


def test_result_is_frozen(garment):
    result = preprocess.preprocess(png(garment))
    with pytest.raises(AttributeError):
        result.image = None  # type: ignore[misc]


def test_decode_never_lets_pillow_errors_through():
    """A fuzz over truncations of every readable format: ImageError or a result, nothing else."""
    photo = Image.fromarray(np.tile(np.arange(64, dtype=np.uint8) * 4, (64, 1)))
    for image_format in ("PNG", "JPEG", "GIF", "BMP", "WEBP"):
        data = bad_inputs.encode(photo.convert("RGB") if image_format == "JPEG" else photo, image_format)
        for cut in range(1, len(data), max(1, len(data) // 25)):
            with contextlib.suppress(ImageError):
                preprocess.preprocess(data[:cut])
        buffer = io.BytesIO(data)
        assert preprocess.preprocess(buffer.getvalue()).image.shape == (28, 28)


def test_an_uneven_background_is_fitted_and_removed_entirely():
    """A tinted gradient with vignetting and a pale garment: the fitted background explains the
    whole border, so everything but the garment comes out exactly black."""
    ys, xs = np.mgrid[0:300, 0:400].astype(np.float32)
    u, v = xs / 399 * 2 - 1, ys / 299 * 2 - 1
    shade = 240 + 12 * u - 8 * v - 15 * (u * u + v * v)
    photo = np.dstack([shade, shade - 6, shade + 4])
    photo[90:230, 150:260] -= 40  # a pale, flat garment, 40 grey levels darker than its surroundings
    result = preprocess.preprocess_pixels(np.clip(photo, 0, 255).astype(np.uint8))
    assert result.signs.background_fit == pytest.approx(1.0) and result.signs.noise < 1.0
    assert result.image.max() == pytest.approx(1.0)
    assert np.percentile(result.image[4:-4, 4:-4], 50) > 0.8  # the garment uses the full range, not dim
    assert result.warnings == ()
    assert result.inverted  # darker than its background, like a garment photo on white


def test_a_crop_box_keeps_only_what_is_inside(garment):
    """Two garments side by side on white: a box around the right one gives that garment alone, as if it had
    been photographed by itself; the same box works on bytes, a Pillow image and a pixel array."""
    left = bad_inputs.garment_photo(garment)
    right = bad_inputs.garment_photo(np.ascontiguousarray(garment[::-1]))
    pair = Image.new("L", (left.width * 2, left.height), 255)
    pair.paste(left, (0, 0))
    pair.paste(right, (left.width, 0))
    box = preprocess.Box(0.5, 0.0, 1.0, 1.0)
    alone = preprocess.preprocess(png(np.asarray(right))).image
    from_bytes = preprocess.preprocess(png(np.asarray(pair)), crop=box).image
    from_image = preprocess.preprocess_image(pair, crop=box).image
    from_pixels = preprocess.preprocess_pixels(np.asarray(pair), crop=box).image
    assert correlation(from_bytes, alone) > 0.97
    assert np.allclose(from_bytes, from_image) and correlation(from_pixels, alone) > 0.97
    assert correlation(preprocess.preprocess(png(np.asarray(pair))).image, alone) < 0.9  # without it: both


def test_a_box_from_pixels_is_ordered_and_clipped():
    box = preprocess.Box.from_pixels(150, 90, -10, 10, width=100, height=100)
    assert box == preprocess.Box(0.0, 0.1, 1.0, 0.9)
    assert box.pixels(200, 50) == (0, 5, 200, 45)


@pytest.mark.parametrize(
    "corners, message",
    [
        ((0.5, 0.0, 0.5, 1.0), "have some width and height"),
        ((0.2, 0.6, 0.8, 0.1), "have some width and height"),
        ((-0.1, 0.0, 0.5, 1.0), "inside the picture"),
        ((0.0, 0.0, float("nan"), 1.0), "four finite numbers"),
    ],
)
def test_a_degenerate_box_gets_a_clear_message(corners, message):
    with pytest.raises(ImageError, match=message):
        preprocess.Box(*corners)


def test_a_box_too_small_for_a_garment_gets_a_clear_message(garment):
    with pytest.raises(ImageError, match="drag a bigger box"):
        preprocess.preprocess(png(garment), crop=preprocess.Box(0.0, 0.0, 0.1, 0.1))


def heic(image: Image.Image) -> bytes:
    """A real HEIC file, made by pillow-heif's encoder (the iPhone's format)."""
    return bad_inputs.encode(image.convert("RGB"), "HEIF", quality=90)


def test_a_heic_photo_is_read_like_a_jpeg(garment):
    photo = bad_inputs.garment_photo(garment)
    data = heic(photo)
    assert data[4:12] == b"ftypheic"
    result = preprocess.preprocess(data)
    assert result.description.startswith("HEIF, 180×180")
    assert result.inverted and aligned_correlation(result.image, garment) > 0.9
    assert "heic" in preprocess.UPLOAD_EXTENSIONS and "HEIC" in preprocess.FORMAT_NAMES


@pytest.mark.parametrize("damage", ["cut in half", "header overwritten"])
def test_a_damaged_heic_gets_a_clear_message(garment, damage):
    data = bytearray(heic(bad_inputs.garment_photo(garment)))
    if damage == "cut in half":
        data = data[: len(data) // 2]
    else:
        data[40:400] = bytes(360)
    with pytest.raises(ImageError, match=r"^The HEI[CF] file is damaged or cut off") as caught:
        preprocess.preprocess(bytes(data))
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 200


def garment_on_paper_on_a_table(garment: np.ndarray) -> bytes:
    """The issue's photo: a dark garment on a sheet of white paper lying on a brown table, which shows along the
    bottom edge and in one corner (two background tones), as a JPEG."""
    photo = Image.new("RGB", (400, 300), (142, 104, 72))
    ImageDraw.Draw(photo).polygon([(-5, -5), (405, -5), (405, 250), (-5, 228)], fill=(242, 240, 233))
    big = Image.fromarray(255 - garment, "L").resize((200, 200), Image.Resampling.BICUBIC)
    presence = (
        Image.fromarray(garment, "L").resize((200, 200), Image.Resampling.BICUBIC).point(lambda v: min(255, v * 8))
    )
    photo.paste(big.convert("RGB"), (100, 20), presence)
    return bad_inputs.encode(photo, "JPEG", quality=88)


def test_a_garment_on_paper_on_a_table_is_cut_out_from_both_tones(garment):
    """The table's band along the bottom is background too: it must not survive as a grey bar (what shoes look
    like); the strip says the object was cut out, and no crop is advised."""
    result = preprocess.preprocess(garment_on_paper_on_a_table(garment))
    names = [step.name for step in result.steps]
    assert any(name.startswith("Cut out (") for name in names), names
    assert result.crop_advice is None
    assert aligned_correlation(result.image, garment) > 0.85
    assert result.inverted


def test_a_plain_background_is_not_segmented(garment):
    """One smooth background is removed as before: segmentation (slower) is kept for the pictures that need it."""
    names = [step.name for step in preprocess.preprocess(preprocess.render_as_photo(garment)).steps]
    assert not any(name.startswith("Cut out") for name in names)
    assert preprocess.preprocess(png(garment)).crop_advice is None


def test_noise_that_cannot_be_told_apart_gets_crop_advice():
    """Noise all over: no object stands apart, so instead of a silent guess the result says what to do."""
    from core.predict import photo_set

    result = preprocess.preprocess(photo_set.not_garment("noise", np.random.default_rng(4)))
    assert result.crop_advice == preprocess.CROP_ADVICE
    assert "Cut out (not told apart)" in [step.name for step in result.steps]


def test_a_box_around_one_garment_cuts_it_from_what_is_outside(garment):
    """A box drawn on the two-tone photo around the garment, part of the table inside it: what is outside is
    background, and what is inside is cut out from both tones."""
    box = preprocess.Box.from_pixels(90, 10, 310, 270, width=400, height=300)
    result = preprocess.preprocess(garment_on_paper_on_a_table(garment), crop=box)
    assert "Cut out (outside your box)" in [step.name for step in result.steps]
    assert aligned_correlation(result.image, garment) > 0.85


@pytest.mark.parametrize("degrees", [-35, -20, 20, 35])
def test_a_garment_photographed_at_a_slant_is_turned_upright(dataset, degrees):
    """Trousers photographed at a slant: the strip shows them turned by the slant, and the model sees them upright
    (as the same photo taken straight gives them), not the slanted stripe a slant would leave."""
    trousers = dataset.x_test[np.flatnonzero(dataset.y_test == 1)[0]]
    straight = preprocess.preprocess(preprocess.render_as_photo(trousers))
    photo = Image.open(io.BytesIO(preprocess.render_as_photo(trousers)))
    slanted = bad_inputs.encode(photo.rotate(degrees, Image.Resampling.BICUBIC, expand=True, fillcolor="white"), "JPEG")
    turned = preprocess.preprocess(slanted)
    turns = [re.fullmatch(r"Straightened \((\d+)°\)", step.name) for step in turned.steps]
    assert [abs(int(found[1]) - abs(degrees)) <= 2 for found in turns if found] == [True], turned.steps
    assert correlation(turned.image, straight.image) > 0.85
    assert not any(step.name.startswith("Straightened") for step in straight.steps)  # upright: left as it is
