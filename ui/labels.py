"""Streamlit glue of the Label mistakes page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.data import CLASS_NAMES
from core.models import store
from core.understand import evaluation as ev
from core.understand import label_issues
from ui.shared import widgets

ANY = "any"
ANY_CLASS_CHOICES = [ANY, *CLASS_NAMES]
SCALE = 3


@st.cache_resource(show_spinner=False)
def ranking() -> pd.DataFrame:
    """cleanlab's ranking of the shipped out-of-sample probabilities, once per server."""
    from core import data

    dataset = data.load()
    stored = label_issues.load()
    if len(stored.probabilities) != len(dataset.y_train):
        raise store.ArtifactError("the stored probabilities do not match the training set; run `make label-issues`")
    return label_issues.rank(dataset.y_train, stored.probabilities)


def require_ranking(dataset) -> pd.DataFrame:
    try:
        with st.spinner("Ranking the 60,000 training labels with cleanlab…", show_time=True):
            return ranking()
    except store.ArtifactError as error:
        st.error(f"**No label-issue scores available.** {error}", icon="🏷️")
        st.stop()


def summary(ranked: pd.DataFrame, total: int) -> str:
    pairs = ranked.groupby(["given", "suggested"]).size().sort_values(ascending=False).head(3)
    common = ", ".join(f"{CLASS_NAMES[g]} → {CLASS_NAMES[s]} ({n})" for (g, s), n in pairs.items())
    return (
        f"**{len(ranked):,} of {total:,} training images** ({len(ranked) / total:.1%}) are flagged as likely "
        f"mislabeled. Most common: {common}. Many are hard cases (a shirt or a T-shirt?); the top of the list "
        "is where real mistakes hide: dresses labelled Shirt, a photo of a whole person, a garment cut in half."
    )


def filtered(ranked: pd.DataFrame, given: str, suggested: str) -> pd.DataFrame:
    keep = np.ones(len(ranked), dtype=bool)
    if given != ANY:
        keep &= ranked["given"].to_numpy() == CLASS_NAMES.index(given)
    if suggested != ANY:
        keep &= ranked["suggested"].to_numpy() == CLASS_NAMES.index(suggested)
    return ranked[keep]


def chance(probability: float) -> str:
    """How sure a model is, in words a student reads: a percent where one fits, else "1 in N"
    (a hundred flagged images all at "<1%" would say nothing about which is most suspicious)."""
    if probability >= 0.995:
        return f"{probability:.1%}" if probability < 0.9995 else "over 99.9%"
    if probability >= 0.01:
        return f"{probability:.0%}"
    if probability >= 0.001:
        return f"{probability:.1%}"
    if probability <= 0:
        return "none"
    odds = 1 / probability
    rounded = float(f"{odds:.2g}")  # two significant figures: 1 in 1,200,000, not 1 in 1,198,327
    return f"1 in {rounded:,.0f}"


def caption(row) -> str:
    """One flagged image: its given label and the model's confidence in it, then what the model thinks it is."""
    return (
        f"#{row.index}: labelled {CLASS_NAMES[row.given]} ({chance(row.score)}); "
        f"looks like {CLASS_NAMES[row.suggested]} ({chance(row.suggested_probability)})"
    )


def gallery(images: np.ndarray, shown: pd.DataFrame, total: int) -> None:
    if not len(shown):
        st.info("No flagged images with these labels.", icon="🫙")
        return
    st.caption(
        f"Showing {len(shown)} of {total:,}, most likely mistake first. In brackets: how sure the models that "
        "never trained on that image are of its given label, and of what they think it is instead."
    )
    st.image(
        [ev.grayscale_rgb(images[row.index], SCALE) for row in shown.itertuples()],
        caption=[caption(row) for row in shown.itertuples()],
        width=28 * SCALE * 2,
        alt=[
            widgets.training_image_alt(row.index, CLASS_NAMES[row.given]) + f", perhaps a {CLASS_NAMES[row.suggested]}"
            for row in shown.itertuples()
        ],
    )
