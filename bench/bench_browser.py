"""Training in the browser against training on the server, and a class of browsers training at once.

    .venv/bin/python -m bench.bench_browser [--recipes mlp_128 cnn_quick:1] [--examples 10000]
                                           [--contexts 10] [--concurrent-recipe mlp_128:2]

Starts ``streamlit run app.py`` exactly as ``make run`` does (only the port differs), then:

1. **The same recipe both ways**: each recipe (``arch`` at its defaults, or ``arch:epochs``) on ``--examples``
   training images, once on the server (the same ``TrainingJob`` a server run uses, in this process) and once in
   headless Chromium through the Train page's "In this browser" (TensorFlow.js; the backend the page measured
   fastest). Both test accuracies are the server's own evaluation of the saved model on the 10,000 test images.
2. **A class at once**: ``--contexts`` browser contexts (one Chromium, separate cookies: separate learners)
   press Start together on ``--concurrent-recipe``; the server process's CPU seconds over the whole window
   against the machine's (from /proc), and whether every run was saved.

Writes bench/results/browser.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from bench.bench_classroom import cpu_seconds  # noqa: E402
from core import data  # noqa: E402
from core.models import store, zoo  # noqa: E402
from core.training import jobs  # noqa: E402
from harness.chromium import CHROMIUM, CHROMIUM_ARGS, wait_for_app  # noqa: E402
from harness.serve import StreamlitServer  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "browser.md"
IN_THIS_BROWSER = "💻 In this browser"


def machine_busy_seconds() -> float:
    """CPU seconds every core has spent busy since boot (/proc/stat: all but idle and iowait)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def recipe(text: str, examples: int) -> tuple[zoo.ModelSpec, zoo.Hyperparameters]:
    key, _, epochs = text.partition(":")
    spec = zoo.get_spec(key)
    return spec, zoo.with_overrides(spec, subset=examples, **({"epochs": int(epochs)} if epochs else {}))


def train_url(server: StreamlitServer, spec: zoo.ModelSpec, hp: zoo.Hyperparameters, name: str) -> str:
    return (
        f"{server.url}/train?arch={quote(spec.name)}&examples={hp.subset}&epochs={hp.epochs}"
        f"&name={name}&where={quote(IN_THIS_BROWSER)}"
    )


def start_in_browser(page, url: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    wait_for_app(page)
    expect(page.get_by_role("radio", name="In this browser")).to_be_checked()
    page.get_by_role("button", name="Start training").click()


def wait_saved(page, hours: float = 2.0) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_text("Trained in your browser, evaluated on this server")).to_be_visible(
        timeout=hours * 3_600_000
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipes", nargs="*", default=["mlp_128", "cnn_quick:1"])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--contexts", type=int, default=10)
    parser.add_argument("--concurrent-recipe", default="mlp_128:2")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the table goes")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    dataset = data.load()
    runs = Path(tempfile.mkdtemp(prefix="fms-bench-browser-"))
    server = StreamlitServer(env={store.ENV_RUNS_DIR: str(runs)}, log_name="bench-browser")
    rows, class_rows = [], []
    try:
        server.wait_healthy()
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for text in args.recipes:
                spec, hp = recipe(text, args.examples)
                here = jobs.TrainingJob(spec, hp, f"server-{spec.key}", root=runs).run(dataset)
                server_meta = store.find(here.model_id, [runs]).meta
                page = chromium.new_context().new_page()
                started = time.perf_counter()
                start_in_browser(page, train_url(server, spec, hp, f"browser-{spec.key}"))
                wait_saved(page)
                start_to_result = time.perf_counter() - started
                browser_meta = store.find(f"browser-{spec.key}", [runs]).meta
                page.context.close()
                rows.append((spec, hp, server_meta, browser_meta, start_to_result))
                print(rows[-1][2].test_accuracy, rows[-1][3].test_accuracy, rows[-1][3].where, flush=True)

            spec, hp = recipe(args.concurrent_recipe, args.examples)
            pages = [chromium.new_context().new_page() for _ in range(args.contexts)]
            for index, page in enumerate(pages):
                page.goto(train_url(server, spec, hp, f"class-{index:02d}"))
            for page in pages:
                wait_for_app(page)
            server_before, machine_before, started = (
                cpu_seconds(server.process.pid),
                machine_busy_seconds(),
                time.perf_counter(),
            )
            for page in pages:
                page.get_by_role("button", name="Start training").click()
            for page in pages:
                wait_saved(page)
            wall = time.perf_counter() - started
            server_cpu = cpu_seconds(server.process.pid) - server_before
            machine_cpu = machine_busy_seconds() - machine_before
            saved = [store.find(f"class-{index:02d}", [runs]) for index in range(args.contexts)]
            class_rows = [(wall, server_cpu, machine_cpu, saved)]
            chromium.close()
    finally:
        server.stop()
    write(args, rows, class_rows)
    return 0


def write(args, rows, class_rows) -> None:
    lines = [
        "# Training in the browser against the server",
        "",
        f"`.venv/bin/python -m bench.bench_browser --recipes {' '.join(args.recipes)} --examples {args.examples}"
        f" --contexts {args.contexts} --concurrent-recipe {args.concurrent_recipe}`,"
        f" {time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs,"
        " headless Debian Chromium (no GPU: its WebGL is a software GPU).",
        "",
        "Both accuracies are the server's evaluation of the saved model on the 10,000 test images.",
        "",
        "| recipe | examples | epochs | server: test accuracy | server: training | browser: test accuracy |"
        " browser: training | browser: Start to result | difference | browser backend |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for spec, hp, server_meta, browser_meta, start_to_result in rows:
        lines.append(
            f"| {spec.name} | {hp.subset:,} | {hp.epochs} | {server_meta.test_accuracy:.2%} |"
            f" {server_meta.train_seconds:.1f} s | {browser_meta.test_accuracy:.2%} | {browser_meta.train_seconds:.1f} s |"
            f" {start_to_result:.1f} s | {100 * (browser_meta.test_accuracy - server_meta.test_accuracy):+.2f} points |"
            f" {browser_meta.where} |"
        )
    for wall, server_cpu, machine_cpu, saved in class_rows:
        ok = [artifact for artifact in saved if artifact.ok]
        accuracies = sorted(artifact.meta.test_accuracy for artifact in ok)
        lines += [
            "",
            f"## {args.contexts} browsers at once ({args.concurrent_recipe}, {args.examples:,} examples)",
            "",
            f"- runs saved: **{len(ok)} of {len(saved)}**, test accuracy {accuracies[0]:.2%} to {accuracies[-1]:.2%}"
            if ok
            else f"- runs saved: **0 of {len(saved)}**",
            f"- wall time from the first Start to the last saved run: {wall:.1f} s",
            f"- the server process's CPU: **{server_cpu:.1f} CPU-s** ({server_cpu / wall:.2f} of a core on average);"
            f" the whole machine's: {machine_cpu:.1f} CPU-s, so {1 - server_cpu / machine_cpu:.0%} of the compute was"
            " the browsers' (here on the same 2-core machine: on a class's laptops each is its own).",
        ]
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
