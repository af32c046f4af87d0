"""The server warms up once, when it starts: app.py's ``st.App`` lifespan (server/warm.py) fills the caches that
the pages read, so the first visitor of Predict or Train finds TensorFlow imported and the models ready.

In a fresh interpreter, because this test process has long since imported Keras and loaded models for other
tests; the runs folder is a fresh one, so the Train page's first architecture has never been measured.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# a fresh interpreter: TensorFlow imported, every shipped model loaded and traced, the first architecture probed
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import asyncio, json, sys
    assert "keras" not in sys.modules
    import app  # the server's module: importing it must stay light (no TensorFlow yet)
    light = "keras" not in sys.modules

    async def start_and_stop():
        async with app.warm.lifespan(app.app):
            pass

    asyncio.run(start_and_stop())
    from core.models import store, zoo
    from core.training import estimate
    from ui.shared import loaders
    shipped = [a for a in store.list_artifacts([store.SHIPPED_DIR]) if a.ok]
    loaded = {key[0] for key in loaders.model_cache().keys()}
    spec = next(iter(zoo.ZOO.values()))
    print(json.dumps({
        "light": light,
        "keras": "keras" in sys.modules,
        "report": app.warm.LAST_REPORT,
        "models_missing": sorted({a.model_id for a in shipped} - loaded),
        "measured": estimate.book().estimate(spec, spec.defaults) is not None,
    }))
    """
)


def test_the_server_start_warms_every_cache_the_first_pages_read(tmp_path):
    env = {**os.environ, "FASHION_STUDIO_RUNS_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=400, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["light"], "importing app.py imported TensorFlow: the server would start slowly"
    assert result["keras"]
    failed = {step: outcome for step, outcome in result["report"].items() if not isinstance(outcome, float)}
    assert not failed, failed
    assert set(result["report"]) == {
        "TensorFlow",
        "run store",
        "dataset",
        "Predict's models",
        "Train's first architecture",
        "TensorFlow.js",
    }
    assert result["models_missing"] == [], "every shipped model is loaded before the first visitor"
    assert result["measured"], "the Train page's first architecture has its duration estimate"
    assert (tmp_path / ".throughput.json").is_file()
