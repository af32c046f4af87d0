"""Where building, measuring and testing live (the README's "The code"): recipes/ makes what artifacts/
ships and `make zoo` runs only recipes/; bench/ measures and never leans on tests/; harness/ is what both tests
and benchmarks use to meet the app, so neither imports the other; `make bench` names every benchmark it skips.

Imports are read from the source with ``ast``, so every one counts (at the top, inside functions, relative ones).
"""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


def python_files(folder: str) -> list[Path]:
    return sorted((REPO_ROOT / folder).rglob("*.py"))


def imported_modules(path: Path, source: str | None = None) -> Iterator[tuple[str, int]]:
    """(module, line) for every import in the file (or in ``source`` as if it were that file); a relative import
    is resolved against the file's package."""
    package = list(path.relative_to(REPO_ROOT).parent.parts)
    for node in ast.walk(ast.parse(path.read_text() if source is None else source, filename=str(path))):
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            yield ".".join([*base, node.module] if node.module else base), node.lineno


def imports_from(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    """Every import in ``folder`` of a top-level package in ``forbidden``, as ``file:line module``."""
    return [
        f"{path.relative_to(REPO_ROOT)}:{line} {module}"
        for path in python_files(folder)
        for module, line in imported_modules(path)
        if module.split(".")[0] in forbidden
    ]


def make_target(name: str) -> list[str]:
    """The command lines of one Makefile target (its tab-indented lines)."""
    lines = (REPO_ROOT / "Makefile").read_text().splitlines()
    start = next(index for index, line in enumerate(lines) if re.match(rf"{re.escape(name)}\s*:(?!=)", line))
    commands = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        commands.append(line.strip())
    return commands


def run_all_lists() -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """bench/run_all.py's RUN and SKIPPED, read from its source (tests import nothing from bench/)."""
    tree = ast.parse((REPO_ROOT / "bench" / "run_all.py").read_text())
    found = {
        node.target.id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None
    }
    return found["RUN"], found["SKIPPED"]


def test_the_import_reader_sees_every_form():
    """The checks below are only as good as this reader: it must catch each way of writing an import."""
    source = "import tests.conftest\nfrom tests.e2e import conftest\n\ndef later():\n    from ..tests import conftest\n"
    found = [module for module, _ in imported_modules(REPO_ROOT / "bench" / "sample.py", source)]
    assert found == ["tests.conftest", "tests.e2e", "tests"]


def test_bench_imports_nothing_from_tests():
    assert imports_from("bench", ("tests",)) == []


def test_recipes_import_neither_bench_nor_tests():
    assert imports_from("recipes", ("bench", "tests")) == []


def test_harness_imports_core_at_most():
    assert imports_from("harness", ("tests", "bench", "recipes", "ui", "app_pages", "server", "studio", "app")) == []


def test_tests_import_nothing_from_bench():
    assert imports_from("tests", ("bench",)) == []


def test_make_zoo_runs_only_recipes():
    commands = make_target("zoo")
    modules = [match for command in commands for match in re.findall(r"-m\s+(\S+)", command)]
    assert modules and all(module.startswith("recipes.") for module in modules), commands
    assert not any("bench" in command for command in commands), commands


def test_make_bench_runs_or_names_every_benchmark():
    """A benchmark is a module of bench/ run as a program; each is run by make bench or skipped with a reason."""
    programs = {
        path.stem
        for path in python_files("bench")
        if path.stem != "run_all" and re.search(r'^if __name__ == "__main__":', path.read_text(), re.M)
    }
    run, skipped = run_all_lists()
    assert set(run) | set(skipped) == programs
    assert not set(run) & set(skipped)
    assert all(reason.strip() for reason in skipped.values())


@pytest.mark.parametrize("target", ["zoo", "bench", "embeddings", "label-issues", "load"])
def test_make_targets_name_modules_that_exist(target):
    modules = [match for command in make_target(target) for match in re.findall(r"-m\s+(\S+)", command)]
    assert modules
    assert [module for module in modules if importlib.util.find_spec(module) is None] == []
