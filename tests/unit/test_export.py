"""'Take it home': the exported plain-Keras script builds the same model and reproduces the app's run."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import types
from dataclasses import asdict, replace

import pytest

from core.models import export, store, zoo
from core.training import jobs


@pytest.mark.parametrize("key", list(zoo.ZOO))
def test_the_script_builds_exactly_the_apps_model(key):
    spec = zoo.get_spec(key)
    for hp in (spec.defaults, replace(spec.defaults, normalize=not spec.defaults.normalize, augment=True)):
        code = export.script(spec, hp)
        imported = {
            (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
            for node in ast.walk(ast.parse(code))
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }
        assert imported <= {"keras", "numpy", "gzip", "os", "pathlib"}, imported  # nothing of this project
        module = types.ModuleType("exported")
        exec(compile(code, "exported.py", "exec"), module.__dict__)
        theirs, ours = module.build_model(), zoo.build(spec, hp)
        assert [type(layer).__name__ for layer in theirs.layers] == [type(layer).__name__ for layer in ours.layers]
        for mine, exported in zip(ours.layers, theirs.layers, strict=True):
            config = {k: v for k, v in mine.get_config().items() if k != "name"}
            assert {k: v for k, v in exported.get_config().items() if k != "name"} == config
        assert asdict(hp) == module.SETTINGS


@pytest.mark.slow
@pytest.mark.parametrize(
    ("key", "settings"),
    [
        ("mlp_128", {"epochs": 2, "subset": 3000, "seed": 5}),
        ("cnn_shallow", {"epochs": 1, "subset": 2000, "seed": 9, "augment": True, "lr_schedule": "cosine"}),
    ],
)
def test_the_script_reproduces_the_apps_run_in_a_fresh_process(dataset, tmp_path, key, settings):
    spec = zoo.get_spec(key)
    hp = zoo.with_overrides(spec, **settings)
    app_run = jobs.TrainingJob(spec, hp, "app-run", root=tmp_path).run(dataset)
    assert app_run.state == jobs.DONE, app_run.message
    script = tmp_path / f"{key}.py"
    script.write_text(export.script(spec, hp))
    folder = dataset.source  # the folder the app's loader found the four files in
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,  # a fresh process in an empty folder: nothing of this project is importable
        env={**os.environ, "FASHION_MNIST_DIR": str(folder), "PYTHONPATH": ""},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    last = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"test accuracy: 0\.\d{4}", last), last
    exported_accuracy = float(last.split(": ")[1])
    assert abs(exported_accuracy - app_run.test_accuracy) <= 0.01, (exported_accuracy, app_run.test_accuracy)
    assert store.find(app_run.model_id, [tmp_path]).meta.test_accuracy == app_run.test_accuracy
