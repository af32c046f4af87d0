"""Inside: what a network computes for one image, and how it arranges all 10,000 test images."""

import streamlit as st

from ui import inside
from ui.shared import loaders, models, widgets

st.title("🔬 Inside a network")
st.caption(
    "Follow one image through the layers: what each convolution responds to, what the first layer learned, "
    "and where the decision comes from. Then see how the model arranges all 10,000 test images."
)
dataset = widgets.require_dataset()
artifacts = widgets.require_models("appear here")
artifact = models.pick_model(artifacts)
stamp = models.require_model(artifact)
model = loaders.model(artifact.model_id, stamp)
parts = inside.anatomy(artifact.model_id, stamp)

CANVAS, CHOOSER = 224, 264  # pixels: the canvas is drawn at the size it shows, so strokes land under the finger
one_image, the_map = st.tabs(["🖼️ One image, layer by layer", "🗺️ Embedding map"])
with one_image:
    # room for the canvas and the test image's number; the explanation beside it, or under it where the row is narrow
    chooser, why = widgets.stacking_columns("inside", 2, first_width=CHOOSER)
    with chooser:
        source = inside.pick_source()
        if source == inside.DRAW:
            from streamlit_drawable_canvas import st_canvas  # only importable inside a running app

            widgets.needs_pointer("**🎲 Test image** and **📁 Upload**")
            st.space("medium")  # the canvas's own toolbar (undo, redo, clear) floats above it
            canvas = st_canvas(
                stroke_width=22,
                stroke_color="#ffffff",
                background_color="#000000",
                height=CANVAS,
                width=CANVAS,
                drawing_mode="freedraw",
                update_streamlit=True,
                return_image_data=True,
                key="inside_canvas",
            )
            image, true_class, described = inside.drawn_image(canvas.image_data, canvas.json_data)
        else:
            image, true_class, described = inside.pick_image(dataset, source)
    if image is None:
        why.info("Draw or upload an image to look inside the network with it.", icon="✏️")
    else:
        with why:
            st.markdown(f"#### Why? ({described})")
            predicted = inside.prediction_line(model, image, true_class)
            inside.explanations(model, parts, image, predicted, described)
        layers, weights = st.columns([3, 2], gap="large")
        with layers:
            st.markdown("#### Activations, layer by layer")
            inside.activation_grids(parts, image, described)
        with weights:
            st.markdown("#### What the first layer learned")
            inside.first_layer(parts)

with the_map:
    result = models.require_evaluation(artifact, stamp)
    mapped = inside.require_embedding(artifact, stamp)
    if mapped is not None:
        st.caption(
            f"Each dot is a test image placed by its penultimate-layer features ({mapped.method.upper()}): images the "
            "model finds alike sit together. Colour: true class; crosses: misclassified. Hover a dot to see its "
            "image; drag a box to open every image inside it below."
        )
        shown = st.slider("Dots drawn (all mistakes, then a sample)", 2_000, 10_000, 3_000, 1_000, key="inside_dots")
        points = inside.map_points(mapped, result, shown)
        event = widgets.chart(
            inside.map_chart(points),
            f"Scatter plot of {len(points):,} test images placed by the model's features, coloured by true class, "
            "misclassified ones as crosses. Drag a box to list the images inside it.",
            inside.map_numbers(points),
            name="dots per class",
            on_select="rerun",
            selection_mode=inside.BRUSH,
            key="inside_map",
        )
        region = inside.selected_region(event)
        if region is None:
            st.info("Drag a box on the map to see the images inside it.", icon="🔲")
        else:
            models.gallery(
                dataset.x_test,
                inside.in_region(mapped, result, region),
                show_pair=True,
                empty="No test images inside that box.",
                order="mistakes first",
            )
