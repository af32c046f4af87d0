"""The Beat-the-model page through AppTest: the whole app, the shipped models' cached probabilities, real data."""

import pytest
from streamlit.testing.v1 import AppTest

from core.data import CLASS_NAMES
from core.models import store
from core.understand import game
from tests.conftest import REPO_ROOT
from ui import play

SEED = 4242


@pytest.fixture(scope="module")
def played(dataset) -> game.Game:
    return game.make_game(SEED, game.shipped_probabilities(), dataset.y_test)


def open_game(app: AppTest, seed: int | str = SEED) -> AppTest:
    app.query_params[play.GAME_PARAM] = str(seed)
    app.switch_page("app_pages/play.py").run()
    assert not app.exception, [item.value for item in app.exception]
    return app


def answer(app: AppTest, played: game.Game, classes: list[int]) -> AppTest:
    for position, choice in enumerate(classes):
        box = app.selectbox(key=play.answer_key(played.seed, position))
        assert box.label == f"Image {position + 1}"
        box.set_value(choice)
    app.button(key="play-show-score").click().run()
    assert not app.exception, [item.value for item in app.exception]
    return app


def your_score(app: AppTest) -> str:
    return next(metric.value for metric in app.metric if metric.label == "Your score")


def test_the_true_labels_score_twenty_out_of_twenty(app, played, dataset):
    open_game(app)
    assert len(app.selectbox) == game.GAME_SIZE and not app.metric  # no score before "Show my score"
    answer(app, played, [int(dataset.y_test[index]) for index in played.indices])
    assert your_score(app) == f"{game.GAME_SIZE}/{game.GAME_SIZE}"
    you = next(expander for expander in app.expander if expander.label.startswith("You:"))
    assert you.label == "You: 0 wrong"
    (board,) = app.dataframe  # the one table on the page
    table = board.value
    assert "People (published)" in list(table["player"])
    assert table.loc[table["player"] == "People (published)", "accuracy"].item() == pytest.approx(0.835)


def test_one_fixed_wrong_label_counts_right_and_lists_the_wrong_images(app, played, dataset):
    open_game(app)
    guess = CLASS_NAMES.index("Shirt")
    truth = [int(dataset.y_test[index]) for index in played.indices]
    answer(app, played, [guess] * game.GAME_SIZE)
    right = sum(label == guess for label in truth)
    assert right < game.GAME_SIZE  # a game is never all shirts: this test can fail
    assert your_score(app) == f"{right}/{game.GAME_SIZE}"
    wrong_positions = [position for position, label in enumerate(truth) if label != guess]
    you = next(expander for expander in app.expander if expander.label.startswith("You:"))
    assert you.label == f"You: {len(wrong_positions)} wrong"
    captions = [shown.caption for image in you.image for shown in image.proto.imgs]
    assert captions == [
        f"Image {position + 1}: said Shirt, is {CLASS_NAMES[truth[position]]}" for position in wrong_positions
    ]


def test_every_model_is_listed_with_its_own_count(app, played, dataset):
    open_game(app)
    answer(app, played, [int(dataset.y_test[index]) for index in played.indices])
    probabilities = game.shipped_probabilities()
    labels = {expander.label for expander in app.expander}
    for model_id, model_probabilities in probabilities.items():
        wrong = sum(int(model_probabilities[index].argmax()) != int(dataset.y_test[index]) for index in played.indices)
        assert f"{model_id}: {wrong} wrong" in labels


def test_blank_answers_get_a_message_not_a_score(app, played, dataset):
    open_game(app)
    app.selectbox(key=play.answer_key(played.seed, 0)).set_value(0)
    app.button(key="play-show-score").click().run()
    assert not app.exception
    assert not app.metric
    assert any("Still blank: Image 2, Image 3" in warning.value for warning in app.warning)


def test_a_bad_game_number_in_the_url_starts_a_new_game(app):
    open_game(app, "not-a-number")
    assert any("not a game number" in warning.value for warning in app.warning)
    assert len(app.selectbox) == game.GAME_SIZE


def test_the_same_game_number_shows_the_same_images(app, played):
    open_game(app)
    assert any(f"Game {SEED}" in text.value for text in app.markdown)
    first = [image.proto.imgs[0].url for image in app.image]
    again = open_game(AppTest.from_file(str(REPO_ROOT / "studio.py"), default_timeout=120).run(), SEED)
    assert len(first) == game.GAME_SIZE
    assert [image.proto.imgs[0].url for image in again.image] == first


def test_without_shipped_predictions_people_still_play(app, dataset, tmp_path, monkeypatch):
    """No cached predictions (a fresh clone without them): random test images, no model plays, no exception."""
    monkeypatch.setattr(store, "SHIPPED_DIR", tmp_path / "no-shipped-models")
    open_game(app)
    assert any("No shipped model has cached test predictions" in info.value for info in app.info)
    alone = game.make_game(SEED, {}, dataset.y_test)
    answer(app, alone, [int(dataset.y_test[index]) for index in alone.indices])
    assert your_score(app) == f"{game.GAME_SIZE}/{game.GAME_SIZE}"
    assert [expander.label for expander in app.expander] == ["You: 0 wrong"]
