"""The Ray backend's cost and gain: one quick run on a local cluster against the in-process queue, then two
jobs at once on a 2-worker cluster.

    .venv/bin/python -m bench.bench_ray [--epochs 3 --subset 20000 --repeats 2]

Every run is the app's own path: a TrainingJob submitted to a TrainingQueue, timed from submit until the job
has finished (DONE means evaluated on the 10,000 test images and saved on this side), i.e. what a student
waits. "fit" is the training time the job itself reports. The cluster is two Ray nodes on this machine
(``ray.cluster_utils.Cluster``: a head and one more node, one CPU each), which is how two machines with
``ray start`` look to the app; each job asks for one CPU. Needs requirements-ray.txt. Writes bench/results/ray.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from core import data  # noqa: E402
from core.models import zoo  # noqa: E402
from core.training import backends, fair_queue  # noqa: E402
from core.training.jobs import DONE, TrainingJob  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "ray.md"
KEY = "mlp_128"


def timed_batch(queue: fair_queue.TrainingQueue, jobs: list[TrainingJob], dataset) -> tuple[float, list]:
    """Submit all jobs at once; wall seconds until the last has finished, and each job's final progress."""
    started = time.perf_counter()
    for job in jobs:
        queue.submit(job, dataset)
    while not all(job.finished for job in jobs):
        time.sleep(0.05)
    wall = time.perf_counter() - started
    results = [job.snapshot() for job in jobs]
    for result in results:
        if result.state != DONE:
            raise SystemExit(f"{result.model_name}: {result.message}")
    return wall, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--subset", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    from ray.cluster_utils import Cluster

    dataset = data.load()
    spec = zoo.get_spec(KEY)
    hp = zoo.with_overrides(spec, epochs=args.epochs, subset=args.subset, seed=1)
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)

        def job(name: str, owner: str = "") -> TrainingJob:
            return TrainingJob(spec, hp, name, root=root, owner=owner)

        # 1. one job at a time: in-process queue, then the same job on the cluster (the first one starts a worker)
        in_process = fair_queue.TrainingQueue(max_concurrent=1, max_run_seconds=0)
        for repeat in range(args.repeats):
            wall, (result,) = timed_batch(in_process, [job(f"local-{repeat}")], dataset)
            rows.append(f"| one job | in-process queue | {repeat + 1} | {wall:.1f} s | {result.seconds:.1f} s |")
            print(rows[-1], flush=True)

        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "object_store_memory": 200 * 1024**2})
        cluster.add_node(num_cpus=1, object_store_memory=200 * 1024**2)
        cluster.wait_for_nodes()
        started = time.perf_counter()
        backend = backends.RayBackend(cluster.address, cpus_per_job=1)
        slots = backend.capacity()
        connect_seconds = time.perf_counter() - started
        on_ray = fair_queue.TrainingQueue(max_concurrent=slots, max_run_seconds=0, backend=backend)
        for repeat in range(args.repeats):
            wall, (result,) = timed_batch(on_ray, [job(f"ray-{repeat}")], dataset)
            label = "first job, right after joining" if repeat == 0 else "warm worker"
            rows.append(f"| one job | Ray, {label} | {repeat + 1} | {wall:.1f} s | {result.seconds:.1f} s |")
            print(rows[-1], flush=True)

        # 2. two jobs at once (two browsers): the cluster's two slots against the in-process queue's one
        for repeat in range(args.repeats):
            pair = [job(f"pair-local-a{repeat}", "a"), job(f"pair-local-b{repeat}", "b")]
            wall, results = timed_batch(in_process, pair, dataset)
            fits = " + ".join(f"{result.seconds:.1f}" for result in results)
            rows.append(
                f"| two jobs | in-process queue, 1 slot (one after the other) | {repeat + 1} | {wall:.1f} s | {fits} s |"
            )
            print(rows[-1], flush=True)
        for repeat in range(args.repeats):
            pair = [job(f"pair-ray-a{repeat}", "a"), job(f"pair-ray-b{repeat}", "b")]
            wall, results = timed_batch(on_ray, pair, dataset)
            fits = " + ".join(f"{result.seconds:.1f}" for result in results)
            where = ", ".join(sorted({result.where for result in results}))
            label = "first pair" if repeat == 0 else "second pair"
            rows.append(
                f"| two jobs | Ray, 2 nodes x 1 CPU, {slots} slots side by side, {label} | {repeat + 1} | {wall:.1f} s"
                f" | {fits} s |"
            )
            print(rows[-1], flush=True)
        import ray

        ray.shutdown()  # the driver first: a cluster will not remove the node its driver is connected to
        cluster.shutdown()

    table = "\n".join(["| what | where | run | submit -> saved | fit |", "|---|---|---|---|---|", *rows])
    load = os.getloadavg()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        "# Training on a Ray cluster\n\n"
        f"Command: `.venv/bin/python -m bench.bench_ray --epochs {args.epochs} --subset {args.subset}"
        f" --repeats {args.repeats}` on {os.cpu_count()} CPU cores ({platform.processor() or platform.machine()}),"
        f" {spec.name}, {args.epochs} epochs on {args.subset:,} examples. Ray {_ray_version()}; the two-node"
        f" cluster took {connect_seconds:.1f} s to join (once per app process). Nodes seen: {where}.\n\n"
        f"The CPU was shared with other work while this ran (load average {load[0]:.1f}, {load[1]:.1f},"
        f" {load[2]:.1f} at the end), so read the figures as rough.\n\n{table}\n\n"
        "How to read it: *one job* compares the same run in-process and on the cluster (the overhead: worker start"
        " on the first run, then the model's bytes back and the save); *two jobs* are two browsers pressing Start"
        " together: one after the other in the in-process queue (1 slot), side by side on the cluster (one slot per"
        " node). Both nodes run on this one machine, so they show the same name.\n"
    )
    print(table)


def _ray_version() -> str:
    import ray

    return ray.__version__


if __name__ == "__main__":
    main()
