"""Predict-page glue: the cached predictor, and the widgets that show what the models see and say."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from core import data
from core.data import CLASS_NAMES
from core.models import store
from core.predict import inference, novelty, preprocess
from core.understand import evaluation as ev
from core.understand import selection, vote
from ui.shared import charts, identity, loaders, models, widgets

UPLOAD_KEY = "predict_upload"
SOURCE_KEY = "predict_source"
EXTRA_MODELS_KEY = "predict_extra_models"
CHARTS_PER_ROW = 2
NARROW = "(max-width: 640px)"  # a phone: where Streamlit puts columns under each other

# Tells the page, once, that its screen is a phone's (the server cannot know): setStateValue reruns the page only
# when the screen differs from what the page last heard, so a desktop never reruns for it.
_NARROW_SCREEN_JS = f"""
export default function ({{ data, setStateValue }}) {{
  const query = window.matchMedia("{NARROW}");
  const report = () => {{ if (query.matches !== data.narrow) setStateValue("narrow", query.matches); }};
  report();
  query.addEventListener("change", report);
  return () => query.removeEventListener("change", report);
}}
"""
_narrow_screen = st.components.v2.component("fms_narrow_screen", js=_NARROW_SCREEN_JS)
# Where the results column sits under the canvas (a phone; a laptop or a tablet beside the sidebar), the answer to
# trust goes to its top, right under the drawing, ahead of the preprocessing steps (it was 852 px below the canvas
# on a phone). The page's row (widgets.stacking_columns "predict") stacks when narrower than the canvas (280 px),
# its gap (64 px) and a column's minimum (320 px) together: a container query on the row's own width.
_LEAD_FIRST_CSS = """<style>
.st-key-predict-row { container-type: inline-size; }
@container (max-width: 663px) {
  [class*="st-key-stacks-predict-"] > [data-testid="stLayoutWrapper"]:has(> .st-key-lead-answer) { order: -1; }
}
</style>"""

Entry = tuple[str, float, str]  # model id, model-file time, the name students know (models.model_name)


@st.cache_resource(show_spinner="Preparing the models…", max_entries=32)
def _predictor(entries: tuple[Entry, ...]) -> inference.Predictor:
    """One Predictor per set of models (and file times), shared by every visitor.

    Each model comes from ``loaders.model``, so it is loaded once per process whatever page
    asked first. A model that fails to load is left out and named in ``skipped``.
    """
    named, skipped = [], []
    for model_id, stamp, display_name in entries:
        try:
            named.append(inference.NamedModel(model_id, display_name, loaders.model(model_id, stamp)))
        except store.ArtifactError as error:
            skipped.append(inference.Skipped(model_id, str(error).splitlines()[0]))
    return inference.Predictor(named, skipped=skipped)


def predictor(
    artifacts: Sequence[store.Artifact],
) -> tuple[inference.PredictorGroup | None, list[inference.Skipped]]:
    """The predictor for every readable artifact, and the models left out (with reasons).

    The shipped models form one Predictor shared by every visitor; each other model gets its own
    (cached per model): thirty browsers with their own runs never trace thirty different big ones.
    """
    artifacts, hidden = inference.distinct(artifacts)
    broken = [*hidden, *(inference.Skipped(a.model_id, a.error or "unreadable") for a in artifacts if not a.ok)]
    usable = [a for a in artifacts if a.ok and a.meta]
    shipped = tuple((a.model_id, ev.artifact_stamp(a), models.model_name(a)) for a in usable if a.shipped)
    groups = ([shipped] if shipped else []) + [
        ((a.model_id, ev.artifact_stamp(a), models.model_name(a)),) for a in usable if not a.shipped
    ]
    built, skipped = [], list(broken)
    for entries in groups:
        try:
            part = _predictor(entries)
        except inference.NoModelsError as error:  # every model of this group failed to load: each is named
            skipped.extend(error.skipped)
            continue
        built.append(part)
        skipped.extend(part.skipped)
    if not built:
        return None, skipped
    return inference.PredictorGroup(built, skipped), skipped


def pick_models(artifacts: Sequence[store.Artifact]) -> list[store.Artifact]:
    """The models asked: shipped and this browser's runs, plus any the visitor adds from the class's.

    Only these are loaded: with a hundred runs on disk the others cost nothing until picked.
    """
    owner = identity.owner()
    artifacts, _ = inference.distinct(artifacts)
    defaults = set(selection.default_ids(artifacts, owner))
    others = [choice for choice in selection.choices(artifacts, owner) if choice.model_id not in defaults]
    labels = {choice.model_id: choice.label for choice in others}
    mine = sum(1 for a in artifacts if selection.origin(a, owner) == selection.MINE)
    shipped = len(defaults) - mine
    asking = f"Asking the {shipped} shipped model{'s' if shipped != 1 else ''}"
    asking += f" and your {mine} run{'s' if mine != 1 else ''}" if mine else " (your own runs join them once saved)"
    if not others:
        st.caption(asking + ".")
        return [a for a in artifacts if a.model_id in defaults]
    if EXTRA_MODELS_KEY in st.session_state:  # runs deleted since (retention) drop out of the choice
        st.session_state[EXTRA_MODELS_KEY] = [key for key in st.session_state[EXTRA_MODELS_KEY] if key in labels]
    with st.expander(f"{asking}; add any of the class's {len(others)} other runs"):
        extra = st.multiselect(
            "Also ask",
            list(labels),
            format_func=labels.__getitem__,
            key=EXTRA_MODELS_KEY,
            placeholder="Pick runs of the class",
            help="Only the models asked are loaded. Runs near chance answer, but never count in the consensus.",
        )
    wanted = defaults | set(extra)
    return [a for a in artifacts if a.model_id in wanted]


def show_skipped(skipped: Sequence[inference.Skipped]) -> None:
    """Broken models as a warning naming each; folders hidden by a same-named model as a quiet note."""
    broken = [item for item in skipped if not item.hidden]
    if broken:
        lines = "\n".join(f"- **{item.model_id}**: {item.reason}" for item in broken)
        st.warning(f"Left out {len(broken)} model{'s' if len(broken) != 1 else ''} that can't be used:\n{lines}")
    hidden = [item for item in skipped if item.hidden]
    if hidden:
        st.caption("Not shown, " + "; ".join(f"{item.model_id}: {item.reason}" for item in hidden) + ".")


def garment_verdict(
    prepared: preprocess.Preprocessed, predictions: Sequence[inference.ModelPrediction]
) -> novelty.Verdict:
    """The shipped garment check's verdict (the signs alone if the check is missing)."""
    return inference.garment_verdict(prepared, predictions, loaders.garment_check())


def show_verdict(verdict: novelty.Verdict) -> None:
    """When the picture is no garment: say so first, in plain words, with why and what the models can tell."""
    if verdict.garment:
        return
    reasons = "\n".join(f"- {reason[0].upper()}{reason[1:]}" for reason in verdict.reasons)
    st.warning(
        f"**{novelty.NOT_CLOTHING}**\n\n{reasons}\n\n{novelty.ONLY_CLOTHING} "
        "So the answers below are guesses, not recognition.",
        icon="🙈",
    )


def _scores_frame(prediction: inference.ModelPrediction) -> pd.DataFrame:
    return pd.DataFrame(
        {"class": [s.class_name for s in prediction.top], "probability": [s.probability for s in prediction.top]}
    )


def narrow_screen() -> bool:
    """Whether this page is on a phone's screen, as its browser last said (False until it has)."""
    heard = st.session_state.get(_NARROW_HEARD, False)
    result = _narrow_screen(
        key="predict_screen", data={"narrow": heard}, default={"narrow": False}, on_narrow_change=lambda: None
    )
    st.session_state[_NARROW_HEARD] = narrow = bool(result.narrow)
    return narrow


_NARROW_HEARD = "predict_screen_heard"  # what narrow_screen last heard, given back to its script


def show_predictions(
    predictions: Sequence[inference.ModelPrediction],
    true_label: str | None = None,
    weak: Collection[str] = (),
    vote_note: str = "",
) -> None:
    """Agreement first (and a table when the models disagree), then a top-k chart per model.

    Models in ``weak`` (near chance) get their chart but no vote: one untrained run would
    otherwise make "the models disagree" appear on almost every image. On a phone the table and the charts are
    folded under the agreement line (a dozen cards one under another ran the page to 5,700 px).
    """
    folded = narrow_screen()
    answers = [p for p in predictions if p.model_id != vote.VOTE_ID]  # the vote repeats its members' answers
    voting = [p for p in answers if p.model_id not in weak] or answers
    agreed = inference.consensus(voting)
    if agreed is None:
        return
    left_out = [p.display_name for p in answers if p not in voting]
    if left_out:
        st.caption(f"Not counted in the vote (near chance on the test set): {', '.join(left_out)}.")
    truth = f" The true label is **{true_label}**." if true_label else ""
    if agreed.unanimous:
        noun = "Both models" if agreed.models == 2 else f"All {agreed.models} models"
        said = (
            f"{noun} say **{agreed.class_name}**." if agreed.models > 1 else f"The model says **{agreed.class_name}**."
        )
        if true_label and true_label != agreed.class_name:
            st.warning(said + truth, icon="❌")
        else:
            st.success(said + truth, icon="✅")
    else:
        st.info(
            f"The models disagree: {agreed.votes} of {agreed.models} say **{agreed.class_name}**.{truth}", icon="🤔"
        )
    details = st.expander(f"🔎 Each model's answer ({len(answers)} models)") if folded else st.container()
    if not agreed.unanimous:
        rows = pd.DataFrame(inference.disagreements(voting))
        details.dataframe(
            rows,
            hide_index=True,
            height="content",  # every model in view, no box scrolling inside the page
            column_config={
                "probability": st.column_config.NumberColumn("probability", format="percent"),
                rows.columns[3]: st.column_config.NumberColumn(
                    rows.columns[3],
                    format="percent",
                    help=f"How likely each model finds {agreed.class_name}, the majority's choice",
                ),
            },
        )
    for start in range(0, len(predictions), CHARTS_PER_ROW):
        row = predictions[start : start + CHARTS_PER_ROW]
        for column, prediction in zip(details.columns(CHARTS_PER_ROW), row, strict=False):
            # (a run id never has a space, so the vote's card key cannot clash with a model's)
            key = "all-models-vote" if prediction.model_id == vote.VOTE_ID else f"prediction-{prediction.model_id}"
            with column.container(key=key, border=True):
                st.markdown(f"**{prediction.display_name}**")
                if prediction.model_id == vote.VOTE_ID and vote_note:
                    st.caption(vote_note)
                scores = _scores_frame(prediction)
                widgets.chart(
                    charts.top_k_spec(scores, highlight=true_label),
                    charts.top_k_description(scores, prediction.display_name, true_label),
                    scores.assign(probability=[f"{p:.1%}" for p in scores["probability"]]),
                    width="stretch",
                )


@st.cache_data(show_spinner=False, max_entries=8)
def vote_accuracy(member_ids: tuple[str, ...], stamps: tuple[float, ...]) -> float | None:
    """The vote's test accuracy, from its members' cached test probabilities (None without the dataset)."""
    try:
        return vote.evaluation(
            [models.evaluation(m, stamp) for m, stamp in zip(member_ids, stamps, strict=True)]
        ).accuracy
    except (data.DatasetNotFoundError, store.ArtifactError):
        return None


@dataclass(frozen=True)
class Answers:
    """Every answer to show, the lead first; the lead is the best measured of the shipped models and the vote."""

    predictions: tuple[inference.ModelPrediction, ...]
    lead: inference.ModelPrediction | None
    lead_accuracy: float | None
    vote_note: str  # who votes ("" without a vote)


def answers(predictions: Sequence[inference.ModelPrediction], asked: Sequence[store.Artifact], k: int) -> Answers:
    """The models' answers and the vote of the best shipped models (when all of them answered), led by
    whichever has the best measured test accuracy: the vote leads only where it wins."""
    accuracies = inference.lead_accuracies(asked, [p.model_id for p in predictions])
    members = vote.members(asked)
    voted, note = None, ""
    if members:
        ids = tuple(a.model_id for a in members)
        accuracy = vote_accuracy(ids, tuple(ev.artifact_stamp(a) for a in members))
        voted = vote.prediction(predictions, ids, k, vote.title(accuracy))
        if voted is not None:
            note = vote.members_text([models.model_name(a) for a in members])
            if accuracy is not None:
                accuracies[vote.VOTE_ID] = accuracy
    everything = ((voted,) if voted is not None else ()) + tuple(predictions)
    best = inference.lead(everything, accuracies)
    ordered = everything if best is None else (best, *(p for p in everything if p is not best))
    return Answers(ordered, best, None if best is None else accuracies[best.model_id], note)


def show_lead(found: Answers, true_label: str | None = None, weak: Collection[str] = ()) -> None:
    """The answer to trust, first and large: the best measured model's top class; under it, in a line, why it
    leads and what the others say (the big answer and "the models disagree" below it read as a contradiction)."""
    if found.lead is None:
        return
    top = found.lead.best
    mark = "" if not true_label else (" ✅ right" if top.class_name == true_label else f" ❌ (true: {true_label})")
    st.html(_LEAD_FIRST_CSS)
    with st.container(key="lead-answer", border=True):
        st.markdown(f"### {top.class_name} · {top.probability:.0%}{mark}")
        st.caption(
            f"The answer of **{found.lead.display_name}**, which leads as the best measured of these models "
            f"({found.lead_accuracy:.2%} on the 10,000 test images). " + others_say(found, weak)
        )


def others_say(found: Answers, weak: Collection[str] = ()) -> str:
    """What the models other than the lead answer, in a sentence: "Of the other 10, 7 say Shirt, 3 T-shirt/top."
    The vote is not counted (it repeats its members), nor are models near chance (as in the table below)."""
    others = [
        p for p in found.predictions if p is not found.lead and p.model_id != vote.VOTE_ID and p.model_id not in weak
    ]
    if not others:
        return "Every model's answer is below."
    lead_class = found.lead.best.class_name
    counts = Counter(p.best.class_name for p in others).most_common()
    if len(counts) == 1:
        ((answer, _),) = counts
        every = "The other model says" if len(others) == 1 else f"All {len(others)} others say"
        return f"{every} {answer}{' too' if answer == lead_class else ''}."
    said = ", ".join(f"{count} {'say ' if index == 0 else ''}{name}" for index, (name, count) in enumerate(counts))
    return f"Of the other {len(others)}, {said}."


def class_name(label: int) -> str:
    return CLASS_NAMES[int(label)]
