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
