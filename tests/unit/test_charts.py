"""The curve charts fit any screen: container-wide panels, whole-epoch ticks, and a log loss axis when runs differ
by orders of magnitude."""

import pandas as pd
import pytest

from ui.shared import charts


def _curves(loss_scales: dict[str, float]) -> pd.DataFrame:
    rows = []
    for run, scale in loss_scales.items():
        for epoch in (1, 2, 3):
            for split in ("train", "validation"):
                rows.append({"run": run, "epoch": epoch, "metric": "loss", "split": split, "value": scale / epoch})
                rows.append({"run": run, "epoch": epoch, "metric": "accuracy", "split": split, "value": 0.8})
    return pd.DataFrame(rows)


def _loss_y(panel: dict) -> dict:
    return (panel["layer"][-1] if "layer" in panel else panel)["encoding"]["y"]


@pytest.mark.parametrize("build", [charts.lesson_curves, charts.training_curves], ids=["lesson", "training"])
def test_curve_panels_fit_their_container_with_whole_epochs(build):
    curves = _curves({"a": 0.5})
    panels = build(curves if build is charts.lesson_curves else curves.drop(columns="run"))
    assert panels.titles == ("loss", "accuracy")
    for panel in (chart.to_dict() for chart in panels.charts):
        assert panel["width"] == "container"
        x = (panel["layer"][-1] if "layer" in panel else panel)["encoding"]["x"]
        assert x["axis"]["format"] == "d" and x["axis"]["tickMinStep"] == 1


def test_one_exploding_run_puts_the_loss_on_a_log_scale_and_says_why():
    exploding = charts.lesson_curves(_curves({"fine": 0.5, "exploding": 1600.0}))
    loss = exploding.charts[0].to_dict()
    assert _loss_y(loss)["scale"]["type"] == "log"
    assert "100-fold" in loss["title"]["subtitle"]
    # must NOT happen: a log scale where the runs are alike (a linear axis reads more easily)
    alike = charts.lesson_curves(_curves({"a": 0.5, "b": 0.9})).charts[0].to_dict()
    assert "type" not in _loss_y(alike)["scale"]
    assert not alike["title"]["subtitle"]
