"""Lessons: the classic notebooks' contrasts as groups of runs, queued together, shown side by side."""

import streamlit as st

from ui import lessons
from ui.shared import live, widgets

st.title("🧪 Lessons")
st.markdown("Each lesson trains a few small runs that differ in one or two settings, then shows them side by side.")
st.page_link(
    "app_pages/teach.py", label="Another lesson: teach a model your own drawings, and see what changes", icon="🖍️"
)
dataset = widgets.require_dataset()

lesson = lessons.choose() or lessons.own_form()
if lesson is not None:
    st.markdown(f"**{lesson.question}**  \n{lesson.look_for}")
    if lesson.source:
        st.caption(f"Source: {lesson.source}")
    st.dataframe(lessons.plan(lesson), hide_index=True)

group = lessons.attached_group()
running = any(not job.finished for job in group)
if lesson is not None and not running and st.button("▶ Start the lesson", type="primary"):
    try:
        lessons.start(lesson, dataset)
    except ValueError as error:  # the queue's refusal (a run of yours is already waiting or training)
        st.error(str(error), icon="⚠️")
    else:
        st.rerun()

if group:
    st.subheader(f"Your lesson: {group[0].lesson}")
    options = live.chart_options()
    if running:
        lessons.live_group([job.id for job in group], options)
    else:
        lessons.side_by_side(group, options)
        lessons.results(group[0].lesson, group)
