"""Headless commands for teachers and scripts: ``python -m core list|train|evaluate|predict``.

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
    from core import zoo

    for spec in zoo.ZOO.values():
        print(f"{spec.key}\t{spec.family}\t{spec.name}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from core import backends, data, training, zoo

    spec = zoo.get_spec(args.arch)
    if args.ray_address and args.backend != "ray":
        raise ValueError("--ray-address needs --backend ray.")
    backend = backends.RayBackend(args.ray_address or backends.LOCAL) if args.backend == "ray" else None
    overrides = {
        name: value
        for name, value in (
            ("epochs", args.epochs),
            ("batch_size", args.batch_size),
            ("learning_rate", args.learning_rate),
            ("subset", args.subset),
            ("seed", args.seed),
        )
        if value is not None
    }
    hp = zoo.with_overrides(spec, **overrides)
    dataset = data.load()
    last_line = [""]

    def report(progress: training.Progress) -> None:
        line = f"epoch {progress.epoch}/{progress.epochs} batch {progress.batch}/{progress.batches_per_epoch}"
        if progress.logs:
            line += " " + " ".join(f"{key}={value:.4f}" for key, value in progress.logs.items())
        if line != last_line[0] and (progress.batch == progress.batches_per_epoch or "val_loss" in progress.logs):
            print(line, file=sys.stderr, flush=True)
            last_line[0] = line

    job = training.TrainingJob(
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
            "backend": args.backend,
            "node": result.where.removeprefix("Ray node ") if backend else backends.this_node(),
        }
    )
    return 0 if result.state == training.DONE else 1


def cmd_evaluate(args: argparse.Namespace) -> int:
    from core import evaluation

    _print_json(evaluation.report_for_cli(args.model_id))
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from core import inference

    _print_json(inference.predict_file(args.image, top_k=args.top_k, model_id=args.model))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="architectures, one per line").set_defaults(run=cmd_list)

    train = commands.add_parser("train", help="train one architecture and save it")
    train.add_argument("--arch", required=True, help="architecture key (see `list`)")
    train.add_argument("--epochs", type=int)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--subset", type=int, help="train on this many examples")
    train.add_argument("--seed", type=int)
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

    evaluate = commands.add_parser("evaluate", help="accuracy and per-class report of a saved model")
    evaluate.add_argument("model_id")
    evaluate.set_defaults(run=cmd_evaluate)

    predict = commands.add_parser("predict", help="top-k classes of one image from every saved model")
    predict.add_argument("image")
    predict.add_argument("--top-k", type=int, default=3)
    predict.add_argument("--model", help="only this model id")
    predict.set_defaults(run=cmd_predict)
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
