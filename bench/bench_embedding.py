"""The embedding map: which 2-D projection (UMAP, openTSNE or PCA), on two shipped models.

    .venv/bin/python -m bench.bench_embedding

Quality is the k-NN class agreement in the plane: the share of each test image's 10 nearest
neighbours in 2-D that have its true class (the same measure on the raw penultimate features
is the ceiling a projection can keep). The winner is core.understand.inspection.DEFAULT_PROJECTION;
the shipped maps made with it, and what each costs, are ``python -m recipes.embeddings``'s (make embeddings).
Replaces the "Which projection" section of bench/results/embedding.md.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from core import data  # noqa: E402
from core.models import store  # noqa: E402
from core.understand import inspection as ins  # noqa: E402
from recipes.embeddings import load_average, write_section  # noqa: E402

COMPARE_MODELS = ("mlp_128", "studio_cnn")


def compare(dataset: data.FashionMNIST) -> list[str]:
    lines = [
        "## Which projection",
        "",
        f"Command: `.venv/bin/python -m bench.bench_embedding`; 10,000 test images; "
        f"one-minute load average {load_average()} at the start (2 cores: above 2 means the CPU was shared).",
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
    lines += ["", f"Load average at the end: {load_average()}.", ""]
    return lines


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    write_section(compare(data.load()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
