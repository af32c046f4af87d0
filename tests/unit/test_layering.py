"""Imports run one way, down the stages of the work: no circle in core, no stage importing a later one, core
never touching Streamlit, the UI or the server; ui in its rooms (ui/shared/ for what several pages use, one module
per page named like the page), no page module importing another's, no server plumbing in ui; pages through ui
(the few core names a page may use directly are listed below, each with its reason). The README's "The code" says
the same in words.

Read from the source with ``ast``, so every import counts: at the top, inside functions, under
``if TYPE_CHECKING:``, ``from core.x import y``, ``from core import x`` and relative imports.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import REPO_ROOT

# core's stages, earliest first: a module may import its own stage and earlier ones, never a later one.
# predict comes before understand because the vote (core.understand.vote) averages both the answers
# inference gives for one picture and the models' test-set evaluations; nothing in predict needs understand.
STAGES: tuple[tuple[str, ...], ...] = (
    ("core", "core.data"),  # the package's docstring (its __init__ imports nothing), and the dataset
    ("core.models",),
    ("core.training",),
    ("core.predict",),
    # teaching on a student's pictures reads them as Predict prepares them: after core.predict, though in training
    ("core.training.examples", "core.training.teach"),
    ("core.understand",),
    ("core.cli", "core.__main__"),
)
LAYERS = ("core", "ui", "app_pages", "server")
MAX_TOP_LEVEL_MODULES = 6  # core/'s own files: __init__, __main__, data, cli; the rest live in the stages

# Modules the pages import before any model is needed: they must not load Keras (the Dataset page opens
# without TensorFlow). zoo, export, estimate, the jobs, the queue and the lessons import Keras at the top.
KERAS_FREE = (
    "core",
    "core.data",
    "core.cli",
    "core.models",
    "core.models.store",
    "core.models.artifact",
    "core.models.database",
    "core.models.settings",
    "core.models.model_cache",
    "core.training",
    "core.training.backends",
    "core.training.browser_runtime",
    "core.training.examples",
    "core.predict",
    "core.predict.preprocess",
    "core.predict.garment_check",
    "core.predict.novelty",
    "core.predict.photo_set",
    "core.predict.inference",
    "core.understand",
    "core.understand.evaluation",
    "core.understand.compare",
    "core.understand.inspection",
    "core.understand.label_issues",
    "core.understand.selection",
    "core.understand.game",
    "core.understand.vote",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_files() -> dict[str, Path]:
    return {module_name(path): path for layer in LAYERS for path in sorted((REPO_ROOT / layer).rglob("*.py"))}


MODULES = source_files()


def imports(name: str) -> Iterator[tuple[str, int]]:
    """(imported module, line) for every import in the module; ``from a import b`` names ``a.b`` when that is a
    module of this project, else ``a``."""
    path = MODULES[name]
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from . import x, from ..models import store
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            for alias in node.names:
                candidate = f"{module}.{alias.name}"
                yield (candidate if candidate in MODULES else module), node.lineno


def graph(layer: str) -> dict[str, list[tuple[str, int]]]:
    return {name: list(imports(name)) for name in MODULES if name.split(".")[0] == layer}


def stage(name: str) -> int:
    """The index of the stage whose longest prefix names this core module."""
    _, index = max(
        (len(prefix), index) for index, prefixes in enumerate(STAGES) for prefix in prefixes if _under(name, prefix)
    )
    return index


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _where(name: str, line: int) -> str:
    return f"{MODULES[name].relative_to(REPO_ROOT)}:{line}"


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every circle found by a depth-first walk (each reported once, from its first module met)."""
    found: list[list[str]] = []
    state: dict[str, str] = {}  # "open" while on the walk's path, "done" after

    def walk(node: str, path: list[str]) -> None:
        state[node] = "open"
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                walk(target, path)
        path.pop()
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            walk(node, [])
    return found


def test_every_core_module_belongs_to_a_stage_and_core_itself_stays_small():
    core = [name for name in MODULES if name.split(".")[0] == "core"]
    loose = [name for name in core if stage(name) == 0 and name not in STAGES[0]]
    assert not loose, f"modules in no stage (add them to a sub-package, or to STAGES): {loose}"
    top_level = sorted(path.name for path in (REPO_ROOT / "core").glob("*.py"))
    assert len(top_level) <= MAX_TOP_LEVEL_MODULES, f"core/ holds {top_level}: move modules into the stages"


def test_no_import_cycle_in_core():
    core = graph("core")
    edges = {name: {target for target, _ in found if target in core} for name, found in core.items()}
    circles = cycles(edges)
    assert not circles, "import cycles in core:\n" + "\n".join(" -> ".join(circle) for circle in circles)


def test_core_imports_only_its_own_stage_or_earlier_ones():
    wrong = [
        f"{_where(name, line)} {name} (stage {STAGES[stage(name)][-1]}) imports {target}"
        f" (a later stage: {STAGES[stage(target)][-1]})"
        for name, found in graph("core").items()
        for target, line in found
        if target in MODULES and _under(target, "core") and stage(target) > stage(name)
    ]
    assert not wrong, "imports up the stages (data < models < training < predict < understand < cli):\n" + "\n".join(
        wrong
    )


def test_core_never_imports_streamlit_ui_server_or_pages():
    wrong = [
        f"{_where(name, line)} {name} imports {target}"
        for name, found in graph("core").items()
        for target, line in found
        if target.split(".")[0] in ("ui", "app_pages", "server")
        or target.startswith("streamlit")  # _drawable_canvas too
    ]
    assert not wrong, "core must stay plain Python + Keras:\n" + "\n".join(wrong)


def page_names() -> set[str]:
    return {path.stem for path in (REPO_ROOT / "app_pages").glob("*.py") if path.stem != "__init__"}


def _is_page_module(name: str) -> bool:
    """ui.<page>: a page's own module (anything in ui but its package and ui.shared)."""
    parts = name.split(".")
    return parts[0] == "ui" and len(parts) == 2 and parts[1] != "shared"


def ui_import_problems(edges: dict[str, list[tuple[str, int]]]) -> list[str]:
    """ui sits below the pages and beside the server: it imports neither; ui.shared imports no page module; a page
    module imports no other page's module; nothing in ui serves HTTP or downloads."""
    wrong = []
    for name, found in edges.items():
        for target, line in found:
            root = target.split(".")[0]
            if root in ("app_pages", "server"):
                wrong.append(f"{name}:{line} imports {target} (ui sits below the pages and beside the server)")
            elif _is_page_module(target) and target != name and (_is_page_module(name) or name.startswith("ui.shared")):
                wrong.append(f"{name}:{line} imports the page module {target} (share it through ui.shared)")
            elif root in NETWORK_MODULES:
                wrong.append(f"{name}:{line} imports {target} (HTTP routes and downloads belong in server/)")
    return wrong


def page_import_problems(edges: dict[str, list[tuple[str, int]]]) -> list[str]:
    """A page uses ui; a core module only where PAGES_MAY_USE_CORE says so; never the server or another page."""
    wrong = []
    for name, found in edges.items():
        allowed = PAGES_MAY_USE_CORE.get(name.split(".")[-1], {})
        for target, line in found:
            root = target.split(".")[0]
            if root in ("app_pages", "server") or (root == "core" and target not in allowed):
                wrong.append(f"{name}:{line} imports {target}")
    return wrong


# Pure functions and constants of core a page may call itself, rather than through a ui wrapper that would only
# pass them on. Anything else of core reaches a page through ui (cached, with its messages).
PAGES_MAY_USE_CORE: dict[str, dict[str, str]] = {
    "home": {"core.data": "the dataset's pure summaries (sample_indices, mean_images)"},
    "play": {"core.understand.game": "the game's pure rules (make_game, scoreboard, GAME_SIZE)"},
    "predict": {
        "core.data": "the dataset's missing-file error and its setting's name, for the page's own message",
        "core.predict.preprocess": "the one pure function per picture source, called as the page reads its input",
        "core.understand.selection": "which models the page marks as weak (a pure rule over the list)",
    },
    "train": {
        "core.training.browser": "the two places a run trains (SERVER, BROWSER) and the browser job's type",
        "core.training.jobs": "a finished run's states (DONE, STOPPED)",
    },
}
NETWORK_MODULES = ("starlette", "urllib", "http", "requests", "httpx", "socket", "tarfile")


def test_ui_has_three_kinds_of_room():
    """ui/ holds its package file, ui/shared/, and one module per page named exactly like the page (with the
    page's own assets, e.g. train.js): nothing else."""
    pages = page_names()
    strays = [
        path.name
        for path in (REPO_ROOT / "ui").iterdir()
        if path.name not in ("__init__.py", "shared", "__pycache__") and path.name.split(".")[0] not in pages
    ]
    assert not strays, f"ui/ holds {strays}: shared pieces go to ui/shared/, server plumbing to server/"
    assert {path.stem for path in (REPO_ROOT / "ui").glob("*.py")} - {"__init__"} <= pages


def test_ui_imports_run_one_way():
    wrong = ui_import_problems(graph("ui"))
    assert not wrong, "\n".join(wrong)


def test_pages_go_through_ui():
    wrong = page_import_problems(graph("app_pages"))
    assert not wrong, "pages use ui (or a core name listed in PAGES_MAY_USE_CORE, with its reason):\n" + "\n".join(
        wrong
    )


def test_server_never_imports_a_page():
    wrong = [
        f"{_where(name, line)} {name} imports {target}"
        for name, found in graph("server").items()
        for target, line in found
        if target.split(".")[0] == "app_pages"
    ]
    assert not wrong, "\n".join(wrong)


def test_the_rules_catch_an_injected_bad_import():
    """Each rule above reports a bad import slipped into a copy of the real graph (so none of them is vacuous)."""
    ui_graph = graph("ui")
    assert ui_import_problems({**ui_graph, "ui.inside": [*ui_graph["ui.inside"], ("ui.predict", 1)]})
    assert ui_import_problems({**ui_graph, "ui.shared.models": [("ui.evaluate", 1)]})
    assert ui_import_problems({**ui_graph, "ui.train": [("server.tfjs", 1)]})
    assert ui_import_problems({**ui_graph, "ui.predict": [("urllib.request", 1)]})
    pages = graph("app_pages")
    assert page_import_problems({**pages, "app_pages.teacher": [("core.models.store", 1)]})
    assert page_import_problems({**pages, "app_pages.inside": [("ui.predict", 1), ("app_pages.predict", 2)]})
    assert not page_import_problems({**pages, "app_pages.home": [("core.data", 1)]})


def test_no_function_is_longer_than_80_lines():
    long = [
        f"{path.relative_to(REPO_ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for layer in LAYERS
        for path in sorted((REPO_ROOT / layer).rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > 80
    ]
    assert not long, "split these into named steps:\n" + "\n".join(long)


def test_core_package_inits_import_nothing():
    """A package's __init__ runs on every import from it: kept empty, importing core.data never loads Keras."""
    heavy = [
        f"{_where(name, line)} {name} imports {target}"
        for name, found in graph("core").items()
        if MODULES[name].name == "__init__.py"
        for target, line in found
        if target != "__future__"
    ]
    assert not heavy, "\n".join(heavy)


def test_the_modules_pages_import_first_do_not_load_keras():
    script = (
        "import importlib, sys\n"
        f"for name in {list(KERAS_FREE)!r}:\n"
        "    importlib.import_module(name)\n"
        "    if 'keras' in sys.modules or 'tensorflow' in sys.modules:\n"
        "        print('imports Keras:', name)\n"
        "        break\n"
        "else:\n"
        "    print('none imports Keras')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == "none imports Keras", done.stdout
