"""``streamlit run app.py`` on a free localhost port, started exactly as ``make run`` starts it (only the port
differs: everything else comes from .streamlit/config.toml), so tests and benchmarks meet the real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# Server logs go beside the browser tests' screenshots (git-ignored), so one folder holds what a run saw.
LOG_DIR = REPO_ROOT / "tests" / "e2e" / "output"


def free_port() -> int:
    """A localhost port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


BASE_PATH_SETTING = "STREAMLIT_SERVER_BASE_URL_PATH"  # server.baseUrlPath, as a proxy in front of the app sets it


def wait_healthy(url: str, process: subprocess.Popen, log_path: Path, timeout: float = 240) -> None:
    """Poll ``url``'s health endpoint until it answers 200; a server that exits or never answers raises with its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}: {log_path.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)  # polling a health endpoint, not waiting on the UI
    raise RuntimeError(f"streamlit did not become healthy in {timeout} s")


class StreamlitServer:
    """`streamlit run app.py` exactly as `make run` starts it (only the port differs); ``url`` once healthy.

    ``base_path`` serves it under a path, as behind a school's reverse proxy at /studio/ (Streamlit's own
    ``server.baseUrlPath``, given in the environment: the command stays the same); ``url`` includes it."""

    def __init__(
        self, env: dict[str, str] | None = None, log_name: str = "server", log_dir: Path = LOG_DIR, base_path: str = ""
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}" + (f"/{base_path.strip('/')}" if base_path.strip("/") else "")
        env = {**(env or {}), BASE_PATH_SETTING: base_path.strip("/")}
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{log_name}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",  # the only difference from `make run`: everything else is .streamlit/config.toml
                str(self.port),
            ],
            cwd=REPO_ROOT,
            env={**os.environ, **(env or {})},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_healthy(self, timeout: float = 240) -> None:  # (the server warms up before it answers)
        wait_healthy(self.url, self.process, self.log_path, timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log.close()
