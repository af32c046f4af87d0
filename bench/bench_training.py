"""In-app training throughput against a plain notebook-style ``model.fit``.

Same architecture, same data, same batch size, same process; runs are interleaved
(plain, app, plain, app, ...) so background load hits both alike. The app's number is
the fit time reported by TrainingJob (progress callback, stop flag and schedule
callbacks included; evaluation and saving excluded, as in the plain run).

    .venv/bin/python -m bench.bench_training [--repeats 2] [--examples 20000] [--epochs 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from core import data  # noqa: E402
from core.models import zoo  # noqa: E402
from core.training import jobs  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "training.md"


def plain_fit_seconds(spec: zoo.ModelSpec, hp: zoo.Hyperparameters, dataset: data.FashionMNIST) -> float:
    x_train, y_train, x_val, y_val = jobs.prepare_data(dataset, hp)
    keras.utils.set_random_seed(hp.seed)
    model = zoo.compile_model(zoo.build(spec, hp), hp)
    started = time.perf_counter()
    model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=hp.epochs, batch_size=hp.batch_size, verbose=0)
    return time.perf_counter() - started


def app_fit_seconds(spec: zoo.ModelSpec, hp: zoo.Hyperparameters, dataset: data.FashionMNIST, root: Path) -> float:
    progress = jobs.TrainingJob(spec, hp, f"bench-{spec.key}", root=root).run(dataset)
    if progress.state != jobs.DONE:
        raise RuntimeError(progress.message)
    return progress.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--examples", type=int, default=20_000)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    dataset = data.load()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for key, batch_size in (("mlp_512_256_128_dropout", 32), ("cnn_quick", 128)):
            spec = zoo.get_spec(key)
            # constant LR, no early stopping: both sides do exactly the same work
            hp = zoo.with_overrides(
                spec,
                epochs=args.epochs,
                batch_size=batch_size,
                subset=args.examples,
                lr_schedule="constant",
                early_stopping_patience=0,
            )
            samples = round(args.examples * (1 - hp.validation_split)) * hp.epochs
            plain, app = [], []
            for _ in range(args.repeats):
                plain.append(plain_fit_seconds(spec, hp, dataset))
                app.append(app_fit_seconds(spec, hp, dataset, Path(folder)))
            plain_rate, app_rate = samples / statistics.median(plain), samples / statistics.median(app)
            rows.append((spec.name, batch_size, samples, plain_rate, app_rate, (plain_rate - app_rate) / plain_rate))
            print(f"{spec.name}: plain {plain} s, app {app} s", flush=True)
    lines = [
        "| model | batch | samples/run | plain fit (samples/s) | in-app (samples/s) | app slower by |",
        "|---|---|---|---|---|---|",
        *(f"| {name} | {batch} | {n:,} | {p:,.0f} | {a:,.0f} | {loss:+.1%} |" for name, batch, n, p, a, loss in rows),
    ]
    table = "\n".join(lines)
    print(table)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        "# Training throughput: in-app job vs plain model.fit\n\n"
        f"Command: `.venv/bin/python -m bench.bench_training --repeats {args.repeats} "
        f"--examples {args.examples} --epochs {args.epochs}` (median of repeats, interleaved).\n\n{table}\n"
    )


if __name__ == "__main__":
    main()
