"""Streamlit glue of the Inside page: one image through the network, and the embedding map."""

from __future__ import annotations

import base64
import io

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image

from core.data import CLASS_NAMES
from core.models import store
from core.predict import preprocess
from core.understand import evaluation as ev
from core.understand import inspection as ins
from ui.shared import crop, images, loaders, widgets

INDEX_KEY = "inside_test_index"
SOURCE_KEY = "inside_source"
UPLOAD_KEY = "inside_upload"
CAMERA_KEY = "inside_camera"
CROP_WIDTH = 264  # pixels: the picture to crop on fills the image chooser's column (the page's CHOOSER)
MAPS_SHOWN = 32
MAP_COLUMNS = 8
TEMPLATES_SHOWN = 32
BRUSH = "region"


@st.cache_resource(show_spinner=False, max_entries=16)
def anatomy(model_id: str, stamp: float) -> ins.Anatomy:
    return ins.anatomy(loaders.model(model_id, stamp))


TEST_IMAGE, DRAW, UPLOAD = widgets.TEST_IMAGE, widgets.DRAW, widgets.UPLOAD


def pick_source() -> str:
    return widgets.pick_source(SOURCE_KEY, [TEST_IMAGE, DRAW, UPLOAD, crop.CAMERA])


def drawn_image(image_data: np.ndarray | None, json_data: dict | None) -> tuple[np.ndarray | None, None, str]:
    """The canvas drawing, preprocessed exactly as on the Predict page."""
    prepared = images.drawing_input(image_data, json_data)
    return (None, None, "") if prepared is None else (prepared.image * 255.0, None, "your drawing")


def pick_image(dataset, source: str) -> tuple[np.ndarray | None, int | None, str]:
    """A 28x28 image (0-255) from the test set or an upload; its true class when known; a description."""
    if source == UPLOAD:
        file = st.file_uploader("Image file", type=list(preprocess.UPLOAD_EXTENSIONS), key=UPLOAD_KEY)
        st.caption("Turned into a 28×28 Fashion-MNIST-style image exactly as on the Predict page.")
        prepared = None if file is None else crop.cropped_photo(UPLOAD_KEY, file.getvalue(), width=CROP_WIDTH)
        # the models take 0-255 pixels
        return (None, None, "") if prepared is None else (prepared.image * 255.0, None, f"your upload `{file.name}`")
    if source == crop.CAMERA:
        prepared = crop.camera_photo(CAMERA_KEY, width=CROP_WIDTH)
        return (None, None, "") if prepared is None else (prepared.image * 255.0, None, "your photo")
    count = len(dataset.x_test)
    if INDEX_KEY not in st.session_state:
        st.session_state[INDEX_KEY] = int(np.random.default_rng().integers(count))
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    index = left.number_input("Test image number", 0, count - 1, step=1, key=INDEX_KEY)
    right.button("🎲 Another", on_click=_shuffle, args=(count,), key="inside_another")
    return dataset.x_test[index].astype(np.float32), int(dataset.y_test[index]), f"test image #{index:,}"


def _shuffle(count: int) -> None:
    st.session_state[INDEX_KEY] = int(np.random.default_rng().integers(count))


def prediction_line(model, image: np.ndarray, true_class: int | None) -> int:
    """Show the top 3 and return the predicted class."""
    probabilities = np.asarray(model(image[None].astype(np.float32), training=False))[0]
    ranked = ev.top_k(probabilities, 3)
    shown = " · ".join(f"**{CLASS_NAMES[index]}** {probability:.1%}" for index, probability in ranked)
    truth = "" if true_class is None else f" (true: **{CLASS_NAMES[true_class]}**)"
    st.markdown(f"The model says {shown}{truth}")
    return ranked[0][0]


def explanations(model, parts: ins.Anatomy, image: np.ndarray, predicted: int, described: str) -> None:
    """The image, its saliency (as on Evaluate) and, for CNNs, Grad-CAM, all for the predicted class.

    ``described`` names the image ("test image #7,637", "your drawing") for the alternative texts.
    """
    scale = 6
    name, described = CLASS_NAMES[predicted], described.replace("`", "")
    pictures = [ev.grayscale_rgb(image, scale)]
    captions = ["what the model sees"]
    alts = [f"{described[:1].upper()}{described[1:]} as the model sees it, 28×28 pixels"]
    saliency = ev.saliency_maps(model, image[None], [predicted])[0]
    pictures.append(ev.saliency_overlay(image, saliency, factor=scale))
    captions.append("saliency (SmoothGrad): single pixels")
    alts.append(f"Saliency of {described} for {name}: the brighter, the more a pixel sways the model")
    if parts.convolutions:
        cam = ins.grad_cam(parts, image[None], [predicted])[0]
        pictures.append(ev.saliency_overlay(image, cam, factor=scale))
        captions.append("Grad-CAM: regions of the last convolution")
        alts.append(f"Grad-CAM of {described} for {name}: the regions the decision rests on")
    st.image(pictures, caption=captions, width=28 * scale, alt=alts)
    if parts.convolutions:
        st.caption(
            f"Both explain **{CLASS_NAMES[predicted]}**. Saliency asks which single pixels would change the score most; "
            "Grad-CAM asks which regions of the last convolution's maps the decision rests on (coarser: one cell "
            "covers several pixels)."
        )
    else:
        st.caption("Grad-CAM needs convolution maps; an MLP has none, so only the pixel saliency is shown.")


def activation_grids(parts: ins.Anatomy, image: np.ndarray, described: str) -> None:
    """Each block's output: conv maps as a grid, strongest first; dense units as a strip."""
    described = described.replace("`", "")  # an upload's name is in code style in the heading; not when read aloud
    maps = ins.activations(parts, image)
    if parts.mirrored:
        st.caption("This model averages its answer over the image and its mirror; shown: the image as it is.")
    for number, block in enumerate(parts.blocks, start=1):
        values = maps[block.name]
        if block.kind == "conv":
            ordered = ins.strongest_first(values)[:MAPS_SHOWN]
            height = values.shape[0]
            scale = max(2, 112 // height)
            mosaic = ins.tile(ins.normalized(ordered), MAP_COLUMNS, pad=1, pad_value=0.25)
            st.markdown(
                f"**{number}. Convolution `{block.name}`**: {values.shape[2]} maps of {height}×{values.shape[1]}"
                + (f"; the {MAPS_SHOWN} strongest" if values.shape[2] > MAPS_SHOWN else ", strongest first")
            )
            st.image(
                ev.grayscale_rgb(mosaic * 255, scale),
                alt=f"The {len(ordered)} strongest maps of convolution {block.name} for {described}, brightest most active",
            )
        else:
            st.markdown(f"**{number}. Dense `{block.name}`**: {values.shape[0]} units, most active first")
            ordered = np.sort(values)[::-1]
            strip = ins.normalized(ordered)[None, :]
            st.image(
                ev.grayscale_rgb(np.repeat(strip, 12, axis=0) * 255, 2),
                alt=f"The {values.shape[0]} units of dense layer {block.name} for {described}, most active (brightest) first",
            )
            st.caption(f"{int((values > 0).sum())} of {values.shape[0]} units are active (above zero).")


def first_layer(parts: ins.Anatomy) -> None:
    weights = ins.first_layer_weights(parts)
    if parts.blocks[0].kind == "conv":
        st.markdown(f"**The first convolution's {len(weights)} filters** ({weights.shape[1]}×{weights.shape[2]})")
        st.caption("Red: positive weights, blue: negative. Each filter slides over the image looking for this pattern.")
        st.image(
            _weight_mosaic(weights, scale=10),
            alt=f"The {len(weights)} filters of the first convolution: red positive weights, blue negative",
        )
        return
    strongest = np.argsort(-np.abs(weights).reshape(len(weights), -1).sum(axis=1))[:TEMPLATES_SHOWN]
    st.markdown(
        f"**The first dense layer's templates**: the {len(strongest)} of {len(weights)} units with the largest weights"
    )
    st.caption(
        "Each unit multiplies every pixel by a weight and adds them up. Red pixels push it up, blue pull it down: "
        "you can often see the outline of a garment (or the gap between two) it looks for."
    )
    st.image(
        _weight_mosaic(weights[strongest], scale=2),
        alt=f"The weights of the {len(strongest)} strongest units of the first dense layer: red positive, blue negative",
    )


def _weight_mosaic(weights: np.ndarray, scale: int) -> np.ndarray:
    """Weights as one picture: each tile scaled by its own largest weight (red +, blue -), white lines between."""
    peaks = np.abs(weights).reshape(len(weights), -1).max(axis=1).reshape(-1, 1, 1)
    scaled = np.divide(weights, peaks, out=np.zeros_like(weights, dtype=np.float32), where=peaks > 0)
    mosaic = ins.tile(scaled, MAP_COLUMNS, pad=1, pad_value=0.0)
    return ev.difference_rgb(mosaic, np.zeros_like(mosaic), scale)


# -- the embedding map ----------------------------------------------------------------------------
@st.cache_resource(show_spinner=False, max_entries=16)
def embedding(model_id: str, stamp: float) -> ins.Embedding:
    dataset, _ = loaders.dataset()
    return ins.embedding(store.find(model_id), dataset.x_test, model=loaders.model(model_id, stamp))


@st.cache_resource(show_spinner=False)
def thumbnails() -> list[str]:
    """Every test image as a PNG data URL, for the chart's tooltips (made once per server)."""
    dataset, _ = loaders.dataset()
    urls = []
    for image in dataset.x_test:
        buffer = io.BytesIO()
        Image.fromarray(image).resize((56, 56), Image.NEAREST).save(buffer, format="PNG", optimize=True)
        urls.append("data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode())
    return urls


def require_embedding(artifact: store.Artifact, stamp: float) -> ins.Embedding | None:
    try:
        with st.spinner("Projecting the 10,000 test images to 2-D (once per model; cached beside it)…", show_time=True):
            return embedding(artifact.model_id, stamp)
    except (store.ArtifactError, ValueError) as error:
        st.error(f"**No map for this model:** {error}", icon="🗺️")
        return None


def map_points(mapped: ins.Embedding, result: ev.Evaluation, shown: int, seed: int = 0) -> pd.DataFrame:
    """The points drawn: every misclassified image, then a fixed random sample of the rest."""
    frame = ins.embedding_frame(mapped.points, result.labels, result.predictions)
    frame["outcome"] = np.where(frame["true"] == frame["predicted"], "right", "wrong")
    wrong = frame.index[frame["outcome"] == "wrong"].to_numpy()
    right = frame.index[frame["outcome"] == "right"].to_numpy()
    keep = np.random.default_rng(seed).permutation(right)[: max(0, shown - len(wrong))]
    chosen = np.sort(np.concatenate([wrong, keep]))
    points = frame.loc[chosen].copy()
    urls = thumbnails()
    points["image"] = [urls[index] for index in points["index"]]
    return points


def map_numbers(points: pd.DataFrame) -> pd.DataFrame:
    """What the map draws, counted: per true class, its dots and how many of them are mistakes."""
    counts = points.groupby("true", sort=False)["outcome"].agg(
        dots="size", misclassified=lambda o: (o == "wrong").sum()
    )
    return counts.reindex([name for name in CLASS_NAMES if name in counts.index]).reset_index()


def map_chart(points: pd.DataFrame) -> alt.Chart:
    brush = alt.selection_interval(name=BRUSH, encodings=["x", "y"])
    return (
        alt.Chart(points)
        .mark_point(filled=True, size=18, opacity=0.7)
        .encode(
            x=alt.X("x:Q", axis=None, scale=alt.Scale(zero=False)),  # UMAP's coordinates mean nothing on their own
            y=alt.Y("y:Q", axis=None, scale=alt.Scale(zero=False)),
            color=alt.Color("true:N", title="true class", sort=list(CLASS_NAMES), scale=alt.Scale(scheme="tableau10")),
            shape=alt.Shape(
                "outcome:N", title="prediction", scale=alt.Scale(domain=["right", "wrong"], range=["circle", "cross"])
            ),
            size=alt.condition(alt.datum.outcome == "wrong", alt.value(60), alt.value(18)),
            tooltip=[
                alt.Tooltip("image:N", title="image"),
                alt.Tooltip("index:Q", title="test image"),
                alt.Tooltip("true:N"),
                alt.Tooltip("predicted:N"),
            ],
        )
        .add_params(brush)
        .properties(height=560)
    )


def selected_region(event) -> tuple[tuple[float, float], tuple[float, float]] | None:
    region = (event or {}).get("selection", {}).get(BRUSH) or {}
    try:
        return tuple(sorted(region["x"])), tuple(sorted(region["y"]))
    except (KeyError, TypeError, ValueError):
        return None


def in_region(mapped: ins.Embedding, result: ev.Evaluation, region) -> pd.DataFrame:
    """Every test image inside the box (not only the points drawn), mistakes first."""
    (x0, x1), (y0, y1) = region
    x, y = mapped.points[:, 0], mapped.points[:, 1]
    inside = np.flatnonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
    frame = ev.examples(result.labels[inside], result.probabilities[inside])
    frame["index"] = inside[frame["index"].to_numpy()]
    frame["wrong"] = frame["true"] != frame["predicted"]
    return frame.sort_values("wrong", ascending=False, kind="stable").drop(columns="wrong")
