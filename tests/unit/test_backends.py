"""Ray is optional: without FASHION_STUDIO_RAY_ADDRESS nothing changes, and with it but without the ray package
a run fails with what to install (never a traceback). Each case runs in a fresh interpreter where
``import ray`` fails, as on a server that never installed requirements-ray.txt."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow  # each case a fresh Python process that imports TensorFlow and trains

WITHOUT_RAY = """
import json, sys
sys.modules["ray"] = None  # `import ray` raises ImportError from here on
from core import data
from core.models import zoo
from core.training import fair_queue, jobs
queue = fair_queue.default_queue()
spec = zoo.get_spec("mlp_128")
job = jobs.TrainingJob(spec, zoo.with_overrides(spec, epochs=1, subset=1000), "no-ray")
queue.submit(job, data.load())
while not job.finished:
    pass
progress = job.snapshot()
print(json.dumps({"backend": type(queue.backend).__name__, "slots": queue.max_concurrent,
                  "state": progress.state, "message": progress.message, "where": progress.where, "ray_loaded": bool(sys.modules.get("ray"))}))
"""


def run_without_ray(env: dict[str, str]) -> dict:
    clean = {key: value for key, value in os.environ.items() if key != "FASHION_STUDIO_RAY_ADDRESS"}
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_RAY],
        cwd=REPO_ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_with_ray_configured_but_not_installed_a_run_fails_saying_what_to_install():
    outcome = run_without_ray({"FASHION_STUDIO_RAY_ADDRESS": "local"})
    assert outcome["backend"] == "RayBackend" and outcome["slots"] == 1
    assert outcome["state"] == "failed"
    assert "pip install -r requirements-ray.txt" in outcome["message"]
    assert "Traceback" not in outcome["message"]


def test_without_the_setting_the_queue_trains_in_process_and_never_imports_ray():
    outcome = run_without_ray({})
    assert outcome["backend"] == "NoneType" and outcome["slots"] == 1
    assert outcome["state"] == "done", outcome["message"]
    assert outcome["where"] == "this server" and not outcome["ray_loaded"]
