"""A PredictorGroup answers like its Predictors one after another (shipped shared, each own run apart)."""

import numpy as np
import pytest

from core.models import store
from core.predict import inference


def test_a_group_concatenates_its_predictors_answers(tiny_model, dataset):
    model = store.load_model(tiny_model)
    first = inference.Predictor([inference.NamedModel("a", "A", model)])
    second = inference.Predictor([inference.NamedModel("b", "B", model), inference.NamedModel("c", "C", model)])
    skipped = [inference.Skipped("d", "broken")]
    group = inference.PredictorGroup([first, second], skipped)
    image = dataset.x_test[0] / 255.0
    answers = group.predict(image, 2)
    assert [p.model_id for p in answers] == ["a", "b", "c"] == list(group.model_ids)
    expected = first.predict(image, 2)[0].probabilities
    for answer in answers:  # the same model three times: the same probabilities, through each path
        np.testing.assert_allclose(answer.probabilities, expected, rtol=1e-5)
        assert len(answer.top) == 2
    assert group.skipped == tuple(skipped)


def test_an_empty_group_says_why():
    with pytest.raises(inference.NoModelsError) as raised:
        inference.PredictorGroup([], [inference.Skipped("x", "damaged")])
    assert [item.model_id for item in raised.value.skipped] == ["x"]
