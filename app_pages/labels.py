"""Label mistakes: training images whose given label is probably wrong, found by confident learning."""

import streamlit as st

from ui import labels
from ui.shared import widgets

st.title("🏷️ Label mistakes in the training set")
st.caption(
    "Not every label in Fashion-MNIST is right. Each training image was scored by two models that never "
    "trained on it (5-fold cross-validation, two quick CNNs per fold, their answers averaged); cleanlab then flags "
    "the images whose given label disagrees most with those scores. The data can be wrong, not only the model."
)
dataset = widgets.require_dataset()
ranked = labels.require_ranking(dataset)
st.markdown(labels.summary(ranked, len(dataset.y_train)))

left, middle, right = st.columns(3)
given = left.selectbox("Given label", labels.ANY_CLASS_CHOICES, key="labels_given")
suggested = middle.selectbox("Suggested label", labels.ANY_CLASS_CHOICES, key="labels_suggested")
count = right.slider("How many", 12, 120, 36, 12, key="labels_count")
shown = labels.filtered(ranked, given, suggested)
labels.gallery(dataset.x_train, shown.head(count), len(shown))
