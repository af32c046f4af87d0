"""Saved runs as lists with a Delete button each: a learner's own, or (for the teacher) everyone's."""

from __future__ import annotations

import streamlit as st

from core.models import store, zoo
from ui import identity


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
