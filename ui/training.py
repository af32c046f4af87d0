"""Training glue: the process-wide queue, which run this browser sees, and the live progress panel."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from core import estimate, training, zoo
from ui import charts, identity

RUN_PARAM = "run"  # the run's own link: ?run=<job id> (122 random bits)
_JOB_ID = re.compile(r"[0-9a-f]{32}")


@st.cache_data(show_spinner=False, max_entries=64)
def parameter_count(arch: str, hp: zoo.Hyperparameters) -> int:
    return zoo.build(zoo.get_spec(arch), hp).count_params()


def queue() -> training.TrainingQueue:
    return training.default_queue()


def attached_job() -> training.TrainingJob | None:
    """The run this page follows: the one in the link, else this browser's newest (a reload finds it again)."""
    linked = st.query_params.get(RUN_PARAM, "")
    if _JOB_ID.fullmatch(linked) and (job := queue().get(linked)) is not None:
        return job
    owner = identity.owner()
    job = queue().active_job_of(owner) or queue().latest_job_of(owner)
    if job is not None and not job.finished:
        st.query_params[RUN_PARAM] = job.id  # the address bar becomes the run's link
    return job


def submit(spec: zoo.ModelSpec, hp: zoo.Hyperparameters, name: str, dataset, seconds: float | None):
    """Queue a run for this browser; raises ValueError (a bad setting, or the queue's refusal) with its message."""
    job = training.TrainingJob(spec, hp.validate(), name, owner=identity.owner())
    job.estimated_seconds = seconds
    queue().submit(job, dataset)
    st.query_params[RUN_PARAM] = job.id
    return job


def duration_estimate(spec: zoo.ModelSpec, hp: zoo.Hyperparameters, dataset) -> estimate.Estimate | None:
    """How long this run takes on this server; the first time an architecture is seen, a short probe measures it."""
    book = estimate.book()
    found = book.estimate(spec, hp)
    if found is None:
        with st.spinner(f"Measuring how fast {spec.name} trains on this server (once)…"):
            try:
                found = book.estimate_or_probe(spec, hp, dataset)
            except Exception as error:  # a probe that fails must not take the page down
                st.caption(f"Could not measure this architecture's speed ({type(error).__name__}).")
                return None
    return found


def show_estimate(found: estimate.Estimate | None) -> None:
    if found is None:
        return
    how = "measured by runs on this server" if found.source == "runs" else "measured by a short probe on this server"
    cap = estimate.max_run_seconds()
    st.caption(f"⏱ Estimated duration: **{_duration(found.seconds)}** ({how}).")
    if 0 < cap < found.seconds:
        st.warning(
            f"That is over this server's limit of {_duration(cap)} for one run: lower the epochs or the training"
            " examples, or pick a smaller architecture.",
            icon="⏱",
        )


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"about {seconds:.0f} s"
    return f"about {seconds / 60:.0f} min" if seconds < 5400 else f"about {seconds / 3600:.1f} h"


def _status_line(progress: training.Progress) -> str:
    if progress.state == training.QUEUED:
        line = progress.queue
        if line is None:
            return "Waiting to start…"
        ahead = f"{line.ahead} waiting ahead of yours" if line.ahead else "yours is next"
        starts = f" · starts in {_duration(line.starts_in_seconds)}" if line.starts_in_seconds is not None else ""
        return f"Waiting in the training queue: {line.running} training now, {ahead}{starts}."
    if progress.state in (training.PREPARING, training.SAVING):
        return progress.message
    eta = f" · {_duration(progress.eta_seconds)} left" if progress.eta_seconds is not None else ""
    return (
        f"Epoch {max(progress.epoch, 1)}/{progress.epochs} · batch {progress.batch}/{progress.batches_per_epoch}"
        f" · {progress.seconds:.0f} s{eta}" + (f" · on {progress.where}" if progress.where else "")
    )


def show_progress(progress: training.Progress) -> None:
    st.progress(progress.fraction, text=_status_line(progress))
    cols = st.columns(4)
    shown = (
        ("loss", progress.logs, "loss", "{:.4f}"),
        ("accuracy", progress.logs, "accuracy", "{:.2%}"),
        ("val loss", progress.last_epoch_logs, "val_loss", "{:.4f}"),  # the last epoch's, until the next one ends
        ("val accuracy", progress.last_epoch_logs, "val_accuracy", "{:.2%}"),
    )
    for col, (label, logs, key, fmt) in zip(cols, shown, strict=True):
        col.metric(label, fmt.format(logs[key]) if key in logs else "–")
    if progress.curve:
        st.altair_chart(charts.training_curves(pd.DataFrame(progress.curve)))


@st.fragment(run_every=1.0)
def live_panel(job_id: str) -> None:
    """Redraws every second while the job waits or runs; a full rerun once it has finished."""
    job = queue().get(job_id)
    if job is None:
        return
    progress = job.snapshot()
    if progress.finished:
        st.rerun(scope="app")
    show_progress(progress)
    label = "⏹ Stop and leave the queue" if progress.state == training.QUEUED else "⏹ Stop training"
    if st.button(label, key=f"stop-{job_id}"):
        queue().cancel(job_id)
        st.rerun(scope="app")
