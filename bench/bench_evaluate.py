"""Evaluation speed: the first (cold) evaluation of a shipped model, the cached one, and the
Evaluate page's first visit and warm reruns (target: warm rerun under 1 s).

    .venv/bin/python -m bench.bench_evaluate [--models mlp_128 cnn_quick] [--reruns 5]

Shipped artifacts are never touched: each model is copied into a temporary folder with
its cached probabilities removed, so "cold" really computes the 10,000 predictions.
The page is driven by Streamlit's AppTest in this process (script time as the server
would spend it, no browser); every rerun draws the whole page: the confusion matrix,
report, 60-thumbnail misclassified gallery and the pair inspector with its saliency maps.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from core import data  # noqa: E402
from core.models import store  # noqa: E402
from core.understand import evaluation as ev  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "evaluate.md"
APP = Path(__file__).resolve().parent.parent / "studio.py"


def _uncached_copy(artifact: store.Artifact, root: Path) -> store.Artifact:
    target = root / artifact.model_id
    shutil.copytree(artifact.path, target)
    (target / store.PROBABILITIES_FILE).unlink(missing_ok=True)
    return store.read_artifact(target)


def core_timings(artifact: store.Artifact, dataset: data.FashionMNIST, root: Path) -> dict[str, float]:
    """Seconds for: load the model, predict + cache (cold), metrics, and a cached evaluation."""
    copy = _uncached_copy(artifact, root)
    started = time.perf_counter()
    model = store.load_model(copy)
    loaded = time.perf_counter()
    result = ev.evaluate(copy, dataset.x_test, dataset.y_test, load_model=lambda: model)
    predicted = time.perf_counter()
    _ = result.report, result.misclassified()  # confusion matrix, report, ranked mistakes
    finished = time.perf_counter()
    assert result.source == ev.COMPUTED, result.source
    started_warm = time.perf_counter()
    warm = ev.evaluate(copy, dataset.x_test, dataset.y_test, load_model=lambda: None)
    _ = warm.report, warm.misclassified()
    warm_seconds = time.perf_counter() - started_warm
    assert warm.source == ev.FROM_CACHE, warm.source
    return {
        "load": loaded - started,
        "predict": predicted - loaded,
        "metrics": finished - predicted,
        "cold": finished - started,
        "cached": warm_seconds,
        "accuracy": result.accuracy,
    }


def page_timings(artifact: store.Artifact, root: Path, reruns: int) -> tuple[float, list[float], list[float]]:
    """Seconds: first visit with nothing cached, [warm full reruns], [confusion-matrix section in each].

    A click on a cell reruns only the confusion-matrix fragment; its script time is
    measured inside the full reruns (AppTest always reruns the whole page).
    """
    from streamlit.testing.v1 import AppTest

    from ui import evaluate as page_glue
    from ui.shared import state

    section_times: list[float] = []
    section = page_glue.confusion_section

    def timed_section(*args, **kwargs):
        started = time.perf_counter()
        try:
            return section(*args, **kwargs)
        finally:
            section_times.append(time.perf_counter() - started)

    page_glue.confusion_section = timed_section

    copy = _uncached_copy(artifact, root)
    os.environ[store.ENV_RUNS_DIR] = str(root)
    at = AppTest.from_file(str(APP), default_timeout=600)
    at.session_state[state.SELECTED_MODEL] = copy.model_id
    at.run()
    started = time.perf_counter()
    at.switch_page("app_pages/evaluate.py").run()
    first = time.perf_counter() - started
    if at.exception or at.error:
        raise RuntimeError(f"the page failed: {[item.value for item in [*at.exception, *at.error]]}")
    warm = []
    section_times.clear()
    for _ in range(reruns):
        started = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - started)
    page_glue.confusion_section = section
    return first, warm, list(section_times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", help="shipped model ids (default: every shipped model)")
    parser.add_argument("--reruns", type=int, default=5)
    args = parser.parse_args()

    shipped = [artifact for artifact in store.list_artifacts([store.SHIPPED_DIR]) if artifact.ok]
    chosen = [artifact for artifact in shipped if not args.models or artifact.model_id in args.models]
    if not chosen:
        raise SystemExit("no shipped models to benchmark: run `make zoo` first")
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    dataset = data.load()
    load_seconds = time.perf_counter() - started

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        # The page must see only the uncached copies, so shipped models are hidden from it.
        store.SHIPPED_DIR = Path(folder) / "no-shipped-models"
        for artifact in chosen:
            core = core_timings(artifact, dataset, Path(folder) / "core" / artifact.model_id)
            first, warm, click = page_timings(artifact, Path(folder) / "page" / artifact.model_id, args.reruns)
            rows.append((artifact, core, first, warm, click))
            print(f"{artifact.model_id}: core {core}, page first {first:.2f} s, warm {warm}, click {click}", flush=True)

    lines = [
        "| model | params | load model | predict 10,000 + cache | metrics | **cold evaluation** "
        "| cached evaluation | page, first visit | **page, warm rerun** (median / max) | cell click (fragment) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for artifact, core, first, warm, click in rows:
        lines.append(
            f"| {artifact.model_id} | {artifact.meta.params:,} | {core['load']:.2f} s | {core['predict']:.2f} s "
            f"| {core['metrics'] * 1000:.0f} ms | **{core['cold']:.2f} s** | {core['cached'] * 1000:.0f} ms "
            f"| {first:.2f} s | **{statistics.median(warm):.2f} s** / {max(warm):.2f} s "
            f"| {statistics.median(click) * 1000:.0f} ms |"
        )
    table = "\n".join(lines)
    load_after = os.getloadavg()[0]
    print(table)
    print(f"load average (1 min): {load_before:.1f} before, {load_after:.1f} after", flush=True)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        "# Evaluation speed (target: warm page rerun under 1 s)\n\n"
        f"Command: `.venv/bin/python -m bench.bench_evaluate --reruns {args.reruns}`"
        f"{' --models ' + ' '.join(args.models) if args.models else ''} on {os.cpu_count()} CPU cores, "
        f"Python {platform.python_version()}. One-minute load average {load_before:.1f} before and "
        f"{load_after:.1f} after the run (anything above {os.cpu_count()} means other work shared the cores "
        "and inflated every number).\n\n"
        "- **cold evaluation**: load the shipped model, predict the 10,000 test images in batches of 1,000 "
        "(direct model calls), save `test_probabilities.npy` beside it, confusion matrix + report + ranked "
        "mistakes. Done once per model, ever.\n"
        "- **cached evaluation**: the same from `test_probabilities.npy` (what every later visit costs "
        "before Streamlit's own cache takes over).\n"
        "- **page, first visit**: the Evaluate page's script with nothing cached for that model (model "
        "load, predictions, saliency), TensorFlow already imported and the dataset already loaded "
        f"(loading it took {load_seconds:.2f} s here).\n"
        "- **page, warm rerun**: any later interaction, e.g. a click on a confusion-matrix cell: the "
        "whole page is redrawn from Streamlit's caches (AppTest round trip, no browser).\n"
        "- **cell click (fragment)**: a click on a confusion-matrix cell reruns only that section (an "
        "`st.fragment`): its script time, measured inside the warm reruns.\n\n"
        f"{table}\n"
    )


if __name__ == "__main__":
    main()
