"""The embedding map beside every shipped model: artifacts/<id>/embedding.npz, each model timed.

    .venv/bin/python -m recipes.embeddings          # make embeddings (and the end of make zoo)

Each map is the model's penultimate features of the 10,000 test images projected to 2-D with the default
projection (core.understand.inspection.DEFAULT_PROJECTION, chosen by bench/bench_embedding.py), so a model
retrained or refit needs its map remade. Feature extraction and projection are timed separately, and the
table replaces the "Shipped embeddings" section of bench/results/embedding.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from core import data  # noqa: E402
from core.models import store  # noqa: E402
from core.understand import inspection as ins  # noqa: E402

RESULTS = store.REPO_ROOT / "bench" / "results" / "embedding.md"  # beside every other measured figure


def load_average() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def build_all(dataset: data.FashionMNIST) -> list[str]:
    """Write every shipped model's map; its section of embedding.md, as lines (the title first)."""
    lines = [
        "## Shipped embeddings",
        "",
        f"Command: `.venv/bin/python -m recipes.embeddings` (`make embeddings`); projection "
        f"`{ins.DEFAULT_PROJECTION}` (seed {ins.EMBEDDING_SEED}); one-minute load average {load_average()} at the "
        "start.",
        "Each writes `artifacts/<id>/embedding.npz` (10,000 x 2 float32 points, compressed).",
        "",
        "| model | load model | features | projection | total | 10-NN class agreement in 2-D | file |",
        "|---|---|---|---|---|---|---|",
    ]
    for artifact in store.list_artifacts([store.SHIPPED_DIR]):
        started = time.perf_counter()
        model = store.load_model(artifact)
        loaded = time.perf_counter()
        vectors = ins.features(ins.anatomy(model), dataset.x_test)
        featured = time.perf_counter()
        points = ins.project(vectors)
        projected = time.perf_counter()
        ins.save_embedding(artifact, points, ins.DEFAULT_PROJECTION)
        size = (artifact.path / ins.EMBEDDING_FILE).stat().st_size
        agreement = ins.neighbour_agreement(points, dataset.y_test)
        lines.append(
            f"| {artifact.model_id} | {loaded - started:.1f} s | {featured - loaded:.1f} s | "
            f"{projected - featured:.1f} s | **{projected - started:.1f} s** | {agreement:.3f} | {size / 1024:.0f} KB |"
        )
        print(lines[-1], flush=True)
    lines += ["", f"Load average at the end: {load_average()}.", ""]
    return lines


def write_section(section: list[str]) -> None:
    """Replace the section of embedding.md titled like ``section[0]`` (or add it), keeping the others."""
    header = f"# Embedding map\n\nPython {platform.python_version()}, {os.cpu_count()} CPU cores.\n\n"
    old = RESULTS.read_text() if RESULTS.exists() else header
    title = section[0]
    kept = [part for part in old.split("\n## ") if not ("## " + part).startswith(title) and part.strip()]
    body = kept[0] if kept else header.rstrip() + "\n"
    others = ["## " + part for part in kept[1:]]
    RESULTS.write_text("\n".join([body.rstrip() + "\n", *[other.rstrip() + "\n" for other in others], *section]))


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    write_section(build_all(data.load()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
