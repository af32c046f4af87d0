"""Cached loaders: the dataset and models are loaded once per process and shared."""

from __future__ import annotations

import time

import streamlit as st

from core import data
from core.models import model_cache as model_cache_module
from core.models import store
from core.predict import garment_check as garment_check_module


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


@st.cache_resource(show_spinner=False)
def model_cache() -> model_cache_module.ModelCache:
    """The one bounded cache of loaded models in this process (limits from the environment)."""
    return model_cache_module.ModelCache(model_cache_module.CacheLimits.from_env())


@st.cache_resource(show_spinner=False)
def garment_check() -> garment_check_module.GarmentCheck | None:
    """The shipped "is it clothing at all?" check, loaded once per process (None when it is missing)."""
    return garment_check_module.GarmentCheck.load()


def model(model_id: str, stamp: float):
    """A Keras model, loaded once per (id, file time) for every visitor while it is among the recently used.

    Bounded (``core.models.model_cache``): memory does not grow with the number of runs on disk. A model
    whose file changed (a new stamp) replaces its old entry.
    """
    cache = model_cache()

    def load():
        cache.drop(lambda key: key[0] == model_id and key[1] != stamp)
        with st.spinner(f"Loading model {model_id}…"):
            return store.load_model(store.find(model_id))

    return cache.get((model_id, stamp), load)


def use_run_store_from_secrets() -> None:
    """The run store named in the app's secrets (``[connections.runs] url``, Community Cloud's Secrets box), unless
    ``FASHION_STUDIO_STORE_URL`` names one already; nothing set: the runs folder."""
    try:
        url = store.url_from_secrets(st.secrets)
    except Exception:  # noqa: BLE001 - no secrets file at all: Streamlit raises rather than answering "none"
        url = None
    store.use_store_url(url)


def artifacts() -> list[store.Artifact]:
    """Every saved model, shipped and the store's; cheap enough to read on each run. While the run store does not
    answer, the page says so (and where runs go) and goes on with the shipped models."""
    try:
        return store.list_artifacts()
    except store.StoreUnavailable as error:
        show_store_unavailable(error)
        return store.list_artifacts([store.SHIPPED_DIR])


def show_store_unavailable(error: store.StoreUnavailable) -> None:
    st.error(f"**The class's runs cannot be reached right now.** {error}", icon="🗄️")


streamlit_clean_up = None  # Streamlit's post-run hook, once keep_keras_state has replaced it


def keep_keras_state() -> None:
    """Stop Streamlit from calling ``keras.backend.clear_session()`` after every script run.

    Streamlit does that (``script_runner._clean_problem_modules``) for apps that build a new
    model on each run. Here every model is shared by all visitors and training runs in a
    background thread, while the clearing follows each rerun of each session (the live training
    panel alone reruns every second). Each time it runs a full garbage collection (~0.25 s
    holding the GIL once TensorFlow is loaded), drops TensorFlow's process-wide kernel cache and
    replaces Keras's global state for every thread, the training thread's included. With eight
    visitors predicting (tests/e2e/test_load.py), a 4-epoch MLP on 5,000 images trained in
    55-63 s; 28-30 s without this clearing; 12-15 s without it and without Streamlit's post-run
    collection too (``runner.postScriptGC`` in .streamlit/config.toml). The hook's other
    clean-up closes matplotlib figures: there are none here.
    """
    from streamlit.runtime.scriptrunner import script_runner

    global streamlit_clean_up
    current = getattr(script_runner, "_clean_problem_modules", None)
    if current is not None and current is not _keep_state:
        streamlit_clean_up = current  # Streamlit's own, kept for the test that proves it clears Keras
        script_runner._clean_problem_modules = _keep_state


def _keep_state() -> None:
    """Streamlit's post-run clean-up, replaced: models and Keras state stay for the next run."""
