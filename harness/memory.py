"""A process's resident memory and its descendants', read from /proc (Linux): what the memory benchmark
reports and what the load test holds under a budget."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Reading:
    step: str
    server_mb: float
    children_mb: float
    peak_mb: float  # the server's VmHWM: its highest resident size so far
    seconds: float

    @property
    def total_mb(self) -> float:
        return self.server_mb + self.children_mb


def status_kb(pid: int, field: str) -> int:
    """A ``kB`` field of /proc/PID/status (0 when the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def children(pid: int) -> list[int]:
    """Every descendant process, through /proc/PID/task/*/children."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found + [grandchild for child in found for grandchild in children(child)]


def read(pid: int, step: str, seconds: float) -> Reading:
    """The process's and its descendants' resident memory now, and its peak, labelled ``step``."""
    descendants = sum(status_kb(child, "VmRSS") for child in children(pid))
    return Reading(step, status_kb(pid, "VmRSS") / 1024, descendants / 1024, status_kb(pid, "VmHWM") / 1024, seconds)
