"""The Compare page in a real browser: the session's model is ranked beside the shipped ones,
and picking it as model B updates the head-to-head."""

import re

import pytest
from playwright.sync_api import expect

from core import data
from core.models import store, zoo
from core.understand import compare, vote
from core.understand import evaluation as ev
from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e


def test_leaderboard_ranks_the_session_model_and_compares_it(app_server, page, tiny_model):
    shipped = [item.model_id for item in store.list_artifacts([store.SHIPPED_DIR]) if item.ok]
    page.goto(f"{app_server.url}/compare")
    expect(page.get_by_role("heading", name="Compare models")).to_be_visible(timeout=120_000)
    # The first visit loads every model and times it: allow for a cold server.
    expect(page.get_by_role("heading", name="Leaderboard")).to_be_visible(timeout=180_000)
    wait_for_app(page)
    # Shipped and mine by default; the tiny model was trained by nobody in this browser: the class's.
    page.get_by_role("button", name=re.compile(r"^The class")).click()
    wait_for_app(page)

    # The grid draws on a canvas; its cells also live in an accessible table, filled once it has mounted.
    board = page.get_by_test_id("stDataFrame").first
    # a run is named by its id; a shipped model by its architecture's name, as on Train
    tiny_row = board.locator("tr").filter(has=page.get_by_text(tiny_model.model_id, exact=True))
    expect(tiny_row).to_have_count(1, timeout=30_000)
    expect(tiny_row).to_contain_text("class")
    for model_id in shipped:  # (its name may show twice: as the model and as its architecture)
        expect(board.get_by_text(zoo.arch_name(model_id), exact=True).first).to_be_attached()
    expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()  # the accuracy bars
    # the best shipped models' vote is ranked too, with its own measured accuracy
    vote_row = board.locator("tr").filter(has=page.get_by_text(vote.VOTE_ID, exact=True))
    expect(vote_row).to_have_count(1)
    members = vote.members(store.list_artifacts([store.SHIPPED_DIR]))
    dataset = data.load()
    voted = vote.evaluation([ev.evaluate(a, dataset.x_test, dataset.y_test) for a in members])
    expect(page.get_by_text(vote.members_text([zoo.arch_name(a.model_id) for a in members]))).to_be_visible()
    expect(vote_row).to_contain_text(f"{voted.accuracy:.4f}")  # the grid's table holds the raw share
    # ranked second, it is model A against the best (B) at first: does voting beat the best model alone?
    expect(page.get_by_role("combobox", name="Model A")).to_have_value(f"{vote.VOTE_ID} · {voted.accuracy:.2%}")

    tiny_option = re.compile(rf"^{re.escape(tiny_model.model_id)} · ")
    page.get_by_test_id("stSelectbox").filter(has_text="Model B").click()  # opens its list of options
    page.keyboard.type(tiny_model.model_id)  # the list is virtual: filter it so the option is drawn
    page.get_by_role("option", name=tiny_option).click()
    wait_for_app(page)
    expect(page.get_by_role("combobox", name="Model B")).to_have_value(tiny_option)
    accuracy_of_b = page.get_by_test_id("stMetric").filter(has_text="Test accuracy of B")
    expect(accuracy_of_b).to_contain_text(f"{tiny_model.meta.test_accuracy:.2%}", timeout=30_000)
    # The heatmap prints B − A in every cell (blank where equal), row by row: it must show this pair.
    a, b = voted, ev.evaluate(store.find(tiny_model.model_id), dataset.x_test, dataset.y_test)
    expected = [f"{change:+d}" if change else "" for change in compare.confusion_difference(a, b)["change"]]
    heatmap = page.locator(".st-key-compare-confusion-difference").get_by_test_id("stVegaLiteChart")
    expect(heatmap.locator("g.mark-text.role-mark text")).to_have_text(expected)

    # must NOT happen: a traceback, an error box, or a shipped model left out as broken
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentWarning")).to_have_count(0)


def test_the_pair_in_the_boxes_the_address_and_the_numbers_stay_the_same(app_server, page, tiny_model):
    """A shared link's pair survives every filter switch and a reload: the boxes, the address and the
    "Test accuracy of B" metric always name the same two models (they once disagreed, 1 run in 8)."""
    accuracy = {a.model_id: a.meta.test_accuracy for a in store.list_artifacts([store.SHIPPED_DIR]) if a.ok}
    model_a, model_b = "cnn_shallow", "mlp_128"

    def expect_pair() -> None:
        wait_for_app(page)
        # the boxes name a shipped model as Train does ("Shallow CNN"); the address keeps its id
        shown_a, shown_b = (f"{zoo.arch_name(m)} · {accuracy[m]:.2%}" for m in (model_a, model_b))
        expect(page.get_by_role("combobox", name="Model A")).to_have_value(shown_a)
        expect(page.get_by_role("combobox", name="Model B")).to_have_value(shown_b)
        expect(page).to_have_url(re.compile(rf"[?&]a={model_a}&b={model_b}$"))
        metric = page.get_by_test_id("stMetric").filter(has_text="Test accuracy of B")
        expect(metric).to_contain_text(f"{accuracy[model_b]:.2%}")

    page.goto(f"{app_server.url}/compare?a={model_a}&b={model_b}")
    expect(page.get_by_role("heading", name="Leaderboard")).to_be_visible(timeout=180_000)
    expect_pair()
    class_shown = False
    for pill in ("The class", "Mine", "The class", "Mine"):  # each switch adds or removes options of both boxes
        page.get_by_role("button", name=re.compile(rf"^{pill}")).click()
        class_shown ^= pill == "The class"
        expect_pair()
        tiny_rows = page.get_by_test_id("stDataFrame").first.get_by_text(tiny_model.model_id, exact=True)
        expect(tiny_rows).to_have_count(1 if class_shown else 0)  # the options really changed
    page.reload()
    expect(page.get_by_role("heading", name="Leaderboard")).to_be_visible(timeout=180_000)
    expect_pair()

    # must NOT happen: a traceback, or the warning that the pair is one model twice
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_text("Pick two different models to compare.")).to_have_count(0)
