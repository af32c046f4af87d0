"""Altair chart builders for the Evaluate page (plain Altair: no Streamlit here)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from core.data import CLASS_NAMES
from core.understand import evaluation as ev
from ui.shared.charts import blend, cell_grid, confusion_axes, ink, text_on

CELL_SELECTION = "cell"  # the point-selection parameter the page reads back
CONFUSION_HEIGHT = 470
CONFUSION_COLORS = ("#f3f7fc", "#0b3d91")  # lightest to darkest; each number's ink is picked for its cell


def percent_label(share: float) -> str:
    """Whole percent, but '<1%' rather than a misleading '0%' for a share that is not zero."""
    percent = round(share * 100)
    return f"{percent}%" if percent >= 1 else "<1%"


def confusion_cells(matrix: np.ndarray, class_names: tuple[str, ...] = CLASS_NAMES) -> pd.DataFrame:
    """Long form of a confusion matrix, one row per cell (zeros included, so the grid is whole).

    Columns: true, predicted (class names), count, share (of the true class), and the
    two labels the heatmap prints in counts and in row-normalized mode.
    """
    shares = ev.row_normalized(matrix)
    rows = []
    for true_index, true_name in enumerate(class_names):
        for predicted_index, predicted_name in enumerate(class_names):
            count = int(matrix[true_index, predicted_index])
            share = float(shares[true_index, predicted_index])
            rows.append(
                {
                    "true": true_name,
                    "predicted": predicted_name,
                    "count": count,
                    "share": share,
                    "count_label": f"{count:,}" if count else "",
                    "share_label": percent_label(share) if count else "",
                }
            )
    return pd.DataFrame(rows)


def confusion_table(cells: pd.DataFrame, *, normalized: bool) -> pd.DataFrame:
    """The heatmap's numbers as a grid: a row per true class, a column per predicted class."""
    return cell_grid(cells, "share_label" if normalized else "count_label").replace("", "0")


def confusion_heatmap(cells: pd.DataFrame, *, normalized: bool, class_names: tuple[str, ...] = CLASS_NAMES):
    """Clickable heatmap: rows = true class, columns = predicted class.

    A point selection named ``cell`` on the fields (true, predicted) makes a click
    return exactly that cell to Streamlit; the printed numbers carry the same fields,
    so a click on a number selects its cell too.
    """
    value, label = ("share", "share_label") if normalized else ("count", "count_label")
    top = float(cells[value].max()) or 1.0
    # Square root: the few dozen mistakes in a cell stay visible beside a diagonal of ~900.
    cells = cells.assign(ink=[text_on(blend(*CONFUSION_COLORS, np.sqrt(v / top))) for v in cells[value]])
    selection = alt.selection_point(name=CELL_SELECTION, fields=["true", "predicted"], on="click", toggle=False)
    base = alt.Chart(cells).encode(
        **confusion_axes(list(class_names)),
        tooltip=[
            alt.Tooltip("true:N", title="true"),
            alt.Tooltip("predicted:N", title="predicted"),
            alt.Tooltip("count:Q", title="images", format=","),
            alt.Tooltip("share:Q", title="share of true class", format=".1%"),
        ],
    )
    rects = (
        base.mark_rect(cursor="pointer", stroke="#e4572e")
        .encode(
            color=alt.Color(
                f"{value}:Q",
                title="share of row" if normalized else "images",
                scale=alt.Scale(type="sqrt", domain=[0, top], range=list(CONFUSION_COLORS), interpolate="rgb"),
                legend=None,  # every cell prints its own number
            ),
            # The clicked cell gets a thick outline; the others keep their colour (fading them would put the
            # numbers on colours they were not picked for).
            strokeWidth=alt.when(selection, empty=False).then(alt.value(3)).otherwise(alt.value(0)),
        )
        .add_params(selection)
    )
    text = base.mark_text(fontSize=11, cursor="pointer").encode(
        text=alt.Text(f"{label}:N"),
        color=ink(),
    )
    return (
        alt.layer(rects, text)
        .resolve_scale(color="independent")
        .properties(width="container", height=CONFUSION_HEIGHT)  # as wide as its column, whatever the screen
    )


def per_class_bars(report: pd.DataFrame) -> alt.Chart:
    """Accuracy (recall) and F1 of each class, worst F1 at the top. Takes the report's class rows."""
    classes = report[~report["class"].isin([ev.MACRO, ev.WEIGHTED])]
    long = pd.concat(
        [
            pd.DataFrame({"class": classes["class"], "metric": "accuracy (recall)", "value": classes["recall"]}),
            pd.DataFrame({"class": classes["class"], "metric": "F1", "value": classes["f1"]}),
        ]
    )
    order = classes.sort_values("f1")["class"].tolist()
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("class:N", sort=order, title=None),
            yOffset=alt.YOffset("metric:N"),
            x=alt.X("value:Q", title=None, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=".0%")),
            color=alt.Color(
                "metric:N",
                title=None,
                scale=alt.Scale(domain=["accuracy (recall)", "F1"], range=["#1f5fbf", "#e4572e"]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=["class", "metric", alt.Tooltip("value:Q", format=".1%")],
        )
        .properties(height=alt.Step(11))
    )


def history_curve(history: dict[str, list[float]]) -> pd.DataFrame:
    """A model's stored per-epoch history in the long form ``charts.training_curves`` draws."""
    rows = []
    for metric in ("loss", "accuracy"):
        for split, key in (("train", metric), ("validation", f"val_{metric}")):
            for epoch, value in enumerate(history.get(key, []), start=1):
                rows.append({"epoch": float(epoch), "metric": metric, "split": split, "value": float(value)})
    return pd.DataFrame(rows, columns=["epoch", "metric", "split", "value"])
