"""Predict, Compare and Evaluate with a classroom's 100 runs on disk (harness/classroom.py): the right
default models (shipped + this browser's), the class's on request, and a model cache that stays bounded.
How fast they answer is a benchmark figure (bench/results/scale.md), not asserted here."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.models import model_cache, store
from core.understand import selection, vote
from harness import classroom
from tests.conftest import REPO_ROOT
from ui import compare, predict
from ui.shared import identity, loaders

pytestmark = pytest.mark.slow  # 100 runs on disk, the class's all loaded

BROWSER = "fedcba9876543210fedcba9876543210"
RUNS = 100
MY_RUNS = 3  # of the 100: this browser is one of the 34 owners below
CACHE_LIMIT = 12


@pytest.fixture(scope="module")
def classroom_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("classroom") / "runs"
    owners = [classroom.student_owner(n) for n in range(33)]
    owners.insert(5, identity.owner_of(BROWSER))  # runs 5, 39 and 73
    classroom.write_runs(root, RUNS, owners=owners)
    return root


@pytest.fixture
def classroom_runs(classroom_dir, monkeypatch):
    monkeypatch.setenv(store.ENV_RUNS_DIR, str(classroom_dir))
    monkeypatch.setenv(model_cache.ENV_MAX_MODELS, str(CACHE_LIMIT))
    loaders.model_cache.clear()  # a fresh cache under this limit
    yield classroom_dir
    loaders.model_cache.clear()


def expected_defaults(root) -> list[str]:
    artifacts = store.list_artifacts([store.SHIPPED_DIR, root])
    mine = [a.model_id for a in artifacts if not a.shipped and a.meta.owner == identity.owner_of(BROWSER)]
    assert len(mine) == MY_RUNS
    return [a.model_id for a in artifacts if a.shipped] + mine


def open_page(page: str, **state) -> AppTest:
    at = AppTest.from_file(str(REPO_ROOT / "studio.py"), default_timeout=300)
    at.session_state[identity._SESSION_KEY] = BROWSER
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [item.value for item in at.exception]
    return at


def test_predict_asks_shipped_and_my_runs_only(classroom_runs):
    defaults = expected_defaults(classroom_runs)
    at = open_page("app_pages/predict.py", **{predict.SOURCE_KEY: "🎲 Test image"})
    asked = [key.removeprefix("prediction-") for key in _container_keys(at) if key.startswith("prediction-")]
    assert sorted(asked) == sorted(defaults)
    assert classroom.WEAK_ID not in asked
    picker = at.multiselect(key=predict.EXTRA_MODELS_KEY)
    assert len(picker.options) == RUNS - MY_RUNS  # every other run of the class can be added
    assert len(loaders.model_cache()) <= CACHE_LIMIT

    # The untrained run, added: it answers, but does not vote.
    at.multiselect(key=predict.EXTRA_MODELS_KEY).select(classroom.WEAK_ID).run()
    assert not at.exception
    asked = [key.removeprefix("prediction-") for key in _container_keys(at) if key.startswith("prediction-")]
    assert classroom.WEAK_ID in asked and len(asked) == len(defaults) + 1
    assert any("Not counted in the vote" in caption.value for caption in at.caption)
    votes = [alert.value for alert in (*at.success, *at.warning, *at.info) if "models" in alert.value]
    assert votes and not any(f"of {len(asked)} " in text or f"All {len(asked)} " in text for text in votes)


def test_compare_ranks_shipped_and_mine_then_the_whole_class_within_the_cache(classroom_runs):
    defaults = expected_defaults(classroom_runs)
    at = open_page("app_pages/compare.py")
    board = _leaderboard(at)
    assert sorted(board["model"]) == sorted([*defaults, vote.VOTE_ID])  # the best shipped models' vote too
    assert set(board["origin"]) == {selection.SHIPPED, selection.MINE}

    at.pills(key=compare.ORIGINS_KEY).set_value(list(selection.ORIGINS)).run()
    assert not at.exception
    board = _leaderboard(at)
    assert len(board) == 11 + 1 + RUNS and (board["origin"] == selection.CLASS).sum() == RUNS - MY_RUNS
    assert 1 <= len(loaders.model_cache()) <= CACHE_LIMIT  # 111 models ranked, at most 12 held
    assert loaders.model_cache().evictions > 0
    assert any(f"Not drawn, near chance (10%): {classroom.WEAK_ID}" in caption.value for caption in at.caption)


def test_evaluate_opens_one_model_among_a_hundred(classroom_runs):
    at = open_page("app_pages/evaluate.py")
    assert len(at.selectbox(key="evaluate_model").options) == 11 + RUNS
    assert not at.error
    assert len(loaders.model_cache()) == 1  # only the model shown


def _container_keys(at: AppTest) -> list[str]:
    keys = []

    def walk(node) -> None:
        key = getattr(node, "key", None)
        if isinstance(key, str):
            keys.append(key)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return keys


def _leaderboard(at: AppTest):
    (table,) = [table.value for table in at.dataframe if "shirt_recall" in table.value.columns]
    return table
