"""Beat the model: label 20 test images (easy and hard mixed), then see your score beside every model's and people's."""

import streamlit as st

from core.understand import game
from ui import play
from ui.shared import widgets

st.title("🎯 Beat the model")
st.caption(
    f"{game.GAME_SIZE} test images: half of them every shipped model gets right, half they disagree on or are unsure "
    "about. Label each one, then compare your score with every model's and with people's."
)
dataset = widgets.require_dataset()
probabilities = play.probabilities()

seed = play.current_seed()
played = game.make_game(seed, probabilities, dataset.y_test)
play.game_header(seed)
if not probabilities:
    st.info("No shipped model has cached test predictions, so the images are random and no model plays.", icon="ℹ️")

scored = play.answer_grid(played, dataset.x_test)
if not scored:
    st.stop()

given = play.answers(played)
if missing := play.missing_answers(given):
    st.warning(f"Answer every image first. Still blank: {', '.join(missing)}.", icon="✍️")
    st.stop()

board = game.scoreboard(played, given, dataset.y_test, probabilities)
st.subheader("🏁 Scores", anchor=False)
play.show_scores(board)
st.subheader("❌ The images each player got wrong", anchor=False)
play.show_mistakes(board, played, dataset.x_test, dataset.y_test)
