""" "Take it home": a run as one plain Keras script that reproduces it (architecture, recipe, seed, split).

The script imports only keras, numpy and the standard library: nothing of this project. Its layers
are written from the very model this app builds (each layer's constructor with the arguments that
differ from Keras's defaults), so the two cannot drift apart; its data split, seeding order,
optimizer, schedule and callbacks follow ``core.training.jobs`` step by step.
"""

from __future__ import annotations

import inspect
from dataclasses import asdict

from core.models import zoo

_SKIPPED_ARGUMENTS = {"self", "name", "dtype", "trainable", "seed", "kwargs", "autocast", "input_shape"}


_IMPLIED_DEFAULTS = {"data_format": "channels_last", "activation": "linear"}  # what Keras fills in for None


def _same(value, default, name: str = "") -> bool:
    if default is None and _IMPLIED_DEFAULTS.get(name) == value:
        return True
    if isinstance(value, list | tuple) and isinstance(default, list | tuple):
        return list(value) == list(default)
    return value == default


def layer_code(layer) -> str:
    """``layers.Conv2D(filters=32, kernel_size=(3, 3), activation='relu')``: the arguments that differ from Keras's defaults."""
    config = layer.get_config()
    arguments = []
    for name, parameter in inspect.signature(type(layer).__init__).parameters.items():
        if name in _SKIPPED_ARGUMENTS or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if name not in config or name.endswith(("_initializer", "_regularizer", "_constraint")):
            continue
        value = config[name]
        if parameter.default is not parameter.empty and _same(value, parameter.default, name):
            continue
        arguments.append(f"{name}={tuple(value) if isinstance(value, list) else value!r}")
    return f"layers.{type(layer).__name__}({', '.join(arguments)})"


def model_code(spec: zoo.ModelSpec, hp: zoo.Hyperparameters) -> list[str]:
    return [layer_code(layer) for layer in zoo.build(spec, hp).layers]


_TEMPLATE = '''"""{title}

Exported by Fashion-MNIST Studio: a plain Keras script that reproduces this run
(architecture, hyperparameters, seed and data split). Run it with `python {filename}`.
Needs keras (3.x) with TensorFlow, and numpy. The data: the four original IDX files in
$FASHION_MNIST_DIR or /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist),
else keras.datasets downloads them.
"""

import gzip
import os
from pathlib import Path

import keras
import numpy as np
from keras import layers

SETTINGS = {settings}
FOLDERS = [os.environ.get("FASHION_MNIST_DIR", ""), "/usr/share/datasets/fashion-mnist"]
FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def read_idx(path: Path) -> np.ndarray:
    """An IDX file: images start at byte 16, labels at byte 8."""
    raw = gzip.decompress(path.read_bytes())
    if "images" in path.name:
        return np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 28, 28)
    return np.frombuffer(raw, np.uint8, offset=8)


def load_data():
    for folder in FOLDERS:
        if folder and all((Path(folder) / name).is_file() for name in FILES):
            x_train, y_train, x_test, y_test = (read_idx(Path(folder) / name) for name in FILES)
            return (x_train, y_train), (x_test, y_test)
    return keras.datasets.fashion_mnist.load_data()


def split(x_train, y_train):
    """The app's split: a seeded shuffle, {subset_words}, the first {validation_percent} for validation."""
    order = np.random.default_rng(SETTINGS["seed"]).permutation(len(x_train))
    if SETTINGS["subset"]:
        order = order[: SETTINGS["subset"]]
    n_val = max(1, round(len(order) * SETTINGS["validation_split"]))
    val, train = order[:n_val], order[n_val:]
    pixels = x_train.astype(np.float32)  # raw 0-255: the model rescales itself when normalizing
    return pixels[train], y_train[train], pixels[val], y_train[val]


def build_model() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((28, 28)),
{layers}
        ],
        name="{key}",
    )


def optimizer(steps_per_epoch: int):
    rate = SETTINGS["learning_rate"]
    if SETTINGS["lr_schedule"] == "cosine":  # annealed every step, to zero at the last one
        rate = keras.optimizers.schedules.CosineDecay(rate, SETTINGS["epochs"] * steps_per_epoch)
    if SETTINGS["optimizer"] == "sgd":
        return keras.optimizers.SGD(rate, momentum=0.9)
    if SETTINGS["optimizer"] == "rmsprop":
        return keras.optimizers.RMSprop(rate)
    return keras.optimizers.Adam(rate)


def callbacks() -> list:
    chosen = []
    if SETTINGS["lr_schedule"] == "exponential":
        chosen.append(keras.callbacks.LearningRateScheduler(lambda epoch: SETTINGS["learning_rate"] * 0.9**epoch))
    elif SETTINGS["lr_schedule"] == "plateau":
        chosen.append(keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_lr=1e-5))
    if SETTINGS["early_stopping_patience"]:
        chosen.append(
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=SETTINGS["early_stopping_patience"], restore_best_weights=True
            )
        )
    return chosen


def mirror_averaged(model: keras.Model) -> keras.Model:
    """Answers averaged over the image and its left-right mirror (test-time augmentation)."""
    pixels = keras.Input((28, 28))
    mirror = layers.Dense(28, use_bias=False, trainable=False)
    mirrored = mirror(pixels)
    mirror.set_weights([np.eye(28, dtype="float32")[::-1]])
    return keras.Model(pixels, layers.Average()([model(pixels), model(mirrored)]))


def main() -> None:
    (x_train, y_train), (x_test, y_test) = load_data()
    x_fit, y_fit, x_val, y_val = split(x_train, y_train)
    keras.utils.set_random_seed(SETTINGS["seed"])
    steps = -(-len(x_fit) // SETTINGS["batch_size"])
    model = build_model()
    model.compile(optimizer=optimizer(steps), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    model.fit(
        x_fit,
        y_fit,
        validation_data=(x_val, y_val),
        epochs=SETTINGS["epochs"],
        batch_size=SETTINGS["batch_size"],
        callbacks=callbacks(),
        verbose=2,
    )
    if {mirror_average}:
        model = mirror_averaged(model)
    probabilities = np.concatenate(
        [np.asarray(model(x_test[i : i + 1000].astype(np.float32), training=False)) for i in range(0, len(x_test), 1000)]
    )
    accuracy = float(np.mean(probabilities.argmax(axis=1) == y_test))
    print(f"test accuracy: {{accuracy:.4f}}")


if __name__ == "__main__":
    main()
'''


def script(spec: zoo.ModelSpec, hp: zoo.Hyperparameters) -> str:
    """The whole runnable script for this architecture and these settings."""
    hp = hp.validate()
    settings = asdict(hp)
    body = "\n".join(f"            {line}," for line in model_code(spec, hp))
    subset_words = f"the first {hp.subset:,} examples of it" if hp.subset else "all 60,000 examples"
    return _TEMPLATE.format(
        title=f"{spec.name}: {hp.epochs} epoch{'s' if hp.epochs != 1 else ''}, batch {hp.batch_size}, {hp.optimizer} at {hp.learning_rate:g}, seed {hp.seed}",
        filename=f"{spec.key}.py",
        settings="{\n" + "".join(f"    {key!r}: {value!r},\n" for key, value in settings.items()) + "}",
        subset_words=subset_words,
        validation_percent=f"{hp.validation_split:.0%}",
        layers=body,
        key=spec.key,
        mirror_average=spec.mirror_average,
    )
