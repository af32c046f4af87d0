"""A student's own examples in the page: the "Add to my examples" row under Predict's answer, the grid of
examples per class (a student's own, or every student's for the teacher) with Remove, and the zip both ways.

The examples themselves live in core.training.examples (kept where runs are kept); this module only draws them
and turns every refusal into its one line (st.error), never a traceback.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import streamlit as st

from core.data import CLASS_NAMES
from core.models import store
from core.predict import preprocess
from core.training import examples as kept
from ui.shared import identity, widgets

ADD_CLASS_KEY = "add_example_class"
_ZIP_RESULT = "examples_zip_result"  # (file name, pictures added, problems) of the last zip, shown once
THUMBNAIL = 56  # px: the 28x28 picture at twice its size, crisp
TEACH_PAGE = "app_pages/teach.py"
# The sources Predict offers, as the examples record them; any other picture source on Predict is the camera.
_SOURCE_OF = {widgets.DRAW: "sketch", widgets.UPLOAD: "upload"}


def offer_to_keep(prepared: preprocess.Preprocessed, chosen: str) -> None:
    """Under Predict's answer: "➕ Add to my examples as [class]" for a sketch, an upload or a photo (a test image is
    Fashion-MNIST's already). Keeps the 28x28 model input the answer was given for; nothing is preselected."""
    if chosen == widgets.TEST_IMAGE:
        return
    with st.container(key="add-example", horizontal=True, vertical_alignment="bottom"):
        label = st.selectbox(
            "➕ Add to my examples as",
            range(len(CLASS_NAMES)),
            index=None,
            format_func=CLASS_NAMES.__getitem__,
            placeholder="Pick what it really is",
            key=ADD_CLASS_KEY,
            help="Your examples can teach a saved model your kind of pictures (the 🖍️ Teach a model page). "
            "Only you (and your teacher) see them.",
        )
        clicked = st.button("Add", disabled=label is None, key="add-example-button")
    if clicked and label is not None:
        try:
            example = kept.add(identity.owner(), label, prepared.model_input(), _SOURCE_OF.get(chosen, "camera"))
        except kept.ExampleError as error:
            st.error(str(error), icon="🚫")
            return
        count = sum(1 for found in kept.list_examples(identity.owner()) if found.label == example.label)
        st.success(f"Added to your examples as **{example.class_name}** ({count} of that class).", icon="➕")
        st.page_link(TEACH_PAGE, label="See your examples and teach a model", icon="🖍️")


def mine() -> list[kept.Example]:
    """This browser's examples, oldest first."""
    return kept.list_examples(identity.owner())


def _alt(example: kept.Example, number: int) -> str:
    made = {"sketch": "a drawing", "upload": "an uploaded picture", "camera": "a photo", "folder": "a picture"}
    return (
        f"Example {number} of {example.class_name}: {made.get(example.source, 'a picture')}, "
        f"added {example.created[:16].replace('T', ' ')}"
    )


def grid(found: Sequence[kept.Example], *, prefix: str, owner: str | None) -> None:
    """The examples in rows per class, each picture with its Remove button. ``owner``: whose examples may be
    removed (this browser's hash; None for the teacher, who may remove any)."""
    by_class: dict[int, list[kept.Example]] = defaultdict(list)
    for example in found:
        by_class[example.label].append(example)
    for label in sorted(by_class):
        row = by_class[label]
        st.markdown(f"**{CLASS_NAMES[label]}** · {len(row)}")
        with st.container(key=f"{prefix}-class-{label}", horizontal=True, gap="small"):
            for number, example in enumerate(row, start=1):
                with st.container(key=f"{prefix}-example-{example.example_id}", width=THUMBNAIL + 16, gap="small"):
                    st.image(widgets.crisp(example.pixels, 2), width=THUMBNAIL, alt=_alt(example, number))
                    if st.button(
                        "🗑",
                        key=f"{prefix}-remove-{example.example_id}",
                        help=f"Remove example {number} of {example.class_name}",
                    ):
                        _remove(example, owner)


def _remove(example: kept.Example, owner: str | None) -> None:
    try:
        kept.remove(example.example_id, owner=owner)
    except (kept.ExampleError, PermissionError, store.StoreUnavailable) as error:
        st.error(str(error), icon="⚠️")
    else:
        st.toast(f"Removed an example of {example.class_name}.")
        st.rerun()


def download(owner: str | None, count: int, *, key: str) -> None:
    """The examples as one zip: a folder per class (``0-t-shirt-top`` ...), one PNG per example."""
    st.download_button(
        f"⬇ Download {'all' if owner is None else 'your'} {count} example(s) (.zip)",
        data=lambda: kept.to_zip(owner),  # built only when clicked
        file_name="examples.zip" if owner is None else "my-examples.zip",
        mime="application/zip",
        on_click="ignore",
        disabled=not count,
        key=key,
        help="One folder per class, one PNG per picture: the layout Keras' image_dataset_from_directory reads.",
    )


def upload() -> None:
    """A zip of one folder per class (named 0-9 or by the class's name) added to this browser's examples."""
    file = st.file_uploader(
        "Add examples from a zip",
        type=["zip"],
        key="examples-zip",
        help="One folder per class, named by its number (0-9) or its name (t-shirt-top, ankle_boot, Coat…).",
    )
    if st.button("Add the zip's pictures", disabled=file is None, key="examples-zip-add"):
        try:
            added, problems = kept.from_zip(identity.owner(), file.getvalue())
        except (kept.ExampleError, store.StoreUnavailable) as error:
            st.error(str(error), icon="🚫")
            return
        # said after the rerun that redraws the grid and the counts with the new pictures
        st.session_state[_ZIP_RESULT] = (file.name, len(added), problems)
        st.rerun()
    if _ZIP_RESULT in st.session_state:
        name, added, problems = st.session_state.pop(_ZIP_RESULT)
        if added:
            st.success(f"Added {added} example(s) from {name}.", icon="✅")
        for problem in problems:
            st.warning(problem, icon="⚠️")
        if not added and not problems:
            st.info(f"{name} holds no pictures in class folders.", icon="🫙")
