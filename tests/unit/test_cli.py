"""The headless CLI as a teacher runs it: JSON out, one-line errors. The entry point, the listings and the errors that
answer before TensorFlow loads run as real `python -m core` processes; the rest call the same ``main`` in this
process (tests/cli.py)."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest

from core import data
from core.models import store, zoo
from tests.cli import run_cli, run_cli_process


# Listings and argument errors answer before TensorFlow loads (a second each): not slow.
def test_list_prints_every_architecture():
    result = run_cli_process("list")
    assert result.returncode == 0
    keys = [line.split("\t")[0] for line in result.stdout.splitlines()]
    assert keys == list(zoo.ZOO)


@pytest.mark.slow  # the real `python -m core train`, importing TensorFlow
def test_train_prints_progress_and_a_final_json_line(tmp_path):
    result = run_cli_process(
        "train", "--arch", "mlp_128", "--epochs", "2", "--subset", "1000", "--seed", "3", "--name", "cli run",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["state"] == "done" and summary["model_id"] == "cli-run"
    assert 0 < summary["test_accuracy"] <= 1
    assert "epoch 2/2" in result.stderr
    saved = store.find("cli-run", [tmp_path])
    assert saved.meta.test_accuracy == summary["test_accuracy"] and saved.meta.hyperparameters["seed"] == 3


def test_bad_arguments_give_one_line_errors(tmp_path):
    for args, message in (
        (("train", "--arch", "resnet"), "unknown architecture 'resnet'"),
        (("train", "--arch", "mlp_128", "--epochs", "0"), "epochs must be"),
        (("train", "--arch", "mlp_128", "--batch-size", "0"), "batch size must be"),
        (("train", "--arch", "mlp_128", "--learning-rate", "-1"), "learning rate must be"),
        (("train", "--arch", "mlp_128", "--subset", "999999"), "training subset must be"),
        (("train", "--arch", "mlp_128", "--name", "../x", "--out", str(tmp_path)), "may not contain"),
    ):
        result = run_cli_process(*args)
        assert result.returncode == 2, args
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("error: ") and message in last, result.stderr
        assert "Traceback" not in result.stderr


def test_missing_dataset_is_one_line_with_the_fix(tmp_path):
    env = {
        data.ENV_DIR: str(tmp_path),
        data.ENV_SYSTEM_DIR: str(tmp_path),
        "KERAS_HOME": str(tmp_path),
        data.ENV_NO_DOWNLOAD: "1",
    }
    for args in (("train", "--arch", "mlp_128", "--epochs", "1"), ("evaluate", "mlp_128")):
        result = run_cli_process(*args, env=env)
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("error: Fashion-MNIST not found") and "apt-get install dataset-fashion-mnist" in last


@pytest.mark.slow
def test_train_takes_every_train_page_setting_and_warns_at_chance_level(tmp_path):
    result = run_cli(
        "train", "--arch", "mlp_128", "--epochs", "1", "--batch-size", "64", "--optimizer", "sgd",
        "--learning-rate", "0.01", "--lr-schedule", "exponential", "--dropout-rate", "0.1",
        "--validation-split", "0.2", "--patience", "3", "--no-normalize", "--augment", "--subset", "2000",
        "--seed", "4", "--name", "all-flags", "--out", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    saved = store.find("all-flags", [tmp_path]).meta.hyperparameters
    assert saved == {
        "epochs": 1, "batch_size": 64, "optimizer": "sgd", "learning_rate": 0.01, "dropout_rate": 0.0,
        "validation_split": 0.2, "early_stopping_patience": 3, "lr_schedule": "exponential", "normalize": False,
        "augment": True, "subset": 2000, "seed": 4,
    } | {"dropout_rate": saved["dropout_rate"]}  # fmt: skip
    assert saved["dropout_rate"] == 0.1
    # raw pixels with SGD at 0.01: the notebook's "about 10%" lesson, said in words, not a success
    assert summary["test_accuracy"] < 0.15
    assert any("chance level" in warning for warning in summary["warnings"])


def test_code_prints_the_script_for_the_same_settings():
    result = run_cli(
        "code", "--arch", "cnn_quick", "--epochs", "2", "--subset", "5000", "--no-normalize", "--seed", "8"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('"""Quick classroom CNN: 2 epochs')
    assert (
        "'subset': 5000," in result.stdout and "'normalize': False," in result.stdout and "'seed': 8," in result.stdout
    )
    assert "layers.Rescaling" not in result.stdout  # normalization off: no rescaling layer
    compile(result.stdout, "exported.py", "exec")


def test_bad_settings_get_one_line_errors():
    result = run_cli("code", "--arch", "mlp_128", "--validation-split", "0.9")
    last_line = result.stderr.strip().splitlines()[-1]
    assert result.returncode == 2 and last_line.startswith("error: validation split must be")
    result = run_cli("lesson", "no-such-lesson")
    assert result.returncode == 2 and result.stderr.strip().splitlines()[-1].startswith("error: unknown lesson")


def test_augmentation_is_the_architectures_own_unless_switched_on_or_off():
    from core import cli

    def augment(*flags: str) -> bool:
        args = cli.build_parser().parse_args(["code", "--arch", "studio_cnn", *flags])
        return cli.hyperparameters(args)[1].augment

    assert zoo.get_spec("studio_cnn").defaults.augment is True
    assert augment() is True  # its recipe augments
    assert augment("--no-augment") is False  # a learner can see what augmentation buys
    assert augment("--augment") is True


@pytest.mark.slow
def test_runs_lists_every_saved_model_its_id_first(tiny_model, tmp_path):
    runs = tmp_path / "runs"
    shutil.copytree(tiny_model.path, runs / "copied-run")
    result = run_cli("runs", env={store.ENV_RUNS_DIR: str(runs)})
    assert result.returncode == 0, result.stderr
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    shipped = [artifact.model_id for artifact in store.list_artifacts([store.SHIPPED_DIR])]
    assert shipped and [line[0] for line in lines] == [*shipped, "copied-run"]  # shipped first, then the runs
    assert lines[-1] == [
        "copied-run",
        "run",
        "mlp_128",
        f"{tiny_model.meta.test_accuracy:.4f}",
        tiny_model.meta.display_name,
    ]
    assert f"runs are kept in the folder {runs}" in result.stderr


@pytest.mark.slow
def test_predict_and_evaluate_reach_a_run_in_the_database_store(store_url, tiny_model, tmp_path, dataset):
    """Saved from here into the store; used with the URL and an empty runs folder, as a fresh clone would."""
    from PIL import Image

    meta = dataclasses.replace(tiny_model.meta, model_id="stored-run")
    store.save(store.load_model(tiny_model), meta, store.runs_dir(), store.load_probabilities(tiny_model))
    image = tmp_path / "sneaker.png"
    Image.fromarray(255 - dataset.x_test[0]).resize((112, 112)).save(image)
    fresh = {store.ENV_RUNS_DIR: str(tmp_path / "fresh-clone-runs")}

    predicted = run_cli("predict", str(image), "--model", "stored-run", env=fresh)
    assert predicted.returncode == 0, predicted.stderr
    assert [entry["model_id"] for entry in json.loads(predicted.stdout)["predictions"]] == ["stored-run"]
    evaluated = run_cli("evaluate", "stored-run", env=fresh)
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads(evaluated.stdout)
    assert report["model_id"] == "stored-run" and report["accuracy"] == pytest.approx(meta.test_accuracy, abs=1e-6)
    without_store = run_cli("evaluate", "stored-run", env={**fresh, store.ENV_STORE_URL: ""})
    assert without_store.returncode == 2 and "No model called 'stored-run'" in without_store.stderr
