"""Which models answer: shipped and mine by default, the class's on request; near-chance ones flagged."""

import pytest

from core.models import store
from core.understand import selection
from harness import classroom
from ui.shared import identity


@pytest.fixture(scope="module")
def classroom_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("class-runs")
    ids = classroom.write_runs(root, 12, owners=[classroom.student_owner(n) for n in range(4)])
    return root, ids


def test_the_classroom_helper_writes_real_runs_owned_like_the_app_does(classroom_runs):
    root, ids = classroom_runs
    artifacts = store.list_artifacts([root])
    assert [a.model_id for a in artifacts] == sorted(ids) and all(a.ok for a in artifacts)
    assert classroom.student_owner(2) == identity.owner_of("student-02")
    assert {a.meta.owner for a in artifacts} == {classroom.student_owner(n) for n in range(4)}
    weak = store.find(classroom.WEAK_ID, [root])
    assert weak.meta.test_accuracy == pytest.approx(0.1)


def test_the_untrained_run_really_is_at_chance(classroom_runs, dataset):
    import numpy as np

    root, _ = classroom_runs
    model = store.load_model(store.find(classroom.WEAK_ID, [root]))
    answers = np.asarray(model(dataset.x_test[:3000].astype("float32"))).argmax(axis=1)
    assert len(set(answers)) == 1  # the same class for every image
    assert np.mean(answers == dataset.y_test[:3000]) == pytest.approx(0.1, abs=0.02)


def test_defaults_are_shipped_and_mine(classroom_runs):
    root, _ = classroom_runs
    me = classroom.student_owner(1)
    artifacts = store.list_artifacts([store.SHIPPED_DIR, root])
    shipped = [a.model_id for a in artifacts if a.shipped]
    mine = [a.model_id for a in artifacts if not a.shipped and a.meta.owner == me]
    assert len(shipped) >= 11 and len(mine) == 3
    assert selection.default_ids(artifacts, me) == shipped + mine
    assert selection.default_ids(artifacts, "") == shipped  # a browser without runs: shipped only
    origins = [selection.origin(a, me) for a in artifacts]
    assert origins.count(selection.CLASS) == len(artifacts) - len(shipped) - 3


def test_choices_are_grouped_and_label_their_origin(classroom_runs):
    root, _ = classroom_runs
    me = classroom.student_owner(1)
    offered = selection.choices(store.list_artifacts([store.SHIPPED_DIR, root]), me)
    order = [choice.origin for choice in offered]
    assert order == sorted(order, key=selection.ORIGINS.index)  # shipped, then mine, then class
    weak = next(choice for choice in offered if choice.model_id == classroom.WEAK_ID)
    assert weak.origin == selection.CLASS and "near chance" in weak.label and weak.label.startswith("The class")
    assert not any("near chance" in choice.label for choice in offered if choice.model_id != classroom.WEAK_ID)


def test_weak_models_are_near_chance_only(classroom_runs):
    root, _ = classroom_runs
    assert selection.weak_ids(store.list_artifacts([store.SHIPPED_DIR, root])) == {classroom.WEAK_ID}
    assert selection.is_weak(0.1) and not selection.is_weak(0.85) and not selection.is_weak(None)


def test_filtering_by_origin(classroom_runs):
    root, _ = classroom_runs
    artifacts = store.list_artifacts([store.SHIPPED_DIR, root])
    me = classroom.student_owner(1)
    assert all(a.shipped for a in selection.of_origins(artifacts, me, [selection.SHIPPED]))
    assert len(selection.of_origins(artifacts, me, [selection.MINE])) == 3
    assert selection.of_origins(artifacts, me, []) == []
    with pytest.raises(ValueError, match="unknown origin"):
        selection.of_origins(artifacts, me, ["everyone"])
