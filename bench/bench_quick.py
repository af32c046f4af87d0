"""The quick classroom preset: test accuracy and training time of pressing Start with its defaults.

    .venv/bin/python -m bench.bench_quick [--repeats 3]

Target (issue #6): at least 90% test accuracy within 60 s of training on a 2-core CPU. Each
repeat is the app's own TrainingJob (all 60,000 images, seed 42, the spec's defaults), so the
time is the fit time the app reports (progress callback and validation included; the final
test evaluation and the save excluded). Writes bench/results/quick.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from core import data  # noqa: E402
from core.models import zoo  # noqa: E402
from core.training import jobs  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "quick.md"
KEY = "cnn_quick"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    dataset = data.load()
    spec = zoo.get_spec(KEY)
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        for repeat in range(args.repeats):
            progress = jobs.TrainingJob(spec, spec.defaults, f"bench-quick-{repeat}", root=Path(folder)).run(dataset)
            if progress.state != jobs.DONE:
                raise SystemExit(progress.message)
            runs.append((progress.seconds, progress.test_accuracy))
            print(f"run {repeat + 1}: {progress.seconds:.1f} s, test accuracy {progress.test_accuracy:.2%}", flush=True)
    hp = spec.defaults
    lines = [
        "| run | training time | test accuracy |",
        "|---|---|---|",
        *(f"| {index} | {seconds:.1f} s | {accuracy:.2%} |" for index, (seconds, accuracy) in enumerate(runs, 1)),
        f"| median | {statistics.median(s for s, _ in runs):.1f} s | {statistics.median(a for _, a in runs):.2%} |",
    ]
    table = "\n".join(lines)
    print(table)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        f"# Quick classroom preset ({spec.name})\n\n"
        f"Command: `.venv/bin/python -m bench.bench_quick --repeats {args.repeats}` on {os.cpu_count()} CPU cores "
        f"({platform.processor() or platform.machine()}). Recipe: {hp.epochs} epochs, batch {hp.batch_size}, "
        f"Adam {hp.learning_rate:g} annealed to zero by a per-step cosine, dropout {hp.dropout_rate}, "
        f"{zoo.build(spec).count_params():,} parameters. Target: >= 90% in <= 60 s.\n\n{table}\n"
    )


if __name__ == "__main__":
    main()
