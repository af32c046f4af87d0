"""Where a page's picture comes from and what becomes of it: the sketch canvas, a random test image, an upload
made safe, and the strip of preprocessing steps that shows the exact 28x28 image a model receives."""

from __future__ import annotations

import numpy as np
import streamlit as st
from PIL import Image, ImageDraw

from core.predict import preprocess

CANVAS_KEY = "predict_canvas"  # plus a generation number: a new key remounts an empty canvas
CANVAS_GENERATION = "predict_canvas_generation"
TEST_INDEX = "predict_test_index"


def new_canvas() -> None:
    """The clear button: a fresh key gives an empty canvas."""
    st.session_state[CANVAS_GENERATION] = st.session_state.get(CANVAS_GENERATION, 0) + 1


def canvas_key() -> str:
    return f"{CANVAS_KEY}_{st.session_state.get(CANVAS_GENERATION, 0)}"


def drawing_input(image_data: np.ndarray | None, json_data: dict | None) -> preprocess.Preprocessed | None:
    """The canvas's RGBA pixels as a model input; None (with a hint) while nothing is drawn."""
    if image_data is None or not (json_data or {}).get("objects"):
        st.caption("Draw a garment above: a filled shape, large and centred, works best (like the dataset).")
        return None
    return prepare(lambda: preprocess.preprocess_pixels(image_data))


def prepare(make) -> preprocess.Preprocessed | None:
    """Run one preprocessing call; a bad image becomes its one-line message, never a traceback."""
    try:
        return make()
    except preprocess.ImageError as error:
        st.error(str(error), icon="🚫")
        return None


def random_test_index(count: int) -> int:
    """This visitor's current test image: a random one from the first look, kept across reruns."""
    if TEST_INDEX not in st.session_state:
        shuffle_test_image(count)
    return int(st.session_state[TEST_INDEX]) % count


def shuffle_test_image(count: int) -> None:
    st.session_state[TEST_INDEX] = int(np.random.default_rng().integers(count))


def _framed(step: preprocess.Step, side: int = 112) -> np.ndarray:
    """A step image fitted into a transparent side x side square, so the strip lines up.

    Small images (the 28x28 input) are enlarged by pixel repetition, so they stay crisp. A grey line
    outlines each one, so a plain white step (a cut-out's background) still shows on a white page.
    """
    image = Image.fromarray(step.image).convert("RGBA")
    scale = side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    smooth = Image.Resampling.NEAREST if scale >= 2 else Image.Resampling.LANCZOS
    frame = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    corner = ((side - size[0]) // 2, (side - size[1]) // 2)
    frame.paste(image.resize(size, smooth), corner)
    outline = (corner[0], corner[1], corner[0] + size[0] - 1, corner[1] + size[1] - 1)
    ImageDraw.Draw(frame).rectangle(outline, outline=(128, 128, 128, 255))
    return np.asarray(frame)


def show_steps(prepared: preprocess.Preprocessed) -> None:
    """The preprocessing as a strip of images, then every way the input is unlike the dataset."""
    st.image(
        [_framed(step) for step in prepared.steps],
        caption=[step.name for step in prepared.steps],
        width=112,
        alt=[
            f"Step {number} of {len(prepared.steps)}: {step.name}"
            for number, step in enumerate(prepared.steps, start=1)
        ],
    )
    facts = [prepared.description]
    if prepared.inverted:
        facts.append("dark on light, so inverted")
    st.caption(" · ".join(facts))
    for text in prepared.warnings:
        st.warning(text, icon="⚠️")
