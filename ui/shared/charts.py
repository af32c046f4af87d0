"""Altair chart builders."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from core.data import CLASS_NAMES

# -- accessibility -----------------------------------------------------------------------------------
# Streamlit's chart theme draws axis and legend labels in #808495, 3.7:1 on white: under the 4.5:1 that small
# text needs (WCAG 1.4.3). Every chart's text is INK instead (16:1), set in its config by ``described``.
INK = "#1b1f24"
WHITE, BLACK = "#ffffff", "#000000"


def _luminance(color: str) -> float:
    """WCAG's relative luminance of a #rrggbb colour."""
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_on(fill: str) -> str:
    """White or black, whichever reads better on ``fill``: at least 4.58:1 on any colour."""
    return WHITE if contrast_ratio(WHITE, fill) >= contrast_ratio(BLACK, fill) else BLACK


def ink(field: str = "ink") -> alt.Color:
    """Text coloured by a column of ``text_on`` results. (An explicit identity scale: Streamlit's chart code
    fails on ``scale=None``.)"""
    return alt.Color(f"{field}:N", scale=alt.Scale(domain=[WHITE, BLACK], range=[WHITE, BLACK]), legend=None)


def blend(start: str, end: str, share: float) -> str:
    """The colour ``share`` of the way from ``start`` to ``end`` in RGB (as a scale with interpolate="rgb")."""
    mixed = [
        round(int(start[i : i + 2], 16) + (int(end[i : i + 2], 16) - int(start[i : i + 2], 16)) * share)
        for i in (1, 3, 5)
    ]
    return "#" + "".join(f"{channel:02x}" for channel in mixed)


_READABLE = {
    "axis": {"labelColor": INK, "titleColor": INK},
    "legend": {"labelColor": INK, "titleColor": INK},
    "header": {"labelColor": INK, "titleColor": INK},
    "title": {"color": INK, "subtitleColor": INK},
}


def described(chart, description: str):
    """The chart with its text alternative (Vega-Lite's top-level ``description`` becomes the graphic's
    aria-label) and every label in INK. Takes an Altair chart or a Vega-Lite dict; returns the same kind."""
    if isinstance(chart, dict):
        config = {**chart.get("config", {})}
        for part, colors in _READABLE.items():
            config[part] = {**config.get(part, {}), **colors}
        return {**chart, "description": description, "config": config}
    return (
        chart.properties(description=description)
        .configure_axis(**_READABLE["axis"])
        .configure_legend(**_READABLE["legend"])
        .configure_header(**_READABLE["header"])
        .configure_title(**_READABLE["title"])
    )


def confusion_axes(order: list[str]) -> dict:
    """x = predicted class, y = true class, both in class order: shared by every confusion heatmap."""
    return {
        "x": alt.X(
            "predicted:N",
            sort=order,
            title="predicted class",
            axis=alt.Axis(labelAngle=-45, labelLimit=120, labelOverlap=False),
        ),
        "y": alt.Y("true:N", sort=order, title="true class", axis=alt.Axis(labelLimit=120, labelOverlap=False)),
    }


def cell_grid(cells: pd.DataFrame, values: str) -> pd.DataFrame:
    """A heatmap's long cells (columns true, predicted, ``values``) as its table: a row per true class, a column
    per predicted class, both in class order."""
    order = list(dict.fromkeys(cells["true"]))
    grid = cells.pivot(index="true", columns="predicted", values=values).loc[order, order]
    return grid.rename_axis(index="true ↓ / predicted →", columns=None)


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


def curve_numbers(curve: pd.DataFrame, series: str | None = None) -> pd.DataFrame:
    """Long curves (columns epoch, metric, split, value, and ``series`` when several runs or models share a chart)
    as the table a screen reader can walk: one row per epoch (and series), a column per split and metric."""
    rows = curve[curve["split"].isin(["train", "validation"])]
    index = [series, "epoch"] if series else ["epoch"]
    table = rows.pivot_table(index=index, columns=["split", "metric"], values="value", aggfunc="last", sort=False)
    table.columns = [f"{split} {metric}" for split, metric in table.columns]
    table = table.reset_index()
    table["epoch"] = table["epoch"].astype(int)
    return table


def curves_description(curve: pd.DataFrame) -> str:
    """One sentence for a model's loss and accuracy curves: how many epochs, where validation ended."""
    finished = curve[curve["split"] == "validation"]
    text = "Line charts of loss and accuracy per epoch, training in blue, validation in orange"
    if finished.empty:
        return text + "; no epoch finished yet."
    last = finished[finished["epoch"] == finished["epoch"].max()].set_index("metric")["value"]
    accuracy = f"{last['accuracy']:.1%}" if "accuracy" in last else "unknown"
    loss = f"{last['loss']:.4f}" if "loss" in last else "unknown"
    return f"{text}. After epoch {int(finished['epoch'].max())}: validation accuracy {accuracy}, loss {loss}."


# Whole epochs on the axis (a run's curve is a handful of epochs: ticks at 0.4, 0.8 said nothing).
EPOCH_AXIS = alt.Axis(format="d", tickMinStep=1)
# A loss curve switches itself to a log scale once its values span more than this factor: one exploding run
# (a loss of 1,600) otherwise flattens every other line to zero.
LOG_LOSS_SPREAD = 100.0
# A container-wide chart's height is all of it, legend included: PANEL_HEIGHT pixels for the lines, their axes and
# title, and LEGEND_ROW more per entry of the legend under them.
PANEL_HEIGHT = 320
LEGEND_ROW = 20


@dataclass(frozen=True)
class Panels:
    """Charts meant side by side, each as wide as its share of the column; ``widgets.chart`` puts them in a row
    that stacks them once the column is too narrow for two. (Vega-Lite's container width works for one view or a
    layer, never for a concatenation, whose fixed width ran off a phone's screen.)"""

    charts: tuple[alt.TopLevelMixin, ...]
    titles: tuple[str, ...]


def spread_needs_log(values: pd.Series) -> bool:
    """True when the positive values span more than LOG_LOSS_SPREAD: a linear axis would flatten the small ones."""
    positive = values[values > 0]
    return not positive.empty and float(positive.max()) / float(positive.min()) > LOG_LOSS_SPREAD


def _metric_rows(curves: pd.DataFrame, metric: str, log_loss: bool) -> tuple[pd.DataFrame, bool]:
    """The finite rows of one metric, and whether the loss is drawn on a log scale: when asked, or by itself
    when the losses span more than LOG_LOSS_SPREAD (a log axis then drops the non-positive values)."""
    rows = curves[(curves["metric"] == metric) & curves["value"].map(np.isfinite)]
    log = metric == "loss" and (log_loss or spread_needs_log(rows["value"]))
    return (rows[rows["value"] > 0] if log else rows), log


def _metric_y(metric: str, log_loss: bool, full_accuracy: bool) -> alt.Y:
    """Loss on a log scale if asked (a first loss of 85,000 no longer flattens the rest); accuracy 0-100% if asked
    (so noise at chance level does not look like swings)."""
    if metric == "loss":
        scale = alt.Scale(type="log") if log_loss else alt.Scale(zero=False)
        return alt.Y("value:Q", title="loss" + (" (log scale)" if log_loss else ""), scale=scale)
    scale = alt.Scale(domain=[0, 1]) if full_accuracy else alt.Scale(zero=False)
    return alt.Y("value:Q", title="accuracy", scale=scale, axis=alt.Axis(format="%"))


def _panel_title(metric: str, automatic_log: bool) -> alt.TitleParams:
    """The panel's title; under it, why its loss is on a log scale nobody asked for."""
    subtitle = "log scale: the losses differ over 100-fold" if automatic_log else ""
    return alt.TitleParams(metric, subtitle=subtitle, anchor="start")


def _epoch_x() -> alt.X:
    return alt.X("epoch:Q", title="epoch", scale=alt.Scale(domainMin=0), axis=EPOCH_AXIS)


def _bottom_legend(**options) -> alt.Legend:
    """A legend under the lines, one entry a row, drawn as line samples: beside the lines it took a narrow panel's
    width, or sat off a phone's screen; in one row it outgrew a narrow panel."""
    return alt.Legend(
        orient="bottom", direction="vertical", labelLimit=240, symbolType="stroke", symbolStrokeWidth=2, **options
    )


def _dash_legend() -> alt.Legend:
    """Which dash is which split, its samples in opaque ink: the dash channel has no colour of its own, and over
    a line chart with points Vega-Lite drew them invisible."""
    return _bottom_legend(symbolStrokeColor=INK, symbolFillColor=INK, symbolOpacity=1)


def training_curves(curve: pd.DataFrame, *, log_loss: bool = False, full_accuracy: bool = False) -> Panels:
    """Loss and accuracy against epoch, train vs validation, side by side. Columns: epoch, metric, split, value."""
    color = alt.Color(
        "split:N",
        title=None,
        scale=alt.Scale(domain=["train (running)", "train", "validation"], range=["#b5c7e6", "#1f5fbf", "#e4572e"]),
        legend=_bottom_legend(),
    )
    panels = []
    for metric in ("loss", "accuracy"):
        rows, log = _metric_rows(curve, metric, log_loss)
        base = alt.Chart(rows).encode(
            x=_epoch_x(),
            y=_metric_y(metric, log, full_accuracy),
            color=color,
            tooltip=["split", alt.Tooltip("epoch:Q", format=".2f"), alt.Tooltip("value:Q", format=".4f")],
        )
        lines = base.mark_line(point=alt.OverlayMarkDef(size=40, filled=True), strokeWidth=2).transform_filter(
            "datum.split != 'train (running)'"
        )
        running = base.mark_line(strokeWidth=1.5, strokeDash=[4, 2]).transform_filter(
            "datum.split == 'train (running)'"
        )
        height = PANEL_HEIGHT + LEGEND_ROW * 3  # the three splits
        title = _panel_title(metric, log and not log_loss)
        panels.append(alt.layer(running, lines).properties(height=height, width="container", title=title))
    return Panels(tuple(panels), ("loss", "accuracy"))


def lesson_curves(curves: pd.DataFrame, *, log_loss: bool = False, full_accuracy: bool = False) -> Panels:
    """Every run of a lesson overlaid: validation solid, training dashed. Columns: run, epoch, metric, split, value."""
    panels = []
    for metric in ("loss", "accuracy"):
        rows, log = _metric_rows(curves, metric, log_loss)
        panels.append(
            alt.Chart(rows)
            .mark_line(point=True)
            .encode(
                x=_epoch_x(),
                y=_metric_y(metric, log, full_accuracy),
                color=alt.Color("run:N", title="run", sort=None, legend=_bottom_legend()),
                strokeDash=alt.StrokeDash(
                    "split:N",
                    title=None,
                    scale=alt.Scale(domain=["validation", "train"], range=[[1, 0], [5, 3]]),
                    legend=_dash_legend(),
                ),
                tooltip=["run", "split", "epoch", alt.Tooltip("value:Q", format=".4f")],
            )
            .properties(
                height=PANEL_HEIGHT + LEGEND_ROW * curves["run"].nunique(),
                width="container",
                title=_panel_title(metric, log and not log_loss),
            )
        )
    return Panels(tuple(panels), ("loss", "accuracy"))


def top_k_bars(scores: pd.DataFrame, highlight: str | None = None) -> alt.Chart:
    """Horizontal bars, best class on top, probability 0-100%. Columns: class, probability.

    ``highlight`` (a class name, e.g. the true label of a test image) is drawn in orange and labelled "(true)":
    colour is never the only sign.
    """
    frame = _top_k_frame(scores, highlight)
    base = alt.Chart(frame).encode(
        y=alt.Y(
            "label:N",
            sort="-x",  # best first (the data's own order): a sort independent of the data lets top_k_spec reuse it
            title=None,
            axis=alt.Axis(labelOverlap=False, labelLimit=120, labelFontSize=12, ticks=False),
        ),
        x=alt.X("probability:Q", title=None, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%", tickCount=5)),
        tooltip=["class", alt.Tooltip("probability:Q", format=".2%")],
    )
    bars = base.mark_bar(cornerRadiusEnd=3, height={"band": 0.75}).encode(
        color=alt.Color(
            "kind:N",
            # blue and a dark orange: apart for red-green colour blindness; white labels 6.1:1 and 4.8:1 on them
            scale=alt.Scale(domain=["class", "true label"], range=["#1f5fbf", TRUE_LABEL_COLOR]),
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


_SCORES = "scores"
TRUE_LABEL_COLOR = "#b35900"


def _top_k_frame(scores: pd.DataFrame, highlight: str | None) -> pd.DataFrame:
    """The scores with each bar's kind and axis label: the true label's name says so, not only its colour."""
    truth = [name == highlight for name in scores["class"]]
    return scores.assign(
        kind=["true label" if true else "class" for true in truth],
        label=[f"{name} (true)" if true else name for name, true in zip(scores["class"], truth, strict=True)],
    )


def top_k_description(scores: pd.DataFrame, model: str, highlight: str | None = None) -> str:
    ranked = ", ".join(
        f"{name} {probability:.1%}" for name, probability in zip(scores["class"], scores["probability"], strict=True)
    )
    truth = f" The true label is {highlight}." if highlight else ""
    return f"Bar chart of {model}'s top {len(scores)}: {ranked}.{truth}"


@functools.lru_cache(maxsize=len(CLASS_NAMES))
def _top_k_template(rows: int) -> str:
    """``top_k_bars`` as Vega-Lite JSON for ``rows`` classes, its data left as a named slot."""
    placeholder = pd.DataFrame({"class": list(CLASS_NAMES[:rows]), "probability": [0.0] * rows})
    spec = described(top_k_bars(placeholder), "").to_dict()  # readable labels; each chart gets its own description
    spec.pop("datasets", None)
    spec["data"] = {"name": _SCORES}
    return json.dumps(spec)


def top_k_spec(scores: pd.DataFrame, highlight: str | None = None) -> dict:
    """The same chart as ``top_k_bars``, as a Vega-Lite dict built from a cached template.

    Building and validating an Altair chart costs ~50 ms here; Predict draws one per model on
    every rerun (11+ models), which made the charts most of a prediction's server time. The
    template depends only on the number of classes; the scores go in as its one dataset.
    """
    frame = _top_k_frame(scores, highlight)
    spec = json.loads(_top_k_template(len(frame)))
    spec["datasets"] = {_SCORES: frame}
    return spec


# -- Compare page ------------------------------------------------------------------------------
GAIN_COLOR, LOSS_COLOR, NEUTRAL_COLOR = "#1f5fbf", "#d1495b", "#f4f4f4"
# blue, dark orange and grey: told apart with red-green colour blindness too (green and grey were not)
ORIGIN_COLORS = alt.Scale(domain=["shipped", "mine", "class"], range=["#1f5fbf", "#c45100", "#8a94a6"])


def accuracy_bars(board: pd.DataFrame) -> alt.Chart:
    """Test accuracy per model, best on top, with the source's published figure as a black tick.

    Takes the leaderboard (columns name, origin, accuracy, published_accuracy). The axis
    starts just below the worst model, not at 0: every model sits between 80% and 95%, and
    from 0 those differences would be invisible. Each bar is labelled with its value.
    Bars run from the axis start (``floor``), so none pokes out past the left edge.
    """
    import math

    board = board.assign(
        source_figure=[
            "target" if flag else "published" for flag in board.get("published_is_target", [False] * len(board))
        ]
    )
    values = pd.concat([board["accuracy"], board["published_accuracy"].dropna()]).astype(float)
    # Down and up to the next 2-point step, with room for the labels: the bars then fill the chart.
    floor = max(0.0, math.floor((values.min() - 0.01) * 50) / 50)
    ceiling = min(1.0, math.ceil((values.max() + 0.01) * 50) / 50)
    frame = board.assign(floor=floor)
    order = list(board.sort_values("accuracy", ascending=False)["name"])
    y = alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=220, labelFontSize=12, ticks=False))
    x_scale = alt.Scale(domain=[floor, ceiling], nice=False)
    bars = (
        alt.Chart(frame)
        .mark_bar(cornerRadiusEnd=3, height={"band": 0.7})
        .encode(
            y=y,
            x=alt.X("accuracy:Q", scale=x_scale, title="test accuracy", axis=alt.Axis(format="%", tickCount=6)),
            x2="floor:Q",
            # both legends under the bars, one entry a row: side by side in rows they ran off a phone's screen
            color=alt.Color(
                "origin:N", scale=ORIGIN_COLORS, title=None, legend=alt.Legend(orient="bottom", direction="vertical")
            ),
            tooltip=[
                alt.Tooltip("name:N", title="model"),
                "origin",
                alt.Tooltip("accuracy:Q", format=".2%", title="test accuracy"),
                alt.Tooltip("published_accuracy:Q", format=".1%", title="published or target"),
                alt.Tooltip("source_figure:N", title="the source's figure is a"),
            ],
        )
    )
    labels = (
        alt.Chart(frame)
        .mark_text(align="left", dx=4, fontSize=12)
        .encode(y=y, x=alt.X("accuracy:Q", scale=x_scale), text=alt.Text("accuracy:Q", format=".2%"))
    )
    published = (
        alt.Chart(frame)
        .mark_tick(thickness=3, size=22)
        .encode(
            y=y,
            x=alt.X("published_accuracy:Q", scale=x_scale),
            # A result the source measured is a solid black tick; a target it only aims at is purple.
            color=alt.Color(
                "source_figure:N",
                scale=alt.Scale(domain=["published", "target"], range=["#1b1f24", "#7b3fa0"]),
                title=None,
                legend=alt.Legend(orient="bottom", direction="vertical"),
            ),
            tooltip=[
                alt.Tooltip("name:N", title="model"),
                alt.Tooltip("published_accuracy:Q", format=".1%", title="source's figure"),
                alt.Tooltip("source_figure:N", title="kind"),
            ],
        )
        .transform_filter("isValid(datum.published_accuracy)")
    )
    return (
        alt.layer(bars, labels, published)
        .resolve_scale(color="independent")
        .properties(height=alt.Step(28), width="container")
    )


def model_curves(curves: pd.DataFrame, metric: str, *, show_train: bool = False) -> alt.Chart:
    """One metric against epoch, one colour per model: validation solid, training (optional) dashed.

    Takes ``core.understand.compare.learning_curves`` output (columns model, epoch, metric, split, value).
    """
    frame = curves[curves["metric"] == metric]
    if not show_train:
        frame = frame[frame["split"] == "validation"]
    return (
        alt.Chart(frame)
        .mark_line(point=alt.OverlayMarkDef(size=30, filled=True), strokeWidth=2)
        .encode(
            x=alt.X("epoch:Q", title="epoch", axis=EPOCH_AXIS),
            y=alt.Y("value:Q", title=f"{metric}", scale=alt.Scale(zero=False)),
            color=alt.Color(
                "model:N",
                title=None,
                scale=alt.Scale(scheme="tableau10"),  # distinct hues: the theme's default has look-alike blues
                legend=_bottom_legend(),
            ),
            strokeDash=alt.StrokeDash(
                "split:N",
                title=None,
                scale=alt.Scale(domain=["validation", "train"], range=[[1, 0], [5, 3]]),
                legend=_dash_legend() if show_train else None,
            ),
            detail="split:N",
            tooltip=["model", "split", "epoch", alt.Tooltip("value:Q", format=".4f", title=metric)],
        )
        # With a container width the height is the whole chart's, legend included: the lines keep PANEL_HEIGHT.
        .properties(
            height=PANEL_HEIGHT + LEGEND_ROW * (frame["model"].nunique() + (3 if show_train else 0)),
            width="container",
            title=f"{'Training and validation' if show_train else 'Validation'} {metric}",
        )
    )


def f1_change_bars(change: pd.DataFrame, name_a: str, name_b: str) -> alt.Chart:
    """Per-class F1 change B − A as diverging bars around zero: blue where B is better, red where worse.

    Takes ``core.understand.compare.f1_change`` output (columns class, f1_a, f1_b, change). The legend and
    axis say A and B (model ids can be long); the tooltips name the models.
    """

    def direction(value: float) -> str:
        value = round(value, 3)  # as printed: a change that shows as 0.000 is no change
        return "B better" if value > 0 else "A better" if value < 0 else "same"

    frame = change.assign(
        direction=[direction(value) for value in change["change"]],
        label=[f"{value:+.3f}" if round(value, 3) else "0" for value in change["change"]],
        right=change["change"] >= 0,
    )
    reach = max(float(change["change"].abs().max()), 0.01) * 1.3  # room for the labels
    y = alt.Y("class:N", sort=None, title=None, axis=alt.Axis(labelLimit=120, ticks=False))
    x = alt.X("change:Q", title="F1 change (B − A)", scale=alt.Scale(domain=[-reach, reach]))
    bars = (
        alt.Chart(frame)
        .mark_bar(height={"band": 0.7})
        .encode(
            y=y,
            x=x,
            color=alt.Color(
                "direction:N",
                title=None,
                scale=alt.Scale(domain=["B better", "A better", "same"], range=[GAIN_COLOR, LOSS_COLOR, "#9aa0a6"]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                "class",
                alt.Tooltip("f1_a:Q", format=".3f", title=f"F1 {name_a}"),
                alt.Tooltip("f1_b:Q", format=".3f", title=f"F1 {name_b}"),
                alt.Tooltip("change:Q", format="+.3f", title="change"),
            ],
        )
    )
    text = alt.Chart(frame).encode(y=y, x=x, text="label:N")
    labels = alt.layer(
        text.mark_text(align="left", dx=4, fontSize=11).transform_filter("datum.right"),
        text.mark_text(align="right", dx=-4, fontSize=11).transform_filter("!datum.right"),
    )
    zero = alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(color="#1b1f24").encode(x="zero:Q")
    return alt.layer(bars, labels, zero).properties(height=alt.Step(26), width="container")


def confusion_difference_heatmap(cells: pd.DataFrame, name_a: str, name_b: str) -> alt.Chart:
    """B's confusion matrix minus A's: each cell prints B − A; colour says whether that helps B.

    Takes ``core.understand.compare.confusion_difference`` output. On the diagonal more is better (more
    images right), off it fewer is better (fewer mistakes), so the colour follows ``gain_for_b``:
    blue where the change favours B, red where it favours A, white for no change.
    """
    reach = max(int(cells["gain_for_b"].abs().max()), 1)
    frame = cells.assign(
        label=[f"{value:+d}" if value else "" for value in cells["change"]],
        ink=[
            text_on(blend(NEUTRAL_COLOR, GAIN_COLOR if gain >= 0 else LOSS_COLOR, abs(gain) / reach))
            for gain in cells["gain_for_b"]
        ],
    )
    base = alt.Chart(frame).encode(
        **confusion_axes(list(cells["true"].drop_duplicates())),
        tooltip=[
            alt.Tooltip("true:N", title="true"),
            alt.Tooltip("predicted:N", title="predicted"),
            alt.Tooltip("count_a:Q", title=f"images, {name_a}", format=","),
            alt.Tooltip("count_b:Q", title=f"images, {name_b}", format=","),
            alt.Tooltip("change:Q", title=f"{name_b} − {name_a}", format="+,"),
        ],
    )
    rects = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color(
            "gain_for_b:Q",
            title="in B's favour (− : in A's)",
            scale=alt.Scale(
                domain=[-reach, 0, reach], range=[LOSS_COLOR, NEUTRAL_COLOR, GAIN_COLOR], interpolate="rgb"
            ),
            legend=alt.Legend(orient="bottom", gradientLength=220, format="+d"),
        )
    )
    text = base.mark_text(fontSize=11).encode(text="label:N", color=ink())
    # As wide as its column (a fixed 500 px ran off a phone); the rows stay tall enough for their numbers.
    return alt.layer(rects, text).resolve_scale(color="independent").properties(width="container", height=470)
