"""Widgets shared by several pages."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core import data
from core.models import store
from ui import loaders


def require_dataset() -> data.FashionMNIST:
    """The dataset, or a friendly page saying what was tried and how to fix it."""
    try:
        dataset, _ = loaders.dataset()
        return dataset
    except data.DatasetNotFoundError as error:
        st.error("**Fashion-MNIST dataset not found.** The app needs the four original files to run.", icon="📦")
        st.markdown("**How to fix it** (either one):")
        st.code(
            f"sudo apt-get install dataset-fashion-mnist\n# or\nexport {data.ENV_DIR}=/path/to/folder/with/the/four/files"
        )
        st.markdown("The folder must hold: " + ", ".join(f"`{spec.name}`" for spec in data.FILES.values()))
        st.markdown("**Where the app looked:**")
        st.table({"place": [place for place, _ in error.attempts], "what it found": [why for _, why in error.attempts]})
        st.stop()


def crisp(image: np.ndarray, scale: int = 3) -> np.ndarray:
    """Nearest-neighbour upscaling, so the browser shows square pixels instead of a blur."""
    return np.repeat(np.repeat(np.asarray(image), scale, axis=0), scale, axis=1)


def class_row(images, width: int = 56) -> None:
    """A row of small grayscale 28x28 images with crisp pixels."""
    st.image([crisp(image) for image in images], width=width, clamp=True)


def resend(*keys: str) -> None:
    """Send these widgets' current values to the browser with this run; call it just before drawing them.

    Streamlit sends a keyed widget's value to the browser only on a run whose script set it, and otherwise
    trusts the browser to still show it. For a select box whose options change between runs (a filter adds
    a model; a run is saved), the browser's box now and then fell back to its first option while the server
    kept the chosen one, so the box, the address and the numbers under it named different models (1 run in
    8 of tests/e2e/test_compare.py with one core busy; the same symptom as streamlit/streamlit#13435).
    A value written back counts as set by the script, so Streamlit sends it with every run and the box shows
    what the page uses. A key not yet in the session (first run; a URL-bound widget seeding itself) is left alone.
    """
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def require_models(what_happens: str) -> list[store.Artifact]:
    """Every model folder, or an invitation to train one first (and the page stops)."""
    artifacts = loaders.artifacts()
    if not artifacts:
        st.info(f"No models yet. Train one first; it will {what_happens} as soon as it is saved.", icon="🏋️")
        st.page_link("app_pages/train.py", label="Go to the Train page", icon="🏋️")
        st.stop()
    return artifacts
