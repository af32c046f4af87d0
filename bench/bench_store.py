"""Thirty students saving at once into the database run store (and into the folder, for comparison), then what a
page pays to list the runs and to fetch one after a restart.

    .venv/bin/python -m bench.bench_store [--students 30] [--rounds 3] [--listed 300]

Starts a throw-away PostgreSQL server (harness.postgres, Debian's binaries) on this machine. Each round saves the
shipped quick CNN as ``--students`` runs from as many threads released together by a barrier (the way one server
process saves its students' runs) into a fresh database, and into a fresh folder; counts what was lost or
duplicated. Then, with ``--listed`` runs in the database: a listing (what every page rerun does), a run's first
load after a restart (its files fetched once) and its next loads, and the first listing after the server
restarted. Writes bench/results/store.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from core.models import database, store
from harness.postgres import ThrowawayPostgres, postgres_binaries

RESULTS = Path(__file__).parent / "results" / "store.md"
TEMPLATE = "cnn_quick"


@dataclasses.dataclass(frozen=True)
class Burst:
    store: str
    wall_s: float
    latencies_s: list[float]
    listed: int
    lost: int
    duplicated: int
    refused: int


def save_at_once(model, probabilities, template: store.ModelMeta, students: int) -> tuple[float, list[float], int]:
    """Every student's save from its own thread, all released together; (wall, per-save seconds, refused)."""
    start = threading.Barrier(students + 1)
    latencies: list[float] = []
    refused: list[BaseException] = []

    def save(number: int) -> None:
        meta = dataclasses.replace(template, model_id=f"student-{number:02d}", owner=f"browser-{number:02d}")
        start.wait()
        began = time.perf_counter()
        try:
            store.save(model, meta, store.runs_dir(), probabilities)
        except store.ArtifactError as error:
            refused.append(error)
        latencies.append(time.perf_counter() - began)

    threads = [threading.Thread(target=save, args=(number,)) for number in range(students)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, latencies, len(refused)


def burst(kind: str, model, probabilities, template, students: int) -> Burst:
    wall, latencies, refused = save_at_once(model, probabilities, template, students)
    ids = [artifact.model_id for artifact in store.list_artifacts([store.runs_dir()])]
    expected = {f"student-{number:02d}" for number in range(students)}
    return Burst(kind, wall, latencies, len(ids), len(expected - set(ids)), len(ids) - len(set(ids)), refused)


def fill(count: int) -> None:
    """More runs in the configured database, up to ``count``: a saved run's files inserted again under new ids."""
    target = database.DatabaseStore(store.store_url(), store.runs_dir())
    source = store.find("student-00")
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(shutil.copytree(source.path, Path(folder) / "copy"))
        for number in range(len(target.ids()), count):
            meta = dataclasses.replace(source.meta, model_id=f"filler-{number:03d}", owner="")
            target.insert(copy, meta.model_id, meta.to_json(), meta.owner, meta.created)


def timed(action, repeats: int) -> float:
    """The median seconds of ``action``."""
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def first_listing_in_a_fresh_process() -> float:
    """A new server process's first listing: every run's meta read (later listings read only what changed)."""
    script = (
        "import time\nfrom core.models import store\nstore.check_store()\n"
        "began = time.perf_counter()\nstore.list_artifacts()\nprint(time.perf_counter() - began)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300)
    return float(done.stdout.strip().splitlines()[-1])


def page_costs(postgres: ThrowawayPostgres, listed: int) -> dict[str, float]:
    fill(listed)
    costs = {"first list": first_listing_in_a_fresh_process(), "list": timed(lambda: store.list_artifacts(), 20)}

    def first_load() -> None:
        shutil.rmtree(store.runs_dir() / "student-01", ignore_errors=True)
        store.load_model(store.find("student-01"))

    costs["first load"] = timed(first_load, 5)
    costs["next load"] = timed(lambda: store.load_model(store.find("student-01")), 5)
    costs["bytes per run"] = store.runs_usage().total_bytes / store.runs_usage().runs
    postgres.pg_ctl("restart")
    began = time.perf_counter()
    store.list_artifacts()
    costs["list after restart"] = time.perf_counter() - began
    return costs


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(args, bursts: list[Burst], costs: dict[str, float], seconds: float) -> list[str]:
    lines = [
        "# The run store: thirty students saving at once",
        "",
        f"Command: `.venv/bin/python -m bench.bench_store --students {args.students} --rounds {args.rounds}"
        f" --listed {args.listed}` ({seconds:.0f} s). A throw-away PostgreSQL server on this machine"
        f" ({platform.node()}: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end);"
        f" the shipped `{TEMPLATE}` saved as {args.students} students' runs from {args.students} threads released"
        " together, in each round into a fresh database and a fresh folder. A save is the whole `store.save`:"
        " the Keras file, the history, the test predictions and, for the database, one transaction.",
        "",
        "| store | round | all saved after (s) | one save: median (s) | p95 (s) | slowest (s) | listed | lost |"
        " duplicated | refused |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    rounds: dict[str, int] = {}
    for item in bursts:
        rounds[item.store] = rounds.get(item.store, 0) + 1
        lines.append(
            f"| {item.store} | {rounds[item.store]} | {item.wall_s:.2f} | {statistics.median(item.latencies_s):.2f}"
            f" | {percentile(item.latencies_s, 0.95):.2f} | {max(item.latencies_s):.2f} | {item.listed}"
            f" | {item.lost} | {item.duplicated} | {item.refused} |"
        )
    lines += [
        "",
        f"What a page pays with {args.listed} runs in the database ({costs['bytes per run'] / 1e6:.2f} MB a run):",
        "",
        "| | seconds |",
        "|---|---|",
        f"| a new process's first listing of every model (shipped, and every run's meta) | {costs['first list']:.3f} |",
        f"| list every model again (each page rerun: ids and versions, and what changed) | {costs['list']:.3f} |",
        f"| a run's first load here (its files fetched, then Keras) | {costs['first load']:.3f} |",
        f"| its next loads (the local copy) | {costs['next load']:.3f} |",
        f"| the first listing after the server restarted (the pool reconnects) | {costs['list after restart']:.3f} |",
        "",
        *reading(bursts, costs),
    ]
    return lines


def reading(bursts: list[Burst], costs: dict[str, float]) -> list[str]:
    def median_of(kind: str) -> float:
        return statistics.median([value for item in bursts if item.store == kind for value in item.latencies_s])

    kept = all(item.lost == item.duplicated == item.refused == 0 for item in bursts)
    return [
        f"Reading: {'every round kept all its runs, none lost, none twice' if kept else 'RUNS WERE LOST OR REFUSED'}."
        f" One save took {median_of('database'):.2f} s into the database against {median_of('folder'):.2f} s into"
        f" the folder (medians of every save): the same files, plus one transaction of {costs['bytes per run'] / 1e6:.2f}"
        " MB. The server here is on this machine; a hosted PostgreSQL adds its network: one transaction per save, two"
        " short queries per listing, and a run's files once per server process.",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--listed", type=int, default=300, help="runs in the database when listing is timed")
    args = parser.parse_args(argv)
    binaries = postgres_binaries()
    if binaries is None:
        raise SystemExit("PostgreSQL is not installed: make test-system-packages installs Debian's postgresql")
    began = time.perf_counter()
    template = store.find(TEMPLATE, [store.SHIPPED_DIR])
    model, probabilities = store.load_model(template), store.load_probabilities(template)
    postgres, scratch = ThrowawayPostgres(binaries).start(), Path(tempfile.mkdtemp(prefix="fms-bench-store-"))
    bursts = []
    try:
        for number in range(args.rounds):
            os.environ.pop(store.ENV_STORE_URL, None)
            os.environ[store.ENV_RUNS_DIR] = str(scratch / f"folder-{number}")
            bursts.append(burst("folder", model, probabilities, template.meta, args.students))
            os.environ[store.ENV_STORE_URL] = postgres.new_database()
            os.environ[store.ENV_RUNS_DIR] = str(scratch / f"database-{number}")
            store.check_store()  # the tables, as the server makes them at start
            bursts.append(burst("database", model, probabilities, template.meta, args.students))
        costs = page_costs(postgres, args.listed)
    finally:
        database.dispose_engines()
        postgres.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    bursts.sort(key=lambda item: item.store)
    lines = report(args, bursts, costs, time.perf_counter() - began)
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if all(item.lost == item.duplicated == item.refused == 0 for item in bursts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
