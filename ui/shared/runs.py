"""Saved runs as lists with Download (the run as one file) and Delete: a learner's own, or (for the teacher)
everyone's, plus the whole class as one file."""

from __future__ import annotations

import streamlit as st

from core.models import bundles, importing, store, zoo
from ui.shared import identity


def _run_rows(artifacts: list[store.Artifact], owner: str | None, prefix: str) -> None:
    for artifact in artifacts:
        meta = artifact.meta
        with st.container(key=f"{prefix}-{artifact.model_id}", horizontal=True, vertical_alignment="center"):
            if meta is None:
                st.markdown(f"**{artifact.model_id}** · broken: {artifact.error}")
            else:
                st.markdown(
                    f"**{artifact.model_id}** · {zoo.arch_name(meta.arch)} · {meta.test_accuracy:.2%} · {meta.epochs_run} epoch(s)"
                    f" · {meta.created[:16].replace('T', ' ')}"
                )
            if artifact.ok:
                st.download_button(
                    "⬇ Download",
                    data=lambda artifact=artifact: bundles.bundle(artifact),  # built only when clicked
                    file_name=f"{artifact.model_id}.zip",
                    mime="application/zip",
                    on_click="ignore",
                    key=f"{prefix}-bundle-{artifact.model_id}",
                    help="The run as one file (model, meta, history, test predictions): upload it on Bring a model.",
                )
            if st.button("🗑 Delete", key=f"{prefix}-delete-{artifact.model_id}"):
                try:
                    store.delete_run(artifact.model_id, owner=owner)
                except (store.ArtifactError, PermissionError, OSError) as error:
                    st.error(str(error), icon="⚠️")
                else:
                    st.toast(f"Deleted {artifact.model_id}.")
                    st.rerun()


def my_runs() -> None:
    """This browser's saved runs, each deletable by it (and only by it, or the teacher)."""
    owner = identity.owner()
    mine = [found for found in store.list_artifacts([store.runs_dir()]) if found.meta and found.meta.owner == owner]
    if mine:
        with st.expander(f"Your saved runs ({len(mine)})"):
            _run_rows(mine, owner, "mine")


def all_runs() -> None:
    """Every run saved on this server (the teacher's view): anything can be deleted."""
    found = store.list_artifacts([store.runs_dir()])
    if not found:
        st.caption("No runs saved yet.")
    _run_rows(found, None, "run")


def class_bundles() -> None:
    """The teacher's export and import of every run as one zip of bundles; each run keeps its owner."""
    found = [artifact for artifact in store.list_artifacts([store.runs_dir()]) if artifact.ok]
    st.download_button(
        f"⬇ Download the class's {len(found)} runs",
        data=lambda: bundles.class_bundle(found),
        file_name="class-runs.zip",
        mime="application/zip",
        on_click="ignore",
        disabled=not found,
        key="class-bundle-download",
    )
    upload = st.file_uploader("The class's runs (.zip)", type=["zip"], key="class-bundle-file")
    if st.button("Restore the class's runs", disabled=upload is None, key="class-bundle-import"):
        try:
            saved, refused = bundles.import_class_bundle(upload.getvalue(), upload.name)
        except (importing.ImportRefused, OSError) as error:
            st.error(str(error), icon="🚫")
        else:
            st.success(f"{len(saved)} run(s) restored, each to its owner.", icon="✅")
            for reason in refused:
                st.warning(reason, icon="⚠️")
