"""Our photo test set (core.predict.photo_set) against every shipped model: accuracy on photos vs on the
same garments as 28x28 test images, and how often the "not a garment" check fires.

    .venv/bin/python -m bench.bench_photos [--photos 300] [--per-kind 10] [--seed 2]

Writes bench/results/photos.md. Garments are drawn from the test set only. The check's
thresholds (core.predict.novelty) were set on seed 5; use another seed here.
"""

from __future__ import annotations

import argparse
import os
import platform
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from core import data  # noqa: E402
from core.models import store  # noqa: E402
from core.predict import garment_check, inference, photo_set, preprocess  # noqa: E402

CHECK = garment_check.GarmentCheck.load()  # the shipped check, as the page uses it

RESULTS = Path(__file__).parent / "results" / "photos.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=300)
    parser.add_argument("--per-kind", type=int, default=10)
    parser.add_argument("--seed", type=int, default=2)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    dataset = data.load()
    shipped = [a for a in store.list_artifacts([store.SHIPPED_DIR]) if a.ok]
    predictor = inference.Predictor(
        [inference.NamedModel(a.model_id, a.meta.display_name, store.load_model(a)) for a in shipped]
    )
    chosen = np.random.default_rng(args.seed).choice(len(dataset.x_test), args.photos, replace=False)

    on_images = np.zeros(len(shipped), int)
    on_photos = np.zeros(len(shipped), int)
    for photo in photo_set.garment_photos(dataset.x_test, dataset.y_test, chosen, style="colour", seed=args.seed):
        original = predictor.probabilities(dataset.x_test[photo.test_index][None].astype(np.float32))
        prepared = preprocess.preprocess(photo.data)
        on_images += original.argmax(axis=1) == photo.label
        on_photos += predictor.probabilities(prepared.model_input()).argmax(axis=1) == photo.label
    rows = [
        f"| {named.display_name} | {a.meta.test_accuracy:.2%} | {images / args.photos:.1%} | "
        f"{photos / args.photos:.1%} | **{photos / max(images, 1):.0%}** |"
        for named, a, images, photos in zip(predictor.models, shipped, on_images, on_photos, strict=True)
    ]

    def flag_rate(photos: list[photo_set.Photo]) -> dict[str, tuple[int, int]]:
        counts: dict[str, tuple[int, int]] = {}
        for photo in photos:
            prepared = preprocess.preprocess(photo.data)
            doubted = bool(inference.garment_verdict(prepared, predictor.predict(prepared.image, 3), CHECK).lines)
            flagged, total = counts.get(photo.kind, (0, 0))
            counts[photo.kind] = (flagged + doubted, total + 1)
        return counts

    garments = flag_rate(
        photo_set.garment_photos(dataset.x_test, dataset.y_test, chosen, style="mixed", seed=args.seed + 1)
    )
    others = flag_rate(photo_set.not_garment_photos(args.per_kind, seed=args.seed))
    colour = flag_rate(photo_set.garment_photos(dataset.x_test, dataset.y_test, chosen, style="colour", seed=args.seed))

    def table(counts: dict[str, tuple[int, int]]) -> str:
        flagged = sum(f for f, _ in counts.values())
        total = sum(t for _, t in counts.values())
        lines = [f"| {kind} | {f} of {t} |" for kind, (f, t) in counts.items()]
        return "| kind | flagged |\n|---|---|\n" + "\n".join(lines) + f"\n| **all** | **{flagged} of {total}** |"

    command = (
        f"`.venv/bin/python -m bench.bench_photos --photos {args.photos} --per-kind {args.per_kind} --seed {args.seed}`"
    )
    text = (
        '# Photos: shipped models on our colour product photos, and the "not a garment" check\n\n'
        f"Command: {command}. Machine: {platform.machine()}, {os.cpu_count()} CPU cores (shared with other "
        f"work: load average {load_before:.1f} → {os.getloadavg()[0]:.1f}), Python {platform.python_version()}.\n\n"
        f"{args.photos} Fashion-MNIST **test** images (seed {args.seed}) rendered by `core.predict.photo_set` as colour product "
        "photos (tinted garment, pastel background with gradient and vignetting, soft shadow, rotation up to 12°, "
        "JPEG 60-92), preprocessed by `core.predict.preprocess` and classified; against the same garments as 28×28 images. "
        "Issue 16 asks that the best model keep at least 90% of its accuracy.\n\n"
        "| model | test accuracy (meta) | these 28×28 images | as colour photos | kept |\n|---|---|---|---|---|\n"
        + "\n".join(rows)
        + '\n\n## The "not a garment" check (`inference.garment_verdict`)\n\n'
        "Pictures of no garment (target: flagged at least 80%):\n\n"
        + table(others)
        + "\n\nGarment photos, every style (target: flagged at most 10%):\n\n"
        + table(garments)
        + "\n\nThe colour photos of the accuracy table:\n\n"
        + table(colour)
        + "\n"
    )
    print(text)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
