"""Dataset: what Fashion-MNIST looks like, how balanced it is, where it came from."""

import numpy as np
import pandas as pd
import streamlit as st

from core import data
from ui.shared import charts, loaders, state, widgets

st.title("👗 Fashion-MNIST Studio")
st.caption(
    "Train, evaluate and compare image classifiers on Fashion-MNIST: 70,000 grayscale 28x28 "
    "photos of Zalando articles in ten classes."
)
dataset = widgets.require_dataset()
_, load_seconds = loaders.dataset()

st.subheader("Samples of each class")
left, right = st.columns([1, 4])
per_class = left.slider("Samples per class", 4, 16, 10)
if left.button("🔀 Shuffle", help="Show other random training images"):
    st.session_state[state.HOME_SHUFFLE] = int(np.random.default_rng().integers(1_000_000))
indices = data.sample_indices(dataset.y_train, per_class, st.session_state.get(state.HOME_SHUFFLE, 0))
with right:
    for label, row in zip(dataset.class_names, indices, strict=True):
        st.markdown(f"**{label}**")
        widgets.class_row(dataset.x_train[row], [widgets.training_image_alt(index, label) for index in row])

st.subheader("Class balance")
counts = pd.DataFrame(
    [
        {"class": name, "split": split, "examples": int((labels == index).sum())}
        for split, labels in (("train", dataset.y_train), ("test", dataset.y_test))
        for index, name in enumerate(dataset.class_names)
    ]
)
widgets.chart(
    charts.class_balance(counts),
    "Grouped bar chart of the images per class in the training and the test split: "
    "6,000 and 1,000 for every one of the ten classes.",
    counts.pivot(index="class", columns="split", values="examples").loc[list(dataset.class_names)].reset_index(),
    name="images per class",
    width="stretch",
)
st.caption("Every class has exactly 6,000 training and 1,000 test images: accuracy is a fair summary here.")

st.subheader("The mean image of each class")
st.caption(
    "Averaging every training image of a class shows its typical silhouette. Compare Shirt with T-shirt/top and Coat."
)
means = data.mean_images(dataset.x_train, dataset.y_train)
st.image(
    [widgets.crisp(image / 255) for image in means],
    caption=list(dataset.class_names),
    width=96,
    clamp=True,
    alt=[f"The mean of every {name} training image" for name in dataset.class_names],
)

st.subheader("Where the data came from")
st.markdown(
    f"- **Loaded from:** {dataset.source}\n"
    f"- **Train:** {dataset.x_train.shape[0]:,} images, **test:** {dataset.x_test.shape[0]:,} images, "
    f"{dataset.x_train.shape[1]}x{dataset.x_train.shape[2]} pixels, uint8 0-255\n"
    "- **Checked:** IDX magic numbers, dimensions, counts, labels 0-9, and checksums of the published files\n"
    f"- **Load time:** {load_seconds:.2f} s (once per server process, then cached)\n"
    "- **Origin:** Xiao, Rasul and Vollgraf (2017), Zalando Research, MIT licence"
)
