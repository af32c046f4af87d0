"""The CLI (`python -m core ...`) as the tests run it: one helper for every test file.

``run_cli`` calls ``core.cli.main``, the function `python -m core` runs, inside the test's process, with the
environment, stdout and stderr a process of its own would have: the call costs what the command does, not the
7 s of CPU a new process spends importing TensorFlow. ``run_cli_process`` starts the real `python -m core` and is
kept for what only a new process shows: the entry point itself, what a command imports, a second process joining a
Ray cluster."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys

from tests.conftest import REPO_ROOT


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`python -m core *args` in this process; ``env`` is added to the environment for the call only."""
    from core import cli

    saved = dict(os.environ)
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        os.environ.update(env or {})
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                returncode = cli.main(list(args))
            except SystemExit as exit:  # argparse's own refusals, as the process would exit
                returncode = exit.code if isinstance(exit.code, int) else int(exit.code is not None)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return subprocess.CompletedProcess(
        ["python", "-m", "core", *args], returncode, stdout.getvalue(), stderr.getvalue()
    )


def run_cli_process(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """The real `python -m core *args`, a process of its own, from the repository's root."""
    return subprocess.run(
        [sys.executable, "-m", "core", *args],
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
