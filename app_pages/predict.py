"""Predict: sketch or upload an image, see what the model sees, and the top-k of every model."""

import streamlit as st

from core import data
from core.predict import preprocess
from core.understand import selection
from ui import predict
from ui.shared import crop, examples, images, loaders, widgets

st.title("🔮 Predict")
st.caption(
    "Draw a garment or upload a photo. It is turned into a 28×28 Fashion-MNIST-style image, step by step, "
    "and every saved model gives its best guesses."
)

asked = predict.pick_models(loaders.artifacts())  # the shipped models and yours; the class's runs on request
predictor, skipped = predict.predictor(asked)
predict.show_skipped(skipped)
if predictor is None:
    none_yet = "There are no trained models to ask yet." if not skipped else "None of the saved models can be used."
    st.info(f"{none_yet} Train one first (a quick MLP takes seconds).", icon="🧠")
    st.page_link("app_pages/train.py", label="Train a model", icon="🏋️")
    st.stop()

CANVAS = 280  # pixels: drawn at the size it shows, so a stroke lands under the finger
# the canvas's column exactly as wide as it; the results beside it, or under it where the row is too narrow
source, results = widgets.stacking_columns("predict", 2, first_width=CANVAS)
prepared, true_label = None, None
with source:
    chosen = widgets.pick_source(predict.SOURCE_KEY, [widgets.DRAW, widgets.UPLOAD, widgets.TEST_IMAGE, crop.CAMERA])
    if chosen == widgets.DRAW:
        from streamlit_drawable_canvas import st_canvas  # only importable inside a running app

        widgets.needs_pointer("**📁 Upload** and **🎲 Test image**")
        left, right = st.columns(2)
        stroke_width = left.slider("Stroke width", 4, 48, 22, key="predict_stroke_width")
        background = right.radio(
            "Background", ["Black (like the dataset)", "White (like paper)"], key="predict_background"
        )
        on_black = background.startswith("Black")
        st.space("medium")  # the canvas's own toolbar (undo, redo, clear) floats above it
        canvas = st_canvas(
            stroke_width=stroke_width,
            stroke_color="#ffffff" if on_black else "#000000",
            background_color="#000000" if on_black else "#ffffff",
            height=CANVAS,
            width=CANVAS,
            drawing_mode="freedraw",
            update_streamlit=True,
            return_image_data=True,
            key=images.canvas_key(),
        )
        st.button("🗑️ Clear drawing", on_click=images.new_canvas, key="predict_clear")
        prepared = images.drawing_input(canvas.image_data, canvas.json_data)
    elif chosen == widgets.UPLOAD:
        file = st.file_uploader(
            "Image file",
            type=list(preprocess.UPLOAD_EXTENSIONS),
            key=predict.UPLOAD_KEY,
        )
        st.caption(
            f"{preprocess.FORMAT_NAMES}, up to {st.get_option('server.maxUploadSize')} MB. "
            "One garment on a plain background works best."
        )
        if file is not None:
            prepared = crop.cropped_photo(predict.UPLOAD_KEY, file.getvalue(), width=CANVAS)
    elif chosen == crop.CAMERA:
        prepared = crop.camera_photo("predict_camera", width=CANVAS)
    elif chosen == widgets.TEST_IMAGE:
        try:
            dataset, _ = loaders.dataset()
        except data.DatasetNotFoundError:
            st.info(
                "**Fashion-MNIST dataset not found**, so there are no test images to try: draw or upload one "
                "instead. To add them: `sudo apt-get install dataset-fashion-mnist`, or point "
                f"`{data.ENV_DIR}` at a folder holding the four original files.",
                icon="📦",
            )
        else:
            index = images.random_test_index(len(dataset.x_test))
            st.button(
                "🎲 Another test image",
                on_click=images.shuffle_test_image,
                args=(len(dataset.x_test),),
                key="predict_another",
            )
            true_label = predict.class_name(dataset.y_test[index])
            as_photo = st.toggle(
                "Show it as a shop photo",
                help="Enlarged, dark on white, saved as JPEG: watch the preprocessing undo it.",
                key="predict_as_photo",
            )
            st.markdown(f"Test image **#{index:,}**, true label **{true_label}**")
            image = dataset.x_test[index]
            prepared = (
                images.prepare(lambda: preprocess.preprocess(preprocess.render_as_photo(image)))
                if as_photo
                else preprocess.dataset_image(image, true_label)
            )

with results:
    if prepared is None:
        st.markdown("#### What the model sees")
        st.caption("Your image, each preprocessing step, and the predictions will show here.")
    else:
        st.markdown("#### What the model sees")
        images.show_steps(prepared)
        heading, control = st.columns([3, 2], vertical_alignment="bottom")
        heading.markdown("#### Predictions")
        top_k = control.slider("Top-k classes", 1, 10, 3, key="predict_top_k", bind="query-params")
        predictions = predictor.predict(prepared.image, top_k)
        verdict = predict.garment_verdict(prepared, predictions)
        predict.show_verdict(verdict)  # a picture of no garment is told so first
        answers = predict.answers(predictions, asked, top_k)
        weak = selection.weak_ids(asked)
        if verdict.garment:
            predict.show_lead(answers, true_label, weak=weak)
            examples.offer_to_keep(prepared, chosen)  # "Add to my examples as …": the Teach page teaches them
            predict.show_predictions(answers.predictions, true_label, weak=weak, vote_note=answers.vote_note)
        else:
            examples.offer_to_keep(prepared, chosen)
            with st.expander("What the models guess anyway (each must answer one of its ten classes)"):
                predict.show_predictions(answers.predictions, true_label, weak=weak, vote_note=answers.vote_note)
