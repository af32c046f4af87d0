"""Rerun the benchmarks in turn (``make bench``); each writes its own table to bench/results/.

    .venv/bin/python -m bench.run_all                       # every one in RUN, then what was skipped and why
    .venv/bin/python -m bench.run_all --only bench_vote     # some of them

Every benchmark in bench/ is either in RUN (with the arguments its results file was measured with) or in
SKIPPED with the reason and the command that runs it (tests/unit/test_build_layout.py holds that true).
Together they take well over an hour on 2 cores.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]  # where `python -m bench.<name>` and the arguments' paths resolve

# module -> its arguments
RUN: dict[str, tuple[str, ...]] = {
    "bench_data": (),
    "bench_training": (),
    "bench_quick": (),
    "bench_evaluate": (),
    "bench_predict": ("--repeats", "100", "--no-zoo"),
    "bench_photos": (),
    "bench_play": (),
    "bench_vote": (),
    "bench_embedding": (),
    "bench_label_issues": (),  # ranks the shipped probabilities; remaking them is make label-issues
    "bench_world": (),  # fetches its pictures from the npm registry once (recipes/.world-cache/)
    "bench_real_photos": ("--label", "after"),  # garments in photos as people take them, tuning and held-out
    "bench_memory": (),
    "bench_first_page": ("--markdown", "bench/results/first_page.md"),
    "bench_classroom": (),
    "bench_browser": (),
    "bench_lessons": (),
    "bench_ray": (),
    "bench_store": (),  # starts its own throw-away PostgreSQL server (Debian's postgresql)
    "bench_teach": (),  # fetches its outline icons from the npm registry once (recipes/.world-cache/)
    "bench_outline": ("--fashion", "1000"),  # outline icon sets, tuning and held-out (recipes/.world-cache/)
}
# module -> why make bench leaves it out, and what runs it
SKIPPED: dict[str, str] = {
    "loadgen": "make load runs it: simulated classrooms of 30 and 100 sessions plus a training run (several minutes)",
    "bench_scale": "make load runs it: the pages with 100 runs on disk, after loadgen, into scale*.json",
    "cloud_rehearsal": "make cloud-rehearsal runs it: a clean clone in a fresh environment under a memory cgroup",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(RUN), metavar="NAME", help="run these benchmarks only")
    args = parser.parse_args(argv)
    chosen = args.only or list(RUN)
    failed = []
    for name in chosen:
        print(f"== bench.{name} {' '.join(RUN[name])}", flush=True)
        command = [sys.executable, "-m", f"bench.{name}", *RUN[name]]
        if subprocess.run(command, cwd=REPO_ROOT, check=False).returncode != 0:
            failed.append(name)
    print(f"ran {len(chosen)} of {len(RUN) + len(SKIPPED)} benchmarks; skipped:")
    for name in [name for name in RUN if name not in chosen]:
        print(f"  {name}: not asked for (--only)")
    for name, reason in SKIPPED.items():
        print(f"  {name}: {reason}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
