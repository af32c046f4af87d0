"""The headless CLI as a teacher runs it: real subprocesses, JSON out, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from core import data, store, zoo
from tests.conftest import REPO_ROOT


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "core", *args],
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_list_prints_every_architecture():
    result = run_cli("list")
    assert result.returncode == 0
    keys = [line.split("\t")[0] for line in result.stdout.splitlines()]
    assert keys == list(zoo.ZOO)


def test_train_prints_progress_and_a_final_json_line(tmp_path):
    result = run_cli(
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
        result = run_cli(*args)
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
        result = run_cli(*args, env=env)
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("error: Fashion-MNIST not found") and "apt-get install dataset-fashion-mnist" in last
