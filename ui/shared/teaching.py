"""Teaching a saved model a set of examples, in the page: the base model and the new run's name, the Teach button
that queues the job in the fair queue, its progress as Train shows a run's, and the honest before/after (the base
and the taught model on the held-back pictures and on the 10,000 test images). The Teach page teaches a student's
own examples; the Teacher page the class's pooled set."""

from __future__ import annotations

import re
from collections.abc import Sequence

import streamlit as st

from core.data import CLASS_NAMES
from core.models import store
from core.training import examples as kept
from core.training import jobs, teach
from ui.shared import identity, live, loaders, models, state, widgets

JOB_PARAM = "teach"  # the teaching job's link: ?teach=<job id>
_JOB_ID = re.compile(r"[0-9a-f]{32}")
_ANNOUNCED = "teach_announced_job"  # the finished job whose run Evaluate and Inside were told to open


def pick_base(artifacts: Sequence[store.Artifact], key: str) -> store.Artifact | None:
    """The saved model to teach: any working one (a shipped model, a run, a model taught before); the best
    measured shipped model first, as Predict's lead."""
    usable = [artifact for artifact in artifacts if artifact.ok and artifact.meta is not None]
    if not usable:
        st.info("There is no saved model to teach yet. Train one first (a quick MLP takes seconds).", icon="🧠")
        return None
    usable.sort(key=lambda artifact: (not artifact.shipped, -artifact.meta.test_accuracy))
    by_id = {artifact.model_id: artifact for artifact in usable}
    chosen = st.selectbox(
        "Model to teach",
        list(by_id),
        format_func=lambda model_id: models.model_label(by_id[model_id]),
        key=key,
        help="A copy of it learns your pictures; the model itself is left as it is.",
    )
    return by_id[chosen]


def name_input(base: store.Artifact, key: str) -> str:
    """The new run's name; left empty, the base's name with "-taught" (a run's id is made unique when saved)."""
    suggested = f"{base.model_id}-taught"
    typed = st.text_input("Name of the taught model", placeholder=suggested, key=key, max_chars=60)
    return typed.strip() or suggested


def start(base: store.Artifact, name: str, taught_on: Sequence[kept.Example], dataset, owner: str) -> None:
    """Queue the teaching job for this browser; ValueError (too few examples, a bad name, the queue's refusal)
    says what to change, and nothing is queued then."""
    job = teach.TeachJob(teach.TeachSpec(base.model_id, name.strip()), list(taught_on), owner=owner)
    live.queue().submit(job, dataset)
    st.query_params[JOB_PARAM] = job.id


def attached_job(owner: str) -> teach.TeachJob | None:
    """The teaching job this page follows: the one in the link, else this browser's newest (a reload finds it)."""
    queue = live.queue()
    linked = st.query_params.get(JOB_PARAM, "")
    if _JOB_ID.fullmatch(linked) and isinstance(job := queue.get(linked), teach.TeachJob) and job.owner == owner:
        return job
    return queue.latest_job_of(owner, teaching=True)


def teach_button(
    base: store.Artifact | None, name: str, taught_on: Sequence[kept.Example], dataset, owner: str, key: str
) -> None:
    """What is still missing (from the core's own check) as an info, else the Teach button."""
    missing = teach.readiness(list(taught_on))
    for line in missing:
        st.info(line, icon="✋")
    busy = live.queue().active_job_of(owner) is not None
    if st.button("🖍️ Teach", type="primary", disabled=bool(missing) or base is None or busy, key=key):
        try:
            start(base, name, taught_on, dataset, owner)
        except (ValueError, store.ArtifactError) as error:  # too few examples, a bad name, the queue's refusal
            st.error(str(error), icon="⚠️")
        else:
            st.rerun()
    if busy:
        st.caption("A run of yours is waiting or training: teaching can start once it has finished.")


def follow(job: teach.TeachJob, dataset) -> store.Artifact | None:
    """The job's progress while it waits or learns; once done, the taught run (None if it stopped or failed)."""
    progress = job.snapshot()
    if not progress.finished:
        live.live_panel(job, {}, dataset)
        return None
    if progress.state == jobs.DONE and progress.model_id:
        if st.session_state.get(_ANNOUNCED) != job.id:  # once: a run trained later on Train keeps its turn
            st.session_state[_ANNOUNCED] = job.id
            st.session_state[state.SELECTED_MODEL] = progress.model_id  # Evaluate and Inside open on it
        found = store.find(progress.model_id)
        return found if found.ok else None
    if progress.state == jobs.STOPPED:
        st.warning(progress.message, icon="⏹")
    else:
        st.error(progress.message, icon="❌")
    return None


def taught_runs(owner: str | None) -> list[store.Artifact]:
    """Saved runs that were taught examples, newest first: this browser's (or, with None, everyone's)."""
    found = [
        artifact
        for artifact in store.list_artifacts([store.runs_dir()])
        if artifact.ok and artifact.meta.notes.get("origin") == teach.ORIGIN
        if owner is None or artifact.meta.owner == owner
    ]
    return sorted(found, key=lambda artifact: artifact.meta.created, reverse=True)


def pick_taught(
    found: Sequence[store.Artifact], key: str, newest: store.Artifact | None = None
) -> store.Artifact | None:
    """Which taught run's before/after to show: the newest first; one just taught is chosen when it appears."""
    if not found:
        return None
    by_id = {artifact.model_id: artifact for artifact in found}
    if len(by_id) == 1:
        return found[0]
    seen = f"{key}_seen"
    if newest is not None and newest.model_id in by_id and st.session_state.get(seen) != newest.model_id:
        st.session_state[key] = st.session_state[seen] = newest.model_id
    if st.session_state.get(key) not in by_id:
        st.session_state.pop(key, None)  # removed since: the newest again
    chosen = st.selectbox("Taught model", list(by_id), format_func=lambda i: models.model_label(by_id[i]), key=key)
    return by_id[chosen]


def tradeoff(report: teach.BeforeAfter) -> str:
    """One honest sentence (two where the held-back set is small) on what teaching changed and what it cost."""
    held = len(report.answers)
    before, after = report.held_back_right_before, report.held_back_right_after
    points = 100 * (report.test_accuracy_after - report.test_accuracy_before)
    facts = (
        f"On the {held} picture(s) of yours it never learned from, it went from {before} to {after} right; on the "
        f"10,000 Fashion-MNIST test images from {report.test_accuracy_before:.2%} to "
        f"{report.test_accuracy_after:.2%} ({points:+.1f} points)."
    )
    if after <= before:
        verdict = "Your examples did not change its answers on new pictures of yours: add more, and more varied ones."
    elif points < -1:
        verdict = "It learned your kind of picture and forgot some of the dataset's: that is the trade-off."
    elif points < 0:
        verdict = "It learned your kind of picture at a small cost to what it knew."
    else:
        verdict = "It learned your kind of picture and lost nothing on the dataset's."
    small = f" With {held} held-back pictures, each is {100 / held:.0f}% of that score." if 0 < held < 10 else ""
    return f"{facts} {verdict}{small}"


def before_after(taught: store.Artifact, known: Sequence[kept.Example]) -> None:
    """The base and the taught model side by side: the numbers, the sentence, then each held-back picture with
    both answers (``known``: the examples it may show; one removed since is left out, and said so)."""
    report = teach.report_of(taught)
    if report is None:
        st.info(f"{taught.model_id} has no before/after saved with it.", icon="🫙")
        return
    held = len(report.answers)
    left, right = st.columns(2)
    left.metric(
        "Held-back pictures right",
        f"{report.held_back_right_after} of {held}",
        delta=f"{report.held_back_right_after - report.held_back_right_before:+d} (was {report.held_back_right_before})",
    )
    right.metric(
        "Fashion-MNIST test accuracy",
        f"{report.test_accuracy_after:.2%}",
        delta=f"{100 * (report.test_accuracy_after - report.test_accuracy_before):+.1f} points "
        f"(was {report.test_accuracy_before:.2%})",
    )
    st.markdown(tradeoff(report))
    _held_back_pictures(report, known)
    st.caption(
        f"**{taught.model_id}** is a saved run like any other: Evaluate, Predict, Compare and Inside list it "
        f"(taught from {report.base_model_id})."
    )
    st.page_link("app_pages/predict.py", label="Try it on Predict", icon="🔮")
    st.page_link("app_pages/evaluate.py", label=f"Evaluate {taught.model_id}", icon="🔍")


def _held_back_pictures(report: teach.BeforeAfter, known: Sequence[kept.Example]) -> None:
    by_id = {example.example_id: example for example in known}
    shown = [answer for answer in report.answers if answer.example_id in by_id]
    if len(shown) < len(report.answers):
        st.caption(f"{len(report.answers) - len(shown)} held-back picture(s) have been removed since.")
    if not shown:
        return

    def said(answer: int, truth: int) -> str:
        return f"{CLASS_NAMES[answer]} {'✅' if answer == truth else '❌'}"

    st.markdown("**Your held-back pictures**: what each really is, then the base's answer → the taught model's")
    st.image(
        [widgets.crisp(by_id[answer.example_id].pixels, 4) for answer in shown],
        width=112,
        caption=[f"{CLASS_NAMES[a.label]}: {said(a.before, a.label)} → {said(a.after, a.label)}" for a in shown],
        alt=[
            f"Held-back {CLASS_NAMES[a.label]}: the base model said {CLASS_NAMES[a.before]} "
            f"({a.before_confidence:.0%}), the taught model {CLASS_NAMES[a.after]} ({a.after_confidence:.0%})"
            for a in shown
        ],
    )


def panel(found: Sequence[kept.Example], dataset, *, prefix: str, heading: str = "") -> None:
    """Pick the base model, name the copy, Teach (queued fairly), follow it, then its before/after on ``found``
    under ``heading``. The student's Teach page and the teacher's class model both use it; ``prefix`` keys it."""
    owner = identity.owner()
    base = pick_base(loaders.artifacts(), key=f"{prefix}_base")
    name = name_input(base, key=f"{prefix}_name") if base is not None else ""
    teach_button(base, name, found, dataset, owner, key=f"{prefix}-start")
    job = attached_job(owner)
    if job is not None and not job.finished:
        follow(job, dataset)
        return  # the before/after once it has finished
    fresh = follow(job, dataset) if job is not None else None
    taught = taught_runs(owner)
    if not taught:
        return
    if heading:
        st.subheader(heading)
    chosen = pick_taught(taught, key=f"{prefix}_report", newest=fresh)
    if chosen is not None:
        before_after(chosen, found)
