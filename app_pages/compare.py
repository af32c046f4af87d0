"""Compare: a leaderboard of every saved model, their learning curves overlaid, and two head to head."""

import streamlit as st

from ui import compare
from ui.shared import charts, widgets

st.title("📊 Compare models")
st.caption("Every shipped model and every model trained here, scored on the same 10,000 test images.")
widgets.require_dataset()

artifacts = widgets.require_models("be ranked here")
shown = compare.pick_shown(artifacts)  # shipped and mine by default; the class's runs on request

ranking = compare.rank(shown)
compare.show_problems(ranking)
if not shown:
    st.info("No models to show with this filter: pick another group above.", icon="🔎")
    st.stop()
if not ranking.rows:
    st.info("None of the saved models can be used. Train a new one to start the leaderboard.", icon="🏋️")
    st.page_link("app_pages/train.py", label="Go to the Train page", icon="🏋️")
    st.stop()

board = compare.board(ranking)
histories = ranking.histories()
compare.prepare_choices(board, compare.freshly_trained(list(board["model"])), histories)

st.subheader("🏆 Leaderboard", anchor=False)
compare.show_leaderboard(board)
if note := compare.vote_note(ranking):
    st.caption(note)
weak = compare.weak_models(board)
charted = board[~board["model"].isin(weak)] if len(weak) < len(board) else board
widgets.chart(
    charts.accuracy_bars(charted),
    "Bar chart of each model's test accuracy, best first: "
    + ", ".join(
        f"{row.name} {row.accuracy:.2%}" for row in charted.sort_values("accuracy", ascending=False).itertuples()
    )
    + ". The leaderboard above holds every number.",
    None,  # the leaderboard above holds them
    width="stretch",
)
st.caption(
    "The axis starts just below the weakest model shown so that the differences show. "
    "A black tick marks the accuracy the architecture's source reports; a purple one a target it sets."
    + (
        f" Not drawn, near chance (10%): {', '.join(board.set_index('model').loc[weak, 'name'])}."
        if len(weak) < len(board) and weak
        else ""
    )
)

st.subheader("📈 Learning curves", anchor=False)
compare.curves_section(board, histories)

st.subheader("↔️ Side by side", anchor=False)
compare.side_by_side(board, ranking)
