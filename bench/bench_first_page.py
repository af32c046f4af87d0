"""The first Predict page (Test-image tab) and the first Train page on a freshly started server, in headless
Chromium (Debian's): how long the server takes to answer its health check, then how long the page takes
from the address typed to its answer on screen.

Each page gets its own fresh server (`streamlit run app.py`, as `make run` starts it) with an empty runs
folder, so nothing is cached and the Train page's architecture has never been measured. Predict has answered
when the *All models vote* card is drawn for the test image; Train when its estimated duration is shown.

    .venv/bin/python -m bench.bench_first_page --repeats 2 --markdown bench/results/first_page.md
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import loadgen  # noqa: E402
from harness.chromium import CHROMIUM, CHROMIUM_ARGS, wait_for_app  # noqa: E402

PAGES = {
    "predict": (f"/predict?predict_source={quote(loadgen.TEST_IMAGE)}", ".st-key-all-models-vote"),
    "train": ("/train", "text=Estimated duration"),
}


def measure(page_name: str) -> dict:
    from playwright.sync_api import expect, sync_playwright

    path, answer = PAGES[page_name]
    runs_dir = Path(tempfile.mkdtemp(prefix="fms-first-page-"))
    started = time.perf_counter()
    server = loadgen.Server(runs_dir)
    try:
        server.wait_ready(timeout_s=300)
        healthy = time.perf_counter() - started
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            tab = browser.new_page(viewport={"width": 1280, "height": 1000})
            opened = time.perf_counter()
            tab.goto(f"http://127.0.0.1:{server.port}{path}")
            expect(tab.locator(answer).first).to_be_visible(timeout=300_000)
            wait_for_app(tab)
            seconds = time.perf_counter() - opened
            errors = tab.get_by_test_id("stException").count()
            browser.close()
        return {"page": page_name, "healthy_s": healthy, "page_s": seconds, "exceptions": errors}
    finally:
        server.stop()
        shutil.rmtree(runs_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--pages", nargs="+", default=list(PAGES), choices=list(PAGES))
    parser.add_argument("--markdown", type=Path, help="append the results as a table to this file")
    args = parser.parse_args()
    rows = []
    for _ in range(args.repeats):
        for page_name in args.pages:
            row = measure(page_name)
            rows.append(row)
            print(row, flush=True)
    lines = [
        f"`python -m bench.bench_first_page --repeats {args.repeats}` at {time.strftime('%Y-%m-%d %H:%M')}, "
        f"{os.cpu_count()} CPU cores, Python {platform.python_version()}, load average before "
        f"{os.getloadavg()[0]:.1f}:",
        "",
        "| page | server start to healthy | page opened to answered (median, all) | exceptions |",
        "|---|---|---|---|",
    ]
    for page_name in args.pages:
        mine = [row for row in rows if row["page"] == page_name]
        pages = [row["page_s"] for row in mine]
        healthy = ", ".join(f"{row['healthy_s']:.1f} s" for row in mine)
        lines.append(
            f"| {page_name} | {healthy} | "
            f"**{statistics.median(pages):.1f} s** ({', '.join(f'{value:.1f}' for value in pages)}) | "
            f"{sum(row['exceptions'] for row in mine)} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        with args.markdown.open("a") as out:
            out.write("\n" + text)


if __name__ == "__main__":
    main()
