"""Photos as people take them: garments on real backgrounds (two tones, texture, gradient, cast shadow, rotated,
small and off-centre, held or worn), through the very code Predict uses, per part and per kind of background.

    .venv/bin/python -m bench.bench_real_photos [--per-scene 30] [--drawn 8] [--label after]

Garments: Fashion-MNIST **test** images (rendered back into shop photos, ``core.predict.photo_set``) and
drawn garments nobody here made (emoji and filled icons, recipes/world_pictures, fetched at run time),
composited by ``photo_set.scene_photo`` onto backgrounds made from scikit-image's sample textures and
generated surfaces. Two parts, never mixed: *tuning* (textures brick and grass, the tuning world sources,
seed 11) is the one looked at while building; *held-out* (textures gravel and moon, the held-out world
sources Twemoji and Material Design Icons, other test images, seed 23) is the report.

A garment is right when the lead answer (``inference.lead``: the best measured shipped model, as the page
shows it) is one of its accepted classes; flagged when the shipped garment check says "not a garment".
Writes bench/results/photos-real-<label>.md.
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

from bench.bench_world import Judge  # noqa: E402
from core import data  # noqa: E402
from core.predict import photo_set, preprocess  # noqa: E402
from recipes import world_pictures  # noqa: E402

RESULTS = Path(__file__).parent / "results"
PARTS = {"tuning": 11, "held-out": 23}  # the part's seed


def drawn_garments(split: str) -> list[tuple[str, bytes, tuple[str, ...]]]:
    """(name, file, accepted answers) of the part's drawn garments: emoji and filled icons (outline drawings are
    another benchmark's)."""
    return [
        (f"{p.source}: {p.name}", p.data, p.labels)
        for p in world_pictures.pictures(split)
        if p.kind == "garment" and "outline" not in p.name
    ]


def photos(part: str, per_scene: int, drawn: int, dataset: data.FashionMNIST):
    """(scene, source, file, accepted answers) for every photo of the part."""
    seed = PARTS[part]
    rng = np.random.default_rng(seed)
    # The two parts draw their test images from disjoint halves of the test set.
    half = np.arange(len(dataset.x_test))[(0 if part == "tuning" else 1) :: 2]
    pool = drawn_garments(part)
    for scene in photo_set.SCENES:
        for index in rng.choice(half, per_scene, replace=False):
            layer = photo_set.fashion_layer(dataset.x_test[index], rng)
            label = (data.CLASS_NAMES[int(dataset.y_test[index])],)
            yield scene, "Fashion-MNIST test", photo_set.scene_photo(layer, scene, rng, photo_set.TEXTURES[part]), label
        for position in rng.choice(len(pool), min(drawn, len(pool)), replace=False):
            name, file, labels = pool[position]
            layer = photo_set.picture_layer(Image.open(io.BytesIO(file)), rng)
            yield scene, "drawn", photo_set.scene_photo(layer, scene, rng, photo_set.TEXTURES[part]), labels


def share(hits: int, total: int) -> str:
    return f"{hits} of {total} ({hits / total:.0%})" if total else "—"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-scene", type=int, default=30, help="Fashion-MNIST test garments per scene")
    parser.add_argument("--drawn", type=int, default=8, help="drawn garments per scene")
    parser.add_argument("--label", default="after")
    parser.add_argument("--samples", type=Path, help="save every photo here (to look at)")
    args = parser.parse_args()
    judge, dataset = Judge(), data.load()
    counts: dict[tuple[str, str, str], defaultdict[str, int]] = {}
    started, total = time.perf_counter(), 0
    for part in PARTS:
        for number, (scene, source, file, labels) in enumerate(photos(part, args.per_scene, args.drawn, dataset)):
            row = counts.setdefault((part, scene, source), defaultdict(int))
            _, lead, _, flagged = judge(file)
            advice = preprocess.preprocess(file).crop_advice is not None
            row["n"] += 1
            row["right"] += lead in labels
            row["flagged"] += flagged
            row["advice"] += advice
            total += 1
            if args.samples:
                args.samples.mkdir(parents=True, exist_ok=True)
                name = f"{part}-{number:03d}-{scene.replace(' ', '_').replace(',', '')}-{lead in labels}.jpg"
                (args.samples / name).write_bytes(file)
    per_photo = (time.perf_counter() - started) / max(total, 1) * 1000
    write(args, counts, per_photo)


def table(counts: dict, part: str) -> list[str]:
    lines = [
        "| kind of photo | lead right: test garments | lead right: drawn | **lead right: all** | flagged | "
        "crop advised |",
        "|---|---|---|---|---|---|",
    ]
    total: defaultdict[str, int] = defaultdict(int)
    for scene in photo_set.SCENES:
        rows = {source: counts.get((part, scene, source), {}) for source in ("Fashion-MNIST test", "drawn")}
        merged = {key: sum(r.get(key, 0) for r in rows.values()) for key in ("n", "right", "flagged", "advice")}
        for key, value in merged.items():
            total[key] += value
        for source, r in rows.items():
            total[f"{source} right"] += r.get("right", 0)
            total[f"{source} n"] += r.get("n", 0)
        lines.append(line(scene, rows["Fashion-MNIST test"], rows["drawn"], merged))
    tests = {"right": total["Fashion-MNIST test right"], "n": total["Fashion-MNIST test n"]}
    drawn = {"right": total["drawn right"], "n": total["drawn n"]}
    lines.append(line("**all**", tests, drawn, total))
    return lines


def line(name: str, tests: dict, drawn: dict, merged: dict) -> str:
    return (
        f"| {name} | {share(tests.get('right', 0), tests.get('n', 0))} | "
        f"{share(drawn.get('right', 0), drawn.get('n', 0))} | **{share(merged['right'], merged['n'])}** | "
        f"{share(merged['flagged'], merged['n'])} | {share(merged['advice'], merged['n'])} |"
    )


def write(args: argparse.Namespace, counts: dict, per_photo: float) -> None:
    command = (
        f"`.venv/bin/python -m bench.bench_real_photos --per-scene {args.per_scene} --drawn {args.drawn} "
        f"--label {args.label}`"
    )
    text = "\n".join(
        [
            f"# Photos as people take them ({args.label})",
            "",
            f"Command: {command}. {platform.machine()}, {os.cpu_count()} CPU cores (shared), Python "
            f"{platform.python_version()}; {per_photo:.0f} ms a photo (generating, preprocessing twice, 11 models, "
            "the garment check).",
            "",
            (__doc__ or "").split("\n\n", 2)[2].strip(),
            "",
            "Targets on the held-out part: lead right >= 90% of garments, flagged <= 5%, no kind below 80%.",
            "",
            "## Held-out part (the report: never tuned on)",
            "",
            *table(counts, "held-out"),
            "",
            "## Tuning part (looked at while building)",
            "",
            *table(counts, "tuning"),
            "",
        ]
    )
    print(text)
    (RESULTS / f"photos-real-{args.label}.md").write_text(text)


if __name__ == "__main__":
    main()
