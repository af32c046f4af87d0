"""How long each built-in lesson takes on this CPU (target: about 3 minutes for a whole group).

    .venv/bin/python -m bench.bench_lessons [--only KEY ...]

Runs ``python -m core lesson KEY`` (the lesson's runs one after another, exactly the jobs the
Lessons page queues) in a fresh process per lesson, into a temporary folder, and records the wall
time, each run's training time and test accuracy, and the reading. Writes bench/results/lessons.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from core.training import lessons

RESULTS = Path(__file__).parent / "results" / "lessons.md"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(lessons.LESSONS))
    args = parser.parse_args()
    lines = [
        "# Built-in lessons: time on this CPU",
        "",
        f"Command: `.venv/bin/python -m bench.bench_lessons` on {os.cpu_count()} CPU cores ({platform.machine()}),"
        f" Python {platform.python_version()}. Each lesson is `python -m core lesson KEY` in a fresh process"
        " (TensorFlow start-up and data loading included in the wall time). Target: about 3 minutes a lesson.",
        "",
        "| lesson | wall time | runs (training time, test accuracy) |",
        "|---|---|---|",
    ]
    readings = []
    for key in args.only or lessons.LESSONS:
        out = tempfile.mkdtemp(prefix=f"bench-lesson-{key}-")
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "core", "lesson", key, "--out", out], capture_output=True, text=True, check=True
        )
        wall = time.perf_counter() - started
        result = json.loads(done.stdout.strip().splitlines()[-1])
        runs = "; ".join(
            f"{run['label']}: {run['train_seconds']:.0f} s, {run['test_accuracy']:.1%}" for run in result["runs"]
        )
        lines.append(f"| {result['title']} | {wall:.0f} s | {runs} |")
        readings.append(f"**{result['title']}**: {result['reading']}")
        print(lines[-1], flush=True)
    RESULTS.write_text("\n".join([*lines, "", "## The readings the app printed", "", *readings, ""]))
    print(RESULTS.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
