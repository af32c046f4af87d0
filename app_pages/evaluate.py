"""Evaluate: where a model goes wrong, from the confusion matrix down to single pixels."""

import streamlit as st

from ui import evaluate
from ui.shared import models, widgets

st.title("🔍 Evaluate a model")
st.caption("Every number on this page comes from the 10,000 test images, which no model saw while training.")
dataset = widgets.require_dataset()

artifacts = widgets.require_models("appear here")

artifact = models.pick_model(artifacts)
stamp = models.require_model(artifact)
result = models.require_evaluation(artifact, stamp)
evaluate.summary(artifact, result)

confusion, report, mistakes, pair, curves = st.tabs(
    ["🧮 Confusion matrix", "📋 Per-class report", "❌ Misclassified", "👕 Pair inspector", "📈 Training curves"]
)
with confusion:
    evaluate.confusion_section(artifact.model_id, result, dataset.x_test)
with report:
    evaluate.report_section(result, artifact.model_id)
with mistakes:
    evaluate.misclassified_section(result, dataset.x_test, artifact.model_id)
with pair:
    st.caption(
        "Shirt and T-shirt/top are Fashion-MNIST's hardest pair. Pick any two classes to see how the model "
        "mixes them up and which pixels it looked at."
    )
    evaluate.pair_inspector(artifact.model_id, stamp, result, dataset.x_test)
with curves:
    evaluate.curves_section(artifact)
