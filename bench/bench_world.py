"""Predict in the open world: pictures nobody here made (recipes/world_pictures/), per source, before and
after the garment check, through the very code the page and ``python -m core predict`` use.

    .venv/bin/python -m bench.bench_world [--fashion 2000]

Before: the image signs alone decide "not a garment" and the vote leads (the page until this round).
After: the shipped garment check decides (core.predict.garment_check) and the best measured shipped model
leads (inference.lead). For each source: garments whose lead answer is right, garments flagged by mistake,
non-garments flagged, clothing outside the ten kinds flagged; and Fashion-MNIST test images, saved as 28x28
PNG files and uploaded, flagged. The held-out sources are the report; the tuning ones are shown for
comparison only (the check learned from them). Writes bench/results/world.md.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from core import data  # noqa: E402
from core.models import store  # noqa: E402
from core.predict import garment_check, inference, preprocess  # noqa: E402
from core.understand import vote  # noqa: E402
from recipes import world_pictures  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "world.md"
NOTE = (
    "How the verdict was chosen: the check alone first; then, after a unit test (noise pictures of photo_set "
    "passed the check) and after seeing the first held-out run (scikit-image photos 47% flagged), the decisive "
    "signs (no object, noise, text or a pattern) were added, as the issue asks (only a two-tone background must "
    "no longer condemn). So the held-out figures are not blind to that one choice. "
    '"Text or a pattern" counts only when the check is not sure (score under 1/2): that was decided after seeing '
    "the Fashion-MNIST test figure (1.2% flagged without it), and checked on 2,000 training images "
    "50,000-59,999 saved as PNG, which the check never learned from: 22 flagged without it, 13 with it. "
    "No threshold was set on the held-out part. "
    "One preprocessing fix (2026-12-03) was found by looking at a held-out picture: Twemoji's briefcase, drawn "
    "edge to edge on a transparent canvas, lost its body because the background was fitted from a border that "
    "was mostly briefcase. Since then a cut-out's background is its transparent pixels (a unit test draws such "
    "a picture); it moved one held-out garment (lead right 20 → 21, flagged 14 → 13 of 31). "
    "On 2026-12-04 OpenMoji joined the tuning part, and the quick classroom CNN (91.42%) joined the vote, which "
    "moved the 'before' column. Later that day the check became a small head on the Studio CNN's own features "
    "(chosen by leaving one tuning source out: garment-check-search.md), and the Studio CNN's last layer was refit "
    "on the tuning drawings (lead-refit.md); both were chosen on the tuning part alone, before this benchmark ran. "
    "That check's first run flagged 26 of 2,000 Fashion-MNIST test PNGs (1.3%) although its threshold kept 99.5% "
    "of the validation images: it had been calibrated on the bare 28x28 arrays, and Predict re-frames an uploaded "
    "PNG (the validation images: 0.50% flagged as arrays, 0.83% as PNG files). Since then the threshold is "
    "calibrated on the validation images uploaded as PNG files, the one change the check was retrained with; the "
    "held-out figures of that first run were lead right 22 of 31, garments flagged 6 of 31, non-garments flagged "
    "192 of 221. "
    "On 2026-12-05 Phosphor and Tabler icons (npm) joined the tuning part, the Studio CNN's top (its dens"
    "e block and last layer) was refit instead of its last layer alone, and the check was retrained on th"
    "e refit model's features; the refit's recipe was chosen by leaving one tuning source out and by the "
    "Grad-CAM unit test on Fashion-MNIST (lead-refit.md, world-tried.md), never on this benchmark. Before"
    " that change the held-out figures were lead right 22 of 31, garments flagged 6 of 31, non-garments f"
    "lagged 184 of 221, Fashion-MNIST test PNGs flagged 19 of 2,000. "
    "On 2026-12-06 Fluent Emoji Flat and Game Icons (Iconify, npm) joined the tuning part; whether the "
    "check learns from them was decided by a rule written down before the run, on the older tuning "
    "sources' folds alone (garment-check-search.md: balanced error 32.0% without them, 30.7% with them). "
    "Then the check's recipe was compared again on the eight tuning folds by a rule written down before "
    "that run: 80 restyled copies of each tuning picture (40 before) was the one recipe to meet the "
    "targets there (left-out garments flagged 14 of 150, non-garments 744 of 898), and the check was "
    "retrained with it before this benchmark ran. Before these two changes the held-out figures were lead"
    " right 27 of 31, garments flagged 4 of 31, non-garments flagged 180 of 221, Fashion-MNIST test PNGs "
    "flagged 16 of 2,000; between them (eight sources, 40 copies) 27 of 31, 4 of 31, 189 of 221 and 14 of"
    " 2,000. "
    "What was tried and not kept: bench/results/world-tried.md."
)


class Judge:
    """One picture's file -> (old lead, new lead, flagged before, flagged after)."""

    def __init__(self) -> None:
        artifacts = [a for a in store.list_artifacts([store.SHIPPED_DIR]) if a.ok]
        self.predictor = inference.Predictor(
            [inference.NamedModel(a.model_id, a.meta.display_name, store.load_model(a)) for a in artifacts]
        )
        self.members = tuple(a.model_id for a in vote.members(artifacts))
        self.accuracies = inference.lead_accuracies(artifacts, self.predictor.model_ids)
        self.check = garment_check.GarmentCheck.load()
        if self.check is None:
            raise SystemExit("no shipped garment check: run python -m recipes.train_garment_check")

    def __call__(self, file: bytes) -> tuple[str, str, bool, bool]:
        prepared = preprocess.preprocess(file)
        predictions = self.predictor.predict(prepared.image, 3)
        voted = vote.prediction(predictions, self.members, 3)
        before = inference.garment_verdict(prepared, predictions)
        after = inference.garment_verdict(prepared, predictions, self.check)
        best = inference.lead(predictions, self.accuracies)
        return voted.best.class_name, best.best.class_name, not before.garment, not after.garment


def share(hits: int, total: int, digits: int = 0) -> str:
    return f"{hits} of {total} ({hits / total:.{digits}%})" if total else "—"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fashion", type=int, default=2000, help="Fashion-MNIST test images to upload")
    args = parser.parse_args()
    judge = Judge()
    world_pictures.fetch()
    counts: dict[tuple[str, str], defaultdict[str, int]] = {}
    started = time.perf_counter()
    pictures = world_pictures.pictures()
    for picture in pictures:
        row = counts.setdefault((picture.split, picture.source), defaultdict(int))
        old_lead, new_lead, flagged_before, flagged_after = judge(picture.data)
        row[picture.kind] += 1
        row[f"{picture.kind} flagged before"] += flagged_before
        row[f"{picture.kind} flagged after"] += flagged_after
        if picture.kind == "garment":
            row["right before"] += old_lead in picture.labels
            row["right after"] += new_lead in picture.labels
    per_picture = (time.perf_counter() - started) / len(pictures) * 1000

    dataset = data.load()
    chosen = np.random.default_rng(0).choice(len(dataset.x_test), args.fashion, replace=False)
    fashion_before = fashion_after = 0
    for index in chosen:
        file = io.BytesIO()
        Image.fromarray(dataset.x_test[index]).save(file, "PNG")
        _, _, before, after = judge(file.getvalue())
        fashion_before += before
        fashion_after += after

    def table(split: str) -> list[str]:
        lines = [
            "| source | garments: lead right, before → after | garments flagged, before → after | "
            "non-garments flagged, before → after | clothing outside the ten flagged, before → after |",
            "|---|---|---|---|---|",
        ]
        total: defaultdict[str, int] = defaultdict(int)
        for (part, source), row in counts.items():
            if part != split:
                continue
            for key, value in row.items():
                total[key] += value
            lines.append(line(source, row))
        lines.append(line("**all**", total))
        return lines

    def line(name: str, row: dict[str, int]) -> str:
        g, o, c = row.get("garment", 0), row.get("other", 0), row.get("clothing", 0)
        return (
            f"| {name} | {share(row.get('right before', 0), g)} → **{share(row.get('right after', 0), g)}** | "
            f"{share(row.get('garment flagged before', 0), g)} → **{share(row.get('garment flagged after', 0), g)}** | "
            f"{share(row.get('other flagged before', 0), o)} → **{share(row.get('other flagged after', 0), o)}** | "
            f"{share(row.get('clothing flagged before', 0), c)} → {share(row.get('clothing flagged after', 0), c)} |"
        )

    meta = judge.check.meta
    lead_id = max(judge.accuracies, key=judge.accuracies.get)
    text = "\n".join(
        [
            "# Predict in the open world: pictures nobody here made",
            "",
            "`.venv/bin/python -m bench.bench_world"
            + (f" --fashion {args.fashion}" if args.fashion != 2000 else "")
            + "` (recipes/world_pictures/ fetches the pictures; the check is made by "
            "`.venv/bin/python -m recipes.train_garment_check`).",
            "",
            f"Before: image signs alone, the vote ({', '.join(judge.members)}) leads. After: the garment check "
            f"(threshold {meta.threshold:.4f}, keeps {meta.validation_kept:.2%} of the Fashion-MNIST "
            f"training images {lead_id} held out for validation, each uploaded as a 28x28 PNG), the best "
            f"measured shipped model ({lead_id}, "
            f"{judge.accuracies[lead_id]:.2%} on the test set) leads. A garment is right when the lead answer is "
            "one of its accepted classes (a blouse may be T-shirt/top or Shirt; recipes/world_pictures/ lists them).",
            "",
            "## Held-out sources (never trained or tuned on: the report)",
            "",
            *table("held-out"),
            "",
            "## Tuning sources (the check may learn from these; for comparison only)",
            "",
            *table("tuning"),
            "",
            "## Fashion-MNIST test images, saved as 28x28 PNG files and uploaded",
            "",
            f"{args.fashion:,} test images (seed 0): flagged before {share(fashion_before, args.fashion, 1)}, "
            f"after **{share(fashion_after, args.fashion, 1)}**.",
            "",
            NOTE,
            "",
            f"{per_picture:.0f} ms a picture (decode, preprocess, {len(judge.predictor.models)} models, "
            f"both verdicts). {platform.processor() or platform.machine()}, {os.cpu_count()} cores.",
            "",
        ]
    )
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
