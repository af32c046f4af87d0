"""Headless commands for teachers and scripts: ``python -m core list|runs|train|teach|lesson|code|evaluate|predict|embed|label-issues|import``.

Human-readable progress goes to stderr; the result is one JSON line on stdout. Any
expected failure (bad argument, missing data, broken model, bad image) prints one
line ``error: ...`` and exits 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _print_json(payload) -> None:
    print(json.dumps(payload))


def cmd_list(args: argparse.Namespace) -> int:
    from core.models import zoo

    for spec in zoo.ZOO.values():
        print(f"{spec.key}\t{spec.family}\t{spec.name}")
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    """Every saved model the app lists (shipped, then the runs store's), one per line, its id first:
    id, shipped|run, architecture, test accuracy, name (a broken one: id, origin, broken, -, why)."""
    from core.models import store

    print(f"runs are kept in {store.describe_store()}", file=sys.stderr)
    for artifact in store.list_artifacts():
        origin = "shipped" if artifact.shipped else "run"
        if artifact.meta is None:
            print(f"{artifact.model_id}\t{origin}\tbroken\t-\t{artifact.error}")
            continue
        meta = artifact.meta
        print(f"{artifact.model_id}\t{origin}\t{meta.arch}\t{meta.test_accuracy:.4f}\t{meta.display_name}")
    return 0


def hyperparameters(args: argparse.Namespace):
    """The architecture and its settings from the command line: the Train page's, under the same names."""
    from core.models import settings, zoo

    spec = zoo.get_spec(args.arch)
    names = (row.name for row in settings.SETTINGS)
    overrides = {name: getattr(args, name) for name in names if getattr(args, name) is not None}
    return spec, zoo.with_overrides(spec, **overrides)


def cmd_train(args: argparse.Namespace) -> int:
    from core import data
    from core.models import store

    spec, hp = hyperparameters(args)
    if args.ray_address and args.backend != "ray":
        raise ValueError("--ray-address needs --backend ray.")
    store.sanitize_name(args.name or spec.key)
    dataset = data.load()  # every argument error and a missing dataset are said before TensorFlow loads (seconds)
    from core.training import backends, jobs

    backend = backends.RayBackend(args.ray_address or backends.LOCAL) if args.backend == "ray" else None
    last_line = [""]

    def report(progress: jobs.Progress) -> None:
        line = f"epoch {progress.epoch}/{progress.epochs} batch {progress.batch}/{progress.batches_per_epoch}"
        if progress.logs:
            line += " " + " ".join(f"{key}={value:.4f}" for key, value in progress.logs.items())
        if line != last_line[0] and (progress.batch == progress.batches_per_epoch or "val_loss" in progress.logs):
            print(line, file=sys.stderr, flush=True)
            last_line[0] = line

    job = jobs.TrainingJob(
        spec,
        hp,
        args.name or spec.key,
        root=Path(args.out) if args.out else None,
        on_progress=report,
        backend=backend,
    )
    result = job.run(dataset)
    _print_json(
        {
            "state": result.state,
            "model_id": result.model_id,
            "test_accuracy": result.test_accuracy,
            "train_seconds": round(result.seconds, 2),
            "message": result.message,
            "warnings": list(result.warnings),
            "backend": args.backend,
            "node": result.where.removeprefix("Ray node ") if backend else backends.this_node(),
        }
    )
    return 0 if result.state == jobs.DONE else 1


def cmd_lesson(args: argparse.Namespace) -> int:
    """A built-in lesson, headless: its runs one after another, then the same reading the page shows."""
    from core import data
    from core.training import jobs, lessons

    if args.key not in lessons.LESSONS:
        raise ValueError(f"unknown lesson {args.key!r}; choose one of: {', '.join(lessons.LESSONS)}")
    lesson = lessons.LESSONS[args.key]
    dataset = data.load()
    outcomes, runs = [], []
    for job in lessons.jobs(lesson, root=Path(args.out) if args.out else None):
        print(f"{lesson.title}: {job.label}…", file=sys.stderr, flush=True)
        result = job.run(dataset)
        outcomes.append(lessons.outcome(job.label, result))
        runs.append(
            {
                "label": job.label,
                "state": result.state,
                "model_id": result.model_id,
                "test_accuracy": result.test_accuracy,
                "train_seconds": round(result.seconds, 2),
                "warnings": list(result.warnings),
            }
        )
    reading = lessons.reading(outcomes, train_vs_validation=lesson.compare_train_and_validation)
    _print_json({"lesson": args.key, "title": lesson.title, "runs": runs, "reading": reading})
    return 0 if all(run["state"] == jobs.DONE for run in runs) else 1


def cmd_code(args: argparse.Namespace) -> int:
    settings = hyperparameters(args)  # a bad setting is said before TensorFlow loads
    from core.models import export

    print(export.script(*settings), end="")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from core.understand import evaluation

    _print_json(evaluation.report_for_cli(args.model_id))
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from core.predict import inference

    if len(args.images) == 1:  # one file: one JSON object, or one error line and exit 2
        _print_json(inference.predict_file(args.images[0], top_k=args.top_k, model_id=args.model))
        return 0
    failed = False
    for result in inference.predict_files(args.images, top_k=args.top_k, model_id=args.model):
        _print_json(result)  # one object per file, one per line, as each is done
        sys.stdout.flush()
        failed = failed or "error" in result
    return 2 if failed else 0


def cmd_embed(args: argparse.Namespace) -> int:
    from core.understand import inspection

    _print_json(inspection.embedding_for_cli(args.model_id, args.out))
    return 0


def cmd_label_issues(args: argparse.Namespace) -> int:
    from core.understand import label_issues

    _print_json(label_issues.issues_for_cli(args.top))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """An outside .keras/.h5 model (or a run's bundle, .zip) saved as a run, like one trained here."""
    from core import data
    from core.models import bundles, importing

    path = Path(args.path)
    root = Path(args.out) if args.out else None
    if path.suffix.lower() == ".zip":
        artifact = bundles.import_bundle(path.read_bytes(), path.name, owner="", root=root)
        _print_json({"model_id": artifact.model_id, "test_accuracy": artifact.meta.test_accuracy})
        return 0
    dataset = data.load()
    _print_json(importing.import_model(path.read_bytes(), path.name, dataset, name=args.name, root=root).summary())
    return 0


def cmd_teach(args: argparse.Namespace) -> int:
    """Teach a saved model the pictures of a folder of class folders; the run's id and its before/after."""
    from core import data
    from core.training import examples, teach

    found, problems = examples.folder_examples(args.examples)
    for problem in problems:
        print(f"skipped {problem}", file=sys.stderr)
    spec = teach.TeachSpec(args.base, args.name, **({"epochs": args.epochs} if args.epochs else {})).validate()
    teach.check(found)  # before the dataset and TensorFlow are loaded: too few pictures is said at once
    print(f"teaching {args.base} {len(found)} pictures…", file=sys.stderr, flush=True)
    result = teach.teach(spec, found, data.load(), root=Path(args.out) if args.out else None)
    _print_json({"model_id": result.artifact.model_id, "skipped": problems, **result.report.as_json()})
    return 0


def add_train_settings(parser: argparse.ArgumentParser) -> None:
    """--arch, then one flag per row of the settings table (core/models/settings.py); unset flags keep the
    architecture's own recipe."""
    from core.models import settings, zoo

    parser.add_argument("--arch", required=True, help="architecture key (see `list`)")
    for row in settings.SETTINGS:
        how: dict = {"dest": row.name, "default": None, "help": f"{row.label}{f': {row.help}' if row.help else ''}"}
        if row.kind == settings.SWITCH:
            how["action"] = argparse.BooleanOptionalAction
        elif row.kind == settings.CHOICE:
            how["choices"] = row.choices
        else:
            how["type"] = int if row.kind == settings.WHOLE else float
        parser.add_argument(row.cli_flag, **how)
    parser.epilog = "Architectures that take fewer augmentations: " + "; ".join(
        f"{key}: {', '.join(spec.augmentation)}"
        for key, spec in zoo.ZOO.items()
        if spec.augmentation != zoo.AUGMENTATIONS
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="architectures you can train, one per line (saved models: runs)").set_defaults(
        run=cmd_list
    )
    commands.add_parser(
        "runs", help="every saved model (shipped and trained), one per line, its id first"
    ).set_defaults(run=cmd_runs)

    train = commands.add_parser("train", help="train one architecture and save it")
    add_train_settings(train)
    train.add_argument("--name", help="model name (default: the architecture key)")
    train.add_argument("--out", help="folder to save into (default: artifacts/runs)")
    train.add_argument(
        "--backend",
        choices=("in-process", "ray"),
        default="in-process",
        help="where to train: this process (default) or a Ray cluster (needs requirements-ray.txt)",
    )
    train.add_argument("--ray-address", help="the Ray cluster to join, e.g. 10.0.0.5:6379 (default: start a local one)")
    train.set_defaults(run=cmd_train)

    lesson = commands.add_parser("lesson", help="run a built-in lesson's group of runs and print the reading")
    lesson.add_argument("key", help="normalize | epochs-batch | dropout | mlp-to-cnn")
    lesson.add_argument("--out", help="folder to save into (default: artifacts/runs)")
    lesson.set_defaults(run=cmd_lesson)

    code = commands.add_parser("code", help="print a plain Keras script that reproduces a run with these settings")
    add_train_settings(code)
    code.set_defaults(run=cmd_code)

    evaluate = commands.add_parser("evaluate", help="accuracy and per-class report of a saved model")
    evaluate.add_argument("model_id")
    evaluate.set_defaults(run=cmd_evaluate)

    predict = commands.add_parser(
        "predict", help="top-k classes of image files from every saved model (one JSON line per file)"
    )
    predict.add_argument("images", nargs="+", metavar="image")
    predict.add_argument("--top-k", type=int, default=3)
    predict.add_argument("--model", help="only this model id")
    predict.set_defaults(run=cmd_predict)

    embed = commands.add_parser("embed", help="2-D map of the test images' penultimate features, as CSV")
    embed.add_argument("model_id")
    embed.add_argument("--out", required=True, help="CSV file to write: index,x,y,true,predicted")
    embed.set_defaults(run=cmd_embed)

    issues = commands.add_parser("label-issues", help="likely label mistakes in the training set, as JSON")
    issues.add_argument("--top", type=int, help="only the N most likely")
    issues.set_defaults(run=cmd_label_issues)

    taught = commands.add_parser(
        "teach", help="fine-tune a saved model on a folder of your pictures; prints its before/after as JSON"
    )
    taught.add_argument("--base", required=True, help="the saved model to teach (an id from `runs`)")
    taught.add_argument(
        "--examples",
        required=True,
        help="a folder with one sub-folder per class, named 0-9 or by the class (coat, ankle-boot, t-shirt-top)",
    )
    taught.add_argument("--name", required=True, help="the new run's name")
    taught.add_argument("--epochs", type=int, help="epochs of fine-tuning (default: the recipe's)")
    taught.add_argument("--out", help="folder to save into (default: the runs store)")
    taught.set_defaults(run=cmd_teach)

    imported = commands.add_parser(
        "import", help="save an outside .keras or .h5 model as a run, measured on the test set"
    )
    imported.add_argument("path")
    imported.add_argument("--name", help="model name (default: the file's name)")
    imported.add_argument("--out", help="folder to save into (default: artifacts/runs)")
    imported.set_defaults(run=cmd_import)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, OSError, RuntimeError) as error:  # the expected failures, each with a readable message
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
