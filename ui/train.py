"""The Train page: which run this browser follows, the settings form bound to the URL, where it trains, the
estimate, the layers and the code, and what a finished run leaves (the live panel is ui/shared/live.py)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
import streamlit as st

from core.models import export, settings, store, zoo
from core.training import browser, browser_runtime, estimate, jobs
from ui.shared import identity, live, widgets

RUN_PARAM = "run"  # the run's own link: ?run=<job id> (122 random bits)
_JOB_ID = re.compile(r"[0-9a-f]{32}")


def attached_job() -> jobs.TrainingJob | None:
    """The run this page follows: the one in the link, else this browser's newest (a reload finds it again)."""
    linked = st.query_params.get(RUN_PARAM, "")
    if _JOB_ID.fullmatch(linked) and (job := live.queue().get(linked)) is not None and not job.teaches:
        return job
    owner = identity.owner()
    active = live.queue().active_job_of(owner)  # a lesson's run or a teaching is followed on its own page
    job = active if active is not None and active.lesson is None and not active.teaches else None
    job = job or live.queue().latest_job_of(owner)
    if job is not None and not job.finished:
        st.query_params[RUN_PARAM] = job.id  # the address bar becomes the run's link
    return job


def submit(spec: zoo.ModelSpec, hp: zoo.Hyperparameters, name: str, dataset, seconds: float | None):
    """Queue a run for this browser; raises ValueError (a bad setting, or the queue's refusal) with its message."""
    job = jobs.TrainingJob(spec, hp.validate(), name, owner=identity.owner())
    job.estimated_seconds = seconds
    live.queue().submit(job, dataset)
    st.query_params[RUN_PARAM] = job.id
    return job


# -- where it trains: this server's queue, or the visitor's own browser (TensorFlow.js) ----------------------------------
PLACES = {"🖥️ On this server": browser.SERVER, "💻 In this browser": browser.BROWSER}
_BROWSER_RUNS = "browser_runs"  # this page session's browser runs: only the tab that started one trains it
_train_in_browser = st.components.v2.component(
    "fms_browser_trainer", js=(Path(__file__).with_name("train.js")).read_text(), isolate_styles=False
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
    if not browser_runtime.runtime_installed():
        refusal = "Training in the browser needs TensorFlow.js, which this server could not install (`make setup`)."
    if refusal:
        st.caption(f"🖥️ Trains on this server. {refusal}")
        return browser.SERVER
    default = browser.default_place(live.queue().busy())
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
    live.queue().track(job)
    st.session_state.setdefault(_BROWSER_RUNS, set()).add(job.id)
    st.query_params[RUN_PARAM] = job.id
    return job


def browser_trainer(job: jobs.TrainingJob) -> None:
    """The TensorFlow.js trainer of a live browser run, in the tab that started it; other tabs only follow it."""
    if not isinstance(job, browser.BrowserJob) or job.finished:
        return
    if job.id in st.session_state.get(_BROWSER_RUNS, ()):
        _train_in_browser(
            data={"jobId": job.id, "root": browser_runtime.url_root(st.get_option("server.baseUrlPath"))},
            key=f"browser-run-{job.id}",
        )
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
    st.caption(f"⏱ Estimated duration: **{live.duration_words(found.seconds)}** ({how}).")
    if 0 < cap < found.seconds:
        st.warning(
            f"That is over this server's limit of {live.duration_words(cap)} for one run: lower the epochs or the training"
            " examples, or pick a smaller architecture.",
            icon="⏱",
        )


# -- the settings, bound to the URL so a link opens the exact setup: one widget per row of core/models/settings.py ------
def _defaults_state(spec: zoo.ModelSpec) -> dict:
    return _state_of(spec.defaults, f"my-{spec.key}")


def _state_of(hp: zoo.Hyperparameters, name: str) -> dict:
    """Widget values (by URL key) for these hyperparameters; an optional setting's None shows as its last stop."""
    values = {row.key: getattr(hp, row.name) for row in settings.SETTINGS}
    values.update({row.key: row.stops[-1] for row in settings.SETTINGS if row.optional and values[row.key] is None})
    return {**values, "name": name}


def _architecture_note(row: settings.Setting, spec: zoo.ModelSpec) -> str | None:
    """What this architecture does with a setting, where that differs from the others."""
    if row.name == "dropout_rate" and not spec.has_dropout:
        return "This architecture has no dropout layers."
    if row.name == "augment" and spec.augmentation != zoo.AUGMENTATIONS:
        return f"This architecture takes only: {', '.join(spec.augmentation)} (what its recipe search chose)."
    return row.help or None


def _setting_widget(row: settings.Setting, value, how: dict):
    """The widget a row's kind asks for, at its form bounds."""
    low = row.minimum if row.form_minimum is None else row.form_minimum
    high = row.maximum if row.form_maximum is None else row.form_maximum
    if row.kind == settings.SWITCH:
        return st.toggle(row.label, value=value, **how)
    if row.kind == settings.CHOICE:
        return st.selectbox(row.label, row.choices, row.choices.index(value), **how)
    if row.stops:
        return st.select_slider(row.label, row.stops, value=value, **how)
    if row.kind == settings.WHOLE:
        return st.number_input(row.label, int(low), int(high), value, **how)
    if row.decimals is not None:
        return st.number_input(row.label, low, high, value, step=row.step, format=f"%.{row.decimals}f", **how)
    return st.slider(row.label, float(low), float(high), value, step=row.step, **how)


def _from_form(row: settings.Setting, value):
    if row.optional and value == row.stops[-1]:
        return None
    return int(value) if row.kind == settings.WHOLE else float(value) if row.kind == settings.NUMBER else value


def settings_form(spec: zoo.ModelSpec, job: jobs.TrainingJob | None) -> tuple[zoo.Hyperparameters, str]:
    """Every setting of a run. Idle: bound to the URL. While this browser's run waits or trains: that run's own
    settings, read-only (unbound, so the learner's link keeps their own)."""
    busy = job is not None and not job.finished
    values = _state_of(job.hp, job.model_name) if busy else _defaults_state(spec)  # readable: widgets.PAGE_CSS

    def how(key: str, note: str | None = None) -> dict:
        bound = {"key": f"{key}-running", "disabled": True} if busy else {"key": key, "bind": "query-params"}
        return {**bound, "help": note}

    chosen = {}
    with st.container(border=True):
        with widgets.wrapping_grid("train-settings"):  # four to a row on a desktop, fewer on narrower screens
            for row in settings.SETTINGS:
                value = _setting_widget(row, values[row.key], how(row.key, _architecture_note(row, spec)))
                chosen[row.name] = _from_form(row, value)
        name = st.text_input(
            "Model name",
            value=values["name"],
            max_chars=store.MAX_NAME_LENGTH,
            **how("name", "A number is added if it is taken."),
        )
    if not spec.has_dropout:
        chosen["dropout_rate"] = spec.defaults.dropout_rate
    return replace(spec.defaults, **chosen), name


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
