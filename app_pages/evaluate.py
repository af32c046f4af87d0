"""Evaluate: where a model goes wrong, from the confusion matrix down to single pixels."""

import streamlit as st

from ui import evaluate as ev_ui
from ui import widgets

st.title("🔍 Evaluate a model")
st.caption(
    "Every number on this page comes from the 10,000 test images, which no model saw while training. "
    "Predictions are computed once per model and cached beside it."
)
dataset = widgets.require_dataset()

artifacts = widgets.require_models("appear here")

artifact = ev_ui.pick_model(artifacts)
stamp = ev_ui.require_model(artifact)
result = ev_ui.require_evaluation(artifact, stamp)
ev_ui.summary(artifact, result)

confusion, report, mistakes, pair, curves = st.tabs(
    ["🧮 Confusion matrix", "📋 Per-class report", "❌ Misclassified", "👕 Pair inspector", "📈 Training curves"]
)
with confusion:
    ev_ui.confusion_section(artifact.model_id, result, dataset.x_test)
with report:
    ev_ui.report_section(result, artifact.model_id)
with mistakes:
    ev_ui.misclassified_section(result, dataset.x_test, artifact.model_id)
with pair:
    st.caption(
        "Shirt and T-shirt/top are Fashion-MNIST's hardest pair. Pick any two classes to see how the model "
        "mixes them up and which pixels it looked at."
    )
    ev_ui.pair_inspector(artifact.model_id, stamp, result, dataset.x_test)
with curves:
    ev_ui.curves_section(artifact)
