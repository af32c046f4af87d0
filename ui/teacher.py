"""The teacher's key: a secret from st.secrets (``teacher_secret``) or FASHION_STUDIO_TEACHER_SECRET. No default."""

from __future__ import annotations

import hmac
import os

import streamlit as st

from core.models import store
from core.training import estimate, fair_queue, jobs, teach
from core.training import examples as kept
from ui.shared import examples, teaching

ENV_SECRET = "FASHION_STUDIO_TEACHER_SECRET"
SECRET_NAME = "teacher_secret"
_UNLOCKED = "teacher_unlocked"


def configured_secret() -> str | None:
    try:
        value = st.secrets.get(SECRET_NAME)
    except Exception:  # no secrets.toml at all: Streamlit raises rather than returning nothing
        value = None
    value = value or os.environ.get(ENV_SECRET)
    return str(value) if value and str(value).strip() else None


def show_locked() -> None:
    """How to set the secret, wherever the app runs: Community Cloud's Secrets, a secrets file, or the environment."""
    st.info("The teacher view is locked until a teacher secret is set for this app. Set it in one of these:", icon="🔒")
    st.markdown(
        "- **Streamlit Community Cloud**: the app's **⋮ → Settings → Secrets**, paste the line below and save "
        "(the app restarts with it).\n"
        "- **Your own server**: the same line in `.streamlit/secrets.toml` next to `app.py`, "
        f"or the environment variable `{ENV_SECRET}`."
    )
    st.code(f'{SECRET_NAME} = "choose-a-long-secret"', language="toml")


def limits_caption() -> None:
    cap = estimate.max_run_seconds()
    st.caption(
        f"One run may take at most {cap / 60:.0f} min on this server ({estimate.ENV_MAX_RUN_SECONDS});"
        f" {fair_queue.default_queue().max_concurrent} run(s) train at a time ({fair_queue.ENV_MAX_JOBS})."
    )


def runs_caption() -> None:
    usage = store.runs_usage()
    try:
        kept = store.Retention.from_env().describe()
    except ValueError as error:
        kept = f"the default cap (the setting is invalid: {error})"
    st.caption(
        f"{usage.runs} runs, {usage.total_bytes / 1e6:,.0f} MB, kept in {store.describe_store()}; the store keeps"
        f" {kept}: beyond it the oldest runs are removed, never a shipped model."
    )


def unlocked(secret: str) -> bool:
    return hmac.compare_digest(st.session_state.get(_UNLOCKED, ""), secret)


def unlock_form(secret: str) -> None:
    with st.form("teacher-unlock"):
        given = st.text_input("Teacher secret", type="password")
        if st.form_submit_button("Unlock"):
            if hmac.compare_digest(given.encode(), secret.encode()):
                st.session_state[_UNLOCKED] = secret
                st.rerun()
            st.error("That is not the teacher secret.", icon="🔒")


def _progress_text(progress: jobs.Progress) -> str:
    if progress.state == jobs.RUNNING:
        return f"epoch {max(progress.epoch, 1)}/{progress.epochs} · {progress.fraction:.0%} · {progress.seconds:.0f} s"
    if progress.state == jobs.DONE and progress.test_accuracy is not None:
        return f"{progress.test_accuracy:.2%} test accuracy · {progress.seconds:.0f} s"
    return progress.message or progress.state


def _what(job: jobs.TrainingJob) -> str:
    """A job's kind in the list: the architecture it trains, or the model it teaches examples."""
    if isinstance(job, teach.TeachJob):
        return f"teaching {job.teach_spec.base_model_id} {len(job.examples)} examples"
    return job.spec.name


@st.fragment(run_every=2.0)
def jobs_panel() -> None:
    """Every job of the class, newest first, with Cancel on those still waiting or running."""
    queue = fair_queue.default_queue()
    class_jobs = list(reversed(queue.all_jobs()))
    active = sum(1 for job in class_jobs if not job.finished)
    st.caption(f"{active} active · {len(class_jobs) - active} finished · {queue.max_concurrent} training at a time")
    if not class_jobs:
        st.caption("No training jobs yet.")
    for job in class_jobs:
        progress = job.snapshot()
        with st.container(key=f"job-{job.id}", horizontal=True, vertical_alignment="center"):
            st.markdown(
                f"**{progress.model_id or progress.model_name}** · {_what(job)} · `{progress.state}`"
                f" · {_progress_text(progress)} · on {progress.where} · browser `{job.owner[:6] or 'CLI'}`"
            )
            if not progress.finished and st.button("⏹ Cancel", key=f"cancel-{job.id}"):
                queue.cancel(job.id)
                st.rerun(scope="fragment")


def class_examples() -> list[kept.Example]:
    """Every student's examples, by browser (as the jobs list names them), each removable; all as one zip."""
    found = kept.list_examples(None)
    students = kept.owners()
    st.caption(f"{len(found)} example(s) from {len(students)} browser(s).")
    for owner in students:
        theirs = [example for example in found if example.owner == owner]
        with st.container(key=f"student-{owner[:12] or 'cli'}", border=True):
            st.markdown(f"**Browser `{owner[:6] or 'CLI'}`** · {len(theirs)} example(s)")
            examples.grid(theirs, prefix=f"class-{owner[:12] or 'cli'}", owner=None)
    examples.download(None, len(found), key="class-examples-zip")
    return found


def teach_class_model(pooled: list[kept.Example], dataset) -> None:
    """One model taught the class's pooled examples, queued like any run (the teacher's browser's one turn)."""
    teaching.panel(pooled, dataset, prefix="class_teach")
