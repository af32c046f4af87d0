"""Bring a model: a notebook's .keras or .h5 model, or a run's bundle, becomes one of your runs."""

import streamlit as st

from ui import bring
from ui.shared import runs, widgets

st.title("📥 Bring your own model")
st.caption(
    "The notebooks each end with model.save(...). Upload that file: the Studio loads it in safe mode, measures "
    "which input, pixel scale and output it has, evaluates it on the 10,000 test images and keeps it as one of "
    "your runs, on every page."
)
dataset = widgets.require_dataset()

st.subheader("Import a model")
bring.import_form(dataset)

st.subheader("Keep your runs")
st.caption(
    "A hosted server forgets files when it restarts. Download a run as one file (below), upload it back any time."
)
bring.bundle_form()
runs.my_runs()
