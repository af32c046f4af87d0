"""Where a training job runs: in this process (the default) or as a task on a Ray cluster (optional).

The in-process backend is today's behaviour: ``TrainingJob.run`` fits in the calling thread and the
queue runs a few of those threads. With ``FASHION_STUDIO_RAY_ADDRESS`` set (``local`` starts a cluster
on this machine; ``ray://…`` or ``host:port`` joins one), ``RayBackend.run`` sends each job to a Ray task:

- the task asks for ``FASHION_STUDIO_RAY_CPUS_PER_JOB`` CPUs (default 1) and
  ``FASHION_STUDIO_RAY_GPUS_PER_JOB`` GPUs (default 0), and is never retried (a crash is a failure to report);
- inside, an ordinary in-process ``TrainingJob`` trains, evaluates and saves into the worker's own temporary
  folder; its progress callback reports each snapshot to a reporter actor (one per app process), whose
  answer carries the stop flag back (Stop is graceful first; ``ray.cancel(force=True)`` after a grace period);
- the app side polls that actor and mirrors each snapshot into the app's job, so the page, the queue and the
  teacher's view read the same ``Progress`` as ever;
- the finished model comes back as bytes (``model.keras``, meta, test probabilities), and the app server saves
  it with ``store.save`` (atomic), so workers need no shared filesystem.

The dataset travels through Ray's object store, put once per app process: worker machines then need
neither the Debian dataset package nor a download, and each node fetches the 55 MB once.
Ray is imported lazily: the app runs without it installed.
"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.data import FashionMNIST
    from core.training.jobs import Backend, Progress, TrainingJob

ENV_RAY_ADDRESS = "FASHION_STUDIO_RAY_ADDRESS"
ENV_CPUS_PER_JOB = "FASHION_STUDIO_RAY_CPUS_PER_JOB"
ENV_GPUS_PER_JOB = "FASHION_STUDIO_RAY_GPUS_PER_JOB"
LOCAL = "local"
POLL_SECONDS = 0.25  # how often the app side reads a remote job's progress
STOP_GRACE_SECONDS = 15.0  # after a graceful stop request, how long before the task is force-cancelled
LOCAL_OBJECT_STORE_BYTES = 512 * 1024**2
CORE_DIR = Path(__file__).resolve().parents[1]  # the whole core package travels to Ray workers


class BackendError(RuntimeError):
    """The configured backend cannot be used; the message says what to install or change."""


def this_node() -> str:
    return socket.gethostname()


class InProcessBackend:
    """Train in the calling thread of this process (the default)."""

    name = "in-process"

    def describe(self) -> str:
        return "this server"

    def capacity(self) -> int | None:
        return None  # the queue's own setting decides

    def run(self, job: TrainingJob, dataset: FashionMNIST) -> Progress:
        return job.run_here(dataset)


class _Reporter:
    """One per app process, on the cluster (an actor is a process of its own: one per job would cost each run
    a Python start-up). Keeps each job's reports until the app side reads them; the answer to a report tells
    the worker whether to stop."""

    def __init__(self) -> None:
        self.pending: dict[str, list[dict]] = {}
        self.stops: set[str] = set()

    def report(self, job_id: str, payload: dict) -> bool:
        self.pending.setdefault(job_id, []).append(payload)
        return job_id in self.stops

    def drain(self, job_id: str) -> list[dict]:
        return self.pending.pop(job_id, [])

    def request_stop(self, job_id: str) -> None:
        self.stops.add(job_id)

    def forget(self, job_id: str) -> None:
        self.pending.pop(job_id, None)
        self.stops.discard(job_id)


def _warm_up() -> None:
    import tensorflow  # noqa: F401

    import core.training.jobs  # noqa: F401


def _train_on_worker(arch: str, spec, hp, model_name: str, dataset, reporter, job_id: str, cpus: int) -> dict:
    """Runs inside a Ray worker: an ordinary in-process job, saved into a temporary folder, returned as bytes."""
    import ray

    where = {"node": f"{socket.gethostname()} ({ray.util.get_node_ip_address()})", "pid": os.getpid()}
    try:  # a worker process is reused between tasks; TensorFlow's pools can only be sized before first use
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(cpus)
        tf.config.threading.set_inter_op_parallelism_threads(max(1, min(cpus, 2)))
    except RuntimeError:
        pass
    from core.models import store, zoo
    from core.training import jobs

    spec = spec or zoo.get_spec(arch)
    with tempfile.TemporaryDirectory(prefix="fms-ray-") as folder:
        root = Path(folder)
        worker_job = jobs.TrainingJob(spec, hp, model_name, root=root)
        last_sent = [0.0]

        def forward(progress: Progress) -> None:
            now = time.monotonic()
            mid_epoch = progress.state == jobs.RUNNING and progress.batch not in (0, progress.batches_per_epoch)
            if mid_epoch and now - last_sent[0] < 0.1:  # at most ten reports a second; epoch ends always go
                return
            last_sent[0] = now
            with worker_job._lock:
                epoch_seconds = list(worker_job._epoch_seconds)
            payload = {"progress": progress, "epoch_seconds": epoch_seconds, **where}
            if ray.get(reporter.report.remote(job_id, payload)):
                worker_job.request_stop()

        worker_job.on_progress = forward
        forward(worker_job.snapshot())
        result = worker_job.run_here(dataset)
        answer: dict[str, Any] = {"state": result.state, "message": result.message, "seconds": result.seconds, **where}
        if result.state == jobs.DONE:
            folder_of_model = root / result.model_id
            answer["meta"] = (folder_of_model / store.META_FILE).read_text()
            answer["model"] = (folder_of_model / store.MODEL_FILE).read_bytes()
            answer["probabilities"] = store.load_probabilities(store.read_artifact(folder_of_model))
        return answer


class RayBackend:
    """Each job is one Ray task on the cluster at ``address`` (``local``: a cluster started on this machine)."""

    name = "ray"

    def __init__(
        self,
        address: str = LOCAL,
        cpus_per_job: float | None = None,
        gpus_per_job: float | None = None,
        local_cpus: int | None = None,
    ):
        self.address = address.strip() or LOCAL
        self.local_cpus = local_cpus  # for a local cluster: CPUs it offers (None: all of this machine's)
        self.cpus_per_job = cpus_per_job if cpus_per_job is not None else float(os.environ.get(ENV_CPUS_PER_JOB, 1))
        self.gpus_per_job = gpus_per_job if gpus_per_job is not None else float(os.environ.get(ENV_GPUS_PER_JOB, 0))
        if self.cpus_per_job <= 0 or self.gpus_per_job < 0:
            raise BackendError(f"{ENV_CPUS_PER_JOB} must be above 0 and {ENV_GPUS_PER_JOB} at least 0.")
        self._lock = threading.Lock()
        self._dataset_ref = None
        self._dataset_id: int | None = None
        self._remote_train = None
        self._reporter_class = None
        self.worker_pids: dict[str, int] = {}  # job id -> the worker's process id (tests kill it)
        self._last_seen: dict[str, tuple] = {}
        self._reporter_actor = None
        self._ray = None

    def describe(self) -> str:
        return "a local Ray cluster" if self.address == LOCAL else f"the Ray cluster at {self.address}"

    # -- connection -------------------------------------------------------------------
    def connect(self):
        """Start or join the cluster once per process; returns the ray module.

        ``core`` travels to the workers as a py_module, so a worker machine needs only the same Python
        packages (requirements.txt + requirements-ray.txt), not this repository."""
        try:
            import ray
        except ImportError as error:
            raise BackendError(
                "The Ray backend needs the ray package: pip install -r requirements-ray.txt"
                f" (or unset {ENV_RAY_ADDRESS} to train in this process)."
            ) from error
        with self._lock:
            if not ray.is_initialized():
                options: dict[str, Any] = {
                    "include_dashboard": False,
                    "log_to_driver": False,
                    "ignore_reinit_error": True,
                    "runtime_env": {"py_modules": [str(CORE_DIR)], "env_vars": {"TF_CPP_MIN_LOG_LEVEL": "2"}},
                }
                options["address"] = self.address  # "local": always a new cluster, never one `ray start` left
                if self.address == LOCAL:  # the object store only holds the dataset (55 MB) and returned models
                    options.update(num_cpus=self.local_cpus, object_store_memory=LOCAL_OBJECT_STORE_BYTES)
                    # Ray runs workers at nice 15; on a machine the app shares, a run then crawls whenever anything
                    # else is busy. Local runs get the priority in-process training has.
                    options["_system_config"] = {"worker_niceness": 0}
                try:
                    ray.init(**options)
                except (ConnectionError, RuntimeError, ValueError) as error:
                    raise BackendError(f"Could not reach {self.describe()}: {error}") from error
            if self._remote_train is None:
                self._remote_train = ray.remote(max_retries=0)(_train_on_worker)
                self._reporter_class = ray.remote(num_cpus=0)(_Reporter)
                self._reporter_actor = self._reporter_class.remote()  # its process starts while students type
                # a first worker imports TensorFlow now (about 5 s), not when the first student presses Start
                ray.remote(num_cpus=self.cpus_per_job, num_gpus=self.gpus_per_job, max_retries=0)(_warm_up).remote()
            self._ray = ray
        return ray

    @property
    def cluster_address(self) -> str:
        """The address another process (the CLI, a second server) joins this cluster with."""
        return self.connect().get_runtime_context().gcs_address

    def capacity(self) -> int:
        """How many jobs the cluster can train at once: its CPUs (or GPUs) over what one job asks for."""
        ray = self.connect()
        total = ray.cluster_resources()
        by_cpu = int(total.get("CPU", 0) // self.cpus_per_job)
        if self.gpus_per_job:
            by_cpu = min(by_cpu, int(total.get("GPU", 0) // self.gpus_per_job))
        return max(1, by_cpu)

    def _reporter(self):
        """The process's reporter actor, made on first use and again if its node went away."""
        with self._lock:
            if self._reporter_actor is not None:
                try:
                    self._ray.get(self._reporter_actor.drain.remote(""), timeout=10)
                except Exception:
                    self._reporter_actor = None
            if self._reporter_actor is None:
                self._reporter_actor = self._reporter_class.remote()
            return self._reporter_actor

    def _dataset(self, ray, dataset: FashionMNIST):
        with self._lock:
            if self._dataset_ref is None or self._dataset_id != id(dataset):
                self._dataset_ref, self._dataset_id = ray.put(dataset), id(dataset)
            return self._dataset_ref

    # -- one job ----------------------------------------------------------------------
    def run(self, job: TrainingJob, dataset: FashionMNIST) -> Progress:
        """Train ``job`` on the cluster; never raises: failures end the job FAILED with a readable message."""
        from core.training import jobs

        if job.stop_requested:
            job._update(state=jobs.STOPPED, message="Stopped before it started.")
            return job.snapshot()
        job._update(state=jobs.PREPARING, where=self.describe(), message=f"Sending the run to {self.describe()}…")
        reporter = task = None
        try:
            ray = self.connect()
            reporter = self._reporter()
            arch = job.spec.key
            from core.models import zoo

            spec = None if zoo.ZOO.get(arch) is job.spec else job.spec  # zoo specs travel as their key
            task = self._remote_train.options(num_cpus=self.cpus_per_job, num_gpus=self.gpus_per_job).remote(
                arch,
                spec,
                job.hp,
                job.model_name,
                self._dataset(ray, dataset),
                reporter,
                job.id,
                max(1, int(self.cpus_per_job)),
            )
            answer = self._follow(ray, job, task, reporter)
        except Exception as error:  # a dead worker, a lost node, a cluster gone away
            return self._failed(job, error)
        finally:
            if reporter is not None:
                with contextlib.suppress(Exception):  # it may have died with its node
                    reporter.forget.remote(job.id)
            self.worker_pids.pop(job.id, None)
            self._last_seen.pop(job.id, None)
        return self._finish(job, answer, dataset)

    def _follow(self, ray, job: TrainingJob, task, reporter) -> dict:
        """Mirror the remote progress into ``job`` until the task ends; pass Stop on (then force it)."""
        stop_sent: float | None = None
        cancelled = False
        while True:
            done, _ = ray.wait([task], timeout=POLL_SECONDS)
            for payload in ray.get(reporter.drain.remote(job.id)):  # every report, in order: no epoch end is skipped
                self._mirror(job, payload)
            if done:
                return ray.get(task)
            if job.stop_requested:
                if stop_sent is None:
                    reporter.request_stop.remote(job.id)
                    stop_sent = time.monotonic()
                elif not cancelled and time.monotonic() - stop_sent > STOP_GRACE_SECONDS:
                    ray.cancel(task, force=True)
                    cancelled = True

    def _mirror(self, job: TrainingJob, payload: dict) -> None:
        from core.training import jobs

        remote: Progress = payload["progress"]
        seen = (remote.state, remote.epoch, remote.batch, remote.message)
        if self._last_seen.get(job.id) == seen:
            return  # nothing new since the last poll
        self._last_seen[job.id] = seen
        self.worker_pids[job.id] = payload["pid"]
        changes: dict[str, Any] = {
            "where": f"Ray node {payload['node']}",
            "epoch": remote.epoch,
            "batch": remote.batch,
            "batches_per_epoch": remote.batches_per_epoch,
            "logs": dict(remote.logs),
            "curve": list(remote.curve),
            "last_epoch_logs": dict(remote.last_epoch_logs),
            "epoch_seconds": list(payload["epoch_seconds"]),
            "watch": remote.watch,
            "watch_epoch": remote.watch_epoch,
        }
        if remote.state in (jobs.PREPARING, jobs.RUNNING, jobs.SAVING):
            changes["state"] = remote.state
            changes["message"] = remote.message
        if remote.state in (jobs.RUNNING, jobs.SAVING):
            changes["started"] = time.perf_counter() - remote.seconds
        with job._lock:
            first_batch_unknown = job._first_batch_end is None
        if first_batch_unknown and remote.state == jobs.RUNNING and remote.batch > 0:
            changes["first_batch_end"], changes["first_batch_done"] = time.perf_counter(), remote.batch
        job._update(**changes)

    def _finish(self, job: TrainingJob, answer: dict, dataset: FashionMNIST) -> Progress:
        from core.training import jobs

        where = f"Ray node {answer['node']}"
        if answer["state"] != jobs.DONE:
            state = jobs.STOPPED if job.stop_requested or answer["state"] == jobs.STOPPED else answer["state"]
            job._update(state=state, where=where, elapsed=answer["seconds"], message=answer["message"])
            return job.snapshot()
        job._update(state=jobs.SAVING, where=where, message="Saving the model trained on the cluster…")
        try:
            artifact = _save_returned(job, answer)
        except Exception as error:
            return self._failed(job, error)
        job._update(
            state=jobs.DONE,
            where=where,
            elapsed=answer["seconds"],
            model_id=artifact.model_id,
            test_accuracy=artifact.meta.test_accuracy,
            warnings=jobs.diagnose(artifact.meta.history, artifact.meta.test_accuracy),
            message=f"Saved as {artifact.model_id}; trained on {where}.",
        )
        return job.snapshot()

    def _failed(self, job: TrainingJob, error: BaseException) -> Progress:
        from core.training import jobs

        if job.stop_requested and type(error).__name__ in ("TaskCancelledError", "WorkerCrashedError"):
            job._update(state=jobs.STOPPED, message="Stopped; nothing was saved.")
            return job.snapshot()
        job._update(state=jobs.FAILED, message=f"Training failed on {self.describe()}: {_explain(error)}")
        return job.snapshot()


def _save_returned(job: TrainingJob, answer: dict):
    """The worker's model bytes -> a model loaded in safe mode -> an atomic save on this server."""
    import keras

    from core.models import store

    meta = store.ModelMeta.from_json(answer["meta"])
    root = job.root or store.runs_dir()
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fms-ray-return-") as folder:
        path = Path(folder) / store.MODEL_FILE
        path.write_bytes(answer["model"])
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    model_id = job.reserved_id if job.reserved_id and not (root / job.reserved_id).exists() else None
    model_id = model_id or store.unique_id(root, job.model_name)
    meta = replace(
        meta,
        model_id=model_id,
        display_name=model_id,
        owner=job.owner,
        where=f"Ray node {answer['node']}",
        notes={**meta.notes, "backend": "ray", "node": answer["node"]},
    )
    artifact = store.save(model, meta, root, answer.get("probabilities"))
    store.keep_within_cap(root, artifact.model_id)
    return artifact


def _explain(error: BaseException) -> str:
    """One readable sentence for the errors Ray raises, without its multi-page tracebacks."""
    if isinstance(error, BackendError):
        return str(error)
    kind = type(error).__name__
    if kind in ("WorkerCrashedError", "NodeDiedError", "OwnerDiedError"):
        return "the worker training this run died (killed, out of memory, or its machine left the cluster)."
    if kind == "TaskCancelledError":
        return "the task was cancelled."
    if kind == "ActorDiedError":
        return "the run's progress reporter died with its worker."
    if kind == "RayTaskError":
        cause = getattr(error, "cause", None)
        if cause is not None:
            return f"{type(cause).__name__}: {str(cause).strip().splitlines()[0][:200] if str(cause).strip() else ''}"
    text = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
    return f"{kind}: {text}" if text else kind


def slots(backend: Backend) -> int:
    """Jobs to train at once: one on this server; a Ray cluster's capacity (one when it cannot be reached now,
    and then each job fails with the reason)."""
    if isinstance(backend, RayBackend):
        try:
            return backend.capacity()
        except BackendError:
            return 1
    return 1


def from_environment() -> InProcessBackend | RayBackend:
    """The backend this process uses: Ray when FASHION_STUDIO_RAY_ADDRESS is set, else in-process."""
    address = os.environ.get(ENV_RAY_ADDRESS, "").strip()
    return RayBackend(address) if address else InProcessBackend()
