"""The training line: a process-wide queue that admits a few jobs at a time, fairly between browsers.

Its rules: one browser has at most one submission waiting or running (a lesson's runs count as one);
browsers take turns (round robin, the one served longest ago first); a run over the server's duration
cap is refused before it waits; a waiting job that is cancelled leaves the line at once. Each admitted
job trains in a worker thread of its own, on the job's backend (``core.training.backends``) or here.
"""

from __future__ import annotations

import heapq
import os
import threading

from core.data import FashionMNIST
from core.models import store
from core.training import estimate
from core.training.jobs import QUEUED, STOPPED, Backend, QueueStatus, TrainingJob

ENV_MAX_JOBS = "FASHION_STUDIO_MAX_TRAINING_JOBS"


class QueueError(ValueError):
    """The queue will not take this job; the message says why and what to change."""


class TrainingQueue:
    """Runs ``max_concurrent`` jobs at a time, first come first served, each in a worker thread.

    Fair by construction: one browser (owner) has at most one job waiting or running; a waiting
    job that is cancelled leaves the line at once; jobs over the server's duration cap are refused.
    """

    def __init__(
        self,
        max_concurrent: int = 1,
        max_remembered: int = 200,
        max_run_seconds: float | None = None,
        backend: Backend | None = None,
    ):
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        self.max_concurrent = max_concurrent
        self.backend = backend  # given to every job that names none (core.training.backends)
        self.max_remembered = max_remembered
        self.max_run_seconds = estimate.max_run_seconds() if max_run_seconds is None else max_run_seconds
        self.jobs: dict[str, TrainingJob] = {}
        self._lock = threading.RLock()
        self._waiting: list[tuple[TrainingJob, FashionMNIST]] = []
        self._running: dict[str, TrainingJob] = {}
        self._last_served: dict[str, int] = {}  # owner -> tick of its latest start
        self._ticks = 0

    def submit(self, job: TrainingJob, dataset: FashionMNIST) -> TrainingJob:
        """Queue the job, or raise QueueError saying why not (nothing is queued then)."""
        return self.submit_group([job], dataset)[0]

    def submit_group(self, jobs: list[TrainingJob], dataset: FashionMNIST) -> list[TrainingJob]:
        """Queue jobs together (a lesson's runs): each is a normal entry in the line, and together they count as
        the browser's one active submission. All or nothing: a refusal queues none of them."""
        cap = self.max_run_seconds
        for job in jobs:
            if cap > 0 and job.estimated_seconds is not None and job.estimated_seconds > cap:
                raise QueueError(
                    f"This run would take about {_duration(job.estimated_seconds)} on this server; one run may take"
                    f" at most {_duration(cap)} here. Lower the epochs or the training examples, or pick a smaller"
                    " architecture."
                )
        with self._lock:
            self._admit(jobs)
            for job in jobs:
                self._waiting.append((job, dataset))
                job.queue_status = lambda job_id=job.id: self.status(job_id)
                job.backend = job.backend or self.backend
                if job.backend is not None:
                    job._where = job.backend.describe()  # a waiting run is not on "this server" either
            self._dispatch()
        return jobs

    def track(self, job: TrainingJob) -> TrainingJob:
        """List a run that trains elsewhere (in its owner's browser, ``core.training.browser``): it holds no slot
        and never waits, but counts as its browser's one active run and is seen and stopped like any other."""
        with self._lock:
            self._admit([job])
        return job

    def _admit(self, jobs: list[TrainingJob]) -> None:
        """One active submission per browser; each job gets its reserved id and joins the list. Lock held."""
        for owner in {job.owner for job in jobs} - {""}:
            mine = self.active_job_of(owner)
            if mine is not None:
                raise QueueError(
                    f"You already have a run {'training' if mine.state != QUEUED else 'waiting'}"
                    f" ({mine.reserved_id or mine.model_name}). Stop it or let it finish before starting another."
                )
        self._forget_old()
        reserved = {other.reserved_id for other in self.jobs.values() if not other.finished}
        for job in jobs:
            job.group = jobs[0].id
            job.reserved_id = store.unique_id(job.root or store.runs_dir(), job.model_name, taken=reserved)
            reserved.add(job.reserved_id)
            self.jobs[job.id] = job

    def busy(self) -> bool:
        """Every slot of the server taken, or runs waiting for one."""
        with self._lock:
            return bool(self._waiting) or len(self._running) >= self.max_concurrent

    def _start_order(self) -> list[tuple[TrainingJob, FashionMNIST]]:
        """The waiting jobs in the order they will start: round robin over browsers (the one served longest ago
        first; first come first served among equals), so one learner's lesson never holds back the class."""
        served = dict(self._last_served)
        waiting, order = list(self._waiting), []
        tick = self._ticks
        while waiting:
            entry = min(waiting, key=lambda item: (served.get(item[0].owner, -1), waiting.index(item)))
            waiting.remove(entry)
            tick += 1
            served[entry[0].owner] = tick
            order.append(entry)
        return order

    def _dispatch(self) -> None:
        """Start waiting jobs while slots are free. Lock held."""
        while self._waiting and len(self._running) < self.max_concurrent:
            job, dataset = entry = self._start_order()[0]
            self._waiting.remove(entry)
            self._ticks += 1
            self._last_served[job.owner] = self._ticks
            self._running[job.id] = job
            threading.Thread(target=self._work, args=(job, dataset), name=f"train-{job.id[:8]}", daemon=True).start()

    def _work(self, job: TrainingJob, dataset: FashionMNIST) -> None:
        try:
            job.run(dataset)
        finally:
            with self._lock:
                self._running.pop(job.id, None)
                self._dispatch()

    def cancel(self, job_id: str) -> bool:
        """Stop a job: a waiting one leaves the line now; a running one stops after its current batch."""
        with self._lock:
            job = self.jobs.get(job_id)
            if job is None or job.finished:
                return False
            waiting = [entry for entry in self._waiting if entry[0].id == job_id]
            for entry in waiting:
                self._waiting.remove(entry)
        job.request_stop()
        if waiting:
            job._update(state=STOPPED, message="Removed from the queue before it started; nothing was trained.")
        return True

    def status(self, job_id: str) -> QueueStatus | None:
        """The line as this job sees it; None once it is no longer waiting."""
        with self._lock:
            order = [job for job, _ in self._start_order()]
            position = next((index for index, job in enumerate(order) if job.id == job_id), None)
            if position is None:
                return None
            running = list(self._running.values())
            # when each slot frees up: running jobs' remaining time, then each job ahead in turn
            slots = [0.0] * (self.max_concurrent - len(running))
            known = True
            for job in running:
                left = job.remaining_seconds()
                known &= left is not None
                slots.append(left or 0.0)
            heapq.heapify(slots)
            for job in order[:position]:
                known &= job.estimated_seconds is not None
                heapq.heappush(slots, heapq.heappop(slots) + (job.estimated_seconds or 0.0))
            return QueueStatus(len(running), len(order), position, slots[0] if known else None)

    def get(self, job_id: str) -> TrainingJob | None:
        with self._lock:
            return self.jobs.get(job_id)

    def active_job_of(self, owner: str) -> TrainingJob | None:
        """This browser's job that is waiting or running, if any."""
        with self._lock:
            return next((job for job in self.jobs.values() if job.owner == owner and not job.finished), None)

    def latest_job_of(self, owner: str, lesson: bool = False, teaching: bool = False) -> TrainingJob | None:
        """This browser's newest single run (or, with ``lesson``, its newest run of a lesson; with ``teaching``, its
        newest teaching)."""
        with self._lock:
            mine = (job for job in reversed(self.jobs.values()) if job.owner == owner and job.teaches == teaching)
            return next((job for job in mine if (job.lesson is not None) == lesson), None)

    def group_of(self, job: TrainingJob) -> list[TrainingJob]:
        """The jobs queued together with this one, in their order (just this job when it came alone)."""
        with self._lock:
            return [other for other in self.jobs.values() if other.group == job.group] or [job]

    def all_jobs(self) -> list[TrainingJob]:
        """Every remembered job, oldest first (the teacher's view)."""
        with self._lock:
            return list(self.jobs.values())

    def active_count(self) -> int:
        with self._lock:
            return sum(1 for job in self.jobs.values() if not job.finished)

    def _forget_old(self) -> None:
        finished = [job_id for job_id, job in self.jobs.items() if job.finished]
        for job_id in finished[: max(0, len(self.jobs) - self.max_remembered)]:
            del self.jobs[job_id]


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


_queue: TrainingQueue | None = None
_queue_lock = threading.Lock()


def default_queue() -> TrainingQueue:
    """The process-wide queue. Its size comes from FASHION_STUDIO_MAX_TRAINING_JOBS (default 1); with a Ray
    backend (FASHION_STUDIO_RAY_ADDRESS) and no such setting, from the cluster's capacity when the queue is made."""
    global _queue
    with _queue_lock:
        if _queue is None:
            from core.training import backends

            backend = backends.from_environment()
            slots = os.environ.get(ENV_MAX_JOBS, "")
            _queue = TrainingQueue(
                max(1, int(slots or backends.slots(backend))), backend=None if backend.name == "in-process" else backend
            )
            store.sweep_partial_saves()  # once per process: saves a killed server left behind
        return _queue
