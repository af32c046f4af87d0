"""The embedding map: which 2-D projection, and what it costs per model.

    .venv/bin/python -m bench.bench_embedding --compare   # UMAP vs openTSNE vs PCA on two models
    .venv/bin/python -m bench.bench_embedding             # (re)make artifacts/<id>/embedding.npz for every shipped model

Quality is the k-NN class agreement in the plane: the share of each test image's 10 nearest
neighbours in 2-D that have its true class (the same measure on the raw penultimate features
is the ceiling a projection can keep). The second form writes the shipped caches with the
default projection (core.understand.inspection.DEFAULT_PROJECTION) and times each model: feature
extraction (10,000 test images) and projection separately.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from core import data  # noqa: E402
from core.models import store  # noqa: E402
from core.understand import inspection as ins  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "embedding.md"
COMPARE_MODELS = ("mlp_128", "studio_cnn")


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def compare(dataset: data.FashionMNIST) -> list[str]:
    lines = [
        "## Which projection",
        "",
        f"Command: `.venv/bin/python -m bench.bench_embedding --compare`; 10,000 test images; "
        f"one-minute load average {_load()} at the start (2 cores: above 2 means the CPU was shared).",
        "",
        "| model | features | method | seconds | 10-NN class agreement in 2-D |",
        "|---|---|---|---|---|",
    ]
    for model_id in COMPARE_MODELS:
        parts = ins.anatomy(store.load_model(store.find(model_id)))
        vectors = ins.features(parts, dataset.x_test)
        ceiling = ins.neighbour_agreement(vectors, dataset.y_test)
        lines.append(f"| {model_id} | {vectors.shape[1]}-d | (none: the features themselves) | - | {ceiling:.3f} |")
        for method in ins.PROJECTIONS:
            started = time.perf_counter()
            points = ins.project(vectors, method)
            seconds = time.perf_counter() - started
            agreement = ins.neighbour_agreement(points, dataset.y_test)
            lines.append(f"| {model_id} | {vectors.shape[1]}-d | {method} | {seconds:.1f} | {agreement:.3f} |")
            print(lines[-1], flush=True)
    lines += ["", f"Load average at the end: {_load()}.", ""]
    return lines


def build_all(dataset: data.FashionMNIST) -> list[str]:
    lines = [
        "## Shipped embeddings",
        "",
        f"Command: `.venv/bin/python -m bench.bench_embedding` (`make embeddings`); projection "
        f"`{ins.DEFAULT_PROJECTION}` (seed {ins.EMBEDDING_SEED}); one-minute load average {_load()} at the start.",
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
    lines += ["", f"Load average at the end: {_load()}.", ""]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", action="store_true", help="compare projections instead of writing the caches")
    args = parser.parse_args()
    dataset = data.load()
    section = compare(dataset) if args.compare else build_all(dataset)
    header = f"# Embedding map\n\nPython {platform.python_version()}, {os.cpu_count()} CPU cores.\n\n"
    old = RESULTS.read_text() if RESULTS.exists() else header
    title = section[0]
    kept = [part for part in old.split("\n## ") if not ("## " + part).startswith(title) and part.strip()]
    body = kept[0] if kept else header.rstrip() + "\n"
    others = ["## " + part for part in kept[1:]]
    RESULTS.write_text("\n".join([body.rstrip() + "\n", *[other.rstrip() + "\n" for other in others], *section]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
