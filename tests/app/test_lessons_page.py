"""Lessons through AppTest: a built-in lesson runs end to end and is shown side by side with its reading."""

import time

import pytest

from core.training import lessons

pytestmark = pytest.mark.slow  # a whole lesson trained (four runs)


def test_why_normalize_runs_end_to_end_side_by_side(app, runs_dir):
    at = app.switch_page("app_pages/lessons.py")
    at.query_params["lesson"] = "Why normalize?"
    at.run()
    assert not at.exception
    assert "raw pixel values" in " ".join(block.value for block in at.markdown)
    plan = at.dataframe[0].value
    assert list(plan["run"]) == [run.label for run in lessons.LESSONS["normalize"].runs]
    next(button for button in at.button if button.label == "▶ Start the lesson").click().run()
    assert not at.exception
    deadline = time.monotonic() + 600
    while not [block for block in at.markdown if block.value.startswith("**What happened**")]:
        assert time.monotonic() < deadline, "the lesson did not finish"
        time.sleep(1)
        at.run()
        assert not at.exception
    results = next(frame.value for frame in at.dataframe if "test accuracy" in frame.value.columns)
    assert list(results["run"]) == [run.label for run in lessons.LESSONS["normalize"].runs]
    by_run = dict(zip(results["run"], results["test accuracy"], strict=True))
    assert by_run["normalized, Adam"] > by_run["raw pixels, SGD"] + 0.3  # the lesson shows
    reading = next(block.value for block in at.markdown if block.value.startswith("**What happened**"))
    assert "did best" in reading and "did worst" in reading
    assert len(at.get("arrow_vega_lite_chart")) >= 1 or len(at.get("vega_lite_chart")) >= 1  # the runs overlaid
