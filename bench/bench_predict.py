"""Server-side time from image bytes to top-k for every shipped model together (target: p50 < 20 ms).

    .venv/bin/python -m bench.bench_predict [--repeats 200] [--no-zoo]

Each timed call is what the Predict page does for one image: ``preprocess.preprocess(bytes)``
(decode, flatten, fit and remove the background, find the object, crop, square, resize), then
``Predictor.predict`` (one traced TensorFlow function running every model), then the "not a
garment" check (``inference.garment_verdict``). Inputs: a canvas drawing as the canvas sends
it, a shop photo, a 12-megapixel phone JPEG and a 28x28 PNG. For comparison it also times the
slow ways: ``model.predict`` per model and a direct ``model(x)`` per model. With ``--zoo`` (the
default) the same is measured for all eleven zoo architectures (untrained weights: the compute is
the same), an upper bound for a server with every model trained.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from core import data  # noqa: E402
from core.models import store, zoo  # noqa: E402
from core.predict import garment_check, inference, photo_set, preprocess  # noqa: E402

CHECK = garment_check.GarmentCheck.load()  # the shipped check, as the page uses it

RESULTS = Path(__file__).parent / "results" / "predict.md"


def percentiles(seconds: list[float]) -> tuple[float, float]:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


ROUNDS = 1  # --rounds: each figure is the round with the lowest p50 (other work shares this CPU)


def timed(call: Callable[[], object], repeats: int, warmup: int = 5) -> tuple[float, float]:
    for _ in range(warmup):
        call()
    best = (float("inf"), float("inf"))
    for _ in range(ROUNDS):
        seconds = []
        for _ in range(repeats):
            started = time.perf_counter()
            call()
            seconds.append(time.perf_counter() - started)
        best = min(best, percentiles(seconds))
    return best


def inputs(dataset: data.FashionMNIST) -> dict[str, bytes]:
    canvas = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
    ImageDraw.Draw(canvas).line(
        [(90, 40), (190, 40), (195, 250), (150, 250), (140, 110), (130, 250), (85, 250)], fill="white", width=22
    )
    buffer = io.BytesIO()
    canvas.save(buffer, "PNG")
    phone = Image.open(io.BytesIO(preprocess.render_as_photo(dataset.x_test[1], side=2600))).resize((4000, 3000))
    phone_buffer = io.BytesIO()
    phone.save(phone_buffer, "JPEG", quality=85)
    small = io.BytesIO()
    Image.fromarray(dataset.x_test[2]).save(small, "PNG")
    # A typical product photo up to 2 megapixels: a tinted garment on a pastel gradient with a
    # shadow (core.predict.photo_set), enlarged to 1632x1224 and saved as a phone would.
    rng = np.random.default_rng(0)
    rendered, _ = photo_set.render_garment(dataset.x_test[3], rng, "colour")
    product = Image.fromarray(np.clip(rendered, 0, 255).astype(np.uint8)).resize((1632, 1224), Image.Resampling.BICUBIC)
    product_buffer = io.BytesIO()
    product.save(product_buffer, "JPEG", quality=88)
    return {
        "colour product photo, 1632×1224 JPEG (2 MP)": product_buffer.getvalue(),
        "not a garment (a landscape), JPEG": photo_set.not_garment("landscape", rng),
        "canvas drawing, 280×280 RGBA PNG": buffer.getvalue(),
        "shop photo, 364×364 JPEG": preprocess.render_as_photo(dataset.x_test[0]),
        "phone photo, 4000×3000 JPEG (12 MP)": phone_buffer.getvalue(),
        "dataset image, 28×28 PNG": small.getvalue(),
        # Two background tones: cut out by segmentation (core.predict.segment), the slower path.
        "garment on paper on a table (segmented), JPEG": photo_set.scene_photo(
            photo_set.fashion_layer(dataset.x_test[4], rng), "paper on a table", rng, photo_set.TEXTURES["tuning"]
        ),
    }


def answer(predictor: inference.Predictor, payload: bytes) -> tuple[str, ...]:
    """What the page does for one upload: preprocess, every model's top-3, the "not a garment" check."""
    prepared = preprocess.preprocess(payload)
    return inference.garment_verdict(prepared, predictor.predict(prepared.image, 3), CHECK).lines


def measure(label: str, models: list[inference.NamedModel], images: dict[str, bytes], repeats: int) -> list[str]:
    started = time.perf_counter()
    predictor = inference.Predictor(models)
    build = time.perf_counter() - started
    rows = [f"| **{label}**: {len(models)} models, first call traced and warmed in {build:.2f} s | | |"]
    for name, payload in images.items():
        p50, p95 = timed(lambda payload=payload: answer(predictor, payload), repeats)
        rows.append(f"| bytes → top-3 + garment check, {name} | **{p50:.1f} ms** | {p95:.1f} ms |")
    prepared = preprocess.preprocess(images["canvas drawing, 280×280 RGBA PNG"])
    p50, p95 = timed(lambda: predictor.predict(prepared.image, 3), repeats)
    rows.append(f"| models only (one traced call for all {len(models)}) | {p50:.1f} ms | {p95:.1f} ms |")
    pixels = prepared.model_input()
    slow_repeats = max(5, repeats // 20)
    p50, p95 = timed(lambda: [m.model(pixels, training=False) for m in models], slow_repeats, warmup=2)
    rows.append(f"| for comparison: direct `model(x)` per model, summed | {p50:.1f} ms | {p95:.1f} ms |")
    p50, p95 = timed(lambda: [m.model.predict(pixels, verbose=0) for m in models], slow_repeats, warmup=2)
    rows.append(f"| for comparison: `model.predict(x)` per model, summed | {p50:.1f} ms | {p95:.1f} ms |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=1, help="report the round with the lowest p50 (busy machine)")
    parser.add_argument("--no-zoo", dest="zoo", action="store_false", help="skip the all-architectures run")
    args = parser.parse_args()
    global ROUNDS
    ROUNDS = max(1, args.rounds)
    load_before = os.getloadavg()[0]
    dataset = data.load()
    images = inputs(dataset)

    rows = []
    for name, payload in images.items():
        p50, p95 = timed(lambda payload=payload: preprocess.preprocess(payload), args.repeats)
        rows.append(f"| preprocessing only, {name} | {p50:.1f} ms | {p95:.1f} ms |")

    shipped = [a for a in store.list_artifacts([store.SHIPPED_DIR]) if a.ok]
    if shipped:
        models = [inference.NamedModel(a.model_id, a.meta.display_name, store.load_model(a)) for a in shipped]
        label = "shipped models (" + ", ".join(a.model_id for a in shipped) + ")"
        rows += measure(label, models, images, args.repeats)
    else:
        rows.append("| no shipped models in artifacts/ | | |")
    if args.zoo:
        models = [inference.NamedModel(key, spec.name, zoo.build(spec)) for key, spec in zoo.ZOO.items()]
        rows += measure("all zoo architectures (untrained)", models, images, args.repeats)

    import tensorflow as tf

    quietest = f"; each row is the quietest of {args.rounds} rounds" if args.rounds > 1 else ""
    table = "| what | p50 | p95 |\n|---|---|---|\n" + "\n".join(rows)
    print(table)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        "# Predict: image bytes to top-k (target: p50 under 20 ms for all shipped models)\n\n"
        f"Command: `.venv/bin/python -m bench.bench_predict --repeats {args.repeats}"
        f"{f' --rounds {args.rounds}' if args.rounds > 1 else ''}"
        f"{'' if args.zoo else ' --no-zoo'}`. "
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}, "
        f"TensorFlow {tf.__version__}; load average during the run {load_before:.1f} → {os.getloadavg()[0]:.1f} "
        f"(the machine is shared: p95 suffers first{quietest}). Server-side only: what the page's script spends "
        "between the "
        "uploaded (or drawn) bytes and the top-k of every model; no browser, no network.\n\n"
        "Why it is fast: all models run inside one `tf.function` traced once with a fixed input "
        "signature (`core.predict.inference.Predictor`), so the per-call overhead is paid once, not once "
        "per model, and `model.predict` (built for big batches) is never used. Big JPEGs are decoded "
        "at reduced scale (`Image.draft`) and every image is shrunk to at most "
        f"{preprocess.WORKING_SIDE} px before the pipeline runs; a 12-megapixel JPEG still costs its full "
        "entropy decoding, which dominates that row. The background model is a 6-term least-squares "
        "fit solved as a 6x6 system (numpy's SVD-based lstsq cost ~3 ms a call on this busy machine).\n\n"
        + table
        + "\n"
    )


if __name__ == "__main__":
    main()
