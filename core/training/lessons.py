"""Lessons: groups of runs that differ in one or two settings, as data, and a plain reading of the outcome.

The built-in ones reproduce the contrasts the classic notebooks teach (normalization, epochs and batch
size, dropout, MLP to CNN), cut down (subsets, few epochs) so that a whole group trains in about three
minutes on a 2-core CPU. A learner's own group is the same thing built from a form.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from core.models import settings, zoo
from core.training.jobs import CHANCE_LEVEL, Progress, TrainingJob


@dataclass(frozen=True)
class LessonRun:
    label: str  # what makes this run different, e.g. "no normalization, SGD"
    arch: str
    settings: tuple[tuple[str, object], ...]  # overrides of the architecture's defaults

    def hyperparameters(self) -> zoo.Hyperparameters:
        return zoo.with_overrides(zoo.get_spec(self.arch), **dict(self.settings))


@dataclass(frozen=True)
class Lesson:
    key: str
    title: str
    question: str
    look_for: str
    runs: tuple[LessonRun, ...]
    source: str = ""
    compare_train_and_validation: bool = False  # the overfitting lesson reads the gap between the two


@dataclass(frozen=True)
class RunOutcome:
    label: str
    test_accuracy: float | None
    train_accuracy: float | None  # last epoch's
    validation_accuracy: float | None  # last epoch's
    warnings: tuple[str, ...] = field(default=())


def _run(label: str, arch: str, **settings) -> LessonRun:
    return LessonRun(label, arch, tuple(settings.items()))


SMALL = {"subset": 10_000, "seed": 7}
MEDIUM = {"subset": 20_000, "seed": 7}  # BatchNorm needs the steps: on 10,000 images its model ends near 70%
LESSONS: dict[str, Lesson] = {
    lesson.key: lesson
    for lesson in (
        Lesson(
            "normalize",
            "Why normalize?",
            "What happens when the network sees raw pixel values (0-255) instead of 0-1?",
            "Compare the normalized runs with the raw ones, for each optimizer. Raw pixels give huge first losses"
            " (switch the loss chart to a log scale), and SGD with momentum can blow up or get stuck at chance level.",
            (
                _run("normalized, Adam", "mlp_128", epochs=3, **SMALL),
                _run("raw pixels, Adam", "mlp_128", epochs=3, normalize=False, **SMALL),
                _run("normalized, SGD", "mlp_128", epochs=3, optimizer="sgd", learning_rate=0.01, **SMALL),
                _run(
                    "raw pixels, SGD",
                    "mlp_128",
                    epochs=3,
                    optimizer="sgd",
                    learning_rate=0.01,
                    normalize=False,
                    **SMALL,
                ),
            ),
            "Notebook 000: without normalization the model stays near 10%.",
        ),
        Lesson(
            "epochs-batch",
            "Epochs and batch size",
            "Is it better to see the data more often, or in smaller batches?",
            "More epochs help until validation accuracy flattens; smaller batches take more (noisier) steps per epoch.",
            (
                _run("5 epochs, batch 128", "mlp_784_392_196_49", epochs=5, batch_size=128, **SMALL),
                _run("8 epochs, batch 64", "mlp_784_392_196_49", epochs=8, batch_size=64, **SMALL),
                _run("20 epochs, batch 256", "mlp_784_392_196_49", epochs=20, batch_size=256, **SMALL),
            ),
            "Notebook 004's grid: 5/128, 8/64, 20/256.",
        ),
        Lesson(
            "dropout",
            "Overfitting and dropout",
            "Why does training accuracy keep rising while validation accuracy stalls, and what does dropout do?",
            "Watch the gap between the training (dashed) and validation (solid) curves: without dropout it opens"
            " wide on a small training set; dropout keeps it narrower.",
            (
                _run("no dropout", "mlp_512_256_dropout", epochs=20, dropout_rate=0.0, subset=5_000, seed=7),
                _run("dropout 0.2", "mlp_512_256_dropout", epochs=20, dropout_rate=0.2, subset=5_000, seed=7),
                _run("dropout 0.5", "mlp_512_256_dropout", epochs=20, dropout_rate=0.5, subset=5_000, seed=7),
            ),
            "Notebook 000's MLP 512-256, with and without dropout.",
            compare_train_and_validation=True,
        ),
        Lesson(
            "mlp-to-cnn",
            "From MLP to CNN",
            "How much do convolutions add over a fully connected network, on the same images and epochs?",
            "The CNNs look at neighbouring pixels together; compare their accuracy with the MLP's, and their cost."
            " BatchNorm and dropout slow the fourth model's start (its validation curve jumps about in the first"
            " epochs); they pay off over a long run: trained 15 epochs on all 60,000 images it is the best of the"
            " series (see the shipped model on Compare).",
            (
                _run("fully connected", "fc_two_hidden", epochs=3, **MEDIUM),
                _run("shallow CNN", "cnn_shallow", epochs=3, **MEDIUM),
                _run("deeper CNN", "cnn_deep", epochs=3, **MEDIUM),
                _run("CNN + BatchNorm + dropout", "cnn_bn_dropout", epochs=3, **MEDIUM),
            ),
            "Notebook 003's series of four models.",
        ),
    )
}

# Settings a learner may vary in an own experiment, and the values offered for each: the table's lesson values.
VARIABLE_SETTINGS: dict[str, tuple] = {row.name: row.lesson_values for row in settings.SETTINGS if row.lesson_values}


def own_lesson(arch: str, varied: dict[str, list], base: dict | None = None) -> Lesson:
    """A learner's group: every combination of the chosen values of one or two settings (at most 6 runs)."""
    if not 1 <= len(varied) <= 2:
        raise ValueError("Vary one or two settings.")
    for name, values in varied.items():
        if name not in VARIABLE_SETTINGS:
            raise ValueError(f"{name!r} cannot be varied here.")
        if not values:
            raise ValueError(f"Pick at least one value of {name.replace('_', ' ')}.")
    grid = list(itertools.product(*varied.values()))
    if not 2 <= len(grid) <= 6:
        raise ValueError(f"An experiment needs 2 to 6 runs; these choices make {len(grid)}.")
    base = {"epochs": 3, **SMALL, **(base or {})}
    runs = []
    for values in grid:
        settings = {**base, **dict(zip(varied, values, strict=True))}
        zoo.with_overrides(zoo.get_spec(arch), **settings)  # every run valid before any starts
        runs.append(
            _run(
                ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in zip(varied, values, strict=True)),
                arch,
                **settings,
            )
        )
    return Lesson(
        "own",
        f"Your experiment: {zoo.arch_name(arch)}",
        "What changes when you vary " + " and ".join(n.replace("_", " ") for n in varied) + "?",
        "",
        tuple(runs),
    )


def jobs(lesson: Lesson, owner: str = "", root=None) -> list[TrainingJob]:
    """One normal training job per run, named after the lesson and the run."""
    made = []
    for run in lesson.runs:
        job = TrainingJob(
            zoo.get_spec(run.arch), run.hyperparameters(), f"{lesson.key}-{run.label}", owner=owner, root=root
        )
        job.lesson, job.label = lesson.title, run.label
        made.append(job)
    return made


def outcome(label: str, progress: Progress) -> RunOutcome:
    logs = progress.last_epoch_logs
    return RunOutcome(label, progress.test_accuracy, logs.get("accuracy"), logs.get("val_accuracy"), progress.warnings)


def reading(outcomes: list[RunOutcome], train_vs_validation: bool = False) -> str:
    """A short plain-language reading of the group's result, from the numbers alone."""
    scored = [o for o in outcomes if o.test_accuracy is not None]
    if len(scored) < 2:
        return "Not enough finished runs to compare yet."
    ranked = sorted(scored, key=lambda o: o.test_accuracy, reverse=True)
    best, worst = ranked[0], ranked[-1]
    lines = [
        f"**{best.label}** did best ({best.test_accuracy:.1%} on the test set); **{worst.label}** did worst"
        f" ({worst.test_accuracy:.1%}): a difference of {100 * (best.test_accuracy - worst.test_accuracy):.1f} points."
    ]
    chance = [o.label for o in scored if o.test_accuracy < CHANCE_LEVEL]
    if chance:
        lines.append(f"At chance level (about 10%, as good as guessing): {', '.join(chance)}.")
    if train_vs_validation:
        gaps = [
            f"{o.label}: training {o.train_accuracy:.1%} vs validation {o.validation_accuracy:.1%}"
            f" (gap {100 * (o.train_accuracy - o.validation_accuracy):.1f} points)"
            for o in outcomes
            if o.train_accuracy is not None and o.validation_accuracy is not None
        ]
        lines.append("Overfitting shows as a gap between training and validation accuracy. " + "; ".join(gaps) + ".")
    if len(ranked) > 2 and ranked[0].test_accuracy - ranked[1].test_accuracy < 0.005:
        lines.append(f"{ranked[0].label} and {ranked[1].label} are within half a point: on one seed, call it a tie.")
    return "  \n".join(lines)
