"""Run every benchmark in turn; each writes its own table to bench/results/.

make bench
"""

from __future__ import annotations

import subprocess
import sys

BENCHES = (
    "bench_data",
    "bench_training",
    "bench_quick",
    "bench_evaluate",
    "bench_predict",
    "bench_photos",
    "bench_play",
    "bench_memory",
    "bench_classroom",
    "bench_lessons",
    "bench_ray",
)


def main() -> int:
    failed = [
        name for name in BENCHES if subprocess.run([sys.executable, "-m", f"bench.{name}"], check=False).returncode != 0
    ]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
