"""The HTTP routes of training in the browser, added to the Streamlit server by ``app.py`` (``st.App(routes=...)``).

- ``GET /browser/tfjs/<file>``: TensorFlow.js itself (``server.tfjs``), cacheable;
- ``GET /browser/data?subset=&split=&seed=``: a run's training images, uint8, gzipped, the same for every run
  with those values, so browsers and proxies cache it (``core.training.browser.training_data``);
- ``GET /browser/runs/<id>/plan``: the run's architecture and recipe;
- ``POST /browser/runs/<id>/progress``: batches and epochs; the answer says whether to stop;
- ``POST /browser/runs/<id>/weights``: the trained weights, checked, evaluated and saved here;
- ``POST /browser/runs/<id>/abandon``: the tab is going away (sent as a beacon).

A run's routes answer only the browser that owns it (its identity cookie) and only while the run is live.
"""

from __future__ import annotations

import base64
import json
import math

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.training import browser_runtime
from server import tfjs

MAX_BODY_BYTES = 32 * 1024**2  # the zoo's largest browser model is ~6 MB of base64 weights
CACHE_A_WEEK = "public, max-age=604800"


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _dataset():
    from ui.shared import loaders

    return loaders.dataset()[0]


def _job(request: Request):
    """The live browser run this request names, if the request's browser owns it; else an error response."""
    from core.training import browser, fair_queue
    from ui.shared import identity

    job = fair_queue.default_queue().get(request.path_params["job_id"])
    token = request.cookies.get(identity.COOKIE, "")
    if not isinstance(job, browser.BrowserJob) or not token or identity.owner_of(token) != job.owner:
        return None, _error(404, "No such run in this browser.")
    return job, None


async def _job_and_body(request: Request):
    """The live browser run this request names and owns, and the request's JSON body; else an error response."""
    job, refused = _job(request)
    if refused:
        return None, None, refused
    if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
        return None, None, _error(413, f"At most {MAX_BODY_BYTES // 1024**2} MB may be sent.")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return None, None, _error(413, f"At most {MAX_BODY_BYTES // 1024**2} MB may be sent.")
    try:
        return job, json.loads(body or b"null"), None
    except ValueError:
        return None, None, _error(400, "The body is not JSON.")


def tfjs_file(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in tfjs.FILES or not tfjs.installed():
        return _error(404, "TensorFlow.js is not installed on this server: run `make setup`.")
    content_type = tfjs.CONTENT_TYPES[name[name.rindex(".") :]]
    body = (tfjs.FOLDER / name).read_bytes()
    return Response(body, media_type=content_type, headers={"Cache-Control": CACHE_A_WEEK})


def training_data(request: Request) -> Response:
    from core.training import browser

    query = request.query_params
    try:
        subset = int(query["subset"]) if query.get("subset") else None
        split, seed = float(query.get("split", "0.1")), int(query.get("seed", "42"))
        if not math.isfinite(split):
            raise ValueError(split)
        body = browser.compressed_training_data(_dataset(), subset, split, seed)
    except (ValueError, KeyError) as error:
        return _error(400, f"Bad data request: {error}")
    return Response(
        body,
        media_type="application/octet-stream",
        headers={"Content-Encoding": "gzip", "Cache-Control": CACHE_A_WEEK},
    )


def run_plan(request: Request) -> Response:
    from core.training import jobs

    job, refused = _job(request)
    if refused:
        return refused
    dataset = _dataset()
    watched = dataset.x_test[jobs.watched_indices(dataset.y_test)]
    subset, split, seed = job.hp.subset, job.hp.validation_split, job.hp.seed
    return JSONResponse(
        {
            **job.plan,
            "data_url": f"{request.url.path.split('/browser/')[0]}/browser/data?subset={subset or ''}&split={split}&seed={seed}",
            "watch": base64.b64encode(watched.tobytes()).decode(),
        }
    )


async def run_progress(request: Request) -> Response:
    from core.training import browser

    job, events, refused = await _job_and_body(request)
    if refused:
        return refused
    try:
        stop = job.report(events)
    except browser.BrowserRefusal as refusal:
        job.abandon(f"The browser's report was refused: {refusal}")
        return _error(400, str(refusal))
    return JSONResponse({"stop": stop, "state": job.state})


async def run_weights(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    from core.training import browser

    job, payload, refused = await _job_and_body(request)
    if refused:
        return refused
    try:  # evaluation and saving take a second or two: off the event loop
        progress = await run_in_threadpool(job.finish, payload, _dataset())
    except browser.BrowserRefusal as refusal:
        return _error(400, f"Refused, nothing was saved: {refusal}")
    return JSONResponse({"model_id": progress.model_id, "test_accuracy": progress.test_accuracy})


async def run_abandon(request: Request) -> Response:
    job, refused = _job(request)
    if refused:
        return refused
    job.abandon("The browser tab that trained this run was closed or reloaded, so the run ended; nothing was saved.")
    return JSONResponse({"state": job.state})


ROUTES = [
    Route("/browser/tfjs/{name}", tfjs_file),
    Route("/browser/data", training_data),
    Route("/browser/runs/{job_id:str}/plan", run_plan),
    Route("/browser/runs/{job_id:str}/progress", run_progress, methods=["POST"]),
    Route("/browser/runs/{job_id:str}/weights", run_weights, methods=["POST"]),
    Route("/browser/runs/{job_id:str}/abandon", run_abandon, methods=["POST"]),
]


def under(base_url_path: str) -> list[Route]:
    """The routes where the pages ask for them: under the app's base path (``server.baseUrlPath``) when it has one.
    (Each route is prefixed, not mounted: a Starlette Mount would answer 404 for Streamlit's own paths below it.)"""
    root = browser_runtime.url_root(base_url_path)
    return [Route(root + route.path, route.endpoint, methods=route.methods) for route in ROUTES]
