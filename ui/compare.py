"""Compare-page glue: rank every saved model, then curves and a head-to-head of the visitor's choice.

Quality numbers reuse the Evaluate page's cached evaluation (one per model and file time, read
from the probabilities cached beside the model, computed once when absent). Latency is measured
once per model and file time (``st.cache_data``). The two interactive sections are fragments:
picking models there reruns only that section, not the leaderboard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import pandas as pd
import streamlit as st

from core.models import store, zoo
from core.predict import inference
from core.understand import compare, selection, vote
from core.understand import evaluation as ev
from ui.shared import charts, identity, loaders, models, state, widgets

CURVES_KEY = "compare_curves_models"
CURVES_TRAIN_KEY = "compare_curves_show_train"
MODEL_A_KEY = "compare_model_a"
MODEL_B_KEY = "compare_model_b"
SEEN_TRAINED_KEY = "compare_seen_trained"  # the SELECTED_MODEL value this page last acted on
DEFAULT_CURVES = 3  # models drawn on first visit: the best three
ORIGINS_KEY = "compare_origins"
COLUMNS_KEY = "compare_columns"
# Columns the visitor may add or hide; the default set fits a 1280-px screen beside the sidebar.
OPTIONAL_COLUMNS = {
    "model": "id",
    "origin": "origin",
    "arch": "architecture",
    "published": "published",
    "macro_f1": "macro F1",
    "shirt_recall": "Shirt recall",
    "params": "parameters",
    "epochs": "epochs",
    "train_seconds": "training time",
    "size_mb": "size",
    "latency_ms": "latency",
}
DEFAULT_COLUMNS = ("origin", "published", "macro_f1", "shirt_recall", "params")


@dataclass(frozen=True)
class Ranking:
    """Every model folder sorted into working rows, broken ones (with reasons), and hidden duplicates."""

    rows: tuple[compare.LeaderboardRow, ...]
    broken: tuple[compare.BrokenModel, ...]
    hidden: tuple[inference.Skipped, ...]
    artifacts: dict[str, store.Artifact] = field(default_factory=dict)  # working models by id
    derived: dict[str, ev.Evaluation] = field(default_factory=dict)  # rows made of others (the vote), by id
    voters: tuple[str, ...] = ()  # the vote's members

    def evaluation(self, model_id: str) -> ev.Evaluation:
        if model_id in self.derived:
            return self.derived[model_id]
        return models.evaluation(model_id, ev.artifact_stamp(self.artifacts[model_id]))

    def histories(self) -> dict[str, dict[str, list[float]]]:
        """Each saved model's training history (a vote was never trained: it has none)."""
        return {model_id: artifact.meta.history for model_id, artifact in self.artifacts.items()}


@st.cache_data(show_spinner=False, max_entries=256)
def latency_ms(model_id: str, stamp: float) -> float:
    """Median single-image call time, measured once per (model, file time)."""
    model = loaders.model(model_id, stamp)
    try:
        return compare.single_image_latency_ms(model)
    except Exception as error:  # a model from disk can fail in many ways; it is then a broken row
        raise store.ArtifactError(
            f"Model {model_id!r} fails on one 28×28 image: {type(error).__name__}: {error}"
        ) from error


def _score(artifact: store.Artifact) -> compare.LeaderboardRow | compare.BrokenModel:
    if not artifact.ok:
        return compare.BrokenModel(artifact.model_id, artifact.path, f"its folder is damaged: {artifact.error}")
    stamp = ev.artifact_stamp(artifact)
    try:
        loaders.model(artifact.model_id, stamp)  # a model that cannot load is broken, cached predictions or not
        result = models.evaluation(artifact.model_id, stamp)
        latency = latency_ms(artifact.model_id, stamp)
    except store.ArtifactError as error:
        return compare.BrokenModel(artifact.model_id, artifact.path, str(error).splitlines()[0])
    return compare.leaderboard_row(artifact, result, latency)


def pick_shown(artifacts: Sequence[store.Artifact]) -> list[store.Artifact]:
    """Which models the page ranks: shipped and mine by default; the class's when asked for.

    Only these are loaded and scored, so a hundred class runs on disk cost nothing until shown.
    A model the visitor just trained on the Train page is always shown.
    """
    owner = identity.owner()
    counts = {key: 0 for key in selection.ORIGINS}
    for artifact in artifacts:
        counts[selection.origin(artifact, owner)] += 1
    if ORIGINS_KEY not in st.session_state:
        st.session_state[ORIGINS_KEY] = [selection.SHIPPED, selection.MINE]
    chosen = st.pills(
        "Show models",
        list(selection.ORIGINS),
        selection_mode="multi",
        format_func=lambda key: f"{selection.ORIGIN_LABELS[key]} ({counts[key]})",
        key=ORIGINS_KEY,
        help="Shipped with the app, trained in this browser, or trained by anyone else in the class",
    )
    shown = selection.of_origins(artifacts, owner, chosen or [])
    newest = st.session_state.get(state.SELECTED_MODEL)
    shown += [a for a in artifacts if a.model_id == newest and a not in shown]
    return shown


def board(ranking: Ranking) -> pd.DataFrame:
    """The leaderboard, with each model's origin as this visitor sees it (shipped, mine or class) and its name as
    students know it (``models.model_name``; the id stays in ``model``)."""
    table = compare.leaderboard(ranking.rows)
    table["name"] = [
        models.model_name(ranking.artifacts[model_id]) if model_id in ranking.artifacts else name
        for model_id, name in zip(table["model"], table["name"], strict=True)
    ]
    table["arch"] = [zoo.arch_name(arch) for arch in table["arch"]]  # "Shallow CNN", not its key
    owner = identity.owner()
    table["origin"] = [
        selection.origin(ranking.artifacts[model_id], owner) if model_id in ranking.artifacts else selection.SHIPPED
        for model_id in table["model"]
    ]
    return table


def weak_models(board: pd.DataFrame) -> list[str]:
    """Models near chance: ranked, but kept off the chart so that they do not set its axis."""
    return [
        model_id for model_id, value in zip(board["model"], board["accuracy"], strict=True) if selection.is_weak(value)
    ]


def rank(artifacts: Sequence[store.Artifact]) -> Ranking:
    """Score every model (a progress bar while it works: slow only on a model's first visit)."""
    kept, hidden = inference.distinct(artifacts)
    rows, broken = [], []
    progress = st.progress(0.0, text="Scoring the models…")
    for number, artifact in enumerate(kept):
        progress.progress(
            number / len(kept),
            text=f"Scoring **{artifact.model_id}** ({number + 1} of {len(kept)}): loading it, reading or computing "
            "its test predictions and timing one image. Only a model's first visit is slow.",
        )
        outcome = _score(artifact)
        (rows if isinstance(outcome, compare.LeaderboardRow) else broken).append(outcome)
    progress.empty()
    working = {row.model_id for row in rows}
    by_id = {artifact.model_id: artifact for artifact in kept if artifact.model_id in working}
    ranking = Ranking(tuple(rows), tuple(broken), tuple(hidden), by_id)
    return with_vote(ranking)


def with_vote(ranking: Ranking) -> Ranking:
    """The ranking plus the vote of the best shipped models (``core.understand.vote``) when they are all ranked."""
    members = vote.members(list(ranking.artifacts.values()))
    if not members:
        return ranking
    rows = {row.model_id: row for row in ranking.rows}
    chosen = [rows[artifact.model_id] for artifact in members]
    result = vote.evaluation([ranking.evaluation(artifact.model_id) for artifact in members])
    row = compare.vote_row(chosen, result)
    return replace(
        ranking, rows=(*ranking.rows, row), derived={vote.VOTE_ID: result}, voters=tuple(a.model_id for a in members)
    )


def show_problems(ranking: Ranking) -> None:
    """Broken models as one warning naming each and why; same-named hidden folders as a quiet note."""
    if ranking.broken:
        lines = "\n".join(f"- **{item.model_id}**: {item.reason}" for item in ranking.broken)
        count = len(ranking.broken)
        st.warning(
            f"{count} model{'s' if count != 1 else ''} left out of the leaderboard because "
            f"{'they' if count != 1 else 'it'} can't be used:\n{lines}",
            icon="⚠️",
        )
    if ranking.hidden:
        st.caption("Not ranked, " + "; ".join(f"{item.model_id}: {item.reason}" for item in ranking.hidden) + ".")


def freshly_trained(model_ids: Sequence[str]) -> str | None:
    """The model the Train page saved since this page last looked (once), if it is ranked."""
    trained = st.session_state.get(state.SELECTED_MODEL)
    if trained == st.session_state.get(SEEN_TRAINED_KEY):
        return None
    st.session_state[SEEN_TRAINED_KEY] = trained
    return trained if trained in model_ids else None


# -- leaderboard ----------------------------------------------------------------------------------
def vote_note(ranking: Ranking) -> str:
    """What the vote row is, in one line ("" when there is none)."""
    if not ranking.voters:
        return ""
    names = [models.model_name(ranking.artifacts[model_id]) for model_id in ranking.voters]
    return f"*{vote.VOTE_ID}*: {vote.members_text(names)} Its costs are theirs added up."


def _leaderboard_columns() -> dict:
    """How each leaderboard column reads: its heading, width, format and the help behind its "?"."""
    share = {"min_value": 0.0, "max_value": 1.0, "format": "percent"}
    return {
        "rank": st.column_config.NumberColumn("#", format="%d", width=35, pinned=True),
        "name": st.column_config.TextColumn("model", width=170, pinned=True, help="Its name; its id is in the CSV"),
        "model": st.column_config.TextColumn("id", width=140, help="Its id: `?model=ID` opens it on Evaluate"),
        "origin": st.column_config.TextColumn(
            "origin", width=70, help="Shipped with the app, trained in this browser (mine), or by the class"
        ),
        "arch": st.column_config.TextColumn("architecture", width=150),
        "accuracy": st.column_config.ProgressColumn(
            "test accuracy", width=110, help="Share of the 10,000 test images classified correctly", **share
        ),
        "published": st.column_config.TextColumn(
            "published",
            width=100,
            help="The test accuracy this architecture's source reports; a target where the source only sets one",
        ),
        "macro_f1": st.column_config.NumberColumn(
            "macro F1", format="%.3f", width=70, help="F1 averaged over the ten classes, each counting the same"
        ),
        "shirt_recall": st.column_config.ProgressColumn(
            "Shirt recall",
            width=100,
            help="Share of the Shirt test images called Shirt: the hardest class",
            **share,
        ),
        "params": st.column_config.NumberColumn("parameters", format="localized", width=80),
        "epochs": st.column_config.NumberColumn("epochs", format="%d"),
        "train_seconds": st.column_config.NumberColumn(
            "training", format="%.0f s", width=65, help="Wall-clock time of model.fit where it was trained"
        ),
        "size_mb": st.column_config.NumberColumn(
            "size", format="%.1f MB", width=70, help="The model.keras file on disk"
        ),
        "latency_ms": st.column_config.NumberColumn(
            "latency",
            format="%.1f ms",
            width=65,
            help="One image, one direct model call: the median of 5 after a warm-up, on this server "
            "(it shares its CPU with every visitor, so expect some noise)",
        ),
    }


def show_leaderboard(board: pd.DataFrame) -> None:
    """The sortable table (the visitor's latest model from the Train page marked new), and a CSV download."""
    table = board.assign(rank=range(1, len(board) + 1))
    table["published"] = [
        compare.published_text(value, bool(target))
        for value, target in zip(table["published_accuracy"], table["published_is_target"], strict=True)
    ]
    latest = st.session_state.get(state.SELECTED_MODEL)
    is_latest = (table["model"] == latest) & (table["origin"] != selection.SHIPPED)
    table.loc[is_latest, "origin"] = table.loc[is_latest, "origin"] + " · new"
    if COLUMNS_KEY not in st.session_state:
        useful = [key for key in DEFAULT_COLUMNS if key != "published" or board["published_accuracy"].notna().any()]
        st.session_state[COLUMNS_KEY] = useful
    shown = st.multiselect(
        "Columns",
        list(OPTIONAL_COLUMNS),
        format_func=OPTIONAL_COLUMNS.__getitem__,
        key=COLUMNS_KEY,
        help="Rank, model and test accuracy are always shown; the CSV holds every column.",
    )
    columns = ["rank", "name", "accuracy", *[key for key in OPTIONAL_COLUMNS if key in shown]]
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        height="content",
        key="compare_leaderboard",
        column_order=columns,
        column_config=_leaderboard_columns(),
    )
    st.download_button(
        "⬇ Download leaderboard (CSV)",
        board.to_csv(index=False).encode(),
        file_name="fashion-mnist-leaderboard.csv",
        mime="text/csv",
        on_click="ignore",
        key="compare_download",
    )


# -- learning curves ---------------------------------------------------------------------------------
def _keep_valid(key: str, options: Sequence[str], default: object) -> None:
    """Start a widget's value at ``default``, and drop choices whose model has since disappeared."""
    if key not in st.session_state:
        st.session_state[key] = default
    elif isinstance(st.session_state[key], list):
        st.session_state[key] = [item for item in st.session_state[key] if item in options]
    elif st.session_state[key] not in options:
        st.session_state[key] = default


def prepare_choices(board: pd.DataFrame, newest: str | None, histories: dict[str, dict]) -> None:
    """Initial picks (the best three trained models' curves; B the best, A the runner-up), and a model
    just trained on the Train page shown at once: added to the curves and made model B.

    Runs on full reruns only, before the fragments: a fragment rerun must keep the visitor's picks.
    """
    ids = list(board["model"])
    trained = [model_id for model_id in ids if model_id in histories]  # a vote has no curves of its own
    _keep_valid(CURVES_KEY, trained, trained[:DEFAULT_CURVES])
    for key, param in ((MODEL_A_KEY, "a"), (MODEL_B_KEY, "b")):  # a shared link (?a=ID&b=ID) opens its pair
        if key not in st.session_state and st.query_params.get(param) in ids:
            st.session_state[key] = st.query_params[param]
    _keep_valid(MODEL_B_KEY, ids, ids[0])
    if newest is not None:
        if newest not in st.session_state[CURVES_KEY]:
            st.session_state[CURVES_KEY] = [*st.session_state[CURVES_KEY], newest]
        st.session_state[MODEL_B_KEY] = newest
    others = [model_id for model_id in ids if model_id != st.session_state[MODEL_B_KEY]]
    if others:
        _keep_valid(MODEL_A_KEY, ids, others[0])
        if newest is not None and st.session_state[MODEL_A_KEY] == newest:
            st.session_state[MODEL_A_KEY] = others[0]  # the new model went to B: A must differ


@st.fragment
def curves_section(board: pd.DataFrame, histories: dict[str, dict[str, list[float]]]) -> None:
    options = [model_id for model_id in board["model"] if model_id in histories]
    names = dict(zip(board["model"], board["name"], strict=True))
    widgets.resend(CURVES_KEY)
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    chosen = left.multiselect(
        "Models to overlay", options, key=CURVES_KEY, placeholder="Pick models", format_func=names.__getitem__
    )
    show_train = right.toggle("Training curves too", key=CURVES_TRAIN_KEY, help="Dashed: the training split")
    if not chosen:
        st.info("Pick one or more models above to overlay their learning curves.", icon="📈")
        return
    curves = compare.learning_curves({names[model_id]: histories.get(model_id, {}) for model_id in chosen})
    if curves.empty:
        st.info("None of these models was saved with a training history.", icon="📈")
        return
    for column, metric in zip(widgets.stacking_columns("compare-curves", 2), ("accuracy", "loss"), strict=True):
        with column:
            widgets.chart(
                charts.model_curves(curves, metric, show_train=show_train),
                f"Line chart of the {metric} per epoch of {', '.join(dict.fromkeys(curves['model']))}, one colour "
                "per model" + ("; validation solid, training dashed." if show_train else ", on the validation split."),
                charts.curve_numbers(curves[curves["metric"] == metric], "model"),
                name=metric,
                width="stretch",
            )
    missing = [names[model_id] for model_id in chosen if names[model_id] not in set(curves["model"])]
    note = "Validation curves come from the held-out part of the training set, never from the test set."
    if missing:
        note += " No training history saved for: " + ", ".join(missing) + "."
    st.caption(note)


# -- two models side by side ---------------------------------------------------------------------
def _points(value: float) -> str:
    return f"{value * 100:+.2f} pts"


@st.fragment
def side_by_side(board: pd.DataFrame, ranking: Ranking) -> None:
    ids = list(board["model"])
    if len(ids) < 2:
        st.info("Only one model can be used so far. Train another to compare two side by side.", icon="↔️")
        return
    accuracy = dict(zip(board["model"], board["accuracy"], strict=True))
    names = dict(zip(board["model"], board["name"], strict=True))

    def label(model_id: str) -> str:
        return f"{names[model_id]} · {accuracy[model_id]:.2%}"

    widgets.resend(MODEL_A_KEY, MODEL_B_KEY)  # the boxes always show the pair the numbers below are for
    c1, c2 = st.columns(2)
    id_a = c1.selectbox("Model A", ids, key=MODEL_A_KEY, format_func=label)
    id_b = c2.selectbox("Model B", ids, key=MODEL_B_KEY, format_func=label, help="Changes are B minus A")
    st.query_params["a"], st.query_params["b"] = id_a, id_b  # the address bar is a link to this pair
    if id_a == id_b:
        st.warning("Pick two different models to compare.", icon="↔️")
        return
    a, b = ranking.evaluation(id_a), ranking.evaluation(id_b)
    row_a, row_b = (board.set_index("model").loc[model_id] for model_id in (id_a, id_b))
    _pair_numbers(row_a, row_b, compare.agreement(a, b))
    _pair_charts(a, b, names[id_a], names[id_b])


def _pair_numbers(row_a: pd.Series, row_b: pd.Series, overlap: compare.Agreement) -> None:
    """B's headline numbers and their change from A, in a row that wraps rather than cuts them on a narrow screen."""
    with st.container(horizontal=True, gap="large"):
        st.metric(
            "Test accuracy of B", f"{row_b.accuracy:.2%}", _points(row_b.accuracy - row_a.accuracy), width="content"
        )
        st.metric("Macro F1 of B", f"{row_b.macro_f1:.3f}", f"{row_b.macro_f1 - row_a.macro_f1:+.3f}", width="content")
        st.metric(
            "Shirt recall of B",
            f"{row_b.shirt_recall:.1%}",
            _points(row_b.shirt_recall - row_a.shirt_recall),
            width="content",
        )
        st.metric(
            "Same prediction",
            f"{overlap.same_prediction / overlap.total:.1%}",
            help="Share of test images on which A and B predict the same class, right or wrong",
            width="content",
        )
    st.caption(
        f"Of the {overlap.total:,} test images, both get **{overlap.both_right:,}** right and both miss "
        f"**{overlap.both_wrong:,}**; only A gets **{overlap.only_a_right:,}** right, only B **{overlap.only_b_right:,}**. "
        "Deltas are B minus A."
    )


def _pair_charts(a: ev.Evaluation, b: ev.Evaluation, name_a: str, name_b: str) -> None:
    """Per-class F1 change and the confusion matrices' difference, side by side or one under the other."""
    left, right = widgets.stacking_columns("compare-pair", 2)
    with left, st.container(key="compare-f1-change"):
        st.markdown("**Per-class F1 change** (B − A)")
        change = compare.f1_change(a, b)
        widgets.chart(
            charts.f1_change_bars(change, name_a, name_b),
            f"Bar chart of the per-class F1 change from {name_a} (A) to {name_b} (B): "
            + ", ".join(f"{row['class']} {row.change:+.3f}" for _, row in change.iterrows())
            + ".",
            change.rename(columns={"f1_a": f"F1 {name_a}", "f1_b": f"F1 {name_b}", "change": "B − A"}).round(3),
            name="F1 per class",
            width="stretch",
        )
    with right, st.container(key="compare-confusion-difference"):
        st.markdown("**Confusion matrix of B minus A**")
        cells = compare.confusion_difference(a, b)
        widgets.chart(
            charts.confusion_difference_heatmap(cells, name_a, name_b),
            f"Heatmap of {name_b}'s confusion matrix minus {name_a}'s, true class by row, predicted by column, "
            "each cell printing the change; blue in B's favour, red in A's.",
            charts.cell_grid(cells, "change"),
            name="B minus A per cell",
            width="stretch",
        )
        st.caption(
            "Each cell prints how many more (+) or fewer (−) test images B puts there than A. Blue is in B's "
            "favour — more right on the diagonal, fewer mistakes off it — red in A's. Hover for both counts."
        )
