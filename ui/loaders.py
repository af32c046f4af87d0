"""Cached loaders: the dataset and models are loaded once per process and shared."""

from __future__ import annotations

import time

import streamlit as st

from core import data, store


@st.cache_resource(show_spinner="Loading Fashion-MNIST…")
def dataset() -> tuple[data.FashionMNIST, float]:
    """The dataset and the seconds it took to load.

    cache_resource rather than cache_data: the arrays are read-only and 55 MB, so every
    visitor shares one copy instead of unpickling a fresh one on each rerun. A
    DatasetNotFoundError is not cached, so installing the data fixes the app without
    a restart.
    """
    started = time.perf_counter()
    loaded = data.load()
    return loaded, time.perf_counter() - started


@st.cache_resource(show_spinner="Loading model…", max_entries=32)
def model(model_id: str, stamp: float):
    """A Keras model, loaded once per (id, file time) for every visitor."""
    return store.load_model(store.find(model_id))


def artifacts() -> list[store.Artifact]:
    """Every model folder, shipped and trained here; cheap enough to read on each run."""
    return store.list_artifacts()
