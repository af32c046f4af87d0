"""A photo from an upload or the camera, with a crop by hand: the learner drags a box on the original picture
(mouse, pen, finger) or sets its edges with two range sliders (keyboard, screen reader). Both edit one
``preprocess.Box`` per picture source in the session, and the answer follows at once (the photo is preprocessed
with ``crop=``). A box belongs to one picture: a new photo starts without one."""

from __future__ import annotations

import functools
import hashlib
import io
from dataclasses import dataclass, fields

import streamlit as st
from PIL import Image

from core.predict import preprocess
from ui.shared import images

CAMERA = "📷 Camera"  # a choice in a page's "Image from" row (widgets.pick_source), beside widgets.UPLOAD
MAX_HEIGHT = 360  # px: a tall photo is shown narrower, so the picture and the sliders under it fit a phone's screen
SMALLEST_DRAG = 6  # px: a shorter drag is a tap, not a box
SAME_BOX = 1.5  # px: the canvas sending back the box it was given is not a new box
FULL = (0, 100)  # a slider's range in % of the picture: both at FULL means no crop
BOX_COLOUR, BOX_FILL, BOX_STROKE = "#ff2b2b", "rgba(255, 43, 43, 0.08)", 2  # the box drawn on the picture
CAMERA_TIP = "Works best: lay the garment flat on a plain surface and fill the frame with it."


@dataclass(frozen=True)
class Keys:
    """The session keys of one picture source's crop (``source`` like "predict_upload")."""

    toggle: str  # the "Crop by hand" switch
    box: str  # the preprocess.Box in use, or None
    picture: str  # a digest of the photo the box belongs to
    generation: str  # a new canvas (new key) for a new photo or a reset
    across: str  # the left-right range slider
    down: str  # the top-bottom range slider
    reset: str  # the reset button
    canvas: str  # the canvas's key, before its generation number

    @classmethod
    def of(cls, source: str) -> Keys:
        return cls(*(f"{source}_crop_{field.name}" for field in fields(cls)))

    def canvas_key(self) -> str:
        return f"{self.canvas}_{st.session_state.get(self.generation, 0)}"


def camera_photo(source: str, *, width: int) -> preprocess.Preprocessed | None:
    """The camera's photo through the same steps as an upload, with what works best said under it."""
    photo = st.camera_input("Take a photo of one garment", key=source)
    st.caption(CAMERA_TIP)
    return None if photo is None else cropped_photo(source, photo.getvalue(), width=width)


def cropped_photo(source: str, data: bytes, *, width: int) -> preprocess.Preprocessed | None:
    """An image file's bytes preprocessed, inside the learner's box when there is one; ``width`` (px): the column's.

    When preprocessing cannot tell the object from its background, its one-line advice is shown with the crop
    offered, above the switch that opens it."""
    keys = Keys.of(source)
    _follow_picture(keys, data)
    advice = st.empty()  # filled once preprocessing has said whether it needs a hand
    cropping = st.toggle(
        "✂️ Crop by hand",
        key=keys.toggle,
        help="When the automatic crop takes the wrong thing: mark the garment yourself.",
    )
    box = _editor(keys, data, width) if cropping else None
    prepared = images.prepare(lambda: preprocess.preprocess(data, crop=box))
    if prepared is not None and prepared.crop_advice:
        offer = "Drag a box around it on the picture below." if cropping else "Turn on **✂️ Crop by hand** below."
        advice.info(f"{prepared.crop_advice} {offer}", icon="✂️")
    return prepared


def reset(keys: Keys) -> None:
    """No box: the automatic crop again, on an empty canvas and full-range sliders."""
    st.session_state[keys.box] = None
    st.session_state[keys.generation] = st.session_state.get(keys.generation, 0) + 1
    st.session_state[keys.across] = st.session_state[keys.down] = FULL


def _follow_picture(keys: Keys, data: bytes) -> None:
    """A box belongs to the photo it was drawn on: another photo starts without one."""
    digest = hashlib.sha1(data).hexdigest()
    if st.session_state.get(keys.picture) != digest:
        st.session_state[keys.picture] = digest
        reset(keys)


@st.cache_data(show_spinner=False, max_entries=16)
def _shown(data: bytes, width: int) -> tuple[bytes, tuple[int, int]] | None:
    """The decoded original scaled to fit ``width`` x MAX_HEIGHT, as image bytes and their size; None if unreadable
    (preprocessing then says why)."""
    try:
        image, _, _ = preprocess.decode(data)
    except preprocess.ImageError:
        return None
    alpha = image.mode in preprocess.ALPHA_MODES or "transparency" in image.info
    scale = min(width / image.width, MAX_HEIGHT / image.height)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    shown = image.convert("RGBA" if alpha else "RGB").resize(size, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    if alpha:
        shown.save(buffer, "PNG")
    else:
        shown.save(buffer, "JPEG", quality=88)
    return buffer.getvalue(), size


def _editor(keys: Keys, data: bytes, width: int) -> preprocess.Box | None:
    """The picture to drag a box on, and the same box as two range sliders; returns the box in use."""
    shown = _shown(data, width)
    if shown is None:
        return None
    from streamlit_drawable_canvas import st_canvas  # only importable inside a running app

    picture, (shown_width, shown_height) = shown
    st.caption("Drag a box around the garment on the picture, or move the ends of the two sliders under it.")
    st.space("medium")  # the canvas's own toolbar (undo, redo, clear) floats above it
    canvas_key = keys.canvas_key()
    st_canvas(
        fill_color=BOX_FILL,
        stroke_width=BOX_STROKE,
        stroke_color=BOX_COLOUR,
        background_image=picture,
        width=shown_width,
        height=shown_height,
        drawing_mode="labeled_rect",
        initial_drawing=_drawing(st.session_state.get(keys.box), shown_width, shown_height),
        update_streamlit=True,
        key=canvas_key,
        on_change=functools.partial(_take_dragged_box, keys, canvas_key, shown_width, shown_height),
    )
    _sliders_follow_box(keys)
    for key, label in (
        (keys.across, "left and right edges (% of the width)"),
        (keys.down, "top and bottom edges (% of the height)"),
    ):
        st.slider(f"Crop: {label}", 0, 100, key=key, on_change=_box_from_sliders, args=(keys,))
    st.button("↺ Reset crop", on_click=reset, args=(keys,), key=keys.reset)
    return st.session_state.get(keys.box)


def _drawing(box: preprocess.Box | None, width: int, height: int) -> dict:
    """The box as the canvas's drawing (one box object, in canvas pixels rounded so the same box is always the
    same drawing; the canvas redraws when its drawing changes)."""
    if box is None:
        return {"objects": []}
    rectangle = {
        "type": "LabeledRect",
        "label": "",
        "left": round(box.left * width, 1),
        "top": round(box.top * height, 1),
        "width": round((box.right - box.left) * width, 1),
        "height": round((box.bottom - box.top) * height, 1),
        "originX": "left",
        "originY": "top",
        "scaleX": 1,
        "scaleY": 1,
        "angle": 0,
        "stroke": BOX_COLOUR,
        "strokeWidth": BOX_STROKE,
        "fill": BOX_FILL,
        "lockRotation": True,
        "strokeUniform": True,
    }
    return {"objects": [rectangle]}


_ORIGIN_SHARE = {"center": 0.5, "right": 1.0, "bottom": 1.0}  # where a box's left/top point sits (Fabric.js)


def _last_box(drawing: dict | None) -> tuple[float, float, float, float] | None:
    """The last box of a canvas drawing as (left, top, width, height) in canvas pixels, its scaling applied (the
    canvas's edit mode resizes a box by scaling it); None when it holds none."""
    boxes = [item for item in (drawing or {}).get("objects", []) if item.get("type") == "LabeledRect"]
    if not boxes:
        return None
    last = boxes[-1]
    width, height = last.get("width", 0) * last.get("scaleX", 1), last.get("height", 0) * last.get("scaleY", 1)
    left = last.get("left", 0) - _ORIGIN_SHARE.get(last.get("originX", "left"), 0.0) * width
    top = last.get("top", 0) - _ORIGIN_SHARE.get(last.get("originY", "top"), 0.0) * height
    return left, top, width, height


def _take_dragged_box(keys: Keys, canvas_key: str, width: int, height: int) -> None:
    """The canvas sent a drawing: its last box becomes the crop, unless it is a tap or the very box the canvas was
    given (it sends that back after drawing it)."""
    state = st.session_state.get(canvas_key) or {}
    last = _last_box((state.get("drawing") or {}).get("raw"))
    if last is None or min(last[2], last[3]) < SMALLEST_DRAG:
        return
    given = _last_box(_drawing(st.session_state.get(keys.box), width, height))
    if given is not None and all(abs(a - b) <= SAME_BOX for a, b in zip(given, last, strict=True)):
        return
    left, top, box_width, box_height = last
    try:
        box = preprocess.Box.from_pixels(left, top, left + box_width, top + box_height, width, height)
    except preprocess.ImageError:  # a box wholly outside the picture
        return
    st.session_state[keys.box] = box
    st.session_state[keys.across] = _percent_range(box.left, box.right)
    st.session_state[keys.down] = _percent_range(box.top, box.bottom)


def _sliders_follow_box(keys: Keys) -> None:
    """Sliders not yet set (the switch just turned on, after a new photo or a reset) show the box in use."""
    box = st.session_state.get(keys.box)
    if keys.across not in st.session_state:
        st.session_state[keys.across] = FULL if box is None else _percent_range(box.left, box.right)
    if keys.down not in st.session_state:
        st.session_state[keys.down] = FULL if box is None else _percent_range(box.top, box.bottom)


def _percent_range(start: float, end: float) -> tuple[int, int]:
    """Two edges (fractions) as a slider's whole percentages, at least 1 apart."""
    low = min(99, max(0, round(start * 100)))
    return low, max(low + 1, min(100, round(end * 100)))


def _box_from_sliders(keys: Keys) -> None:
    """A slider moved: its ends are the box's edges (both at full range: no crop)."""
    across, down = tuple(st.session_state[keys.across]), tuple(st.session_state[keys.down])
    if across == FULL and down == FULL:
        st.session_state[keys.box] = None
        return
    (left, right), (top, bottom) = _percent_range(*(v / 100 for v in across)), _percent_range(*(v / 100 for v in down))
    st.session_state[keys.box] = preprocess.Box(left / 100, top / 100, right / 100, bottom / 100)
