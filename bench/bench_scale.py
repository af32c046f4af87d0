"""Predict, Compare and Evaluate with 100 classroom runs on disk: seconds until each page has answered
when opened (fresh server, one visitor, as a browser opens it), and the server's peak resident memory.

Each page is opened by a new session over Streamlit's websocket protocol (bench/loadgen.py) against
``streamlit run app.py`` with ``FASHION_STUDIO_RUNS_DIR`` holding ``harness/classroom.py``'s runs.
Predict is asked about a test image (its answer is the models' verdict); Compare and Evaluate have
answered when their script run finishes; so has the Dataset page ("home", where the app opens). The
browser's own rendering is not included.

    .venv/bin/python -m bench.bench_scale --runs 100                                  # Predict first: cold
    .venv/bin/python -m bench.bench_scale --runs 100 --pages home predict compare evaluate --read 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import loadgen
from harness import classroom


async def _open(port: int, page: str) -> dict:
    session = loadgen.Session(port)
    await session.connect()
    try:
        started = time.perf_counter()
        result = await session.run(page)
        answered = result.status == 0 and not result.says("EXCEPTION")
        if page == loadgen.PREDICT_PAGE:
            session.choose_test_image(result)
            result = await session.run(page)
            answered = result.says(*loadgen.VERDICT_WORDS)
        return {
            "page": page,
            "seconds": round(time.perf_counter() - started, 2),
            "answered": answered,
            "exceptions": [text for text in result.texts if text.startswith("EXCEPTION")][:2],
        }
    finally:
        await session.close()


def _visit(port: int, pages: list[str], read_s: float) -> list[dict]:
    opened = []
    for page in pages:
        opened.append(asyncio.run(_open(port, page)))
        time.sleep(read_s)  # the visitor reads the page before opening the next
    return opened


def measure(runs: int, pages: list[str], read_s: float = 0.0) -> dict:
    runs_dir = Path(tempfile.mkdtemp(prefix="fms-scale-runs-"))
    try:
        classroom.write_runs(runs_dir, runs)
        server = loadgen.Server(runs_dir)
        try:
            server.wait_ready()
            opened = _visit(server.port, pages, read_s)
            return {
                "runs_on_disk": runs,
                "read_s": read_s,
                "pages": opened,
                "peak_rss_mb": round(server.peak_rss() / 2**20, 1),
            }
        finally:
            server.stop()
    finally:
        shutil.rmtree(runs_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--pages",
        nargs="+",
        default=["predict", "compare", "evaluate"],
        choices=["home", "predict", "compare", "evaluate"],
        help="opened in this order on one fresh server: the first pays for importing TensorFlow",
    )
    parser.add_argument("--read", type=float, default=0.0, help="seconds a visitor spends on each page")
    args = parser.parse_args()
    result = {"command": " ".join(sys.argv), **measure(args.runs, args.pages, args.read)}
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
