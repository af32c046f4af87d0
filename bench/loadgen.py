"""Many simulated visitors against the real server, over Streamlit's own websocket protocol.

A browser talks to a Streamlit server through one websocket, ``/_stcore/stream``: it sends
``BackMsg`` protobufs (``rerun_script`` carrying a ``ClientState``: the page, the query string and
every widget's state) and receives ``ForwardMsg`` protobufs (``new_session``, ``navigation``,
``delta`` (each element or block of the page), ``script_finished``). This module speaks exactly
that, with the classes from ``streamlit.proto``, through the ``websockets`` client (a dependency
of Streamlit itself), so one process can play many sessions; the server is started as ``make run``
and the tests start it: ``streamlit run app.py --server.port N`` with ``.streamlit/config.toml``.

What a simulated visitor does (``visitor``): opens the Predict page (its own browser cookie, so
its own identity), picks "🎲 Test image" in the "Image from" row (a ``string_array_value``, as st.segmented_control sends),
then presses "🎲 Another test image" a few times (a ``trigger_value``), pausing like a reader in
between. Why the test-image button and not an upload: it is what the page offers for asking
about an image without a file, and it exercises the same path after preprocessing (every model,
the consensus, the charts); an upload adds one HTTP POST of a few kB, not the server's work.

"Time to a prediction" is from sending the BackMsg to the ``script_finished`` of that run, when
the run's deltas held the models' verdict (the consensus alert); a run without one counts as a
failure. Widget ids are read from the deltas (keyed widgets carry their key in the id, others
are found by label), never hard-coded.

One training run drives the Train page the same way: it opens the page's shareable link (Architecture,
Epochs and Training examples in the query string) and presses "▶ Start training"; its duration is ``train_seconds`` of the saved run's
``meta.json`` (what ``model.fit`` took in the server), compared with the same run with no visitors.

    .venv/bin/python -m bench.loadgen --sessions 30 --arrival 60 --runs-on-disk 100

Bounded: loopback only, a fixed number of sessions, a timeout on every wait.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect as websocket_connect
from websockets.exceptions import ConnectionClosed

from harness.serve import REPO_ROOT, free_port

COOKIE = "fms_browser"  # ui.shared.identity.COOKIE: each visitor its own browser
PREDICT_PAGE, TRAIN_PAGE = "predict", "train"
SOURCE_LABEL, TEST_IMAGE = "Image from", "🎲 Test image"
ANOTHER_IMAGE = "🎲 Another test image"
START_TRAINING = "▶ Start training"
VERDICT_WORDS = (" say **", "The model says", "The models disagree")
RUN_TIMEOUT_S = 120.0


# --- one websocket session ------------------------------------------------------------------------
@dataclass
class Widget:
    id: str
    kind: str  # the Element field: button, selectbox, number_input, slider, ...
    label: str


@dataclass
class RunResult:
    seconds: float
    status: int  # ForwardMsg.script_finished: 0 success, 1 compile error, 2 rerun requested, ...
    texts: list[str]
    widgets: dict[str, Widget]  # by label, and by id

    def says(self, *words: str) -> bool:
        return any(word in text for text in self.texts for word in words)


def _element_texts(element) -> Iterable[str]:
    kind = element.WhichOneof("type")
    if kind in ("markdown", "alert", "heading"):
        yield getattr(element, kind).body
    if kind == "exception":
        yield "EXCEPTION: " + element.exception.message


class Session:
    """One simulated browser: a websocket, a cookie, the widget states it would send."""

    def __init__(self, port: int, token: str | None = None):
        self.port = port
        self.token = token or secrets.token_hex(16)
        self.states: dict[str, WidgetState] = {}
        self.connection = None
        self.page = ""

    async def connect(self) -> None:
        self.connection = await websocket_connect(
            f"ws://127.0.0.1:{self.port}/_stcore/stream",
            origin=f"http://127.0.0.1:{self.port}",
            subprotocols=["streamlit"],
            additional_headers={"Cookie": f"{COOKIE}={self.token}"},
            max_size=256 * 2**20,
            compression=None,
            proxy=None,
            open_timeout=60,
            ping_interval=None,  # a browser sends no websocket pings; a starved server must not look dead
        )

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()
            self.connection = None

    def choose(self, widget_id: str, option: str) -> None:
        """One option of a single-choice button row (st.segmented_control): its state is a list of one."""
        state = WidgetState(id=widget_id)
        state.string_array_value.data.append(option)
        self.states[widget_id] = state

    def choose_test_image(self, result: RunResult) -> bool:
        """Pick the test-image source on Predict, as a visitor's click does; False where the row is missing."""
        row = result.widgets.get(SOURCE_LABEL)
        if row is None:
            return False
        self.choose(row.id, TEST_IMAGE)
        return True

    async def run(self, page: str, trigger: str | None = None, query: str = "") -> RunResult:
        """One rerun of ``page`` with the current widget states (plus a button press), to its end."""
        message = BackMsg()
        client = message.rerun_script
        client.query_string = query
        client.page_name = page
        client.context_info.url = f"http://127.0.0.1:{self.port}/{page}" + (f"?{query}" if query else "")
        client.context_info.timezone = "UTC"
        for state in self.states.values():
            client.widget_states.widgets.append(state)
        if trigger is not None:
            pressed = WidgetState(id=trigger)
            pressed.trigger_value = True
            client.widget_states.widgets.append(pressed)
        started = time.perf_counter()
        await self.connection.send(message.SerializeToString())
        texts, widgets = [], {}
        while True:
            raw = await asyncio.wait_for(self.connection.recv(), RUN_TIMEOUT_S)
            forward = ForwardMsg()
            forward.ParseFromString(raw)
            kind = forward.WhichOneof("type")
            if kind == "delta":
                delta = forward.delta
                if delta.WhichOneof("type") == "new_element":
                    element = delta.new_element
                    texts.extend(_element_texts(element))
                    field_name = element.WhichOneof("type")
                    inner = getattr(element, field_name) if field_name else None
                    widget_id = getattr(inner, "id", "") if inner is not None else ""
                    if widget_id:
                        widget = Widget(widget_id, field_name, getattr(inner, "label", ""))
                        widgets[widget.label] = widgets[widget_id] = widget
            elif kind == "script_finished":
                return RunResult(time.perf_counter() - started, forward.script_finished, texts, widgets)


# --- what visitors do ---------------------------------------------------------------------------------
@dataclass
class VisitorLog:
    number: int
    opened_s: float = 0.0
    seconds_to_prediction: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


async def visitor(port: int, number: int, questions: int, think_s: float, log: VisitorLog) -> None:
    """Open Predict, pick the test-image tab, then ask about ``questions`` more images."""
    session = Session(port)
    try:
        await session.connect()
        first = await session.run(PREDICT_PAGE)
        log.opened_s = first.seconds
        if not session.choose_test_image(first):
            log.failures.append("no source row on Predict: " + " | ".join(first.texts[:3]))
            return
        result = await session.run(PREDICT_PAGE)
        for asked in range(questions + 1):
            if result.says(*VERDICT_WORDS) and result.status == 0:
                log.seconds_to_prediction.append(result.seconds)
            else:
                log.failures.append(f"no verdict (status {result.status}): " + " | ".join(result.texts[-3:]))
            if asked == questions:
                break
            await asyncio.sleep(think_s)
            button = result.widgets.get(ANOTHER_IMAGE)
            if button is None:
                log.failures.append("no 'Another test image' button")
                break
            result = await session.run(PREDICT_PAGE, trigger=button.id)
    except (TimeoutError, ConnectionError, ConnectionClosed, OSError) as error:
        log.failures.append(f"{type(error).__name__}: {error}")
    finally:
        await session.close()


async def start_training(port: int, arch: str, epochs: int, examples: str) -> Session:
    """Open the Train page from a shareable link (its settings in the URL, as a teacher's link sets them)
    and press Start, as a visitor would; the session stays open (the job is its browser's)."""
    from urllib.parse import urlencode

    from core.models import zoo

    session = Session(port)
    await session.connect()
    query = urlencode({"arch": zoo.ZOO[arch].name, "epochs": epochs, "examples": examples})
    page = await session.run(TRAIN_PAGE, query=query)
    start = page.widgets.get(START_TRAINING)
    if start is None:
        raise RuntimeError("the Train page has no Start button: " + " | ".join(page.texts[-3:]))
    await session.run(TRAIN_PAGE, trigger=start.id, query=query)
    return session


# --- the server -----------------------------------------------------------------------------------------
class Server:
    """``streamlit run app.py --server.port N``, as ``make run`` and the tests start it."""

    def __init__(self, runs_dir: Path, port: int | None = None):
        self.port = port or free_port()
        self.runs_dir = runs_dir
        env = {**os.environ, "FASHION_STUDIO_RUNS_DIR": str(runs_dir), "TF_CPP_MIN_LOG_LEVEL": "2"}
        # Open for the life of the server (its output goes there), closed in stop().
        self.log = tempfile.NamedTemporaryFile("w+", prefix="fms-loadgen-server-", suffix=".log", delete=False)  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout_s: float = 120) -> None:
        import urllib.request

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}); see {self.log.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise TimeoutError(f"the server did not answer within {timeout_s:.0f} s")

    def _status(self, field_name: str) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) * 1024
        return 0

    def rss(self) -> int:
        return self._status("VmRSS")

    def peak_rss(self) -> int:
        """The kernel's high-water mark of the server's resident memory."""
        return self._status("VmHWM")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def wait_for_saved_run(runs_dir: Path, before: set[str], timeout_s: float) -> dict:
    """The meta.json of the run the training saves (a folder that was not there before)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for folder in runs_dir.iterdir() if runs_dir.is_dir() else []:
            meta = folder / "meta.json"
            if folder.name not in before and not folder.name.startswith(".") and meta.is_file():
                return json.loads(meta.read_text())
        time.sleep(0.5)
    raise TimeoutError(f"no run was saved within {timeout_s:.0f} s")


# --- one scenario ---------------------------------------------------------------------------------------
@dataclass
class Outcome:
    sessions: int
    arrival_s: float
    questions: int
    train_seconds: float | None
    wall_s: float
    peak_rss_mb: float
    server_cpu_s: float
    client_cpu_s: float  # this process: the simulated browsers' own cost, on the same CPU
    logs: list[VisitorLog]

    @property
    def latencies(self) -> list[float]:
        return sorted(seconds for log in self.logs for seconds in log.seconds_to_prediction)

    def percentile(self, share: float) -> float | None:
        values = self.latencies
        if not values:
            return None
        return values[min(len(values) - 1, max(0, round(share * len(values)) - 1))]

    @property
    def failures(self) -> list[str]:
        return [f"visitor {log.number}: {failure}" for log in self.logs for failure in log.failures]


async def _scenario(server: Server, args: argparse.Namespace, sessions: int) -> Outcome:
    started = time.perf_counter()
    cpu_before = server.cpu_seconds()
    client_before = time.process_time()
    before = {path.name for path in server.runs_dir.iterdir()} if server.runs_dir.is_dir() else set()
    trainer = None
    if args.train:
        trainer = await start_training(server.port, args.arch, args.epochs, args.examples)
    logs = [VisitorLog(number) for number in range(sessions)]
    tasks = []
    for number, log in enumerate(logs):
        delay = args.arrival * number / max(1, sessions)  # arrivals spread evenly over the window
        tasks.append(asyncio.create_task(_later(delay, visitor(server.port, number, args.questions, args.think, log))))
    await asyncio.gather(*tasks)
    train_seconds = None
    if args.train:
        meta = await asyncio.to_thread(wait_for_saved_run, server.runs_dir, before, args.train_timeout)
        train_seconds = float(meta["train_seconds"])
        await trainer.close()
    return Outcome(
        sessions,
        args.arrival,
        args.questions,
        train_seconds,
        time.perf_counter() - started,
        server.peak_rss() / 2**20,
        server.cpu_seconds() - cpu_before,
        time.process_time() - client_before,
        logs,
    )


async def _later(delay: float, job) -> None:
    await asyncio.sleep(delay)
    await job


def run_scenario(args: argparse.Namespace, sessions: int) -> Outcome:
    """A fresh server (fresh memory high-water mark), one scenario, then the server stops."""
    runs_dir = Path(tempfile.mkdtemp(prefix="fms-loadgen-runs-"))
    try:
        if args.runs_on_disk:
            from harness import classroom

            classroom.write_runs(runs_dir, args.runs_on_disk)
        server = Server(runs_dir)
        try:
            server.wait_ready()
            return asyncio.run(_scenario(server, args, sessions))
        finally:
            server.stop()
    finally:
        shutil.rmtree(runs_dir, ignore_errors=True)


def describe(outcome: Outcome, baseline_train_s: float | None) -> dict:
    slowdown = None
    if outcome.train_seconds and baseline_train_s:
        slowdown = outcome.train_seconds / baseline_train_s - 1
    p50, p95 = outcome.percentile(0.50), outcome.percentile(0.95)
    return {
        "sessions": outcome.sessions,
        "arrival_s": outcome.arrival_s,
        "predictions": len(outcome.latencies),
        "failures": len(outcome.failures),
        "p50_s": None if p50 is None else round(p50, 3),
        "p95_s": None if p95 is None else round(p95, 3),
        "max_s": round(max(outcome.latencies), 3) if outcome.latencies else None,
        "page_open_p50_s": round(statistics.median([log.opened_s for log in outcome.logs if log.opened_s]), 3)
        if any(log.opened_s for log in outcome.logs)
        else None,
        "train_seconds": outcome.train_seconds,
        "training_slowdown": None if slowdown is None else round(slowdown, 3),
        "peak_rss_mb": round(outcome.peak_rss_mb, 1),
        "server_cpu_s": round(outcome.server_cpu_s, 1),
        "loadgen_cpu_s": round(outcome.client_cpu_s, 1),
        "wall_s": round(outcome.wall_s, 1),
        "first_failures": outcome.failures[:5],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Simulated classroom load over Streamlit's websocket protocol.")
    parser.add_argument("--sessions", type=int, nargs="+", default=[30], help="one scenario per number")
    parser.add_argument("--arrival", type=float, default=60.0, help="seconds over which sessions arrive")
    parser.add_argument("--questions", type=int, default=3, help="more test images each visitor asks about")
    parser.add_argument("--think", type=float, default=3.0, help="seconds a visitor looks at each answer")
    parser.add_argument("--runs-on-disk", type=int, default=100, help="classroom runs in the runs folder")
    parser.add_argument("--no-train", dest="train", action="store_false", help="no training run")
    parser.add_argument("--arch", default="mlp_128")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--examples", default="60000", help="the Training examples option, as the page sends it")
    parser.add_argument("--train-timeout", type=float, default=600)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if any(count < 0 or count > 200 for count in args.sessions):
        parser.error("--sessions must be between 0 and 200")

    results = {"command": " ".join(sys.argv), "scenarios": []}
    baseline = None
    if args.train:
        alone = run_scenario(args, 0)
        baseline = alone.train_seconds
        results["baseline"] = describe(alone, None)
        print(json.dumps(results["baseline"]), flush=True)
    for sessions in args.sessions:
        outcome = run_scenario(args, sessions)
        summary = describe(outcome, baseline)
        results["scenarios"].append(summary)
        print(json.dumps(summary), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
