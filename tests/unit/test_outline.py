"""core.predict.outline through Predict's pipeline: a garment drawn as an outline reaches the models as the
silhouette it encloses; a filled silhouette and a dataset image pass untouched."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from core.predict import outline, preprocess

FILL_STEP = "Outline filled"
# A coat seen from the front, as a polygon in fractions of the picture: shoulders, long sleeves, hem.
COAT = [
    (0.38, 0.12), (0.62, 0.12), (0.84, 0.22), (0.92, 0.85), (0.80, 0.86), (0.74, 0.45),
    (0.74, 0.90), (0.26, 0.90), (0.26, 0.45), (0.20, 0.86), (0.08, 0.85), (0.16, 0.22),
]  # fmt: skip


def coat_points(side: int) -> list[tuple[float, float]]:
    return [(x * side, y * side) for x, y in COAT]


def drawn(side: int, stroke: int, *, filled: bool = False, details: bool = True, gap: int = 0) -> Image.Image:
    """A coat in black on white: its outline (with a collar, a front line and buttons drawn inside) or its filled
    silhouette; ``gap`` pixels of the outline's hem left open."""
    image = Image.new("RGB", (side, side), "white")
    draw = ImageDraw.Draw(image)
    points = coat_points(side)
    if filled:
        draw.polygon(points, fill="black")
        return image
    draw.line([*points, points[0]], fill="black", width=stroke, joint="curve")
    if details:
        draw.line([(0.38 * side, 0.12 * side), (0.5 * side, 0.3 * side), (0.62 * side, 0.12 * side)], "black", stroke)
        draw.line([(0.5 * side, 0.3 * side), (0.5 * side, 0.9 * side)], fill="black", width=stroke)
        for y in (0.45, 0.6, 0.75):
            draw.ellipse([0.55 * side, y * side, 0.55 * side + 2 * stroke, y * side + 2 * stroke], fill="black")
    if gap:
        draw.rectangle([0.6 * side, 0.85 * side, 0.6 * side + gap, 0.95 * side], fill="white")
    return image


def upload(image: Image.Image) -> preprocess.Preprocessed:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return preprocess.preprocess(buffer.getvalue())


def step_names(prepared: preprocess.Preprocessed) -> list[str]:
    return [step.name for step in prepared.steps]


def inside_share_lit(prepared: preprocess.Preprocessed, silhouette: preprocess.Preprocessed) -> float:
    """Of the 28x28 pixels the filled silhouette lights, the share the picture lights too."""
    garment = silhouette.image > 0.5
    return float((prepared.image[garment] > 0.5).mean())


@pytest.fixture(scope="module")
def silhouette() -> preprocess.Preprocessed:
    return upload(drawn(240, 6, filled=True))


def test_an_outline_coat_with_details_inside_reaches_the_models_filled(silhouette):
    outlined = upload(drawn(240, 6))
    assert FILL_STEP in step_names(outlined)
    assert inside_share_lit(outlined, silhouette) > 0.8  # the collar, front line and buttons stay dark seams
    unfilled = outline_left_alone(drawn(240, 6))
    assert inside_share_lit(unfilled, silhouette) < 0.6  # without the stage the inside was dark


def outline_left_alone(image: Image.Image) -> preprocess.Preprocessed:
    kept = preprocess.STAGES
    preprocess.STAGES = tuple(stage for stage in kept if stage.run is not preprocess.fill_outline)
    try:
        return upload(image)
    finally:
        preprocess.STAGES = kept


def test_an_outline_left_a_little_open_still_fills(silhouette):
    opened = upload(drawn(240, 6, details=False, gap=14))
    assert FILL_STEP in step_names(opened)
    assert inside_share_lit(opened, silhouette) > 0.85


def test_a_filled_silhouette_passes_untouched(silhouette):
    assert FILL_STEP not in step_names(silhouette)
    assert np.array_equal(silhouette.image, outline_left_alone(drawn(240, 6, filled=True)).image)


def test_a_dataset_garment_is_no_line_art(dataset):
    for index in range(20):
        buffer = io.BytesIO()
        Image.fromarray(dataset.x_test[index]).save(buffer, "PNG")
        assert FILL_STEP not in step_names(preprocess.preprocess(buffer.getvalue()))
        photo = preprocess.preprocess(preprocess.render_as_photo(dataset.x_test[index]))
        assert FILL_STEP not in step_names(photo)


@pytest.mark.parametrize("on_black", [False, True])
def test_a_coat_outlined_on_the_sketch_canvas_is_filled(on_black, silhouette):
    """As the Predict page's canvas returns it: 280x280 RGBA, a 22-pixel brush, either background."""
    image = drawn(280, 22, details=False)
    pixels = np.dstack([np.asarray(image), np.full((280, 280), 255, np.uint8)])
    if on_black:
        pixels[..., :3] = 255 - pixels[..., :3]
    prepared = preprocess.preprocess_pixels(pixels)
    assert FILL_STEP in step_names(prepared)
    assert inside_share_lit(prepared, silhouette) > 0.8  # the 22-pixel brush widens the drawing a little


def test_the_signs_say_why():
    """The measured signs of a drawn outline and of its silhouette, against the documented thresholds."""
    work = preprocess.Work(drawn(192, 5).convert("RGB"), False, ())
    for stage in preprocess.STAGES[: [s.run for s in preprocess.STAGES].index(preprocess.fill_outline)]:
        work, _ = stage.run(work)
    signs, _ = outline.measure(work.difference, work.mask, work.contrast)
    assert signs.line_art
    assert signs.stroke <= outline.MAX_STROKE and signs.enclosed >= outline.MIN_ENCLOSED
    assert signs.inside_level <= outline.EMPTY_INSIDE
