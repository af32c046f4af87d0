"""Train the shipped "is it one of the ten kinds of clothing?" check (core.predict.garment_check).

    .venv/bin/python -m recipes.train_garment_check [--recipe '{"hidden": 256}'] [--seed 0]
    .venv/bin/python -m recipes.train_garment_check --leave-one-source-out '{}' '{"hidden": 256}'

Writes artifacts/garment_check.keras and artifacts/garment_check.json: a small head on the lead model's
frozen features (core.predict.garment_check.LEAD). What the head learns from:
- garments: Fashion-MNIST training images the lead model trained on, as they are, and the *tuning* part of
  the independent picture set (recipes/world_pictures/), preprocessed exactly as Predict does, restyled
  many times over (turned, mirrored, silhouettes, outlines);
- not garments: the tuning part's other pictures (and clothing outside the ten kinds), our generated
  pictures of no garment (core.predict.photo_set), and shapes and letters drawn here.
Never the held-out part of the picture set, never Fashion-MNIST's test images. The threshold keeps
RECIPE["keep"] (core.predict.garment_check.CALIBRATION_KEEP) of the validation images the lead model held
out, which neither it nor the head trained on, each uploaded as a 28x28 PNG file (as_uploaded): what
Predict shows the check.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import time
from collections.abc import Iterable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from core import data  # noqa: E402
from core.models import store, zoo  # noqa: E402
from core.predict import garment_check, photo_set, preprocess  # noqa: E402
from core.training import jobs  # noqa: E402
from recipes import world_pictures  # noqa: E402

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


def predict_inputs(files: Iterable[bytes]) -> np.ndarray:
    """Each file's 28x28 input, exactly as Predict makes it (0-255)."""
    return np.stack([np.round(preprocess.preprocess(file).image * 255).astype(np.uint8) for file in files])


def catalogue_inputs(pictures: list[world_pictures.Picture]) -> np.ndarray:
    return predict_inputs(p.data for p in pictures)


def as_uploaded(images: np.ndarray) -> np.ndarray:
    """Fashion-MNIST images (n, 28, 28) as Predict sees them when each is uploaded as a 28x28 PNG file: the
    preprocessing re-frames them, so a threshold set on the bare arrays lets fewer uploads through than it says."""

    def png(image: np.ndarray) -> bytes:
        file = io.BytesIO()
        Image.fromarray(image).save(file, "PNG")
        return file.getvalue()

    return predict_inputs(png(image) for image in images)


def repeat_restyled(images: np.ndarray, copies: int, rng: np.random.Generator) -> np.ndarray:
    return np.concatenate([images] + [garment_check.restyle(images, rng) for _ in range(copies)])


# The shipped check's recipe, chosen by leaving one tuning source out (bench/results/garment-check-search.md).
RECIPE = {
    "epochs": 4,
    "learning_rate": 1e-3,
    "hidden": 128,  # units of the head's one hidden layer
    "dropout": 0.3,
    "fashion": 20_000,  # Fashion-MNIST training images as they are (the lead model's own training part)
    "copies": 80,  # restyled copies of each tuning picture
    "generated_copies": 4,  # restyled copies of each generated picture of no garment (core.predict.photo_set)
    "without": [],  # tuning sources it does not learn from (to judge what a source adds)
    "keep": garment_check.CALIBRATION_KEEP,  # share of the validation images the threshold lets through
}


class Lead:
    """The lead model's features, and the Fashion-MNIST images it trained on and the ones it held out."""

    def __init__(self, dataset: data.FashionMNIST):
        artifact = store.find(garment_check.LEAD, [store.SHIPPED_DIR])
        self.features = garment_check.trunk(store.load_model(artifact))
        hp = zoo.Hyperparameters(**artifact.meta.hyperparameters)
        self.train_images, _, validation_images, _ = jobs.prepare_data(dataset, hp)
        self.validation_inputs = as_uploaded(validation_images)  # what the threshold is calibrated on


def training_set(
    tuning: list[world_pictures.Picture], lead: Lead, seed: int, recipe: dict
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    """Images (0-255), labels (1 = one of the ten kinds), the tuning source of each ("" for the rest) and a
    count of what they came from."""
    rng = np.random.default_rng(seed)
    tuning = [p for p in tuning if p.source not in recipe["without"]]
    copies = recipe["copies"]
    fashion = lead.train_images[rng.choice(len(lead.train_images), recipe["fashion"], replace=False)]
    world = catalogue_inputs(tuning)
    world = np.concatenate([garment_check.restyle(world, rng) for _ in range(copies)])
    generated = photo_set.not_garment_photos(per_kind=60, seed=seed + 100)
    generated_inputs = np.stack(
        [np.round(preprocess.preprocess(p.data).image * 255).astype(np.uint8) for p in generated]
    )
    others = np.concatenate(
        [
            repeat_restyled(generated_inputs, recipe["generated_copies"], rng),
            garment_check.restyle(drawn_shapes(4_000, rng), rng),
        ]
    )
    images = np.concatenate([fashion, world, others])
    is_garment = np.array([p.kind == "garment" for p in tuning] * copies)
    labels = np.concatenate([np.ones(len(fashion)), is_garment, np.zeros(len(others))]).astype(np.float32)
    origin = np.concatenate([[""] * len(fashion), [p.source for p in tuning] * copies, [""] * len(others)])
    garments = [p for p in tuning if p.kind == "garment"]
    rest = [p for p in tuning if p.kind != "garment"]
    sources = {
        f"Fashion-MNIST training images the {garment_check.LEAD} trained on (seed {seed})": len(fashion),
        **{
            f"tuning part: {source} (garments)": sum(p.source == source for p in garments)
            for source in sorted({p.source for p in garments})
        },
        **{
            f"tuning part: {source} (not garments)": sum(p.source == source for p in rest)
            for source in sorted({p.source for p in rest})
        },
        f"core.predict.photo_set pictures of no garment (seed {seed + 100})": len(generated),
        "shapes and letters drawn by recipes/train_garment_check.py": 4_000,
    }
    return images, labels, origin, sources


def fit(features: np.ndarray, labels: np.ndarray, recipe: dict, seed: int, lead: Lead) -> garment_check.GarmentCheck:
    """The check's head trained on (n, 2, k) features (both views of each image, as the check sees them), the
    check assembled on the lead's features, its threshold calibrated on the images the lead held out."""
    import keras

    keras.utils.set_random_seed(seed)
    model, head = garment_check.build_model(lead.features, recipe["hidden"], recipe["dropout"])
    x = features.reshape(-1, features.shape[-1])
    y = np.repeat(labels, 2)
    positives = float(y.sum())
    weight = np.where(y == 1, len(y) / (2 * positives), len(y) / (2 * (len(y) - positives)))
    head.compile(optimizer=keras.optimizers.Adam(recipe["learning_rate"]), loss="binary_crossentropy")
    head.fit(x, y, sample_weight=weight, epochs=recipe["epochs"], batch_size=256, verbose=2)
    check = garment_check.GarmentCheck(model, garment_check.CheckMeta(0.5, 0.0, {}, 0.0))
    calibration = check.scores(lead.validation_inputs)
    threshold = garment_check.calibrate(calibration, recipe["keep"])
    meta = garment_check.CheckMeta(round(threshold, 6), float((calibration >= threshold).mean()), {}, 0.0)
    return garment_check.GarmentCheck(model, meta)


def leave_one_source_out(recipes: list[str], seed: int) -> None:
    """Each recipe judged on each tuning source in turn, trained without it: how the check meets a style it
    never saw (the held-out part is never touched). Appends to bench/results/garment-check-search.md."""
    tuning = world_pictures.pictures("tuning")
    sources = sorted({p.source for p in tuning})
    lead = Lead(data.load())
    lines = [
        "| recipe | left out | garments flagged | non-garments flagged | clothing outside the ten flagged | time |",
        "|---|---|---|---|---|---|",
    ]
    for text in recipes:
        recipe = RECIPE | json.loads(text)
        images, labels, origin, _ = training_set(tuning, lead, seed, recipe)
        features = garment_check.features(lead.features, images)
        totals = np.zeros(6, int)
        for source in (s for s in sources if s not in recipe["without"]):
            started = time.perf_counter()
            kept = origin != source
            check = fit(features[kept], labels[kept], recipe, seed, lead)
            seconds = time.perf_counter() - started
            judged = [p for p in tuning if p.source == source]
            flagged = check.scores(catalogue_inputs(judged)) < check.meta.threshold
            counts = [
                value
                for kind in ("garment", "other", "clothing")
                for value in (
                    sum(f for f, p in zip(flagged, judged, strict=True) if p.kind == kind),
                    sum(p.kind == kind for p in judged),
                )
            ]
            totals += counts
            lines.append(
                f"| `{text}` | {source} | {counts[0]} of {counts[1]} | {counts[2]} of {counts[3]} | "
                f"{counts[4]} of {counts[5]} | {seconds:.0f} s |"
            )
            print(lines[-1], flush=True)
        lines.append(
            f"| `{text}` | **all** | {totals[0]} of {totals[1]} | {totals[2]} of {totals[3]} | "
            f"{totals[4]} of {totals[5]} | |"
        )
        print(lines[-1], flush=True)
    results = store.REPO_ROOT / "bench" / "results" / "garment-check-search.md"  # beside every other figure
    command = " ".join(f"'{recipe}'" for recipe in recipes)
    results.write_text(
        results.read_text() + f"\n## {time.strftime('%Y-%m-%d')}: `.venv/bin/python -m recipes.train_garment_check "
        f"--leave-one-source-out {command}` (seed {seed}), the head on the {garment_check.LEAD}'s features\n\n"
        + "\n".join(lines)
        + "\n"
    )


def recipe_text(text: str) -> str:
    """A recipe as typed: a JSON object whose keys are RECIPE's (else one line for argparse to print)."""
    try:
        changes = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not JSON ({error.msg})") from None
    if not isinstance(changes, dict) or set(changes) - set(RECIPE):
        raise argparse.ArgumentTypeError(f"{text!r}: a recipe is a JSON object with keys from {', '.join(RECIPE)}")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", type=recipe_text, default="{}", help="changes to RECIPE, as JSON")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--leave-one-source-out", type=recipe_text, nargs="+", metavar="RECIPE", help="compare recipes (JSON)"
    )
    args = parser.parse_args()
    world_pictures.fetch()
    if args.leave_one_source_out:
        leave_one_source_out(args.leave_one_source_out, args.seed)
        return
    started = time.perf_counter()
    recipe = RECIPE | json.loads(args.recipe)
    lead = Lead(data.load())
    images, labels, _, sources = training_set(world_pictures.pictures("tuning"), lead, args.seed, recipe)
    check = fit(garment_check.features(lead.features, images), labels, recipe, args.seed, lead)
    meta = garment_check.CheckMeta(
        check.meta.threshold,
        check.meta.validation_kept,
        sources,
        round(time.perf_counter() - started, 1),
        recipe | {"seed": args.seed, "features": f"{garment_check.LEAD}, last hidden layer (frozen)"},
    )
    check.model.save(garment_check.CHECK_PATH)
    meta.write()
    print(
        f"threshold {meta.threshold:.4f}, keeps {meta.validation_kept:.2%} of the validation images {garment_check.LEAD} held out"
    )


if __name__ == "__main__":
    main()
