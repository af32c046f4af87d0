"""Training glue: the process-wide queue, which run this browser sees, and the live progress panel."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
import streamlit as st

from core.data import CLASS_NAMES
from core.models import export, store, zoo
from core.training import browser, estimate, fair_queue, jobs
from ui import browser_runtime, charts, identity, widgets

RUN_PARAM = "run"  # the run's own link: ?run=<job id> (122 random bits)
_JOB_ID = re.compile(r"[0-9a-f]{32}")


def queue() -> fair_queue.TrainingQueue:
    return fair_queue.default_queue()


def attached_job() -> jobs.TrainingJob | None:
    """The run this page follows: the one in the link, else this browser's newest (a reload finds it again)."""
    linked = st.query_params.get(RUN_PARAM, "")
    if _JOB_ID.fullmatch(linked) and (job := queue().get(linked)) is not None:
        return job
    owner = identity.owner()
    active = queue().active_job_of(owner)
    job = active if active is not None and active.lesson is None else queue().latest_job_of(owner)
    if job is not None and not job.finished:
        st.query_params[RUN_PARAM] = job.id  # the address bar becomes the run's link
    return job


def submit(spec: zoo.ModelSpec, hp: zoo.Hyperparameters, name: str, dataset, seconds: float | None):
    """Queue a run for this browser; raises ValueError (a bad setting, or the queue's refusal) with its message."""
    job = jobs.TrainingJob(spec, hp.validate(), name, owner=identity.owner())
    job.estimated_seconds = seconds
    queue().submit(job, dataset)
    st.query_params[RUN_PARAM] = job.id
    return job


# -- where it trains: this server's queue, or the visitor's own browser (TensorFlow.js) ----------------------------------
PLACES = {"🖥️ On this server": browser.SERVER, "💻 In this browser": browser.BROWSER}
_BROWSER_RUNS = "browser_runs"  # this page session's browser runs: only the tab that started one trains it
_train_in_browser = st.components.v2.component(
    "fms_browser_trainer", js=(Path(__file__).with_name("browser_train.js")).read_text(), isolate_styles=False
)


@st.cache_data(show_spinner=False, max_entries=64)
def _browser_refusal(arch: str, hp: zoo.Hyperparameters) -> str | None:
    return browser.refusal_reason(zoo.get_spec(arch), hp)


def choose_place(spec: zoo.ModelSpec, hp: zoo.Hyperparameters, job: jobs.TrainingJob | None) -> str:
    """On this server or in this browser: a choice bound to the URL, its default the server's setting
    (``FASHION_STUDIO_TRAIN_IN``). A run the browser cannot train says why and stays on the server."""
    if job is not None and not job.finished:
        return browser.BROWSER if isinstance(job, browser.BrowserJob) else browser.SERVER
    refusal = _browser_refusal(spec.key, hp)
    if not browser_runtime.installed():
        refusal = "Training in the browser needs TensorFlow.js, which this server could not install (`make setup`)."
    if refusal:
        st.caption(f"🖥️ Trains on this server. {refusal}")
        return browser.SERVER
    default = browser.default_place(queue().busy())
    labels = list(PLACES)
    chosen = st.segmented_control(
        "Where it trains",
        labels,
        default=labels[list(PLACES.values()).index(default)],
        required=True,
        key="where",
        bind="query-params",
        help="In this browser, TensorFlow.js trains on your own device (its GPU when it has one) and this server"
        " only tests and saves the result: no queue, however many train at once.",
    )
    place = PLACES[chosen]
    if place == browser.BROWSER:
        st.caption(
            "💻 Trains in this tab with TensorFlow.js, the same architecture and recipe; the server tests the"
            " result on its 10,000 test images and saves it as your run. **Keep this tab open: a reload or closing"
            " it ends the run.**"
        )
    return place


def submit_in_browser(spec: zoo.ModelSpec, hp: zoo.Hyperparameters, name: str) -> jobs.TrainingJob:
    """Start a run that this tab trains; raises ValueError (a bad setting, or one run per browser) with its message."""
    job = browser.BrowserJob(spec, hp.validate(), name, owner=identity.owner())
    queue().track(job)
    st.session_state.setdefault(_BROWSER_RUNS, set()).add(job.id)
    st.query_params[RUN_PARAM] = job.id
    return job


def browser_trainer(job: jobs.TrainingJob) -> None:
    """The TensorFlow.js trainer of a live browser run, in the tab that started it; other tabs only follow it."""
    if not isinstance(job, browser.BrowserJob) or job.finished:
        return
    if job.id in st.session_state.get(_BROWSER_RUNS, ()):
        _train_in_browser(data={"jobId": job.id}, key=f"browser-run-{job.id}")
    else:
        st.info("This run trains in another tab of this browser; here you can follow it and stop it.", icon="💻")


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


def status_line(progress: jobs.Progress) -> str:
    if progress.state == jobs.QUEUED:
        line = progress.queue
        if line is None:
            return "Waiting to start…"
        ahead = f"{line.ahead} waiting ahead of yours" if line.ahead else "yours is next"
        starts = f" · starts in {_duration(line.starts_in_seconds)}" if line.starts_in_seconds is not None else ""
        return f"Waiting in the training queue: {line.running} training now, {ahead}{starts}."
    if progress.state in (jobs.PREPARING, jobs.SAVING):
        return progress.message
    eta = f" · {_duration(progress.eta_seconds)} left" if progress.eta_seconds is not None else ""
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


# -- the settings, bound to the URL so a link opens the exact setup ---------------------------------------------------
EXAMPLES = [1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000]
BATCH_SIZES = [16, 32, 64, 128, 256, 512, 1024]


def _defaults_state(spec: zoo.ModelSpec) -> dict:
    return _state_of(spec.defaults, f"my-{spec.key}")


def _state_of(d: zoo.Hyperparameters, name: str) -> dict:
    """Widget values (by key) for these hyperparameters."""
    return {
        "epochs": d.epochs,
        "batch_size": d.batch_size,
        "optimizer": d.optimizer,
        "learning_rate": d.learning_rate,
        "lr_schedule": d.lr_schedule,
        "patience": d.early_stopping_patience,
        "validation_split": d.validation_split,
        "dropout_rate": d.dropout_rate,
        "examples": d.subset or 60_000,
        "seed": d.seed,
        "normalize": d.normalize,
        "augment": d.augment,
        "name": name,
    }


_BY_NAME = {spec.name: spec for spec in zoo.ZOO.values()}  # names, not keys: they read well in the URL too


def _architecture_changed() -> None:
    """A new architecture starts from its own recipe (a callback: bound widgets may only be set from state)."""
    st.session_state.update(_defaults_state(_BY_NAME[st.session_state["arch"]]))


def choose_architecture(job: jobs.TrainingJob | None) -> zoo.ModelSpec:
    busy = job is not None and not job.finished
    names = list(_BY_NAME)
    if busy:
        name = st.selectbox("Architecture", names, names.index(job.spec.name), disabled=True, key="arch-running")
    else:
        name = st.selectbox("Architecture", names, key="arch", bind="query-params", on_change=_architecture_changed)
    return _BY_NAME[name]


def settings_form(spec: zoo.ModelSpec, job: jobs.TrainingJob | None) -> tuple[zoo.Hyperparameters, str]:
    """Every setting of a run. Idle: bound to the URL. While this browser's run waits or trains: that run's own
    settings, read-only (unbound, so the learner's link keeps their own)."""
    busy = job is not None and not job.finished
    values = _state_of(job.hp, job.model_name) if busy else _defaults_state(spec)
    if busy:
        widgets.readable_when_disabled()

    def widget(kind, label: str, key: str, *args, **kwargs):
        if busy:
            return kind(label, *args, value=values[key], key=f"{key}-running", disabled=True, **kwargs)
        return kind(label, *args, value=values[key], key=key, bind="query-params", **kwargs)

    def choice(label: str, key: str, options: tuple[str, ...]):
        index = options.index(values[key])
        if busy:
            return st.selectbox(label, options, index, key=f"{key}-running", disabled=True)
        return st.selectbox(label, options, index, key=key, bind="query-params")

    with st.container(border=True):
        c1, c2, c3, c4 = st.columns(4)
        with c1:
            epochs = widget(st.number_input, "Epochs", "epochs", 1, 200)
        with c2:
            batch_size = widget(st.select_slider, "Batch size", "batch_size", BATCH_SIZES)
        with c3:
            optimizer = choice("Optimizer", "optimizer", zoo.OPTIMIZERS)
        with c4:
            learning_rate = widget(
                st.number_input, "Learning rate", "learning_rate", 1e-5, 1.0, format="%.5f", step=1e-4
            )
        c1, c2, c3, c4 = st.columns(4)
        with c1:
            lr_schedule = choice("LR schedule", "lr_schedule", zoo.LR_SCHEDULES)
        with c2:
            patience = widget(st.number_input, "Early-stopping patience (0 = off)", "patience", 0, 50)
        with c3:
            validation_split = widget(st.slider, "Validation split", "validation_split", 0.05, 0.5, step=0.05)
        with c4:
            dropout_rate = widget(
                st.slider,
                "Dropout rate",
                "dropout_rate",
                0.0,
                0.8,
                step=0.05,
                help=None if spec.has_dropout else "This architecture has no dropout layers.",
            )
        c1, c2, c3, c4 = st.columns(4)
        with c1:
            examples = widget(
                st.select_slider,
                "Training examples",
                "examples",
                EXAMPLES,
                help="Fewer examples train faster: good for quick classroom runs.",
            )
        with c2:
            seed = widget(
                st.number_input, "Random seed", "seed", 0, 2**31 - 1, help="Same seed, same result on this machine."
            )
        with c3:
            normalize = widget(
                st.toggle, "Normalize pixels to 0-1", "normalize", help="Switch off to see why it matters."
            )
        with c4:
            augment = widget(
                st.toggle,
                "Augment (shift, flip, erase)",
                "augment",
                help=None
                if spec.augmentation == zoo.AUGMENTATIONS
                else f"This architecture takes only: {', '.join(spec.augmentation)} (what its recipe search chose).",
            )
        name = widget(
            st.text_input,
            "Model name",
            "name",
            max_chars=store.MAX_NAME_LENGTH,
            help="A number is added if it is taken.",
        )
    hp = replace(
        spec.defaults,
        epochs=int(epochs),
        batch_size=int(batch_size),
        optimizer=optimizer,
        learning_rate=float(learning_rate),
        lr_schedule=lr_schedule,
        early_stopping_patience=int(patience),
        validation_split=float(validation_split),
        dropout_rate=float(dropout_rate) if spec.has_dropout else spec.defaults.dropout_rate,
        subset=None if examples == 60_000 else int(examples),
        seed=int(seed),
        normalize=normalize,
        augment=augment,
    )
    return hp, name


# -- before, during and after a run ------------------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=64)
def layer_table(arch: str, hp: zoo.Hyperparameters) -> pd.DataFrame:
    return pd.DataFrame(zoo.layer_table(zoo.get_spec(arch), hp))


def show_layers(spec: zoo.ModelSpec, hp: zoo.Hyperparameters) -> None:
    table = layer_table(spec.key, hp)
    st.caption(f"**{table['parameters'].sum():,} parameters** with these settings.")
    with st.expander(f"🧱 The architecture, layer by layer ({len(table)} layers)"):
        st.dataframe(table, hide_index=True, width="stretch")


def show_code(spec: zoo.ModelSpec, hp: zoo.Hyperparameters) -> None:
    """ "Take it home": the run as a plain Keras script."""
    code = export.script(spec, hp)
    with st.expander("📜 Show the code: a plain Keras script that reproduces this run"):
        st.download_button("⬇ Download the script", code, f"{spec.key}.py", "text/x-python", key="download-script")
        st.code(code, language="python")


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


def show_outcome(progress: jobs.Progress) -> None:
    """A success box only for a run that learned something; otherwise the plain explanation."""
    if progress.warnings:
        st.warning(f"Test accuracy **{progress.test_accuracy:.2%}**. {progress.message}", icon="⚠️")
        for warning in progress.warnings:
            st.warning(warning, icon="🤔")
    else:
        st.success(
            f"Test accuracy **{progress.test_accuracy:.2%}** on the 10,000 test images. {progress.message}", icon="✅"
        )


def downloads(model_id: str) -> None:
    """The trained model (.keras) and its history (CSV), as files to keep."""
    try:
        artifact = store.find(model_id, [store.runs_dir()])
        model_bytes = (artifact.path / store.MODEL_FILE).read_bytes()
        history = (artifact.path / store.HISTORY_FILE).read_bytes()
    except (store.ArtifactError, OSError):
        return  # deleted meanwhile: nothing to download
    c1, c2 = st.columns(2)
    c1.download_button("⬇ Model (.keras)", model_bytes, f"{model_id}.keras", key=f"model-{model_id}")
    c2.download_button("⬇ History (CSV)", history, f"{model_id}-history.csv", "text/csv", key=f"history-{model_id}")


def chart_options() -> dict:
    c1, c2 = st.columns(2)
    return {
        "log_loss": c1.toggle("Loss on a log scale", key="log_loss", bind="query-params"),
        "full_accuracy": c2.toggle("Accuracy from 0 to 100%", key="full_accuracy", bind="query-params"),
    }
