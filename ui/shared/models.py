"""Choosing a saved model and loading what every page reads from it: the picker (one choice shared by Evaluate
and Inside), the model itself, its cached test-set evaluation, and the gallery of test images."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.data import CLASS_NAMES
from core.models import store, zoo
from core.understand import evaluation as ev
from ui.shared import charts_eval, loaders, state, widgets

MODEL_KEY = "evaluate_model"
SEEN_TRAINED_KEY = "evaluate_seen_trained"  # the SELECTED_MODEL value this page last acted on
GALLERY_LIMIT = 60  # thumbnails drawn at most; the caption says how many there are
THUMBNAIL_SCALE = 3  # 28 px -> 84 px, nearest neighbour (crisp pixels)
LABELLED_THUMBNAIL_SCALE = 4  # 112 px: room for a "true → predicted" caption


def model_name(artifact: store.Artifact) -> str:
    """What a student calls a model, unique like its id: a shipped one by its architecture's name, as Train lists
    it ("MLP 128"); a run by its id, made from the name it was given. An architecture this version does not know
    keeps its id."""
    meta = artifact.meta
    if meta is None or artifact.model_id != meta.arch:
        return artifact.model_id
    return zoo.arch_name(meta.arch)


def model_label(artifact: store.Artifact) -> str:
    """A model in a list: its name, with its id where they differ (the id is what ``?model=`` links take)."""
    if not artifact.ok:
        return f"⚠ {artifact.model_id} (broken)"
    meta = artifact.meta
    name = model_name(artifact) if artifact.model_id == meta.arch else meta.display_name
    name = name if name == artifact.model_id else f"{name} ({artifact.model_id})"
    origin = (
        "shipped"
        if artifact.shipped
        else "imported"
        if meta.notes.get("origin") == "import"
        else "trained in a browser"
        if meta.where.startswith("a browser")
        else "trained here"
    )
    return f"{name} · {meta.test_accuracy:.1%} · {origin}"


def pick_model(artifacts: list[store.Artifact]) -> store.Artifact:
    """A selectbox over every model, broken ones last and marked.

    On arrival it opens the model named in the URL (``?model=ID``), else the one the
    Train page saved, else the first working one; a model trained since the last
    visit is selected even if another was picked before. An id that does not exist
    gets a warning, not an error. The URL follows the choice, so links reopen it.
    """
    ordered = [a for a in artifacts if a.ok] + [a for a in artifacts if not a.ok]
    by_id = {artifact.model_id: artifact for artifact in ordered}
    trained = st.session_state.get(state.SELECTED_MODEL)
    newly_trained = trained is not None and trained != st.session_state.get(SEEN_TRAINED_KEY)
    st.session_state[SEEN_TRAINED_KEY] = trained
    wanted = None
    if st.session_state.get(MODEL_KEY) not in by_id:  # first run here, or the model disappeared
        wanted = st.query_params.get("model") or trained
    elif newly_trained:
        wanted = trained
    if wanted is not None or st.session_state.get(MODEL_KEY) not in by_id:
        if wanted and wanted not in by_id:
            st.warning(f"No model called `{wanted}`: it may have been deleted or renamed. Pick one below.", icon="🔎")
        st.session_state[MODEL_KEY] = wanted if wanted in by_id else next(iter(by_id))
    widgets.resend(MODEL_KEY)  # the list grows as runs are saved: the box must keep showing this model
    model_id = st.selectbox(
        "Model",
        list(by_id),
        format_func=lambda key: model_label(by_id[key]),
        key=MODEL_KEY,
        help="Every shipped model and every model trained here. Broken folders are marked ⚠.",
    )
    st.query_params["model"] = model_id
    return by_id[model_id]


def _show_broken(artifact: store.Artifact, reason: str) -> None:
    st.error(f"**Model `{artifact.model_id}` cannot be evaluated.** {reason}", icon="⚠️")
    st.caption(f"Folder: `{artifact.path}`. The other models in the list still work; retrain or delete this one.")


def require_model(artifact: store.Artifact) -> float:
    """Make sure the model loads (into the shared cache) and return its stamp; else a clear error and stop."""
    if not artifact.ok:
        _show_broken(artifact, f"Its folder is damaged: {artifact.error}.")
        st.stop()
    stamp = ev.artifact_stamp(artifact)
    try:
        loaders.model(artifact.model_id, stamp)
    except store.ArtifactError as error:
        _show_broken(artifact, str(error))
        st.stop()
    return stamp


def require_evaluation(artifact: store.Artifact, stamp: float) -> ev.Evaluation:
    """The model's test-set evaluation; a model that fails on the test images stops the page clearly."""
    try:
        with st.spinner("Predicting the 10,000 test images (once per model; cached beside it)…", show_time=True):
            return evaluation(artifact.model_id, stamp)
    except store.ArtifactError as error:
        _show_broken(artifact, str(error))
        st.stop()


@st.cache_resource(show_spinner=False, max_entries=16)
def evaluation(model_id: str, stamp: float) -> ev.Evaluation:
    """Test-set evaluation, once per (model, file time) for every visitor; fills the disk cache."""
    dataset, _ = loaders.dataset()
    return ev.evaluate(
        store.find(model_id), dataset.x_test, dataset.y_test, load_model=lambda: loaders.model(model_id, stamp)
    )


def gallery(
    images: np.ndarray, frame: pd.DataFrame, *, show_pair: bool, empty: str, order: str = "most confident first"
) -> None:
    """Crisp thumbnails of the rows of ``frame`` (an ``ev.examples`` table, in its order), at most GALLERY_LIMIT."""
    total = len(frame)
    if not total:
        st.info(empty, icon="🫙")
        return
    shown = frame.head(GALLERY_LIMIT)
    st.caption(
        f"Showing {len(shown)} of {total:,}, {order}." if total > len(shown) else f"{total:,} image(s), {order}."
    )

    def caption(row) -> str:
        pair = f"{CLASS_NAMES[row.true]} → {CLASS_NAMES[row.predicted]} · " if show_pair else ""
        return f"{pair}{charts_eval.percent_label(row.confidence)} · #{row.index}"

    scale = LABELLED_THUMBNAIL_SCALE if show_pair else THUMBNAIL_SCALE
    st.image(
        [ev.grayscale_rgb(images[index], scale) for index in shown["index"]],
        caption=[caption(row) for row in shown.itertuples()],
        width=28 * scale,  # the image's own size: no browser resampling, crisp pixels
        alt=[
            widgets.test_image_alt(
                row.index,
                f"a {CLASS_NAMES[row.true]} predicted as {CLASS_NAMES[row.predicted]} "
                f"({charts_eval.percent_label(row.confidence)} sure)",
            )
            for row in shown.itertuples()
        ],
    )
