"""Altair chart builders."""

from __future__ import annotations

import altair as alt
import pandas as pd


def class_balance(counts: pd.DataFrame) -> alt.Chart:
    """Grouped bars: examples per class in each split. Columns: class, split, examples."""
    return (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            x=alt.X("class:N", sort=None, title=None),
            xOffset="split:N",
            y=alt.Y("examples:Q", title="examples"),
            color=alt.Color("split:N", title="split"),
            tooltip=["class", "split", alt.Tooltip("examples:Q", format=",")],
        )
        .properties(height=260)
    )


def training_curves(curve: pd.DataFrame) -> alt.Chart:
    """Loss and accuracy against epoch, train vs validation. Columns: epoch, metric, split, value."""
    base = alt.Chart(curve).encode(
        x=alt.X("epoch:Q", title="epoch", scale=alt.Scale(domainMin=0)),
        y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
        color=alt.Color(
            "split:N",
            title=None,
            scale=alt.Scale(domain=["train (running)", "train", "validation"], range=["#b5c7e6", "#1f5fbf", "#e4572e"]),
        ),
        tooltip=["metric", "split", alt.Tooltip("epoch:Q", format=".2f"), alt.Tooltip("value:Q", format=".4f")],
    )
    lines = base.mark_line(point=alt.OverlayMarkDef(size=40, filled=True), strokeWidth=2).transform_filter(
        "datum.split != 'train (running)'"
    )
    running = base.mark_line(strokeWidth=1.5, strokeDash=[4, 2]).transform_filter("datum.split == 'train (running)'")
    return (
        alt.layer(running, lines, data=curve)
        .properties(height=230, width=300)
        .facet(column=alt.Column("metric:N", title=None, sort=["loss", "accuracy"]))
        .resolve_scale(y="independent")
    )


def top_k_bars(scores: pd.DataFrame, highlight: str | None = None) -> alt.Chart:
    """Horizontal bars, best class on top, probability 0-100%. Columns: class, probability.

    ``highlight`` (a class name, e.g. the true label of a test image) is drawn in green.
    """
    frame = scores.assign(kind=["true label" if name == highlight else "class" for name in scores["class"]])
    base = alt.Chart(frame).encode(
        y=alt.Y(
            "class:N",
            sort=list(frame["class"]),  # the order given: best first
            title=None,
            axis=alt.Axis(labelOverlap=False, labelLimit=120, labelFontSize=12, ticks=False),
        ),
        x=alt.X("probability:Q", title=None, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%", tickCount=5)),
        tooltip=["class", alt.Tooltip("probability:Q", format=".2%")],
    )
    bars = base.mark_bar(cornerRadiusEnd=3, height={"band": 0.75}).encode(
        color=alt.Color(
            "kind:N",
            scale=alt.Scale(domain=["class", "true label"], range=["#1f5fbf", "#2a9d4b"]),
            legend=None,
        )
    )
    # Labels sit after short bars and inside long ones, so none runs off the chart.
    outside = (
        base.mark_text(align="left", dx=4, fontSize=12)
        .encode(text=alt.Text("probability:Q", format=".1%"))
        .transform_filter("datum.probability < 0.8")
    )
    inside = (
        base.mark_text(align="right", dx=-4, fontSize=12, color="white", fontWeight="bold")
        .encode(text=alt.Text("probability:Q", format=".1%"))
        .transform_filter("datum.probability >= 0.8")
    )
    return alt.layer(bars, outside, inside).properties(height=30 * len(frame) + 10, width="container")
