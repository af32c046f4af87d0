"""Teacher: every job and every run of the class, with Cancel and Delete, behind a secret."""

import streamlit as st

from ui import teacher
from ui.shared import runs, widgets

st.title("🧑‍🏫 Teacher")
secret = teacher.configured_secret()
if secret is None:
    teacher.show_locked()
    st.stop()
if not teacher.unlocked(secret):
    teacher.unlock_form(secret)
    st.stop()

teacher.limits_caption()
st.subheader("Training jobs")
teacher.jobs_panel()
st.subheader("Saved runs")
teacher.runs_caption()
runs.all_runs()
st.subheader("The class's runs as one file")
st.caption(
    "Without a run store, a hosted server forgets its runs when it restarts: download them all, upload them after."
)
runs.class_bundles()
st.subheader("The class's examples")
st.caption("The pictures students added to teach models: remove the bad ones before teaching on them.")
pooled = teacher.class_examples()
st.subheader("Teach one class model")
teacher.teach_class_model(pooled, widgets.require_dataset())
