"""Train: pick an architecture and its hyperparameters, see what the run will cost, train live, save."""

from dataclasses import replace

import streamlit as st

from core import store, training, zoo
from ui import runs, state, widgets
from ui import training as live

st.title("🏋️ Train a model")
dataset = widgets.require_dataset()

job = live.attached_job()
busy = job is not None and not job.finished
# While a run waits or trains, the form shows its settings, read-only; afterwards they are the start of the next run.
shown = job.spec.key if job is not None else None
suffix = "-running" if busy else ""

arch = st.selectbox(
    "Architecture",
    list(zoo.ZOO),
    index=list(zoo.ZOO).index(shown) if shown else 0,
    format_func=lambda key: f"{zoo.ZOO[key].name}  ·  {zoo.ZOO[key].family}",
    disabled=busy,
    key=f"arch{suffix}",
)
spec = zoo.get_spec(arch)
st.markdown(f"{spec.description}  \n*Source:* {spec.source}")
defaults = job.hp if job is not None and job.spec.key == spec.key else spec.defaults

with st.form(f"hyperparameters{suffix}", border=True):
    c1, c2, c3, c4 = st.columns(4)
    epochs = c1.number_input("Epochs", 1, 200, defaults.epochs, disabled=busy)
    batch_size = c2.select_slider("Batch size", [16, 32, 64, 128, 256, 512, 1024], defaults.batch_size, disabled=busy)
    optimizer = c3.selectbox("Optimizer", zoo.OPTIMIZERS, zoo.OPTIMIZERS.index(defaults.optimizer), disabled=busy)
    learning_rate = c4.number_input(
        "Learning rate", 1e-5, 1.0, defaults.learning_rate, format="%.5f", step=1e-4, disabled=busy
    )
    c1, c2, c3, c4 = st.columns(4)
    lr_schedule = c1.selectbox(
        "LR schedule", zoo.LR_SCHEDULES, zoo.LR_SCHEDULES.index(defaults.lr_schedule), disabled=busy
    )
    patience = c2.number_input(
        "Early-stopping patience (0 = off)", 0, 50, defaults.early_stopping_patience, disabled=busy
    )
    validation_split = c3.slider("Validation split", 0.05, 0.5, defaults.validation_split, 0.05, disabled=busy)
    dropout_rate = c4.slider(
        "Dropout rate",
        0.0,
        0.8,
        defaults.dropout_rate,
        0.05,
        disabled=busy or not spec.has_dropout,
        help=None if spec.has_dropout else "This architecture has no dropout layers.",
    )
    c1, c2, c3, c4 = st.columns(4)
    subset = c1.select_slider(
        "Training examples",
        [1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000],
        defaults.subset or 60_000,
        help="Fewer examples train faster: good for quick classroom runs.",
        disabled=busy,
    )
    seed = c2.number_input(
        "Random seed", 0, 2**31 - 1, defaults.seed, help="Same seed, same result on this machine.", disabled=busy
    )
    normalize = c3.toggle(
        "Normalize pixels to 0-1", defaults.normalize, help="Switch off to see why it matters.", disabled=busy
    )
    augment = c4.toggle("Augment (shift, flip, erase)", defaults.augment, disabled=busy)
    name = st.text_input(
        "Model name",
        job.model_name if job is not None and job.spec.key == spec.key else f"my-{spec.key}",
        max_chars=store.MAX_NAME_LENGTH,
        help="A number is added if it is taken.",
        disabled=busy,
    )
    start = st.form_submit_button("▶ Start training", type="primary", disabled=busy)

hp = replace(
    defaults,
    epochs=int(epochs),
    batch_size=int(batch_size),
    optimizer=optimizer,
    learning_rate=float(learning_rate),
    lr_schedule=lr_schedule,
    early_stopping_patience=int(patience),
    validation_split=float(validation_split),
    dropout_rate=float(dropout_rate),
    subset=None if subset == 60_000 else int(subset),
    seed=int(seed),
    normalize=normalize,
    augment=augment,
)
st.caption(f"**{live.parameter_count(spec.key, replace(hp, dropout_rate=0.0)):,} parameters** with these settings.")
estimated = None if busy else live.duration_estimate(spec, hp, dataset)
live.show_estimate(estimated)

if start:
    try:
        job = live.submit(spec, hp, name, dataset, estimated.seconds if estimated else None)
    except ValueError as error:  # a bad setting or name, or the queue's refusal: each says what to change
        st.error(str(error), icon="⚠️")
    else:
        st.rerun()

if job is not None:
    progress = job.snapshot()
    st.subheader(f"Run: {progress.model_id or progress.model_name}")
    if not progress.finished:
        st.caption("🔗 This page's address is this run's link: a reload or another tab of this browser finds it again.")
        live.live_panel(job.id)
    else:
        if progress.batches_per_epoch:  # it trained: its curves and last metrics stay on screen
            live.show_progress(progress)
        if progress.state == training.DONE:
            st.success(
                f"Test accuracy **{progress.test_accuracy:.2%}** on the 10,000 test images. {progress.message}",
                icon="✅",
            )
            st.session_state[state.SELECTED_MODEL] = progress.model_id
            st.page_link("app_pages/evaluate.py", label=f"Evaluate {progress.model_id}", icon="🔍")
        elif progress.state == training.STOPPED:
            st.warning(progress.message, icon="⏹")
        else:
            st.error(progress.message, icon="❌")

runs.my_runs()
