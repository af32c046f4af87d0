"""Train: pick an architecture and its settings (all in the URL), see the layers, the cost and the code, train live."""

import streamlit as st

from core.training import browser, jobs
from ui import train
from ui.shared import live, runs, state, widgets

st.title("🏋️ Train a model")
dataset = widgets.require_dataset()

job = train.attached_job()
busy = job is not None and not job.finished
spec = train.choose_architecture(job)
st.markdown(f"{spec.description}  \n*Source:* {spec.source}")
hp, name = train.settings_form(spec, job)

train.show_layers(spec, hp)
train.show_code(spec, hp)
place = train.choose_place(spec, hp, job)
estimated = None if busy or place == browser.BROWSER else train.duration_estimate(spec, hp, dataset)
train.show_estimate(estimated)
if not busy and st.button("▶ Start training", type="primary"):
    try:
        if place == browser.BROWSER:
            job = train.submit_in_browser(spec, hp, name)
        else:
            job = train.submit(spec, hp, name, dataset, estimated.seconds if estimated else None)
    except ValueError as error:  # a bad setting or name, or the queue's refusal: each says what to change
        st.error(str(error), icon="⚠️")
    else:
        st.rerun()

if job is not None:
    progress = job.snapshot()
    st.subheader(f"Run: {progress.model_id or progress.model_name}")
    options = live.chart_options()
    if not progress.finished:
        train.browser_trainer(job)
        if not isinstance(job, browser.BrowserJob):  # a browser run lives in its tab: a reload ends it
            st.caption(
                "🔗 This page's address is this run's link: a reload or another tab of this browser finds it again."
            )
        live.live_panel(job, options, dataset)
    else:
        if progress.batches_per_epoch:  # it trained: its curves, metrics and watched images stay on screen
            live.show_progress(progress, options)
            live.show_watch(progress, dataset)
        if progress.state == jobs.DONE:
            train.show_outcome(progress)
            st.session_state[state.SELECTED_MODEL] = progress.model_id
            st.page_link("app_pages/evaluate.py", label=f"Evaluate {progress.model_id}", icon="🔍")
            train.downloads(progress.model_id)
        elif progress.state == jobs.STOPPED:
            st.warning(progress.message, icon="⏹")
        else:
            st.error(progress.message, icon="❌")

runs.my_runs()
