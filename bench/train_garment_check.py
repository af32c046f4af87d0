"""Train the shipped "is it one of the ten kinds of clothing?" check (core.predict.garment_check).

    .venv/bin/python -m bench.train_garment_check [--epochs 4] [--seed 0]

Writes artifacts/garment_check.keras and artifacts/garment_check.json. What it learns from:
- garments: Fashion-MNIST training images 0-49,999 as they are and restyled (turned, mirrored,
  silhouettes, outlines), and the *tuning* part of the independent picture set (bench/world_pictures.py),
  preprocessed exactly as Predict does, restyled many times over;
- not garments: the tuning part's other pictures (and clothing outside the ten kinds), our generated
  pictures of no garment (core.predict.photo_set), and shapes and letters drawn here.
Never the held-out part of the picture set, never Fashion-MNIST's test images. The threshold keeps
99.5% of training images 50,000-59,999, which it never trained on.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from bench import world_pictures  # noqa: E402
from core import data  # noqa: E402
from core.predict import garment_check, photo_set, preprocess  # noqa: E402

CALIBRATION = slice(50_000, 60_000)
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def drawn_shapes(count: int, rng: np.random.Generator) -> np.ndarray:
    """Shapes and letters that are no garment: discs, rings, stars, hearts, crescents, arrows, text, scribbles.
    (No plain rectangles: a Fashion-MNIST bag is one.)"""
    images = np.empty((count, 28, 28), np.uint8)
    letters = "ABCDEFGHJKLMNPQRSWXYZ0123456789&?@#%"
    font = ImageFont.truetype(FONT, 48) if os.path.exists(FONT) else None
    for index in range(count):
        canvas = Image.new("L", (64, 64), 0)
        draw = ImageDraw.Draw(canvas)
        kind = index % 8
        fill = int(rng.integers(120, 256))
        outline = rng.random() < 0.3
        if kind == 0:  # disc or ellipse
            box = [rng.integers(2, 20), rng.integers(2, 20), rng.integers(44, 62), rng.integers(44, 62)]
            draw.ellipse(box, outline=fill if outline else None, fill=None if outline else fill, width=4)
        elif kind == 1:  # ring
            draw.ellipse([6, 6, 58, 58], outline=fill, width=int(rng.integers(5, 14)))
        elif kind == 2:  # star
            points = int(rng.integers(4, 9))
            angles = np.linspace(0, 2 * np.pi, 2 * points, endpoint=False) + rng.uniform(0, np.pi)
            radii = np.where(np.arange(2 * points) % 2 == 0, 30, rng.uniform(8, 18))
            polygon = [(32 + r * np.cos(a), 32 + r * np.sin(a)) for r, a in zip(radii, angles, strict=True)]
            draw.polygon(polygon, fill=fill)
        elif kind == 3:  # heart
            draw.ellipse([6, 8, 34, 36], fill=fill)
            draw.ellipse([30, 8, 58, 36], fill=fill)
            draw.polygon([(8, 26), (56, 26), (32, 58)], fill=fill)
        elif kind == 4:  # crescent
            draw.ellipse([4, 4, 60, 60], fill=fill)
            shift = int(rng.integers(10, 24))
            draw.ellipse([4 + shift, 0, 60 + shift, 56], fill=0)
        elif kind == 5:  # arrow
            draw.polygon([(4, 26), (40, 26), (40, 12), (62, 32), (40, 52), (40, 38), (4, 38)], fill=fill)
        elif kind == 6 and font is not None:  # a letter, a digit or a sign
            draw.text((32, 32), str(rng.choice(list(letters))), fill=fill, font=font, anchor="mm")
        else:  # a scribble
            points = rng.uniform(4, 60, (int(rng.integers(4, 12)), 2))
            draw.line([tuple(p) for p in points], fill=fill, width=int(rng.integers(2, 7)))
        picture = np.asarray(canvas, np.float32)
        images[index] = garment_check.frame(picture)
    return images


def catalogue_inputs(pictures: list[world_pictures.Picture]) -> np.ndarray:
    """Each picture's 28x28 input, exactly as Predict makes it (0-255)."""
    return np.stack([np.round(preprocess.preprocess(p.data).image * 255).astype(np.uint8) for p in pictures])


def repeat_restyled(images: np.ndarray, copies: int, rng: np.random.Generator) -> np.ndarray:
    return np.concatenate([images] + [garment_check.restyle(images, rng) for _ in range(copies)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()

    dataset = data.load()
    fashion = dataset.x_train[:50_000]
    world_pictures.fetch()
    tuning = world_pictures.pictures("tuning")
    garments = [p for p in tuning if p.kind == "garment"]
    others = [p for p in tuning if p.kind != "garment"]
    world_garments = catalogue_inputs(garments)
    world_others = catalogue_inputs(others)
    generated = photo_set.not_garment_photos(per_kind=60, seed=args.seed + 100)
    generated_inputs = np.stack(
        [np.round(preprocess.preprocess(p.data).image * 255).astype(np.uint8) for p in generated]
    )
    shapes = drawn_shapes(4_000, rng)

    chosen = rng.choice(len(fashion), 24_000, replace=False)
    positives = np.concatenate(
        [
            fashion[chosen[:12_000]],
            garment_check.restyle(fashion[chosen[12_000:]], rng),
            repeat_restyled(world_garments, max(1, 6_000 // max(len(world_garments), 1)), rng),
        ]
    )
    negatives = np.concatenate(
        [
            repeat_restyled(world_others, max(1, 16_000 // max(len(world_others), 1)), rng),
            repeat_restyled(generated_inputs, 4, rng),
            garment_check.restyle(shapes, rng),
        ]
    )
    images = np.concatenate([positives, negatives]).astype(np.float32)
    labels = np.concatenate([np.ones(len(positives)), np.zeros(len(negatives))]).astype(np.float32)
    order = rng.permutation(len(images))
    images, labels = images[order], labels[order]
    print(f"{len(positives):,} garments, {len(negatives):,} others", flush=True)

    import keras

    keras.utils.set_random_seed(args.seed)
    model = garment_check.build_model()
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="binary_crossentropy", metrics=["accuracy"])
    weight = {0: len(images) / (2 * len(negatives)), 1: len(images) / (2 * len(positives))}
    model.fit(images, labels, epochs=args.epochs, batch_size=128, class_weight=weight, verbose=2)

    check = garment_check.GarmentCheck(model, garment_check.CheckMeta(0.5, 0.0, {}, 0.0))
    calibration = check.scores(dataset.x_train[CALIBRATION])
    threshold = garment_check.calibrate(calibration)
    meta = garment_check.CheckMeta(
        threshold=round(threshold, 6),
        validation_kept=float((calibration >= threshold).mean()),
        trained_on={
            "Fashion-MNIST training images 0-49,999 (as they are and restyled)": 24_000,
            **{
                f"tuning part: {source} (garments)": sum(p.source == source for p in garments)
                for source in sorted({p.source for p in garments})
            },
            **{
                f"tuning part: {source} (not garments)": sum(p.source == source for p in others)
                for source in sorted({p.source for p in others})
            },
            "core.predict.photo_set pictures of no garment (seed 100)": len(generated),
            "shapes and letters drawn by bench/train_garment_check.py": len(shapes),
        },
        seconds=round(time.perf_counter() - started, 1),
    )
    model.save(garment_check.CHECK_PATH)
    meta.write()
    print(f"threshold {meta.threshold:.4f}, keeps {meta.validation_kept:.2%} of training images 50,000-59,999")


if __name__ == "__main__":
    main()
