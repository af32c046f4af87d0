"""Lessons glue: pick a built-in lesson (or build your own), queue its runs together, watch them side by side."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.models import zoo
from core.training import estimate, jobs, lessons
from ui.shared import charts, identity, live, widgets

OWN_TITLE = "Your own experiment"


def choose() -> lessons.Lesson | None:
    """A built-in lesson, or None for the learner's own. Titles are the options: they read well in the URL."""
    titles = {lesson.title: lesson for lesson in lessons.LESSONS.values()}
    title = st.selectbox("Lesson", [*titles, OWN_TITLE], key="lesson", bind="query-params")
    return titles.get(title)


def own_form() -> lessons.Lesson | None:
    """A learner's group: one architecture, one or two settings, the values to try."""
    settings = list(lessons.VARIABLE_SETTINGS)
    with st.container(border=True):
        c1, c2, c3 = st.columns(3)
        arch = c1.selectbox(
            "Architecture", list(zoo.ZOO), format_func=zoo.arch_name, key="own_arch", bind="query-params"
        )
        first = c2.selectbox("Vary", settings, format_func=_words, key="own_vary", bind="query-params")
        second = c3.selectbox(
            "and (optional)",
            [None, *settings],
            format_func=lambda s: "nothing else" if s is None else _words(s),
            key="own_and",
        )
        varied = {}
        for setting in [first] + ([second] if second and second != first else []):
            options = lessons.VARIABLE_SETTINGS[setting]
            varied[setting] = st.multiselect(
                f"Values of {_words(setting)}", options, default=list(options[:2]), key=f"own_values_{setting}"
            )
        st.caption("Each run: 3 epochs on 10,000 training examples, seed 7, unless you vary those.")
    try:
        return lessons.own_lesson(arch, varied)
    except ValueError as error:
        st.warning(str(error), icon="✋")
        return None


def _words(setting: str) -> str:
    return setting.replace("_", " ")


def plan(lesson: lessons.Lesson) -> pd.DataFrame:
    """The runs as a table, with this server's estimate of each when the architecture was measured here."""
    rows = []
    for run in lesson.runs:
        hp = run.hyperparameters()
        found = estimate.book().estimate(zoo.get_spec(run.arch), hp)
        rows.append(
            {
                "run": run.label,
                "architecture": zoo.arch_name(run.arch),
                # before the settings, which can be long: at 1280 px the estimate was cut off behind them
                "estimated time": f"{found.seconds:.0f} s" if found else "not measured here yet",
                "settings": ", ".join(f"{_words(k)} {v}" for k, v in run.settings),
            }
        )
    return pd.DataFrame(rows)


def attached_group() -> list[jobs.TrainingJob]:
    """This browser's newest lesson, all of its runs (a reload finds them again)."""
    queue = live.queue()
    newest = queue.latest_job_of(identity.owner(), lesson=True)
    return queue.group_of(newest) if newest is not None else []


def start(lesson: lessons.Lesson, dataset) -> None:
    made = lessons.jobs(lesson, owner=identity.owner())
    for job, run in zip(made, lesson.runs, strict=True):
        found = estimate.book().estimate(zoo.get_spec(run.arch), run.hyperparameters())
        job.estimated_seconds = found.seconds if found else None
    live.queue().submit_group(made, dataset)


def _label(job: jobs.TrainingJob) -> str:
    return job.label or job.model_name


def side_by_side(group: list[jobs.TrainingJob], options: dict) -> None:
    snapshots = [(job, job.snapshot()) for job in group]
    for job, progress in snapshots:
        st.progress(progress.fraction, text=f"**{_label(job)}** · {live.status_line(progress)}")
    curves = pd.DataFrame(
        [
            {**row, "run": _label(job)}
            for job, progress in snapshots
            for row in progress.curve
            if row["split"] in ("train", "validation")
        ]
    )
    if not curves.empty:
        widgets.chart(
            charts.lesson_curves(curves, **options),
            "Line charts of loss and accuracy per epoch of every run of the lesson, one colour per run "
            f"({', '.join(dict.fromkeys(curves['run']))}); validation solid, training dashed.",
            charts.curve_numbers(curves, "run"),
            name="every run's loss and accuracy per epoch",
        )


@st.fragment(run_every=2.0)
def live_group(group_ids: list[str], options: dict) -> None:
    queue = live.queue()
    group = [job for job_id in group_ids if (job := queue.get(job_id)) is not None]
    if all(job.finished for job in group):
        st.rerun(scope="app")
    if st.button("⏹ Stop the whole lesson", key="stop-lesson"):
        for job in group:
            queue.cancel(job.id)
        st.rerun(scope="app")
    side_by_side(group, options)


def results(lesson_title: str, group: list[jobs.TrainingJob]) -> None:
    outcomes = [lessons.outcome(_label(job), job.snapshot()) for job in group]
    table = pd.DataFrame(
        {
            "run": [o.label for o in outcomes],
            "test accuracy": [o.test_accuracy for o in outcomes],
            "training accuracy (last epoch)": [o.train_accuracy for o in outcomes],
            "validation accuracy (last epoch)": [o.validation_accuracy for o in outcomes],
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            name: st.column_config.NumberColumn(format="percent") for name in table.columns if "accuracy" in name
        },
    )
    lesson = next((found for found in lessons.LESSONS.values() if found.title == lesson_title), None)
    gap = lesson is not None and lesson.compare_train_and_validation
    st.markdown("**What happened**  \n" + lessons.reading(outcomes, train_vs_validation=gap))
    for outcome in outcomes:
        for warning in outcome.warnings:
            st.warning(f"**{outcome.label}**: {warning}", icon="🤔")
