"""Beat the model in a real browser: a shared game number, some answers right and some wrong, the score shown."""

import re

import pytest
from playwright.sync_api import Page, expect

from core import data
from core.data import CLASS_NAMES
from core.understand import game
from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e

SEED = 31337
RIGHT = 13  # the first 13 answered with the true label, the other 7 with the next class


def choose(page: Page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label, exact=True).click()  # opens its list of options
    page.keyboard.type(option)  # the list is virtual: filter it so the option is drawn
    page.get_by_role("option", name=option, exact=True).click()


def test_the_score_shown_is_the_score_answered(app_server, page):
    played = game.make_game(SEED, game.shipped_probabilities(), data.load().y_test)
    truth = [int(data.load().y_test[index]) for index in played.indices]
    page.goto(f"{app_server.url}/play?game={SEED}")
    expect(page.get_by_role("heading", name="Beat the model")).to_be_visible(timeout=120_000)
    wait_for_app(page)
    expect(page.get_by_text(f"Game {SEED}")).to_be_visible()

    answers = [label if position < RIGHT else (label + 1) % 10 for position, label in enumerate(truth)]
    for position, answer in enumerate(answers):
        choose(page, f"Image {position + 1}", CLASS_NAMES[answer])
    expect(page.get_by_test_id("stMetric")).to_have_count(0)  # nothing scored before the button
    page.get_by_role("button", name="Show my score").click()
    wait_for_app(page)

    expect(page.get_by_test_id("stMetric").filter(has_text="Your score")).to_contain_text(f"{RIGHT}/{game.GAME_SIZE}")
    mistakes = page.get_by_test_id("stExpander").filter(has=page.get_by_text(re.compile(r"^You: \d+ wrong$")))
    expect(mistakes.get_by_text(f"You: {game.GAME_SIZE - RIGHT} wrong", exact=True)).to_be_visible()
    expected = [
        f"Image {position + 1}: said {CLASS_NAMES[answers[position]]}, is {CLASS_NAMES[truth[position]]}"
        for position in range(RIGHT, game.GAME_SIZE)
    ]
    expect(mistakes.get_by_text(re.compile(r"^Image \d+: said "))).to_have_text(expected)
    expect(page.get_by_test_id("stVegaLiteChart")).to_be_visible()  # the score bars
    assert f"game={SEED}" in page.url  # the address still names the game: it can be shared

    # must NOT happen: a traceback, or an error box
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)

    page.get_by_role("button", name="New game").click()
    wait_for_app(page)
    expect(page).not_to_have_url(re.compile(rf"game={SEED}\b"))
    expect(page.get_by_test_id("stMetric")).to_have_count(0)  # a new game starts unscored
    expect(page.get_by_role("combobox", name="Image 1", exact=True)).to_be_visible()
