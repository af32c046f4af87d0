"""Bring a model: upload a notebook's model or a run's bundle, see what was decided, go look at it."""

from __future__ import annotations

import streamlit as st

from core.models import bundles, importing, store
from ui.shared import identity, state

RESULT_KEY = "bring_result"  # the last import's outcome, shown until the next one


def caps() -> importing.Caps:
    try:
        return importing.Caps.from_env()
    except ValueError as error:
        st.error(f"The import caps are set wrongly on this server: {error}", icon="⚠️")
        st.stop()


def import_form(dataset) -> None:
    """A .keras or .h5 file, an optional name, Import: one run more, or one sentence why not."""
    limits = caps()
    upload_mb = st.get_option("server.maxUploadSize")  # Streamlit refuses bigger uploads before the import sees them
    st.caption(
        f"At most {min(limits.max_bytes / 1e6, upload_mb):,.0f} MB here (the import's cap, {importing.ENV_MAX_IMPORT_MB}, "
        f"is {limits.max_bytes / 1e6:,.0f} MB; this server's uploads stop at {upload_mb} MB), {limits.max_params:,} parameters"
        f" ({importing.ENV_MAX_IMPORT_PARAMS}) and {limits.max_seconds:,.0f} s to evaluate"
        f" ({importing.ENV_MAX_IMPORT_SECONDS}). Built-in Keras layers only: nothing in the file runs as code."
    )
    upload = st.file_uploader("Model file (.keras or .h5)", type=["keras", "h5", "hdf5"], key="bring-model-file")
    name = st.text_input("Name (optional)", key="bring-model-name", placeholder="the file's name")
    if st.button("Import the model", type="primary", disabled=upload is None, key="bring-import"):
        with st.spinner("Loading in safe mode and measuring on the test set…"):
            try:
                result = importing.import_model(
                    upload.getvalue(), upload.name, dataset, owner=identity.owner(), name=name.strip() or None
                )
            except (importing.ImportRefused, store.ArtifactError, OSError) as error:
                st.session_state[RESULT_KEY] = str(error)
            else:
                st.session_state[RESULT_KEY] = result
                st.session_state[state.SELECTED_MODEL] = result.artifact.model_id
    outcome = st.session_state.get(RESULT_KEY)
    if isinstance(outcome, str):
        st.error(outcome, icon="🚫")
    elif outcome is not None:
        show_result(outcome)


def show_result(result: importing.Imported) -> None:
    decisions = result.decisions
    with st.container(border=True, key="bring-result"):
        st.success(f"Imported **{result.artifact.model_id}**: {result.test_accuracy:.2%} test accuracy.", icon="✅")
        input_column, pixels_column, output_column = st.columns(3)
        input_column.metric("Input", " × ".join(str(size) for size in decisions.input_shape))
        pixels_column.metric("Pixels", decisions.pixel_scale)
        output_column.metric("Output", decisions.output)
        st.caption(f"Decided on 1,000 validation images: {decisions.describe()}.")
        links = st.columns(2)
        with links[0]:
            st.page_link(
                "app_pages/evaluate.py",
                label="Evaluate it",
                icon="🔍",
                query_params={"model": result.artifact.model_id},
            )
        with links[1]:
            st.page_link(
                "app_pages/compare.py", label="Compare it", icon="📊", query_params={"b": result.artifact.model_id}
            )


def bundle_form() -> None:
    """A run's bundle (.zip, from "Your saved runs"), back as this browser's run."""
    upload = st.file_uploader("Run bundle (.zip)", type=["zip"], key="bring-bundle-file")
    if st.button("Bring the run back", disabled=upload is None, key="bring-bundle"):
        try:
            artifact = bundles.import_bundle(upload.getvalue(), upload.name, owner=identity.owner())
        except (importing.ImportRefused, store.ArtifactError, OSError) as error:
            st.error(str(error), icon="🚫")
        else:
            st.session_state[state.SELECTED_MODEL] = artifact.model_id
            st.success(
                f"**{artifact.model_id}** is back among your runs ({artifact.meta.test_accuracy:.2%}).", icon="✅"
            )
