"""Recipe search for a zoo architecture, on the validation split only: the test set is never read.

    nice -n 19 .venv/bin/python -m recipes.search '{"epochs": 40, "batch_size": 128, "light": {}}'
    .venv/bin/python -m recipes.search --spec cnn_quick '{}'

``--spec`` names the architecture (default: notebook 001's MLP, ``mlp_256_128_64_bn``). The argument: the
spec's hyperparameters to override, as JSON, plus two keys of the search's own.
"label_smoothing": 0.1 trains on one-hot targets smoothed by that much; "light": {} augments with
flips only, {"shift": 0.05} with flips then shifts of that fraction (``"augment": true`` is the app's
shifts, flips and erasing). The run follows ``core.training.jobs``: the seeded split, seeding, the
optimizer and the schedule callbacks. One JSON line at the end: validation accuracy, plain and
averaged over each image and its mirror, and the training time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from core import data  # noqa: E402
from core.models import zoo  # noqa: E402
from core.training import jobs  # noqa: E402

DEFAULT_SPEC = "mlp_256_128_64_bn"


def build(spec: zoo.ModelSpec, hp: zoo.Hyperparameters, light: dict | None) -> keras.Model:
    if light is None:
        return zoo.build(spec, hp)
    preamble = [layers.Rescaling(1 / 255), layers.Reshape((28, 28, 1)), layers.RandomFlip("horizontal")]
    if light.get("shift"):
        preamble.append(layers.RandomTranslation(light["shift"], light["shift"], fill_mode="constant"))
    return keras.Sequential([keras.Input((28, 28)), *preamble, *spec.body(hp), layers.Dense(10, activation="softmax")])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default=DEFAULT_SPEC, choices=list(zoo.ZOO))
    parser.add_argument("recipe", help="hyperparameters to override, as JSON")
    args = parser.parse_args(argv)
    overrides = json.loads(args.recipe)
    smoothing = float(overrides.pop("label_smoothing", 0.0))
    light = overrides.pop("light", None)
    spec = zoo.get_spec(args.spec)
    hp = zoo.with_overrides(spec, **overrides)
    x_train, y_train, x_val, y_val = jobs.prepare_data(data.load(), hp)
    keras.utils.set_random_seed(hp.seed)
    steps = math.ceil(len(x_train) / hp.batch_size)
    model = build(spec, hp, light)
    if smoothing:
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=smoothing)
        y_fit, y_check = (keras.utils.to_categorical(y, 10) for y in (y_train, y_val))
    else:
        loss, y_fit, y_check = "sparse_categorical_crossentropy", y_train, y_val
    model.compile(optimizer=zoo.make_optimizer(hp, steps), loss=loss, metrics=["accuracy"])
    started = time.perf_counter()

    def report(epoch, logs):
        print(
            f"  epoch {epoch + 1} {time.perf_counter() - started:.0f}s acc {logs['accuracy']:.4f} "
            f"val_acc {logs['val_accuracy']:.4f} val_loss {logs['val_loss']:.4f}",
            flush=True,
        )

    history = model.fit(
        x_train,
        y_fit,
        validation_data=(x_val, y_check),
        epochs=hp.epochs,
        batch_size=hp.batch_size,
        callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=report), *jobs.schedule_callbacks(hp)],
        verbose=0,
    )
    seconds = time.perf_counter() - started
    pixels = x_val.astype("float32")

    def accuracy(network: keras.Model) -> float:
        return float(np.mean(np.asarray(network.predict(pixels, batch_size=1000, verbose=0)).argmax(1) == y_val))

    result = {
        "spec": spec.key,
        "recipe": args.recipe,
        "epochs_run": len(history.history["loss"]),
        "train_s": round(seconds),
        "val_plain": accuracy(model),
        "val_mirror": accuracy(zoo.mirror_averaged(model)),
        "best_val_acc": max(history.history["val_accuracy"]),
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
