"""The training settings: one table, from which everything that shows or takes a setting is derived.

Each field of ``Hyperparameters`` is one row: its default and a ``Setting`` that says how people meet it (the
form's label and widget, the URL's key, the command line's flag, its range, the values a lesson may vary). The
Train page's form and its URL keys (``ui/train.py``), the CLI's flags (``core/cli.py``), the exported Keras
script (``core/models/export.py``, every field under its own name) and the lessons' "vary this" choices
(``core/training/lessons.py``) all read ``SETTINGS``; ``Hyperparameters.validate`` checks each row's range.
Adding a setting is adding a field here (and using it where the model trains).

Keras-free: the command line's parser and the pages read it before any model is built.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

OPTIMIZERS = ("adam", "sgd", "rmsprop")
LR_SCHEDULES = ("constant", "exponential", "cosine", "plateau")
TRAIN_SIZE = 60_000
WHOLE, NUMBER, CHOICE, SWITCH = "whole number", "number", "choice", "switch"


@dataclass(frozen=True)
class Setting:
    """How people meet one training setting. ``words`` name it in messages and lessons ("batch size")."""

    label: str  # the form's label
    kind: str  # WHOLE, NUMBER, CHOICE or SWITCH
    words: str = ""
    minimum: float | None = None  # the valid range (inclusive unless open_below / open_above)
    maximum: float | None = None
    open_below: bool = False
    open_above: bool = False
    choices: tuple = ()  # CHOICE: the valid values
    stops: tuple = ()  # the form offers only these values (a slider over stops)
    form_minimum: float | None = None  # tighter bounds for the form than for the CLI
    form_maximum: float | None = None
    step: float | None = None
    decimals: int | None = None  # digits the form shows
    optional: str = ""  # the value may be None, meaning this (e.g. "all 60,000"); the form shows stops[-1] for it
    help: str = ""
    url_key: str = ""  # the URL's (and the widget's) key when it differs from the field's name, kept for old links
    flag: str = ""  # the CLI's flag when it differs from --field-name
    lesson_values: tuple = ()  # the values an own experiment may vary; () = not offered
    name: str = ""  # the field's name, filled in by ``_named``

    @property
    def key(self) -> str:
        return self.url_key or self.name

    @property
    def cli_flag(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")

    def problem(self, value: object, maximum: float | None = None) -> str | None:
        """Why ``value`` is not valid, in a learner's words; None when it is."""
        if value is None and self.optional:
            return None
        if self.kind == CHOICE:
            return None if value in self.choices else f"must be one of {', '.join(map(str, self.choices))}"
        if self.kind == SWITCH:
            return None if isinstance(value, bool) else "must be on or off"
        whole = self.kind == WHOLE
        if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)) or math.isnan(value):
            return f"must be {'a whole number' if whole else 'a number'} {self._range(maximum)}"
        low, high = self.minimum, self.maximum if maximum is None else maximum
        too_low = low is not None and (value <= low if self.open_below else value < low)
        too_high = high is not None and (value >= high if self.open_above else value > high)
        return f"must be {self._range(maximum)}" if too_low or too_high else None

    def _range(self, maximum: float | None) -> str:
        if self.maximum is None and maximum is None:
            return f"{_number(self.minimum)} or more"
        low, high = _number(self.minimum), _number(self.maximum if maximum is None else maximum)
        if self.open_below:
            return f"greater than {low} and at most {high}"
        if self.open_above:
            return f"at least {low} and below {high}"
        return f"from {low} to {high}"


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def setting(default: object, label: str, kind: str, **how) -> object:
    """One row: a dataclass field with its default, carrying its ``Setting``."""
    return field(default=default, metadata={"setting": Setting(label, kind, **how)})


@dataclass(frozen=True)
class Hyperparameters:
    """A run's recipe; the rows are in the order the Train page's form shows them."""

    epochs: int = setting(
        10, "Epochs", WHOLE, minimum=1, maximum=500, form_maximum=200, lesson_values=(1, 2, 3, 5, 8, 10)
    )
    batch_size: int = setting(
        32,
        "Batch size",
        WHOLE,
        minimum=1,
        maximum=8192,
        stops=(16, 32, 64, 128, 256, 512, 1024),
        lesson_values=(16, 32, 64, 128, 256, 512),
    )
    optimizer: str = setting("adam", "Optimizer", CHOICE, choices=OPTIMIZERS, lesson_values=OPTIMIZERS)
    learning_rate: float = setting(
        1e-3,
        "Learning rate",
        NUMBER,
        minimum=0,
        maximum=10,
        open_below=True,
        form_minimum=1e-5,
        form_maximum=1.0,
        step=1e-4,
        decimals=5,
        lesson_values=(0.0001, 0.0005, 0.001, 0.002, 0.01, 0.1),
    )
    lr_schedule: str = setting("constant", "LR schedule", CHOICE, words="learning-rate schedule", choices=LR_SCHEDULES)
    early_stopping_patience: int = setting(
        0,
        "Early-stopping patience (0 = off)",
        WHOLE,
        words="early-stopping patience",
        minimum=0,
        form_maximum=50,
        url_key="patience",
        flag="--patience",
        help="Stop when the validation loss has not improved for this many epochs, and keep the best weights.",
    )
    validation_split: float = setting(
        0.1, "Validation split", NUMBER, minimum=0.01, maximum=0.5, form_minimum=0.05, step=0.05
    )
    dropout_rate: float = setting(
        0.0, "Dropout rate", NUMBER, minimum=0, maximum=1, open_above=True, form_maximum=0.8, step=0.05,
        lesson_values=(0.0, 0.1, 0.2, 0.3, 0.5),
    )  # fmt: skip
    subset: int | None = setting(
        None,
        "Training examples",
        WHOLE,
        words="training subset",
        minimum=100,
        maximum=TRAIN_SIZE,
        stops=(1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000),
        optional="all 60,000",
        url_key="examples",
        help="Fewer examples train faster: good for quick classroom runs.",
        lesson_values=(1_000, 2_000, 5_000, 10_000, 20_000),
    )
    seed: int = setting(
        42, "Random seed", WHOLE, minimum=0, maximum=2**31 - 1, help="Same seed, same result on this machine."
    )
    # Switch labels short enough for a form column on a laptop (a longer one was cut: "Normalize pixels t…"); the
    # help says the rest.
    normalize: bool = setting(
        True,
        "Normalize pixels",
        SWITCH,
        help="Divide each pixel by 255, so that they run from 0 to 1. Switch off to see why it matters.",
        lesson_values=(True, False),
    )  # divide pixels by 255 inside the model
    augment: bool = setting(
        False,
        "Augment images",
        SWITCH,
        words="augmentation",
        help="While training, shift, mirror and partly erase the images, differently each epoch (some "
        "architectures only mirror).",
        lesson_values=(False, True),
    )  # random shifts (10%), horizontal flips and erased patches while training

    def validate(self, train_size: int = TRAIN_SIZE) -> Hyperparameters:
        """Raise ValueError with a learner-readable message for every impossible value."""
        problems = []
        for row in SETTINGS:
            value = getattr(self, row.name)
            problem = row.problem(value, train_size if row.name == "subset" else None)
            if problem:
                problems.append(f"{row.words} {problem} (got {value!r})")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _named(row: Setting, name: str) -> Setting:
    words = row.words or name.replace("_", " ")
    return Setting(**{**row.__dict__, "name": name, "words": words})


SETTINGS: tuple[Setting, ...] = tuple(_named(f.metadata["setting"], f.name) for f in fields(Hyperparameters))
BY_NAME: dict[str, Setting] = {row.name: row for row in SETTINGS}
