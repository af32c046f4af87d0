"""Beat the model: what a game costs the server, and how hard its two halves are for the shipped models.

    .venv/bin/python -m bench.bench_play [--games 200]

Times (median of repeats) reading every shipped model's cached test probabilities, choosing a game
(both pools from the probabilities, then the 20 images) and scoring it; then, over ``--games`` seeds,
the pool sizes and each model's mean score on the easy and the hard half. No model is loaded.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core import data
from core.understand import game

RESULTS = Path(__file__).parent / "results" / "play.md"


def median_ms(call: Callable[[], object], repeats: int) -> float:
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()

    labels = data.load().y_test
    probabilities = game.shipped_probabilities()
    played = game.make_game(1, probabilities, labels)
    truth = [int(labels[index]) for index in played.indices]
    load_ms = median_ms(game.shipped_probabilities, args.repeats)
    make_ms = median_ms(lambda: game.make_game(1, probabilities, labels), args.repeats)
    score_ms = median_ms(lambda: game.scoreboard(played, truth, labels, probabilities), args.repeats)
    easy, hard = game.pools(probabilities, labels)

    halves: dict[str, dict[str, list[float]]] = {name: {game.EASY: [], game.HARD: []} for name in probabilities}
    for seed in range(args.games):
        one = game.make_game(seed, probabilities, labels)
        for name, model_probabilities in probabilities.items():
            for half in (game.EASY, game.HARD):
                picked = [index for index, kind in zip(one.indices, one.difficulty, strict=True) if kind == half]
                right = np.mean(model_probabilities[picked].argmax(axis=1) == labels[picked])
                halves[name][half].append(float(right))

    lines = [
        "# Beat the model: cost of a game, and its two halves",
        "",
        f"`python -m bench.bench_play --games {args.games} --repeats {args.repeats}` on {platform.machine()}, "
        f"{platform.python_version()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPU cores, one-minute load "
        f"average {os.getloadavg()[0]:.1f} at the end (above the core count, other work shared the cores).",
        "",
        f"- {len(probabilities)} shipped models with cached test probabilities",
        f"- pools: {len(easy):,} easy test images, {len(hard):,} hard, of {len(labels):,}",
        f"- read every model's probabilities: {load_ms:.1f} ms (once per process: cached by the page)",
        f"- choose a game (both pools + 20 images): {make_ms:.1f} ms",
        f"- score a game for the learner and every model: {score_ms:.2f} ms",
        "",
        f"Each model's mean share right over {args.games} games (10 easy + 10 hard each):",
        "",
        "| model | easy half | hard half |",
        "|---|---|---|",
    ]
    for name, by_half in sorted(halves.items(), key=lambda item: -np.mean(item[1][game.HARD])):
        lines.append(f"| {name} | {np.mean(by_half[game.EASY]):.0%} | {np.mean(by_half[game.HARD]):.0%} |")
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
