"""The server as a class uses it: CPU per idle tab, and the quick preset with tabs open.

    .venv/bin/python -m bench.bench_classroom [--tabs 0 1 10] [--idle-seconds 20]

Starts ``streamlit run app.py`` exactly as ``make run`` does (only the port differs), then:

1. **Idle tabs**: opens N headless-Chromium tabs (separate browsers) on the Dataset page, waits
   until each has drawn it, and reads the server's CPU time (utime + stime from /proc) over
   ``--idle-seconds`` of nobody doing anything.
2. **Quick preset, Start to result**: with N idle tabs connected, one more tab opens Train,
   picks the Quick classroom CNN with its defaults and presses Start; the time runs until the
   page shows the test accuracy. The run's own training time is read from its meta.json.
3. **The same recipe from the CLI** (``python -m core train --arch cnn_quick``), in the same
   benchmark run, as the yardstick. Target: the app within 10% of the CLI with 10 tabs open.

Writes bench/results/classroom.md.
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

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from core.models import store  # noqa: E402
from harness.chromium import CHROMIUM, CHROMIUM_ARGS, wait_for_app  # noqa: E402
from harness.serve import StreamlitServer  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "classroom.md"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def open_idle_tabs(browser, url: str, count: int) -> list:
    from playwright.sync_api import expect

    tabs = []
    for _ in range(count):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        tab = context.new_page()
        tab.goto(url)
        tabs.append(tab)
    for tab in tabs:
        expect(tab.get_by_text("Where the data came from")).to_be_visible(timeout=180_000)
    return tabs


def idle_cpu(server: StreamlitServer, browser, count: int, seconds: float) -> float:
    tabs = open_idle_tabs(browser, server.url, count)
    time.sleep(3)  # let the last page's run finish before measuring
    before = cpu_seconds(server.process.pid)
    time.sleep(seconds)  # measuring idleness: nothing to wait on but the clock
    used = cpu_seconds(server.process.pid) - before
    for tab in tabs:
        tab.context.close()
    return used


def quick_run_in_app(
    server: StreamlitServer, browser, idle: int, runs_dir: Path, name: str
) -> tuple[float, float, float]:
    from playwright.sync_api import expect

    tabs = open_idle_tabs(browser, server.url, idle)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.goto(f"{server.url}/train")
    expect(tab.get_by_role("button", name="Start training")).to_be_visible(timeout=180_000)
    tab.get_by_test_id("stSelectbox").filter(has_text="Architecture").click()
    tab.keyboard.type("Quick classroom")
    tab.get_by_role("option", name="Quick classroom CNN").first.click()
    wait_for_app(tab)  # the form is redrawn for the new architecture before anything is typed into it
    tab.get_by_role("textbox", name="Model name").fill(name)
    expect(tab.get_by_text("Estimated duration")).to_be_visible(timeout=180_000)
    started = time.perf_counter()
    tab.get_by_role("button", name="Start training").click()
    expect(tab.get_by_text(f"Saved as {name}.")).to_be_visible(timeout=900_000)
    wall = time.perf_counter() - started
    meta = store.find(name, [runs_dir]).meta
    for other in [*tabs, tab]:
        other.context.close()
    return wall, meta.train_seconds, meta.test_accuracy


def quick_run_cli(out: Path) -> tuple[float, float, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "core", "train", "--arch", "cnn_quick", "--name", "cli-quick", "--out", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return wall, result["train_seconds"], result["test_accuracy"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tabs", type=int, nargs="+", default=[0, 1, 10])
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    runs_dir = Path(tempfile.mkdtemp(prefix="bench-classroom-"))
    server = StreamlitServer(env={store.ENV_RUNS_DIR: str(runs_dir)}, log_name="bench-classroom")
    idle_rows, run_rows = [], []
    try:
        server.wait_healthy()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for count in args.tabs:
                used = idle_cpu(server, browser, count, args.idle_seconds)
                idle_rows.append((count, used))
                print(f"{count} idle tabs: {used:.2f} CPU-s in {args.idle_seconds:.0f} s", flush=True)
            for count in args.tabs:
                wall, train, accuracy = quick_run_in_app(server, browser, count, runs_dir, f"quick-{count}-tabs")
                run_rows.append((f"app, {count} idle tab(s) + the training tab", wall, train, accuracy))
                print(run_rows[-1], flush=True)
            browser.close()
        peak = rss_mb(server.process.pid)
    finally:
        server.stop()
    cli = quick_run_cli(runs_dir / "cli")
    run_rows.append(("`python -m core train --arch cnn_quick`", *cli))
    print(run_rows[-1], flush=True)

    cli_wall = cli[0]
    lines = [
        "# The server as a class uses it: idle tabs and the quick preset with tabs open",
        "",
        f"Command: `.venv/bin/python -m bench.bench_classroom --tabs {' '.join(map(str, args.tabs))}"
        f" --idle-seconds {args.idle_seconds:g}` on {os.cpu_count()} CPU cores ({platform.machine()}),"
        f" Python {platform.python_version()}. The server is `streamlit run app.py --server.port N` with"
        " `.streamlit/config.toml`, exactly as `make run` starts it. Tabs are separate headless-Chromium browsers.",
        "",
        f"## Server CPU with idle tabs open ({args.idle_seconds:g} s, nobody doing anything)",
        "",
        "| idle tabs on the Dataset page | server CPU-seconds | per tab per minute |",
        "|---|---|---|",
        *(
            f"| {count} | {used:.2f} | {used / count * 60 / args.idle_seconds:.2f} |"
            if count
            else f"| 0 | {used:.2f} | – |"
            for count, used in idle_rows
        ),
        "",
        "## Quick classroom preset, from pressing Start to the test accuracy on screen",
        "",
        "Wall time is what the learner waits (the CLI's includes importing TensorFlow and loading the data);"
        " training time is the run's own `train_seconds`.",
        "",
        "| where | Start to result | training time | test accuracy | vs the CLI (wall) |",
        "|---|---|---|---|---|",
        *(
            f"| {label} | {wall:.1f} s | {train:.1f} s | {accuracy:.2%} | {(wall / cli_wall - 1):+.0%} |"
            for label, wall, train, accuracy in run_rows
        ),
        "",
        f"Server peak resident memory over the whole benchmark: {peak:.0f} MB.",
        "",
    ]
    RESULTS.write_text("\n".join(lines))
    print(RESULTS.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
