"""Beat the model: games chosen from the shipped models' cached test probabilities, and scored."""

import numpy as np
import pytest

from core.understand import game


@pytest.fixture(scope="module")
def shipped() -> dict[str, np.ndarray]:
    found = game.shipped_probabilities()
    assert len(found) >= 2, "the shipped models' test_probabilities.npy are part of the repository"
    return found


def test_the_same_seed_gives_the_same_game_and_another_seed_another(shipped, dataset):
    first = game.make_game(1234, shipped, dataset.y_test)
    assert first == game.make_game(1234, shipped, dataset.y_test)
    assert first.indices != game.make_game(1235, shipped, dataset.y_test).indices
    assert len(first) == game.GAME_SIZE == len(set(first.indices))


def test_a_game_mixes_easy_and_hard_shuffled(shipped, dataset):
    easy, hard = game.pools(shipped, dataset.y_test)
    stack = np.stack(list(shipped.values()))
    predicted = stack.argmax(axis=2)
    for seed in range(5):
        played = game.make_game(seed, shipped, dataset.y_test)
        assert played.difficulty.count(game.EASY) == played.difficulty.count(game.HARD) == game.GAME_SIZE // 2
        for index, difficulty in zip(played.indices, played.difficulty, strict=True):
            right = predicted[:, index] == dataset.y_test[index]
            if difficulty == game.EASY:
                assert index in easy and right.all()
                assert stack[:, index, dataset.y_test[index]].min() >= game.EASY_CONFIDENCE
            else:
                assert index in hard
                unsure = stack[:, index].max(axis=1).min() < game.HARD_CONFIDENCE
                assert unsure or len(set(predicted[:, index])) > 1
        # shuffled: never all the hard ones first and then the easy ones (or the other way round)
        halves = {played.difficulty[: game.GAME_SIZE // 2], played.difficulty[game.GAME_SIZE // 2 :]}
        assert halves != {(game.EASY,) * (game.GAME_SIZE // 2), (game.HARD,) * (game.GAME_SIZE // 2)}


def test_a_shared_wrong_answer_is_never_a_question(shipped, dataset):
    """An image every model calls the same wrong class is most likely mislabelled: it is kept out."""
    _, hard = game.pools(shipped, dataset.y_test)
    predicted = np.stack(list(shipped.values())).argmax(axis=2)[:, hard]
    assert not ((predicted == predicted[0]).all(axis=0) & (predicted[0] != dataset.y_test[hard])).any()


def test_only_test_images_are_used(shipped, dataset):
    played = game.make_game(99, shipped, dataset.y_test)
    assert all(0 <= index < len(dataset.y_test) for index in played.indices)
    train_rows = {image.tobytes() for image in dataset.x_train}
    # Fashion-MNIST's test images do not repeat in the training set; a game shows test images only.
    assert not any(dataset.x_test[index].tobytes() in train_rows for index in played.indices)


def test_never_fewer_than_twenty_even_without_models(shipped, dataset):
    alone = game.make_game(5, {}, dataset.y_test)
    assert len(set(alone.indices)) == game.GAME_SIZE and set(alone.difficulty) == {game.ANY}
    one_model = {name: shipped[name] for name in list(shipped)[:1]}
    assert len(set(game.make_game(5, one_model, dataset.y_test).indices)) == game.GAME_SIZE


def test_scoring_counts_known_answers():
    truth = [0, 1, 2, 3, 4]
    assert game.score("You", "you", truth, truth).correct == 5
    mixed = game.score("You", "you", [0, 9, 2, 9, 9], truth)
    assert (mixed.correct, mixed.wrong, mixed.accuracy) == (2, (1, 3, 4), 0.4)


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([0, 1, 2, 3], "4 answers for 5 images"),
        ([0, 1, None, 3, 4], "one of the 10 classes"),
        ([0, 1, 2, 3, 10], "one of the 10 classes"),
    ],
)
def test_missing_or_impossible_answers_are_refused(answers, message):
    with pytest.raises(ValueError, match=message):
        game.score("You", "you", answers, [0, 1, 2, 3, 4])


def test_every_models_score_equals_a_recount(shipped, dataset):
    played = game.make_game(7, shipped, dataset.y_test)
    truth = dataset.y_test[list(played.indices)]
    board = game.scoreboard(played, list(truth), dataset.y_test, shipped)
    by_player = {item.player: item for item in board}
    assert by_player["You"].correct == game.GAME_SIZE and by_player["You"].wrong == ()
    for model_id, probabilities in shipped.items():
        recount = [
            position
            for position, index in enumerate(played.indices)
            if int(np.argmax(probabilities[index])) != int(dataset.y_test[index])
        ]
        assert by_player[model_id].wrong == tuple(recount)
        assert by_player[model_id].correct == game.GAME_SIZE - len(recount)
    people = by_player["People (published)"]
    assert people.accuracy == pytest.approx(game.HUMAN_ACCURACY)
    assert [item.correct for item in board] == sorted((item.correct for item in board), reverse=True)


def test_seeds_from_the_url_are_checked():
    assert game.check_seed(" 42 ") == 42
    for bad in ("abc", "-1", str(game.MAX_SEED + 1), "", None):
        with pytest.raises(ValueError, match="game number|does not exist"):
            game.check_seed(bad)
