"""Outline drawings: Predict's answer for garments drawn as line art, before and after the "Outline filled" stage
(core.predict.outline), through the very code the page uses.

    .venv/bin/python -m bench.bench_outline [--fashion 2000]

Outline icon sets from npm (recipes/world_pictures/outline_sets.py; split by set before any fill rule was tried):
per set, garments whose lead answer (inference.lead, as the Predict page shows it) is right, garments the
garment check flags as not a garment, and the set's non-garments flagged. Before is the pipeline without the
stage, after is with it. Then what the stage must leave alone: Fashion-MNIST test images uploaded as 28x28 PNG
files and as photos (preprocess.render_as_photo), and every picture of the world catalogue (bench_world's):
how many 28x28 inputs changed at all, and their flags before and after. Writes bench/results/outline.md.
"""

from __future__ import annotations

import argparse
import io
import os
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from bench.bench_world import Judge, share  # noqa: E402
from core import data  # noqa: E402
from core.predict import inference, preprocess  # noqa: E402
from recipes import world_pictures  # noqa: E402
from recipes.world_pictures.outline_sets import OUTLINE_SOURCES  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "outline.md"


@contextmanager
def without_fill() -> Iterator[None]:
    """The pipeline as it was before: STAGES without the outline stage."""
    kept = preprocess.STAGES
    preprocess.STAGES = tuple(stage for stage in kept if stage.run is not preprocess.fill_outline)
    try:
        yield
    finally:
        preprocess.STAGES = kept


class Page:
    """One file -> (the 28x28 input, the lead answer, flagged as not a garment), as the Predict page decides."""

    def __init__(self) -> None:
        self.judge = Judge()

    def __call__(self, file: bytes) -> tuple[np.ndarray, str, bool]:
        prepared = preprocess.preprocess(file)
        predictions = self.judge.predictor.predict(prepared.image, 3)
        verdict = inference.garment_verdict(prepared, predictions, self.judge.check)
        lead = inference.lead(predictions, self.judge.accuracies)
        return prepared.image, lead.best.class_name, not verdict.garment

    def both(self, file: bytes) -> tuple[tuple[np.ndarray, str, bool], tuple[np.ndarray, str, bool]]:
        with without_fill():
            before = self(file)
        return before, self(file)


def outline_rows(page: Page) -> dict[str, list[str]]:
    """Per outline set: garments right, garments flagged, non-garments flagged, before → after; by split."""
    lines: dict[str, list[str]] = defaultdict(list)
    totals: dict[str, Counter[str]] = defaultdict(Counter)
    for source in OUTLINE_SOURCES:
        row: Counter[str] = Counter()
        for picture in source.load():
            (_, lead_b, flag_b), (_, lead_a, flag_a) = page.both(picture.data)
            kind = "garment" if picture.kind == "garment" else "other"
            row[kind] += 1
            row[f"{kind} flagged before"] += flag_b
            row[f"{kind} flagged after"] += flag_a
            if kind == "garment":
                row["right before"] += lead_b in picture.labels
                row["right after"] += lead_a in picture.labels
                if lead_b not in picture.labels or lead_a not in picture.labels:
                    lines[f"misses {source.split}"].append(
                        f"{source.name}: {picture.name} ({'/'.join(picture.labels)}): {lead_b} → {lead_a}"
                        + (" (flagged)" if flag_a else "")
                    )
        totals[source.split].update(row)
        lines[source.split].append(_line(source.name, row))
    for split, total in totals.items():
        lines[split].append(_line("**all**", total))
    return lines


def _line(name: str, row: Counter[str]) -> str:
    g, o = row["garment"], row["other"]
    return (
        f"| {name} | {share(row['right before'], g)} → **{share(row['right after'], g)}** | "
        f"{share(row['garment flagged before'], g)} → **{share(row['garment flagged after'], g)}** | "
        f"{share(row['other flagged before'], o)} → **{share(row['other flagged after'], o)}** |"
    )


def untouched_rows(page: Page, fashion: int) -> list[str]:
    """What the stage must leave alone: changed inputs and flags, before → after."""
    dataset = data.load()
    chosen = np.random.default_rng(0).choice(len(dataset.x_test), fashion, replace=False)
    groups: dict[str, list[bytes]] = defaultdict(list)
    for index in chosen:
        file = io.BytesIO()
        Image.fromarray(dataset.x_test[index]).save(file, "PNG")
        groups["Fashion-MNIST test, 28x28 PNG"].append(file.getvalue())
    for index in chosen[: fashion // 4]:
        groups["Fashion-MNIST test, as photos (render_as_photo)"].append(
            preprocess.render_as_photo(dataset.x_test[index])
        )
    for picture in world_pictures.pictures():
        groups[f"world catalogue {picture.split}: {picture.source}"].append(picture.data)
    lines = ["| pictures | 28x28 input changed | flagged before → after |", "|---|---|---|"]
    for name, files in groups.items():
        changed = flagged_b = flagged_a = 0
        for file in files:
            (image_b, _, flag_b), (image_a, _, flag_a) = page.both(file)
            changed += not np.array_equal(image_b, image_a)
            flagged_b += flag_b
            flagged_a += flag_a
        n = len(files)
        lines.append(f"| {name} | {share(changed, n, 1)} | {share(flagged_b, n, 1)} → {share(flagged_a, n, 1)} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fashion", type=int, default=2000, help="Fashion-MNIST test images to upload")
    args = parser.parse_args()
    page = Page()
    started = time.perf_counter()
    outlines = outline_rows(page)
    untouched = untouched_rows(page, args.fashion)
    header = [
        "| set | garments: lead right, before → after | garments flagged, before → after | "
        "non-garments flagged, before → after |",
        "|---|---|---|---|",
    ]
    text = "\n".join(
        [
            "# Outline drawings: the inside filled before the 28x28",
            "",
            "`.venv/bin/python -m bench.bench_outline"
            + (f" --fashion {args.fashion}" if args.fashion != 2000 else "")
            + "` (recipes/world_pictures/outline_sets.py fetches the sets from npm).",
            "",
            "Before: Predict's pipeline without the *Outline filled* stage; after: with it (core/predict/outline.py). "
            "The lead answer and the garment check as the Predict page shows them. A garment is right when the lead "
            "answer is one of its accepted classes (outline_sets.py lists them).",
            "",
            "## Held-out outline sets (never tuned on: the report)",
            "",
            *header,
            *outlines["held-out"],
            "",
            "## Tuning outline sets (the line-art test was chosen on these)",
            "",
            *header,
            *outlines["tuning"],
            "",
            "## What must be left alone",
            "",
            *untouched,
            "",
            "## Garments not right before or after",
            "",
            *[f"- {line}" for line in outlines["misses held-out"] + outlines["misses tuning"]],
            "",
            f"{time.perf_counter() - started:.0f} s in all.",
            "",
        ]
    )
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
