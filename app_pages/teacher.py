"""Teacher: every job and every run of the class, with Cancel and Delete, behind a secret."""

import streamlit as st

from core.models import store
from core.training import estimate, fair_queue
from ui import runs, teacher

st.title("🧑‍🏫 Teacher")
secret = teacher.configured_secret()
if secret is None:
    st.info("The teacher view is locked until a secret is set on the server. Either one works:", icon="🔒")
    st.code(
        f'# .streamlit/secrets.toml\n{teacher.SECRET_NAME} = "choose-a-long-secret"\n\n# or\nexport {teacher.ENV_SECRET}=choose-a-long-secret'
    )
    st.stop()
if not teacher.unlocked(secret):
    teacher.unlock_form(secret)
    st.stop()

cap = estimate.max_run_seconds()
st.caption(
    f"One run may take at most {cap / 60:.0f} min on this server ({estimate.ENV_MAX_RUN_SECONDS});"
    f" {fair_queue.default_queue().max_concurrent} run(s) train at a time ({fair_queue.ENV_MAX_JOBS})."
)
st.subheader("Training jobs")
teacher.jobs_panel()
st.subheader("Saved runs")
usage = store.runs_usage()
try:
    cap = store.Retention.from_env().describe()
except ValueError as error:
    cap = f"the default cap (the setting is invalid: {error})"
st.caption(
    f"{usage.runs} runs, {usage.total_bytes / 1e6:,.0f} MB on disk; the runs folder keeps {cap}: beyond it the oldest runs are removed, never a shipped model."
)
runs.all_runs()
st.subheader("The class's runs as one file")
st.caption("A hosted server forgets its runs when it restarts: download them all, upload them back after.")
runs.class_bundles()
