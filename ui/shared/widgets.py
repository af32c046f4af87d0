"""Widgets shared by several pages."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from core import data
from core.models import store
from ui.shared import charts, loaders

TEST_IMAGE, DRAW, UPLOAD = "🎲 Test image", "✏️ Draw", "📁 Upload"


def pick_source(key: str, sources: list[str]) -> str:
    """Where the image comes from: a row of buttons, the first pressed until another is, the choice in the address.

    Not ``st.tabs(key=...)``: Streamlit 1.67's widget tabs take back a tab index that a rerun still in flight
    sends, so two quick tab changes (the arrow keys of a keyboard user, two clicks) left the second tab chosen in
    the address and the script while the first showed selected, its panel empty. A button group keeps what the
    visitor pressed. In a narrow column the buttons wrap onto a second row rather than hide behind a scroll.
    """
    return st.segmented_control(
        "Image from", sources, default=sources[0], key=key, required=True, bind="query-params", wrap=True
    )


def require_dataset() -> data.FashionMNIST:
    """The dataset, or a friendly page saying what was tried and how to fix it."""
    try:
        dataset, _ = loaders.dataset()
        return dataset
    except data.DatasetNotFoundError as error:
        st.error("**Fashion-MNIST dataset not found.** The app needs the four original files to run.", icon="📦")
        st.markdown("**How to fix it** (either one):")
        st.code(
            f"sudo apt-get install dataset-fashion-mnist\n# or\nexport {data.ENV_DIR}=/path/to/folder/with/the/four/files"
        )
        st.markdown("The folder must hold: " + ", ".join(f"`{spec.name}`" for spec in data.FILES.values()))
        st.markdown("**Where the app looked:**")
        st.table({"place": [place for place, _ in error.attempts], "what it found": [why for _, why in error.attempts]})
        st.stop()


def chart(figure, description: str, numbers: pd.DataFrame | None, *, name: str = "", **options):
    """A chart with its text alternative: ``description`` for screen readers (its accessible name) and, on request,
    ``numbers``, the figures it draws as a table (None where the page already shows them beside it).

    ``figure`` is an Altair chart, a Vega-Lite dict or ``charts.Panels`` (a row of charts that stacks on a narrow
    screen); ``options`` go to st.altair_chart / st.vega_lite_chart (width, key, on_select, ...). Returns what they
    return (the selection, for a chart with one; None for panels).
    """
    if isinstance(figure, charts.Panels):
        shown = _panels(figure, description, name)
    else:
        figure = charts.described(figure, description)
        draw = st.vega_lite_chart if isinstance(figure, dict) else st.altair_chart
        shown = draw(figure, **options)
    if numbers is not None:
        with st.expander(f"🔢 Show the numbers{f': {name}' if name else ''}"):
            st.table(numbers)
    return shown


def _panels(panels: charts.Panels, description: str, name: str) -> None:
    """Each panel as wide as its share of a wrapping row; under PANEL_MIN_WIDTH each (PAGE_CSS) the row stacks.
    The row's key stays the same while a live chart redraws (its description changes every epoch)."""
    with st.container(horizontal=True, gap="medium", key=f"{PANELS_KEY}-{_digest(name + ' '.join(panels.titles))}"):
        for panel, title in zip(panels.charts, panels.titles, strict=True):
            st.altair_chart(charts.described(panel, f"{description} This panel: {title}."), width="stretch")


def _digest(text: str) -> str:
    """A short stable key part for ``text`` (a page can hold several rows of panels)."""
    return hashlib.sha1(text.encode()).hexdigest()[:10]


PANELS_KEY = "panels"  # a row of chart panels (``chart``)
STACKS_KEY = "stacks"  # a column of ``stacking_columns``
FIXED_KEY = "fixed"  # its fixed-width first column
GRID_KEY = "grid"  # a ``wrapping_grid``
GRID_CELL_MIN_WIDTH = "11rem"  # a grid holds as many cells of at least this width as fit in a row
STACK_MIN_WIDTH = "20rem"  # a panel or stacking column narrower than this goes under its neighbour
TARGET = "24px"  # the smallest tap target WCAG 2.2 AA allows (2.5.8)

# Streamlit fades a disabled widget's text to 40% of the text colour: 2.7:1 on white. WCAG exempts inactive
# controls, but a running run's settings (Train) are there to be read: this darker grey is 8.6:1 and still
# reads as "not editable". Scoped to element containers holding a disabled control (Chromium's :has).
_DISABLED_TEXT = "#4a4d52"
# The app's one style sheet, sent by ``page_style`` on every page:
# - disabled controls keep readable text (above);
# - chart panels and stacking columns go under each other once narrower than STACK_MIN_WIDTH (Streamlit
#   stacks st.columns only on a screen under 640 px; a tablet's open sidebar left a canvas column of 163 px);
# - a wrapping grid's cells as many to a row as fit (Train's twelve settings: four of ~100 px on a tablet were cramped);
# - a row of tabs wraps onto a second line rather than hide its last tabs behind a scroll arrow (Evaluate's on a phone);
# - targets of at least 24x24 CSS px (WCAG 2.2, 2.5.8; Streamlit draws 16x16 help icons, 21 px toggle rows and
#   22 px radio rows with no space between them): the help button grows into its margin, so no row moves;
# - a widget's label wraps onto a second line where Streamlit cut it short ("Normalize pixels t…" on Train).
PAGE_CSS = f"""<style>
[data-testid="stElementContainer"]:has(:disabled, [aria-disabled="true"])
  :is([data-testid="stWidgetLabel"] p, input, [data-baseweb="select"] div, [data-testid^="stSlider"] div) {{
    color: {_DISABLED_TEXT} !important;
    -webkit-text-fill-color: {_DISABLED_TEXT} !important;
}}
[class*="st-key-{PANELS_KEY}-"] > [data-testid="stElementContainer"],
[data-testid="stLayoutWrapper"]:has(> [class*="st-key-{STACKS_KEY}-"]) {{ min-width: min({STACK_MIN_WIDTH}, 100%); }}
[class*="st-key-{FIXED_KEY}-"] {{ max-width: 100%; }}
[class*="st-key-{GRID_KEY}-"] {{
    display: grid; grid-template-columns: repeat(auto-fill, minmax(min({GRID_CELL_MIN_WIDTH}, 100%), 1fr));
}}
[data-testid="stTooltipIcon"] [data-testid="stTooltipHoverTarget"] > button {{
    min-width: {TARGET}; min-height: {TARGET}; margin: -4px; justify-content: center; align-items: center;
}}
[data-testid="stTabs"] [role="tablist"] {{ flex-wrap: wrap; }}
[data-testid="stCheckbox"] label, [data-testid="stRadioOption"] {{ min-height: {TARGET}; align-items: center; }}
[data-testid="stRadioGroup"] {{ row-gap: 0.25rem; }}
[data-testid="stWidgetLabel"] .stMarkdownEllipsis, [data-testid="stWidgetLabel"] .stMarkdownEllipsis p {{
    white-space: normal; text-overflow: clip; overflow: visible;
}}
</style>"""


def page_style() -> None:
    """The app's style sheet (PAGE_CSS) on this page: called once per run, before the navigation."""
    st.html(PAGE_CSS)


def stacking_columns(key: str, count: int, *, first_width: int | None = None) -> list:
    """Columns that share a row while each has STACK_MIN_WIDTH, and go under each other when not, whatever the
    screen's width (st.columns stack only on a screen under 640 px). ``first_width``: the first column is exactly
    that many pixels (a canvas's column: no stroke lands in a hidden part). Written into in any order, as columns."""
    row = st.container(horizontal=True, gap="large", key=f"{key}-row")
    first = row.container(width=first_width, key=f"{FIXED_KEY}-{key}") if first_width else None
    rest = [row.container(key=f"{STACKS_KEY}-{key}-{index}") for index in range(count - (first is not None))]
    return [first, *rest] if first is not None else rest


def wrapping_grid(key: str):
    """A container whose elements sit in equal cells, as many to a row as fit at GRID_CELL_MIN_WIDTH each (4 on a
    desktop, 2 on a portrait tablet beside the sidebar, 1 on a phone), where st.columns would keep a fixed count."""
    return st.container(key=f"{GRID_KEY}-{key}")


def needs_pointer(alternatives: str) -> None:
    """Above a drawing canvas: it needs a pointer, and where a keyboard gets the same."""
    st.caption(f"✋ Drawing needs a mouse, a pen or a finger. Without one, {alternatives} work with a keyboard alone.")


def crisp(image: np.ndarray, scale: int = 3) -> np.ndarray:
    """Nearest-neighbour upscaling, so the browser shows square pixels instead of a blur."""
    return np.repeat(np.repeat(np.asarray(image), scale, axis=0), scale, axis=1)


def class_row(images, alt: list[str], width: int = 56) -> None:
    """A row of small grayscale 28x28 images with crisp pixels, each with its alternative text."""
    st.image([crisp(image) for image in images], width=width, clamp=True, alt=alt)


def training_image_alt(index: int, label: str) -> str:
    """What a screen reader says for a training image: which one and its given label."""
    return f"Training image #{index:,}, labelled {label}"


def test_image_alt(index: int, detail: str = "") -> str:
    """What a screen reader says for a test image: which one, and what the page shows it for."""
    return f"Test image #{index:,}" + (f", {detail}" if detail else "")


def resend(*keys: str) -> None:
    """Send these widgets' current values to the browser with this run; call it just before drawing them.

    Streamlit sends a keyed widget's value to the browser only on a run whose script set it, and otherwise
    trusts the browser to still show it. For a select box whose options change between runs (a filter adds
    a model; a run is saved), the browser's box now and then fell back to its first option while the server
    kept the chosen one, so the box, the address and the numbers under it named different models (1 run in
    8 of tests/e2e/test_compare.py with one core busy; the same symptom as streamlit/streamlit#13435).
    A value written back counts as set by the script, so Streamlit sends it with every run and the box shows
    what the page uses. A key not yet in the session (first run; a URL-bound widget seeding itself) is left alone.
    """
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def require_models(what_happens: str) -> list[store.Artifact]:
    """Every model folder, or an invitation to train one first (and the page stops)."""
    artifacts = loaders.artifacts()
    if not artifacts:
        st.info(f"No models yet. Train one first; it will {what_happens} as soon as it is saved.", icon="🏋️")
        st.page_link("app_pages/train.py", label="Go to the Train page", icon="🏋️")
        st.stop()
    return artifacts
