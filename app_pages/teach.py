"""Teach: the student's own pictures as examples, a saved model taught them, and the honest before/after."""

import streamlit as st

from ui import teach
from ui.shared import examples, widgets

st.title("🖍️ Teach it your pictures")
st.caption(
    "A model is only as good as the pictures it saw. Show it your kind of pictures, and see what changes "
    "(and what it costs)."
)
mine = examples.mine()
teach.guide(open_=not mine)
dataset = widgets.require_dataset()

st.subheader("Your examples")
teach.your_examples(mine)

st.subheader("Teach a model")
teach.teach_panel(mine, dataset)
