"""Beat the model: a game of test images, chosen from a seed, scored against every shipped model and people.

The images come only from the test set, in two pools read off the shipped models' cached test
probabilities (no model is loaded, so a game starts at once):

* easy: every model is right, each with at least ``EASY_CONFIDENCE`` on the true class;
* hard: the models disagree, or at least one is unsure (top probability under ``HARD_CONFIDENCE``).

Images on which every model gives the same wrong answer are left out of the hard pool: many of
them are label mistakes in the test set, and a game should not mark a learner wrong for seeing
what is really there. A game is half easy, half hard, shuffled; the same seed gives the same game,
so a teacher can share one game with a class.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.models import store

GAME_SIZE = 20
EASY_CONFIDENCE = 0.9
HARD_CONFIDENCE = 0.6
MAX_SEED = 999_999  # seeds are short enough to read aloud to a class
# Human performance in the Fashion-MNIST benchmark (Xiao, Rasul & Vollgraf, zalandoresearch/fashion-mnist
# README, "Benchmark"): 83.5%, measured by crowd workers on Fashion-MNIST test images.
HUMAN_ACCURACY = 0.835
HUMAN_SOURCE = "published human performance, Fashion-MNIST benchmark (Xiao, Rasul & Vollgraf, 2017)"
EASY, HARD, ANY = "easy", "hard", "any"


@dataclass(frozen=True)
class Game:
    seed: int
    indices: tuple[int, ...]  # positions in the test set, in the order shown
    difficulty: tuple[str, ...]  # EASY, HARD or ANY (no models to judge by) for each image

    def __len__(self) -> int:
        return len(self.indices)


@dataclass(frozen=True)
class Score:
    """One player's result on a game: the learner, a model, or the published human accuracy."""

    player: str
    kind: str  # "you", "model" or "people"
    correct: float  # a count for the learner and models; the expected count for "people"
    total: int
    wrong: tuple[int, ...] = ()  # positions in the game (0-based) of the images this player got wrong
    answers: tuple[int, ...] = ()  # the class this player gave each image

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


def check_seed(text: str | int | None) -> int:
    """A game number from the URL or a form, or ValueError saying what a game number looks like."""
    try:
        seed = int(str(text).strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a game number: use a whole number from 0 to {MAX_SEED}.") from None
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"Game {seed} does not exist: use a whole number from 0 to {MAX_SEED}.")
    return seed


def new_seed(rng: np.random.Generator | None = None) -> int:
    return int((rng or np.random.default_rng()).integers(0, MAX_SEED + 1))


def shipped_probabilities(root: Path | None = None) -> dict[str, np.ndarray]:
    """The cached (10000, 10) test probabilities of every shipped model that has them, by model id."""
    found = {}
    for artifact in store.list_artifacts([root or store.SHIPPED_DIR]):
        probabilities = store.load_probabilities(artifact) if artifact.ok else None
        if probabilities is not None and probabilities.ndim == 2 and probabilities.shape[1] == 10:
            found[artifact.model_id] = probabilities
    return found


def pools(probabilities: Mapping[str, np.ndarray], labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(easy, hard) test-set indices, judged by the models' probabilities (see the module docstring)."""
    labels = np.asarray(labels)
    if not probabilities:
        return np.array([], dtype=int), np.array([], dtype=int)
    stack = np.stack([np.asarray(p) for p in probabilities.values()])  # (models, images, classes)
    if stack.shape[1] != len(labels):
        raise ValueError(f"The probabilities cover {stack.shape[1]} images; the test set has {len(labels)}.")
    predicted = stack.argmax(axis=2)
    all_right = (predicted == labels).all(axis=0)
    true_confidence = stack[:, np.arange(len(labels)), labels].min(axis=0)
    easy = all_right & (true_confidence >= EASY_CONFIDENCE)
    disagree = (predicted != predicted[0]).any(axis=0)
    unsure = (stack.max(axis=2) < HARD_CONFIDENCE).any(axis=0)
    same_wrong_answer = ~disagree & (predicted[0] != labels)  # likely a label mistake: left out
    hard = (disagree | unsure) & ~same_wrong_answer & ~easy
    return np.flatnonzero(easy), np.flatnonzero(hard)


def make_game(seed: int, probabilities: Mapping[str, np.ndarray], labels: np.ndarray, size: int = GAME_SIZE) -> Game:
    """``size`` test images for this seed: half easy, half hard, shuffled; never fewer than ``size``.

    When a pool is too small (few or no models to judge by), the rest come from the other pool, then from
    the whole test set.
    """
    if size < 1 or size > len(labels):
        raise ValueError(f"A game has between 1 and {len(labels)} images, not {size}.")
    rng = np.random.default_rng(seed)
    easy, hard = pools(probabilities, labels)
    take_hard = min(len(hard), size - size // 2)
    take_easy = min(len(easy), size - take_hard)
    chosen = [(int(i), HARD) for i in rng.choice(hard, take_hard, replace=False)]
    chosen += [(int(i), EASY) for i in rng.choice(easy, take_easy, replace=False)]
    if len(chosen) < size:
        used = {index for index, _ in chosen}
        rest = np.array([i for i in range(len(labels)) if i not in used])
        chosen += [(int(i), ANY) for i in rng.choice(rest, size - len(chosen), replace=False)]
    order = rng.permutation(len(chosen))
    return Game(seed, tuple(chosen[i][0] for i in order), tuple(chosen[i][1] for i in order))


def score(player: str, kind: str, answers: Sequence[int], truth: Sequence[int]) -> Score:
    """Count the answers that match the true labels; ValueError when answers are missing or not classes."""
    if len(answers) != len(truth):
        raise ValueError(f"{len(answers)} answers for {len(truth)} images: answer every image.")
    if any(answer is None or not 0 <= int(answer) < 10 for answer in answers):
        raise ValueError("Every answer must be one of the 10 classes.")
    wrong = tuple(position for position, (a, t) in enumerate(zip(answers, truth, strict=True)) if int(a) != int(t))
    return Score(player, kind, len(truth) - len(wrong), len(truth), wrong, tuple(int(a) for a in answers))


def scoreboard(
    game: Game,
    answers: Sequence[int],
    labels: np.ndarray,
    probabilities: Mapping[str, np.ndarray],
    player: str = "You",
) -> list[Score]:
    """The learner, every model (its top class from the cached probabilities) and people, best first."""
    truth = [int(labels[i]) for i in game.indices]
    scores = [score(player, "you", answers, truth)]
    picked = list(game.indices)
    for model_id, model_probabilities in probabilities.items():
        scores.append(score(model_id, "model", np.asarray(model_probabilities)[picked].argmax(axis=1), truth))
    scores.append(Score("People (published)", "people", HUMAN_ACCURACY * len(truth), len(truth)))
    return sorted(scores, key=lambda item: (-item.correct, item.kind != "you", item.player))
