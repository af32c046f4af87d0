"""The server's warm-up: once per process, when it starts, before it serves anyone.

`streamlit run app.py` serves ``app.py``'s ``st.App``, whose lifespan hook runs :func:`lifespan` before the
first request, so no visitor pays for TensorFlow's import, the shipped models' loading and tracing, or the Train
page's speed probe (bench/results/first_page.md has the cold and warm page times). The steps fill the same caches
the pages read (``st.cache_resource``/``st.cache_data`` are per process, not per session), so each page only
finds them warm. A step that fails is logged and skipped: the page then does that work itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

LOGGER = logging.getLogger("fashion_studio.warm_up")
LAST_REPORT: dict[str, float | str] = {}  # the last warm-up's steps: seconds, or why one failed


# The steps import what they warm: app.py stays light, and every import happens once Streamlit's runtime
# exists (a cache made before it would live in a private store that the pages never read).
def _keras() -> None:
    import keras  # noqa: F401  (TensorFlow with it: every page with a model needs it)


def _dataset() -> None:
    from ui.shared import loaders

    loaders.dataset()


def _predict_page() -> None:
    """The shipped models loaded, traced and asked once, exactly as Predict asks them (one shared predictor)."""
    from core.models import store
    from ui import predict
    from ui.shared import loaders

    dataset, _ = loaders.dataset()
    group, _ = predict.predictor([a for a in store.list_artifacts([store.SHIPPED_DIR]) if a.ok])
    if group is not None:
        group.predict(dataset.x_test[0] / 255.0)  # a test image, as the Test-image tab sends it


def _train_page() -> None:
    """The architecture the Train page opens with: its layer table, and its speed measured when never measured."""
    from core.models import zoo
    from core.training import estimate
    from ui import train
    from ui.shared import loaders

    dataset, _ = loaders.dataset()
    spec = next(iter(zoo.ZOO.values()))
    train.layer_table(spec.key, spec.defaults)
    estimate.book().estimate_or_probe(spec, spec.defaults, dataset)


def _run_store() -> None:
    """The run store named in the secrets, reached once (its tables made): the log says at start when it does not
    answer, and every page says so too."""
    from core.models import store
    from ui.shared import loaders

    loaders.use_run_store_from_secrets()
    store.check_store()


def _browser_runtime() -> None:
    """TensorFlow.js for training in the browser, fetched from npm when this server has none (Community Cloud)."""
    from server import tfjs

    tfjs.install()


STEPS: tuple[tuple[str, Callable[[], object]], ...] = (
    ("TensorFlow", _keras),
    ("run store", _run_store),
    ("dataset", _dataset),
    ("Predict's models", _predict_page),
    ("Train's first architecture", _train_page),
    ("TensorFlow.js", _browser_runtime),
)


def warm_up() -> dict[str, float | str]:
    """Run every step; each step's seconds, or the reason it failed (the server starts anyway)."""
    report: dict[str, float | str] = {}
    quiet = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # spinners outside a page warn "missing ScriptRunContext" once each: expected here
    for name, step in STEPS:
        started = time.perf_counter()
        try:
            step()
        except Exception as error:  # noqa: BLE001 - a warm-up never stops the server; the page will retry and say why
            report[name] = f"failed: {type(error).__name__}: {error}"
            LOGGER.warning("Warm-up step %s failed: %s", name, error)
        else:
            report[name] = round(time.perf_counter() - started, 2)
    quiet.setLevel(level)
    LAST_REPORT.clear()
    LAST_REPORT.update(report)
    LOGGER.warning("Warmed up before serving: %s", report)  # (warning: Streamlit's default log level shows it)
    return report


@asynccontextmanager
async def lifespan(_app) -> AsyncIterator[None]:
    """``st.App``'s start-up hook: warm up in a worker thread (the event loop stays free), then serve."""
    await asyncio.to_thread(warm_up)
    yield
