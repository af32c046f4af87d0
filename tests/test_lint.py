"""ruff (lint + format) is part of the test run, with the settings in pyproject.toml."""

import subprocess
import sys

from tests.conftest import REPO_ROOT


def test_ruff_check():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_ruff_format():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "."], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def test_core_never_imports_streamlit():
    offenders = [path.name for path in (REPO_ROOT / "core").glob("*.py") if "import streamlit" in path.read_text()]
    assert offenders == []
