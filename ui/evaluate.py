"""Evaluate-page glue: model picker, cached evaluation, image galleries, pair inspector.

The interactive sections are fragments: a click on a confusion-matrix cell, a gallery
filter or a pair choice reruns only its own section, not the whole page.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core import data
from core.data import CLASS_NAMES
from core.models import store, zoo
from core.understand import evaluation as ev
from ui.shared import charts, charts_eval, loaders, models, widgets

INSPECTOR_SCALE = 4  # 28 px -> 112 px
ANY = "Any"
CELL_TRUE_KEY, CELL_PREDICTED_KEY = "evaluate_cell_true", "evaluate_cell_predicted"  # the open cell, by keyboard too


@st.cache_resource(show_spinner=False)
def training_means() -> np.ndarray:
    dataset, _ = loaders.dataset()
    return data.mean_images(dataset.x_train, dataset.y_train)


@st.cache_data(show_spinner=False, max_entries=128)
def saliency(model_id: str, stamp: float, indices: tuple[int, ...], classes: tuple[int, ...], method: str):
    dataset, _ = loaders.dataset()
    model = loaders.model(model_id, stamp)
    return ev.saliency_maps(model, dataset.x_test[list(indices)], list(classes), method=method)


def _when(created: str) -> str:
    """'2026-11-22T04:01:11+00:00' -> '2026-11-22 04:01 UTC' (any other text unchanged)."""
    if len(created) >= 16 and created[10] == "T":
        return f"{created[:10]} {created[11:16]}" + (" UTC" if created.endswith("+00:00") else "")
    return created


def summary(artifact: store.Artifact, result: ev.Evaluation) -> None:
    meta = artifact.meta
    macro_f1 = float(result.report.set_index("class").loc[ev.MACRO, "f1"])
    with st.container(horizontal=True, gap="large"):  # wraps on a narrow screen rather than cutting "91.3…"
        st.metric("Test accuracy", f"{result.accuracy:.2%}", width="content")
        st.metric("Macro F1", f"{macro_f1:.3f}", width="content")
        st.metric(f"Mistakes (of {len(result.labels):,})", f"{result.errors:,}", width="content")
        st.metric("Parameters", f"{meta.params:,}", width="content")
    st.caption(
        f"Architecture: {zoo.arch_name(meta.arch)} · {meta.epochs_run} epoch(s) · trained {_when(meta.created)}."
    )


# -- galleries ---------------------------------------------------------------------------------


def selected_cell(event) -> tuple[int, int] | None:
    """The (true, predicted) class indices of the clicked heatmap cell, if any."""
    points = (event or {}).get("selection", {}).get(charts_eval.CELL_SELECTION) or []
    if not points:
        return None
    point = points[0]
    try:
        return CLASS_NAMES.index(point["true"]), CLASS_NAMES.index(point["predicted"])
    except (KeyError, ValueError):
        return None


def _open_clicked_cell(chart_key: str) -> None:
    """A click on the matrix sets the two cell pickers: they, not the click, say which cell is open."""
    cell = selected_cell(st.session_state.get(chart_key))
    if cell is not None:
        st.session_state[CELL_TRUE_KEY], st.session_state[CELL_PREDICTED_KEY] = (CLASS_NAMES[i] for i in cell)


def _picked_cell() -> tuple[int, int] | None:
    true, predicted = st.session_state.get(CELL_TRUE_KEY), st.session_state.get(CELL_PREDICTED_KEY)
    return None if true is None or predicted is None else (CLASS_NAMES.index(true), CLASS_NAMES.index(predicted))


@st.fragment
def confusion_section(model_id: str, result: ev.Evaluation, images: np.ndarray) -> None:
    mode = st.segmented_control(
        "Show",
        ["Counts", "Row-normalized"],
        default="Counts",
        key="evaluate_confusion_mode",
        bind="query-params",
        required=True,
    )
    cells = charts_eval.confusion_cells(result.confusion)
    chart = charts_eval.confusion_heatmap(cells, normalized=mode == "Row-normalized")
    left, right = widgets.stacking_columns("evaluate-confusion", 2)  # the cell's images beside, or under it
    with left:
        widgets.chart(
            chart,
            "Confusion matrix: true class by row, predicted class by column, each cell printing its "
            + ("share of the row." if mode == "Row-normalized" else "number of test images.")
            + " Click a cell, or pick its classes beside it, to see its images.",
            charts_eval.confusion_table(cells, normalized=mode == "Row-normalized"),
            name="the confusion matrix",
            on_select=lambda: _open_clicked_cell(f"confusion-{model_id}"),
            selection_mode=charts_eval.CELL_SELECTION,
            key=f"confusion-{model_id}",
            width="stretch",  # fits its column at any page width, never spills under the gallery
        )
        st.caption(
            "Rows are the true class, columns what the model predicted. **Click a cell** to see its images; "
            "without a mouse, pick its row and column in the two boxes beside the matrix."
        )
    with right, st.container(key="cell-gallery"):
        row, column = st.columns(2)
        row.selectbox("Row: true class", CLASS_NAMES, index=None, placeholder="Pick a class", key=CELL_TRUE_KEY)
        column.selectbox(
            "Column: predicted class", CLASS_NAMES, index=None, placeholder="Pick a class", key=CELL_PREDICTED_KEY
        )
        cell = _picked_cell()
        if cell is None:
            worst = ev.top_confusions(result.confusion, 1)
            hint = "Click any cell of the matrix, or pick its row and column above, to see exactly those test images."
            if len(worst):
                true, predicted, count = (int(worst.at[0, name]) for name in ("true", "predicted", "count"))
                hint += (
                    f" The biggest mix-up: **{CLASS_NAMES[true]}** taken for **{CLASS_NAMES[predicted]}** ({count})."
                )
            st.info(hint, icon="👆")
            return
        true, predicted = cell
        verdict = "correctly" if true == predicted else f"as {CLASS_NAMES[predicted]}"
        st.subheader(f"True {CLASS_NAMES[true]} · predicted {CLASS_NAMES[predicted]}", anchor=False)
        st.markdown(f"**{CLASS_NAMES[true]}** images the model classified {verdict}.")
        models.gallery(images, result.cell(true, predicted), show_pair=False, empty="No test image falls in this cell.")


def report_section(result: ev.Evaluation, model_id: str) -> None:
    report = result.report.copy()
    shares = ev.row_normalized(result.confusion)
    np.fill_diagonal(shares, 0)
    mistaken = [
        f"{CLASS_NAMES[int(shares[i].argmax())]} ({charts_eval.percent_label(shares[i].max())})"
        if shares[i].max() > 0
        else ""
        for i in range(len(CLASS_NAMES))
    ]
    report["top confusion"] = mistaken + ["", ""]
    percent = {"min_value": 0.0, "max_value": 1.0, "format": "percent"}
    st.dataframe(
        report,
        hide_index=True,
        width="stretch",
        height="content",  # all 12 rows, no inner scrolling
        key="evaluate_report",
        column_config={
            "class": st.column_config.TextColumn("class"),
            "precision": st.column_config.ProgressColumn("precision", **percent),
            "recall": st.column_config.ProgressColumn("recall = accuracy", **percent),
            "f1": st.column_config.ProgressColumn("F1", **percent),
            "support": st.column_config.NumberColumn("support", format="%d", help="Test images of this class"),
            "top confusion": st.column_config.TextColumn(
                "top confusion", help="The class its images are most often taken for, and how often"
            ),
        },
    )
    st.download_button(
        "⬇ Download report (CSV)",
        report.to_csv(index=False).encode(),
        file_name=f"{model_id}-classification-report.csv",
        mime="text/csv",
        on_click="ignore",
    )
    st.caption("Click a column header to sort. A class's recall is its accuracy: the share of its images found.")
    widgets.chart(
        charts_eval.per_class_bars(result.report),
        "Bar chart of each class's accuracy (recall) and F1, worst F1 first; the table above holds the numbers.",
        None,  # the report table above holds them
        width="stretch",
    )


@st.fragment
def misclassified_section(result: ev.Evaluation, images: np.ndarray, model_id: str) -> None:
    choices = [ANY, *CLASS_NAMES]
    c1, c2, c3 = st.columns([2, 2, 3])
    true = c1.selectbox("True class", choices, key="evaluate_mistakes_true", bind="query-params")
    predicted = c2.selectbox("Predicted as", choices, key="evaluate_mistakes_predicted", bind="query-params")
    least_first = c3.toggle(
        "Least confident first",
        key="evaluate_mistakes_order",
        bind="query-params",
        help="Near-misses instead of confident mistakes",
    )
    frame = result.misclassified(
        None if true == ANY else CLASS_NAMES.index(true), None if predicted == ANY else CLASS_NAMES.index(predicted)
    )
    if least_first:
        frame = frame.iloc[::-1].reset_index(drop=True)
    if len(frame):
        st.download_button(
            f"⬇ Download these {len(frame):,} mistakes (CSV)",
            frame.assign(
                true=[CLASS_NAMES[i] for i in frame["true"]], predicted=[CLASS_NAMES[i] for i in frame["predicted"]]
            )
            .rename(columns={"index": "test_image"})
            .to_csv(index=False),
            file_name=f"{model_id}-misclassified.csv",
            mime="text/csv",
            on_click="ignore",
        )
    with st.container(key="mistakes-gallery"):
        models.gallery(
            images,
            frame,
            show_pair=true == ANY or predicted == ANY,
            order="least confident first" if least_first else "most confident first",
            empty="No mistakes with these classes. 🎉" if true != predicted else "Pick two different classes.",
        )


def _top3_markdown(probabilities: np.ndarray, true: int) -> str:
    """A numbered top-3 list; the true class is bold and ticked wherever it ranks."""
    lines = ["**Top 3**"]
    for rank, (index, probability) in enumerate(ev.top_k(probabilities, 3), start=1):
        name = f"**{CLASS_NAMES[index]}** ✓" if index == true else CLASS_NAMES[index]
        lines.append(f"{rank}. {name} {charts_eval.percent_label(probability)}")
    return "\n".join(lines)


@st.fragment
def pair_inspector(model_id: str, stamp: float, result: ev.Evaluation, images: np.ndarray) -> None:
    c1, c2 = st.columns(2)
    first = CLASS_NAMES.index(c1.selectbox("Class A", CLASS_NAMES, index=6, key="evaluate_pair_a", bind="query-params"))
    second = CLASS_NAMES.index(
        c2.selectbox("Class B", CLASS_NAMES, index=0, key="evaluate_pair_b", bind="query-params")
    )
    if first == second:
        st.warning("Pick two different classes to compare.", icon="↔️")
        return
    _pair_overview(result.confusion, first, second)
    _pair_mistakes(model_id, stamp, result, images, first, second)


def _pair_overview(matrix: np.ndarray, first: int, second: int) -> None:
    """How often each of the two classes is taken for the other, beside their mean training images."""
    name_a, name_b = CLASS_NAMES[first], CLASS_NAMES[second]
    counts = pd.DataFrame(
        {
            f"→ {name_a}": [matrix[first, first], matrix[second, first]],
            f"→ {name_b}": [matrix[first, second], matrix[second, second]],
            "→ other": [
                matrix[first].sum() - matrix[first, first] - matrix[first, second],
                matrix[second].sum() - matrix[second, first] - matrix[second, second],
            ],
        },
        index=[f"true {name_a}", f"true {name_b}"],
    )
    left, right = st.columns([4, 3], gap="large")
    with left:
        st.markdown("**Two-way confusion**: true class by row, prediction by column")
        st.dataframe(counts, width="content")
        support_a, support_b = max(matrix[first].sum(), 1), max(matrix[second].sum(), 1)
        st.markdown(
            f"- {matrix[first, second]:,} of {support_a:,} **{name_a}** images ({matrix[first, second] / support_a:.1%}) "
            f"were called {name_b}\n"
            f"- {matrix[second, first]:,} of {support_b:,} **{name_b}** images ({matrix[second, first] / support_b:.1%}) "
            f"were called {name_a}"
        )
    with right:
        st.markdown("**Mean training image of each, and their difference**")
        means = training_means()
        st.image(
            [
                ev.grayscale_rgb(means[first], INSPECTOR_SCALE),
                ev.grayscale_rgb(means[second], INSPECTOR_SCALE),
                ev.difference_rgb(means[first], means[second], INSPECTOR_SCALE),
            ],
            caption=[name_a, name_b, f"{name_a} − {name_b}"],
            alt=[
                f"The mean {name_a} training image",
                f"The mean {name_b} training image",
                f"Their difference: red where {name_a} is brighter on average, blue where {name_b} is",
            ],
        )
        st.caption(f"Difference: red where {name_a} is brighter on average, blue where {name_b} is.")


def _pair_mistakes(
    model_id: str, stamp: float, result: ev.Evaluation, images: np.ndarray, first: int, second: int
) -> None:
    """The most confident mistakes each way, each with its saliency and the model's top three."""
    name_a, name_b = CLASS_NAMES[first], CLASS_NAMES[second]
    matrix = result.confusion
    st.markdown("**Examples the model confused**, most confident mistakes first")
    c1, c2, c3 = st.columns(3)
    per_side = c1.slider("Examples per side", 1, 8, 4, key="evaluate_pair_examples", bind="query-params")
    method = c2.radio(
        "Saliency",
        ev.SALIENCY_METHODS,
        format_func={"smoothgrad": "SmoothGrad", "gradient": "Plain gradient"}.get,
        horizontal=True,
        key="evaluate_pair_method",
        bind="query-params",
    )
    explain_true = (
        c3.radio(
            "Explain",
            ["predicted class", "true class"],
            horizontal=True,
            key="evaluate_pair_explain",
            bind="query-params",
        )
        == "true class"
    )
    sides = [result.cell(first, second).head(per_side), result.cell(second, first).head(per_side)]
    rows = pd.concat(sides, ignore_index=True)
    explained_class = [int(c) for c in (rows["true"] if explain_true else rows["predicted"])]
    maps = None
    if len(rows):
        maps = saliency(model_id, stamp, tuple(int(i) for i in rows["index"]), tuple(explained_class), method)
    st.caption(
        "Saliency: brighter yellow pixels sway the model most towards the "
        + ("true class." if explain_true else "class it predicted.")
    )
    offset = 0
    for column, frame, (true_name, predicted_name) in zip(
        st.columns(2, gap="large"), sides, ((name_a, name_b), (name_b, name_a)), strict=True
    ):
        with column:
            total = int(matrix[CLASS_NAMES.index(true_name), CLASS_NAMES.index(predicted_name)])
            st.markdown(f"##### {true_name} predicted as {predicted_name} ({total:,})")
            if not len(frame):
                st.info("The model never made this mistake.", icon="🎉")
            for position, row in enumerate(frame.itertuples()):
                with st.container(border=True):
                    pictures, words = st.columns([3, 2], vertical_alignment="center")
                    pictures.image(
                        [
                            ev.grayscale_rgb(images[row.index], INSPECTOR_SCALE),
                            ev.saliency_overlay(images[row.index], maps[offset + position], factor=INSPECTOR_SCALE),
                        ],
                        caption=[f"test #{row.index}", f"why {CLASS_NAMES[explained_class[offset + position]]}"],
                        width=28 * INSPECTOR_SCALE,
                        alt=[
                            widgets.test_image_alt(row.index, f"a {true_name} predicted as {predicted_name}"),
                            f"Saliency of test image #{row.index:,} for "
                            f"{CLASS_NAMES[explained_class[offset + position]]}: the brighter, the more a pixel sways it",
                        ],
                    )
                    words.markdown(_top3_markdown(result.probabilities[row.index], row.true))
            offset += len(frame)


def curves_section(artifact: store.Artifact) -> None:
    meta = artifact.meta
    curve = charts_eval.history_curve(meta.history)
    if curve.empty:
        st.info("This model was saved without a training history.", icon="📈")
    else:
        widgets.chart(
            charts.training_curves(curve),
            charts.curves_description(curve),
            charts.curve_numbers(curve),
            name="loss and accuracy per epoch",
        )
        st.caption(
            f"{meta.epochs_run} epoch(s) in {meta.train_seconds:.0f} s. Validation curves come from the "
            "held-out part of the training set, never from the test set."
        )
    with st.expander("Hyperparameters, data and library versions"):
        st.json(
            {"hyperparameters": meta.hyperparameters, "dataset": meta.dataset_source, "versions": meta.versions},
            expanded=1,
        )
