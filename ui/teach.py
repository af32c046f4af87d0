"""The Teach page: the walkthrough, this browser's examples (grid, zip both ways) and teaching a saved model them
(the controls, the progress and the before/after are shared with the Teacher page: ui/shared/teaching.py)."""

from __future__ import annotations

import streamlit as st

from core.data import CLASS_NAMES
from core.training import examples as kept
from ui.shared import examples, identity, teaching

GUIDE = """
1. **Collect.** On **🔮 Predict**, draw (or upload, or photograph) a garment the way *you* draw it, say an outline
   of a coat. When the answer is wrong, pick the right class under it: **➕ Add to my examples as** *Coat*. Ten
   drawings the model gets wrong, over two or three classes, are plenty; add a couple of each class it gets right
   too.
2. **Teach.** Here, pick a saved model and press **🖍️ Teach**. About a third of your pictures of each class are
   held back: the model never learns from them, so they can judge it honestly. A copy of the model learns the
   rest, each picture shifted, turned and zoomed into many, mixed with Fashion-MNIST images so it does not forget.
3. **See.** The base and the taught model side by side, on your held-back pictures and on the 10,000 test
   images: did it learn your kind of picture, and what did that cost? Then ask it on **Predict**: your new
   model answers beside the others.
"""


def guide(open_: bool) -> None:
    """The walkthrough: open until the student has examples of their own."""
    with st.expander("How it works: collect ten drawings the model gets wrong, teach, see", expanded=open_):
        st.markdown(GUIDE)
        st.page_link("app_pages/predict.py", label="Collect on Predict", icon="🔮")


def your_examples(found: list[kept.Example]) -> None:
    """This browser's examples per class, each removable; the zip both ways."""
    owner = identity.owner()
    if found:
        counts = kept.counts(found)
        st.caption(
            f"{len(found)} example(s): "
            + ", ".join(f"{count} {name}" for name, count in _named_counts(counts))
            + ". Only you and your teacher see them."
        )
        examples.grid(found, prefix="mine", owner=owner)
    else:
        st.info(
            "No examples yet. On Predict, draw or upload a garment and add it under the answer with its true class; "
            "or add a zip of class folders below.",
            icon="🫙",
        )
    examples.download(owner, len(found), key="mine-zip")
    examples.upload()


def _named_counts(counts: dict[int, int]) -> list[tuple[str, int]]:
    return [(CLASS_NAMES[label], count) for label, count in sorted(counts.items())]


def teach_panel(found: list[kept.Example], dataset) -> None:
    """Pick the model, name the copy, Teach (queued fairly), follow it, then the before/after."""
    teaching.panel(found, dataset, prefix="teach", heading="Before and after")
