"""A training run as it happens, for every page that starts runs (Train, Lessons): the process-wide queue, the
status line, the live panel with its curves and watched images, and Stop."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.data import CLASS_NAMES
from core.training import browser, fair_queue, jobs
from ui.shared import charts, widgets


def queue() -> fair_queue.TrainingQueue:
    return fair_queue.default_queue()


def duration_words(seconds: float) -> str:
    if seconds < 90:
        return f"about {seconds:.0f} s"
    return f"about {seconds / 60:.0f} min" if seconds < 5400 else f"about {seconds / 3600:.1f} h"


def status_line(progress: jobs.Progress) -> str:
    if progress.state == jobs.QUEUED:
        line = progress.queue
        if line is None:
            return "Waiting to start…"
        ahead = f"{line.ahead} waiting ahead of yours" if line.ahead else "yours is next"
        starts = f" · starts in {duration_words(line.starts_in_seconds)}" if line.starts_in_seconds is not None else ""
        return f"Waiting in the training queue: {line.running} training now, {ahead}{starts}."
    if progress.state in (jobs.PREPARING, jobs.SAVING):
        return progress.message
    eta = f" · {duration_words(progress.eta_seconds)} left" if progress.eta_seconds is not None else ""
    return (
        f"Epoch {max(progress.epoch, 1)}/{progress.epochs} · batch {progress.batch}/{progress.batches_per_epoch}"
        f" · {progress.seconds:.0f} s{eta}" + (f" · on {progress.where}" if progress.where else "")
    )


def show_progress(progress: jobs.Progress, options: dict | None = None) -> None:
    st.progress(progress.fraction, text=status_line(progress))
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
        curve = pd.DataFrame(progress.curve)
        widgets.chart(
            charts.training_curves(curve, **(options or {})),
            charts.curves_description(curve),
            charts.curve_numbers(curve),
            name="loss and accuracy per epoch",
        )


def live_panel(job: jobs.TrainingJob, options: dict, dataset) -> None:
    """The run's progress, curves, watched images and Stop, redrawn while it waits or runs: every 2 s for a run
    on the server; every 5 s for one in a browser, whose whole point is to spare the server (ten browser runs
    redrawn every 2 s kept half a core of it busy: bench/results/browser.md)."""
    (_browser_panel if isinstance(job, browser.BrowserJob) else _server_panel)(job.id, options, dataset)


def _panel(job_id: str, options: dict, dataset) -> None:
    """One redraw (each costs the server and the browser CPU that training would use); a full rerun once the
    run has finished."""
    job = queue().get(job_id)
    if job is None:
        return
    progress = job.snapshot()
    if progress.finished:
        st.rerun(scope="app")
    label = "⏹ Stop and leave the queue" if progress.state == jobs.QUEUED else "⏹ Stop training"
    if st.button(label, key=f"stop-{job_id}"):
        queue().cancel(job_id)
        st.rerun(scope="app")
    show_progress(progress, options)
    show_watch(progress, dataset)


_server_panel = st.fragment(run_every=2.0)(_panel)


_browser_panel = st.fragment(run_every=5.0)(_panel)


def show_watch(progress: jobs.Progress, dataset) -> None:
    """The fixed test images and what the model answers for each, as of the last finished epoch."""
    if not progress.watch:
        return
    indices = jobs.watched_indices(dataset.y_test)
    when = "before training" if progress.watch_epoch == 0 else f"after epoch {progress.watch_epoch}"
    st.markdown(f"**Watch it learn**: the same twelve test images, {when}")
    captions, alts = [], []
    for index, (predicted, confidence) in zip(indices, progress.watch, strict=True):
        right = predicted == dataset.y_test[index]
        captions.append(f"{'✅' if right else '❌'} {CLASS_NAMES[predicted]} {confidence:.0%}")
        alts.append(
            widgets.test_image_alt(
                index,
                f"a {CLASS_NAMES[dataset.y_test[index]]}: the model says {CLASS_NAMES[predicted]} "
                f"({confidence:.0%}), {'right' if right else 'wrong'}",
            )
        )
    st.image([widgets.crisp(dataset.x_test[i]) for i in indices], caption=captions, width=84, clamp=True, alt=alts)


def chart_options() -> dict:
    c1, c2 = st.columns(2)
    return {
        "log_loss": c1.toggle("Loss on a log scale", key="log_loss", bind="query-params"),
        "full_accuracy": c2.toggle("Accuracy from 0 to 100%", key="full_accuracy", bind="query-params"),
    }
