"""Beat-the-model glue: the game's number in the URL, the answer grid, the scoreboard and the mistakes.

The game number lives in the URL (``?game=123456``) so a teacher can share the same 20 images with a
class. Answers sit in a form: choosing them costs the shared server nothing until "Show my score".
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from core.data import CLASS_NAMES
from core.models import store
from core.understand import game
from ui.shared import widgets

GAME_PARAM = "game"
SCORED_KEY = "play_scored_game"  # the game whose answers were last submitted
COLUMNS = 5


def answer_key(seed: int, position: int) -> str:
    """Widget key of one answer; the seed is in it, so a new game starts with blank answers."""
    return f"play-{seed}-{position + 1}"


def image_label(position: int) -> str:
    return f"Image {position + 1}"


def image_alt(position: int) -> str:
    """An image's alternative text: which puzzle it is, never what it shows (that would give the answer away)."""
    return f"Puzzle image {position + 1} of {game.GAME_SIZE}"


def _probability_stamps() -> tuple[tuple[str, float], ...]:
    """(file, time) of every shipped model's cached probabilities: the cache key of ``probabilities``."""
    files = sorted(store.SHIPPED_DIR.glob(f"*/{store.PROBABILITIES_FILE}"))
    return tuple((str(path), path.stat().st_mtime) for path in files)


@st.cache_resource(show_spinner=False, max_entries=4)
def _probabilities(stamps: tuple[tuple[str, float], ...]) -> dict[str, np.ndarray]:
    return game.shipped_probabilities()


def probabilities() -> dict[str, np.ndarray]:
    """Every shipped model's cached test probabilities, read once per change of the files, shared by all."""
    return _probabilities(_probability_stamps())


def current_seed() -> int:
    """The game in the URL; a new one (written to the URL) when there is none or it is not a game number."""
    raw = st.query_params.get(GAME_PARAM)
    if raw is not None:
        try:
            return game.check_seed(raw)
        except ValueError as error:
            st.warning(f"{error} Here is a new game instead.", icon="🎲")
    seed = game.new_seed()
    st.query_params[GAME_PARAM] = str(seed)
    return seed


def _new_game() -> None:
    st.query_params[GAME_PARAM] = str(game.new_seed())


def game_header(seed: int) -> None:
    left, right = st.columns([3, 1], vertical_alignment="center")
    left.markdown(f"**Game {seed}**: share this page's address and everyone gets the same {game.GAME_SIZE} images.")
    right.button("🎲 New game", key="play-new-game", on_click=_new_game, width="stretch")


def answer_grid(played: game.Game, images: np.ndarray) -> bool:
    """The images in a grid, one answer box each; True when "Show my score" was pressed for this game."""
    with st.form(key=f"play-answers-{played.seed}", border=False):
        for row_start in range(0, len(played), COLUMNS):
            for position, column in zip(range(row_start, row_start + COLUMNS), st.columns(COLUMNS), strict=False):
                if position >= len(played):
                    break
                with column, st.container(border=True):
                    st.image(
                        widgets.crisp(images[played.indices[position]], 4),
                        width=112,
                        clamp=True,
                        alt=image_alt(position),
                    )
                    st.selectbox(
                        image_label(position),
                        range(len(CLASS_NAMES)),
                        index=None,
                        format_func=CLASS_NAMES.__getitem__,
                        placeholder="Your answer",
                        key=answer_key(played.seed, position),
                    )
        submitted = st.form_submit_button("Show my score", type="primary", key="play-show-score")
    if submitted:
        st.session_state[SCORED_KEY] = played.seed
    return st.session_state.get(SCORED_KEY) == played.seed


def answers(played: game.Game) -> list[int | None]:
    return [st.session_state.get(answer_key(played.seed, position)) for position in range(len(played))]


def missing_answers(given: list[int | None]) -> list[str]:
    return [image_label(position) for position, answer in enumerate(given) if answer is None]


def score_table(board: list[game.Score]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "player": [item.player for item in board],
            "kind": [item.kind for item in board],
            "correct": [
                f"{item.correct:.1f} (expected)" if item.kind == "people" else f"{item.correct:.0f}" for item in board
            ],
            "accuracy": [item.accuracy for item in board],
        }
    )


def score_bars(table: pd.DataFrame) -> alt.Chart:
    """One bar per player, best first; the learner and the published human accuracy stand out by colour."""
    return (
        alt.Chart(table)
        .mark_bar()
        .encode(
            x=alt.X(
                "accuracy:Q", title="right on this game", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])
            ),
            y=alt.Y("player:N", sort=None, title=None, axis=alt.Axis(labelLimit=220)),
            color=alt.Color(
                "kind:N",
                title=None,
                # orange, blue, grey: apart with red-green colour blindness too (these were red and green)
                scale=alt.Scale(domain=["you", "model", "people"], range=["#c45100", "#1f5fbf", "#6b6d6f"]),
            ),
            tooltip=["player", "correct", alt.Tooltip("accuracy:Q", format=".0%")],
        )
        .properties(height=alt.Step(22))
    )


def show_scores(board: list[game.Score]) -> None:
    you = next(item for item in board if item.kind == "you")
    models = [item for item in board if item.kind == "model"]
    beaten = sum(item.correct < you.correct for item in models)
    left, right = st.columns(2)
    left.metric("Your score", f"{you.correct:.0f}/{you.total}")
    right.metric("Models you beat", f"{beaten} of {len(models)}")
    table = score_table(board)
    widgets.chart(
        score_bars(table),
        "Bar chart of each player's share right on this game: "
        + ", ".join(f"{row.player} {row.accuracy:.0%}" for row in table.itertuples())
        + ". The table below holds the numbers.",
        None,  # the table below holds them
        width="stretch",
    )
    st.dataframe(
        table.drop(columns="kind"),
        hide_index=True,
        height="content",  # every player, no inner scrolling
        column_config={"accuracy": st.column_config.NumberColumn(format="percent")},
        key="play-score-table",
    )
    st.caption(
        f"People: {game.HUMAN_ACCURACY:.1%}, the {game.HUMAN_SOURCE}, measured on random test images; "
        "half of this game's images are ones the models find hard."
    )


def show_mistakes(board: list[game.Score], played: game.Game, images: np.ndarray, labels: np.ndarray) -> None:
    """For the learner (first) and each model, the images it got wrong, each with its answer and the truth."""
    for item in sorted((item for item in board if item.kind != "people"), key=lambda item: item.kind != "you"):
        title = f"{item.player}: {len(item.wrong)} wrong"
        with st.expander(title, expanded=item.kind == "you" and bool(item.wrong)):
            if not item.wrong:
                st.write("Nothing wrong: every image right.")
                continue
            st.image(
                [widgets.crisp(images[played.indices[position]], 4) for position in item.wrong],
                caption=[
                    f"{image_label(position)}: said {CLASS_NAMES[item.answers[position]]}, "
                    f"is {CLASS_NAMES[int(labels[played.indices[position]])]}"
                    for position in item.wrong
                ],
                width=120,
                clamp=True,
                alt=[image_alt(position) for position in item.wrong],  # the caption says the answer and the truth
            )
