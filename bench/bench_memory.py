"""Resident memory of the real app with every shipped model loaded (budget: under 1 GB).

    .venv/bin/python -m bench.bench_memory [--visitors 2]

Starts ``streamlit run app.py`` on a free port (no models of its own: an empty runs folder, so
exactly the shipped ones), then opens every page in headless Chromium, the way a visitor would:
Dataset, Train, Evaluate, Predict (which loads every model into one predictor) and Compare
(which loads every model, reads its test predictions and times one image). After each page it
reads the server's VmRSS, and that of any child processes, from /proc. A second visitor (a new
browser session) then opens Predict and Compare again: models are shared, so memory should
barely move. Streamlit Community Cloud allows about 2.7 GB for everything; this app aims to
stay under 1 GB so that several visitors, and a training run, still fit.

Prints a table and writes bench/results/memory.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from core.models import store  # noqa: E402
from harness.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from harness.memory import Reading, read  # noqa: E402
from harness.serve import REPO_ROOT, StreamlitServer  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "memory.md"
BUDGET_MB = 1024
MB = 1024 * 1024
PAGE_TIMEOUT_MS = 300_000  # a cold page may import TensorFlow and load every model on 2 busy cores


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    ready: str  # text that shows only once the page has finished its work


PAGES = (
    Page("Dataset", "", "Where the data came from"),
    Page("Train", "train", "Start training"),
    Page("Evaluate", "evaluate", "Test accuracy"),
    Page("Predict", "predict", "What the model sees"),
    Page("Compare", "compare", "Same prediction"),
)
SECOND_VISIT = tuple(page for page in PAGES if page.name in ("Predict", "Compare"))


def visit(browser_page, url: str, page: Page) -> float:
    """Open a page and wait until it has finished (its last element drawn, no script running)."""
    from playwright.sync_api import expect

    started = time.perf_counter()
    browser_page.goto(f"{url}/{page.path}")
    expect(browser_page.get_by_text(page.ready).first).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    expect(browser_page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=PAGE_TIMEOUT_MS)
    expect(browser_page.get_by_test_id("stException")).to_have_count(0)
    return time.perf_counter() - started


def measure(visitors: int) -> tuple[list[Reading], StreamlitServer]:
    from playwright.sync_api import sync_playwright

    runs = Path(tempfile.mkdtemp(prefix="fms-bench-runs-"))  # no models trained here: the shipped ones only
    server = StreamlitServer(env={store.ENV_RUNS_DIR: str(runs)}, log_name="bench-memory-server")
    readings = []
    try:
        server.wait_healthy()
        pid = server.process.pid
        readings.append(read(pid, "server started, no visitor yet", 0.0))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for visitor in range(1, visitors + 1):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                tab = context.new_page()
                for page in PAGES if visitor == 1 else SECOND_VISIT:
                    seconds = visit(tab, server.url, page)
                    readings.append(read(pid, f"visitor {visitor}: {page.name}", seconds))
                    print(f"  {readings[-1].step:<28} {readings[-1].total_mb:7.0f} MB  ({seconds:.1f} s)", flush=True)
                context.close()
            browser.close()
        time.sleep(1.0)  # let the server settle once every session has gone, then read it once more
        readings.append(read(pid, "all visitors gone", 0.0))
    finally:
        server.stop()
    return readings, server


def shipped_summary() -> tuple[int, float, int]:
    artifacts = [item for item in store.list_artifacts([store.SHIPPED_DIR]) if item.ok]
    size = sum((item.path / store.MODEL_FILE).stat().st_size for item in artifacts) / 1e6
    params = sum(item.meta.params for item in artifacts)
    return len(artifacts), size, params


def _version(*distributions: str) -> str:
    """An installed package's version, without importing it (TensorFlow alone takes seconds)."""
    from importlib import metadata

    for name in distributions:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "?"


def table(readings: list[Reading]) -> list[str]:
    rows = [
        "| step | server RSS | children RSS | total | server peak (VmHWM) | page time |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for item in readings:
        seconds = f"{item.seconds:.1f} s" if item.seconds else ""
        rows.append(
            f"| {item.step} | {item.server_mb:.0f} MB | {item.children_mb:.0f} MB | **{item.total_mb:.0f} MB** "
            f"| {item.peak_mb:.0f} MB | {seconds} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=2, help="browser sessions (the 2nd+ open Predict and Compare)")
    args = parser.parse_args()
    if args.visitors < 1:
        parser.error("--visitors must be at least 1")
    count, size_mb, params = shipped_summary()
    print(f"{count} shipped models ({size_mb:.1f} MB of model files, {params:,} parameters)", flush=True)
    readings, server = measure(args.visitors)
    peak = max(item.peak_mb for item in readings)
    highest = max(item.total_mb for item in readings)
    verdict = "within" if peak < BUDGET_MB else "OVER"

    lines = [
        "# Memory: the app with every shipped model loaded",
        "",
        "```",
        f".venv/bin/python -m bench.bench_memory --visitors {args.visitors}",
        "```",
        "",
        f"`streamlit run app.py` on {os.cpu_count()} CPU cores, Python {platform.python_version()}, "
        f"TensorFlow {_version('tensorflow-cpu', 'tensorflow')}, Streamlit {_version('streamlit')}, "
        f"{time.strftime('%Y-%m-%d')}. "
        f"{count} shipped models ({size_mb:.1f} MB of `model.keras` files, {params:,} parameters), "
        "no models trained here. Each page is opened in headless Chromium and read once it has finished "
        "(Predict and Compare load every model); the second visitor is a new browser session.",
        "",
        *table(readings),
        "",
        f"Highest resident memory after a page: **{highest:.0f} MB**; the server's peak (VmHWM): "
        f"**{peak:.0f} MB** — {verdict} the {BUDGET_MB} MB budget (Community Cloud allows about 2.7 GB "
        "for everything). RSS is what the kernel counts against the limit; the peak includes short-lived "
        "buffers freed since.",
        "",
        f"Server log: `{server.log_path.relative_to(REPO_ROOT)}`.",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(table(readings)))
    print(f"\npeak {peak:.0f} MB ({verdict} {BUDGET_MB} MB); wrote {RESULTS}")
    sys.exit(0 if peak < BUDGET_MB else 1)


if __name__ == "__main__":
    main()
