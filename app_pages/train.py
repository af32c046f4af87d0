"""Train: pick an architecture and its hyperparameters, train live, save."""

from dataclasses import replace

import streamlit as st

from core import store, training, zoo
from ui import state, widgets
from ui import training as live

st.title("🏋️ Train a model")
dataset = widgets.require_dataset()

job = live.my_job()
busy = job is not None and not job.finished

spec = zoo.get_spec(
    st.selectbox(
        "Architecture",
        list(zoo.ZOO),
        format_func=lambda key: f"{zoo.ZOO[key].name}  ·  {zoo.ZOO[key].family}",
        disabled=busy,
    )
)
st.markdown(f"{spec.description}  \n*Source:* {spec.source}")
defaults = spec.defaults

with st.form("hyperparameters", border=True):
    c1, c2, c3, c4 = st.columns(4)
    epochs = c1.number_input("Epochs", 1, 200, defaults.epochs)
    batch_size = c2.select_slider("Batch size", [16, 32, 64, 128, 256, 512, 1024], defaults.batch_size)
    optimizer = c3.selectbox("Optimizer", zoo.OPTIMIZERS, zoo.OPTIMIZERS.index(defaults.optimizer))
    learning_rate = c4.number_input("Learning rate", 1e-5, 1.0, defaults.learning_rate, format="%.5f", step=1e-4)
    c1, c2, c3, c4 = st.columns(4)
    lr_schedule = c1.selectbox("LR schedule", zoo.LR_SCHEDULES, zoo.LR_SCHEDULES.index(defaults.lr_schedule))
    patience = c2.number_input("Early-stopping patience (0 = off)", 0, 50, defaults.early_stopping_patience)
    validation_split = c3.slider("Validation split", 0.05, 0.5, defaults.validation_split, 0.05)
    dropout_rate = c4.slider(
        "Dropout rate",
        0.0,
        0.8,
        defaults.dropout_rate,
        0.05,
        disabled=not spec.has_dropout,
        help=None if spec.has_dropout else "This architecture has no dropout layers.",
    )
    c1, c2, c3, c4 = st.columns(4)
    subset = c1.select_slider(
        "Training examples",
        [1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000],
        60_000,
        help="Fewer examples train faster: good for quick classroom runs.",
    )
    seed = c2.number_input("Random seed", 0, 2**31 - 1, defaults.seed, help="Same seed, same result on this machine.")
    normalize = c3.toggle("Normalize pixels to 0-1", defaults.normalize, help="Switch off to see why it matters.")
    augment = c4.toggle("Augment (shift, flip, erase)", defaults.augment)
    name = st.text_input(
        "Model name", f"my-{spec.key}", max_chars=store.MAX_NAME_LENGTH, help="A number is added if it is taken."
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

if start:
    try:
        new_job = training.TrainingJob(spec, hp.validate(), name)
    except ValueError as error:
        st.error(str(error), icon="⚠️")
    else:
        training.default_queue().submit(new_job, dataset)
        live.remember(new_job)
        st.rerun()

if job is not None:
    progress = job.snapshot()
    st.subheader(f"Run: {progress.model_name}")
    if not progress.finished:
        live.live_panel(job.id)
    else:
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
