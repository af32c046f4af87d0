"""Training glue: the process-wide queue, this visitor's jobs, and the live progress panel."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import training, zoo
from ui import charts, state


@st.cache_data(show_spinner=False, max_entries=64)
def parameter_count(arch: str, hp: zoo.Hyperparameters) -> int:
    return zoo.build(zoo.get_spec(arch), hp).count_params()


def my_job() -> training.TrainingJob | None:
    """This visitor's latest job; found by the ids kept in its own session only."""
    queue = training.default_queue()
    for job_id in reversed(st.session_state.get(state.TRAIN_JOB_IDS, [])):
        job = queue.get(job_id)
        if job is not None:
            return job
    return None


def remember(job: training.TrainingJob) -> None:
    st.session_state.setdefault(state.TRAIN_JOB_IDS, []).append(job.id)


def _status_line(progress: training.Progress) -> str:
    if progress.state == training.QUEUED:
        ahead = progress.queue_position
        return f"Waiting in the training queue: {ahead} job{'s' if ahead != 1 else ''} ahead of yours."
    if progress.state in (training.PREPARING, training.SAVING):
        return progress.message
    eta = f" · about {progress.eta_seconds:.0f} s left" if progress.eta_seconds is not None else ""
    return (
        f"Epoch {max(progress.epoch, 1)}/{progress.epochs} · batch {progress.batch}/{progress.batches_per_epoch}"
        f" · {progress.seconds:.0f} s{eta}"
    )


def show_progress(progress: training.Progress) -> None:
    st.progress(progress.fraction, text=_status_line(progress))
    logs = progress.logs
    cols = st.columns(4)
    for col, (label, key, fmt) in zip(
        cols,
        (
            ("loss", "loss", "{:.4f}"),
            ("accuracy", "accuracy", "{:.2%}"),
            ("val loss", "val_loss", "{:.4f}"),
            ("val accuracy", "val_accuracy", "{:.2%}"),
        ),
        strict=True,
    ):
        col.metric(label, fmt.format(logs[key]) if key in logs else "–")
    if progress.curve:
        st.altair_chart(charts.training_curves(pd.DataFrame(progress.curve)))


@st.fragment(run_every=1.0)
def live_panel(job_id: str) -> None:
    """Redraws every second while the job runs; a full rerun once it has finished."""
    job = training.default_queue().get(job_id)
    if job is None:
        return
    progress = job.snapshot()
    if progress.finished:
        st.rerun(scope="app")
    show_progress(progress)
    if st.button("⏹ Stop training", key=f"stop-{job_id}"):
        job.request_stop()
        st.toast("Stopping after the current batch…")
