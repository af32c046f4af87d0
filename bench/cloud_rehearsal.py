"""A Streamlit Community Cloud deploy rehearsed on this machine: what a teacher's first deploy would meet.

What Cloud does, step by step, and what this script does for each:

1. A clean clone of the repository: ``git clone`` of this checkout's HEAD into a temp folder (what is not
   committed is not deployed).
2. A fresh environment for the Python picked at deploy: ``uv venv --python <local 3.12>`` then
   ``uv pip install -r requirements.txt`` (Cloud installs with uv), timed, with a fresh uv cache unless
   ``--warm-cache``. Which Pythons the requirements resolve for (3.11 to 3.14) is asked of uv too
   (``uv pip compile --python-version``), so Cloud's 3.14 default is answered in uv's own words.
   ``packages.txt`` is Cloud's apt list: each package is checked with dpkg and installed when missing.
3. ``streamlit run app.py`` as ``make run`` starts it, plus the options Cloud forces (``CLOUD_FLAGS``), inside
   a memory cgroup limited to Cloud's 2.7 GB (cgroup v1, as root); without a cgroup, the process tree's RSS
   is sampled instead and the report says so.
4. Time to healthy (``/_stcore/health`` answers 200), then headless Chromium (Debian's) opens every page
   of the navigation, waits for its script to finish, counts exception boxes, and trains the smallest
   architecture for one epoch on the server until it is saved.

    .venv/bin/python -m bench.cloud_rehearsal                 # what `make cloud-rehearsal` runs
    .venv/bin/python -m bench.cloud_rehearsal --keep          # keep the clone and its environment
    .venv/bin/python -m bench.cloud_rehearsal --skip-install --env /tmp/fms-cloud-XXXX/venv

Bounded: loopback only, one server, a timeout on every wait.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness import memory as process_memory  # noqa: E402
from harness.chromium import CHROMIUM, CHROMIUM_ARGS, wait_for_app  # noqa: E402
from harness.serve import free_port, wait_healthy  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS = REPO_ROOT / "bench" / "results" / "cloud-rehearsal.md"
# The options Community Cloud forces on every app, whatever .streamlit/config.toml says.
CLOUD_FLAGS = (
    "--server.runOnSave",
    "true",
    "--runner.fastReruns",
    "true",
    "--server.enableXsrfProtection",
    "true",
    "--client.showErrorDetails",
    "false",
)
MEMORY_LIMIT_BYTES = int(2.7 * 1024**3)  # Cloud's "about 2.7 GB" for the whole app, read as GiB: 2765 MiB
MIB = 1024**2
CGROUP_ROOT = Path("/sys/fs/cgroup/memory")
# The smallest architecture of the zoo (MLP 128, ~102k parameters), one epoch on the smallest subset: the
# Train page's shareable link sets all three (its widgets are bound to the query string).
TRAIN_LINK = "/train?arch=MLP+128&epochs=1&examples=1000"
TRAIN_NAME = "cloud-rehearsal"
RESOLVE_PYTHONS = ("3.11", "3.12", "3.13", "3.14")
HEALTH_TIMEOUT_S = 600  # warm-up imports TensorFlow and loads every shipped model: minutes on a busy machine
PAGE_TIMEOUT_MS = 180_000
TRAIN_TIMEOUT_MS = 900_000


@dataclass
class Report:
    """Everything one rehearsal measured; ``None`` where a step was skipped or did not get that far."""

    command: str
    started: str
    note: str = ""
    commit: str = ""
    python: str = ""
    uv: str = ""
    cache: str = ""
    install_s: float | None = None
    env_mib: float | None = None
    installed: dict[str, str] = field(default_factory=dict)
    resolves: dict[str, str] = field(default_factory=dict)
    python_314: str = ""
    system_packages: list[str] = field(default_factory=list)
    memory_method: str = ""
    healthy_s: float | None = None
    warm_up: str = ""
    pages: list[tuple[str, float | None, int, str]] = field(default_factory=list)  # path, seconds, exceptions, error
    nav_pages: int = 0
    train_s: float | None = None
    train_exceptions: int = 0
    train_outcome: str = ""
    peak_mib: float | None = None
    peak_rss_mib: float | None = None
    failcnt: int | None = None
    end_split: str = ""
    oom_kills: str = ""
    server_exit: str = ""
    load_before: float = 0.0
    load_after: float = 0.0
    errors: list[str] = field(default_factory=list)


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)


def local_python(version_or_path: str) -> Path:
    """A Python already on this machine (uv may not download one here): a path, pyenv's, or python3.X on PATH
    (pyenv's shims are skipped: they answer only for the version pyenv has selected)."""
    if os.sep in version_or_path:
        return Path(version_or_path)
    name = f"python{version_or_path}"
    candidates = sorted(glob.glob(f"/root/.pyenv/versions/{version_or_path}.*/bin/{name}"))
    candidates += [
        str(Path(folder) / name) for folder in os.environ.get("PATH", "").split(os.pathsep) if "shims" not in folder
    ]
    found = next((path for path in candidates if os.access(path, os.X_OK)), None)
    if not found:
        raise SystemExit(f"No {name} in pyenv or on PATH: pass --python /path/to/{name}")
    return Path(found)


def uv_binary() -> str:
    try:
        import uv

        return uv.find_uv_bin()
    except ImportError:
        found = shutil.which("uv")
        if not found:
            raise SystemExit("uv not found: `make cloud-rehearsal` installs it into .venv (pip install uv)") from None
        return found


def clone(workdir: Path, report: Report) -> Path:
    app_dir = workdir / "app"
    done = run(["git", "clone", "--quiet", str(REPO_ROOT), str(app_dir)])
    if done.returncode:
        raise SystemExit(f"git clone failed: {done.stderr}")
    report.commit = run(["git", "-C", str(app_dir), "log", "-1", "--format=%h %s"]).stdout.strip()
    return app_dir


def which_pythons_resolve(uv: str, app_dir: Path, python: Path, report: Report) -> None:
    """uv's own answer for each Python Cloud offers, without an interpreter of that version (``--python-version``)."""
    for version in RESOLVE_PYTHONS:
        done = run(
            [uv, "pip", "compile", "requirements.txt", "--python-version", version, "--python", str(python)]
            + ["--no-header", "--quiet", "-o", os.devnull],
            cwd=app_dir,
        )
        message = " ".join(line.strip() for line in done.stderr.splitlines() if line.strip())
        report.resolves[version] = "resolves" if done.returncode == 0 else message
    try:
        report.python_314 = f"a 3.14 interpreter is here ({local_python('3.14')}): rerun with --python 3.14 to see it"
    except SystemExit:
        report.python_314 = "no 3.14 interpreter on this machine: the 3.14 line is uv resolving for 3.14's wheel tags"


def install(uv: str, app_dir: Path, env_dir: Path, python: Path, warm_cache: bool, report: Report) -> None:
    """``uv venv`` + ``uv pip install -r requirements.txt``, timed together, as Cloud's build step."""
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    if not warm_cache:
        env["UV_CACHE_DIR"] = str(env_dir.parent / "uv-cache")  # empty: every wheel downloaded, as on a new deploy
    report.cache = "warm (this machine's uv cache)" if warm_cache else "cold (a new, empty uv cache)"
    started = time.perf_counter()
    for command in (
        [uv, "venv", "--quiet", "--python", str(python), str(env_dir)],
        [uv, "pip", "install", "--quiet", "--python", str(env_dir / "bin" / "python"), "-r", "requirements.txt"],
    ):
        done = run(command, cwd=app_dir, env=env)
        if done.returncode:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    report.install_s = time.perf_counter() - started
    report.env_mib = sum(f.stat().st_size for f in env_dir.rglob("*") if f.is_file() and not f.is_symlink()) / MIB


def describe_env(uv: str, env_dir: Path, report: Report) -> None:
    python = env_dir / "bin" / "python"
    report.python = run([str(python), "-c", "import platform; print(platform.python_version())"]).stdout.strip()
    frozen = run([uv, "pip", "freeze", "--python", str(python)]).stdout.splitlines()
    wanted = ("streamlit", "tensorflow-cpu", "keras", "numpy")
    pins = dict(line.split("==", 1) for line in frozen if "==" in line)
    report.installed = {name: pins.get(name, "?") for name in wanted}
    report.installed["packages in all"] = str(len(pins))


def system_packages(app_dir: Path, report: Report) -> None:
    """Cloud installs packages.txt with apt; here each is checked and installed when missing (as root)."""
    listed = app_dir / "packages.txt"
    names = [line.strip() for line in listed.read_text().splitlines() if line.strip() and not line.startswith("#")]
    for name in names:
        if run(["dpkg", "-s", name]).returncode == 0:
            report.system_packages.append(f"{name}: already installed")
            continue
        started = time.perf_counter()
        run(["apt-get", "update", "-qq"])
        done = run(["apt-get", "install", "-y", "-qq", name], env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        outcome = "installed" if done.returncode == 0 else f"apt-get failed: {done.stderr.strip()[-300:]}"
        report.system_packages.append(f"{name}: {outcome} ({time.perf_counter() - started:.0f} s)")


class MemoryWatch:
    """The server's memory: a v1 memory cgroup capped at Cloud's limit when one can be made (its peak, fail
    count and OOM kills), and in any case the RSS of its processes sampled every 0.5 s."""

    def __init__(self, limit_bytes: int):
        self.cgroup: Path | None = None
        self.peak_rss = 0
        self.server_pid: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        try:
            self.cgroup = _own_memory_cgroup() / f"fms-cloud-rehearsal-{os.getpid()}"
            self.cgroup.mkdir()
            (self.cgroup / "memory.limit_in_bytes").write_text(str(limit_bytes))
        except OSError as error:
            self.failure = f"{type(error).__name__}: {error}"
            self.cgroup = None

    @property
    def method(self) -> str:
        if self.cgroup:
            return f"cgroup v1 `{self.cgroup}`, memory.limit_in_bytes = {MEMORY_LIMIT_BYTES:,} (2.7 GiB)"
        return f"no cgroup ({self.failure}): RSS of the server's process tree sampled every 0.5 s, NO limit enforced"

    def wrap(self, command: list[str]) -> list[str]:
        """The server's command, joining the cgroup before it allocates anything (sh writes its pid, then execs)."""
        if self.cgroup is None:
            return command
        return ["sh", "-c", 'echo $$ > "$0" && exec "$@"', str(self.cgroup / "cgroup.procs"), *command]

    def start(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self._thread.start()

    def _pids(self) -> list[int]:
        if self.cgroup:
            return [int(pid) for pid in (self.cgroup / "cgroup.procs").read_text().split()]
        return [self.server_pid, *process_memory.children(self.server_pid)] if self.server_pid else []

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            self.peak_rss = max(
                self.peak_rss, sum(process_memory.status_kb(pid, "VmRSS") * 1024 for pid in self._pids())
            )

    def read(self, name: str) -> str:
        return (self.cgroup / name).read_text().strip() if self.cgroup else ""

    def split_now(self) -> str:
        """What the cgroup holds now: anonymous memory (rss) and page cache, from memory.stat."""
        if self.cgroup is None:
            return "-"
        stat = dict(line.split() for line in self.read("memory.stat").splitlines())
        return f"rss {int(stat['total_rss']) / MIB:,.0f} MiB, page cache {int(stat['total_cache']) / MIB:,.0f} MiB"

    def finish(self, report: Report) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2)
        report.peak_rss_mib = self.peak_rss / MIB
        if self.cgroup:
            report.peak_mib = int(self.read("memory.max_usage_in_bytes")) / MIB
            report.failcnt = int(self.read("memory.failcnt"))
            report.oom_kills = self.read("memory.oom_control").replace("\n", ", ")
        else:
            report.peak_mib = report.peak_rss_mib

    def remove(self) -> None:
        if self.cgroup is None:
            return
        for pid in self._pids():  # only the server's own processes can be here
            os.kill(pid, signal.SIGKILL)
        for _ in range(50):
            try:
                self.cgroup.rmdir()
                return
            except OSError:
                time.sleep(0.1)  # the killed processes leave the cgroup a moment later


def _own_memory_cgroup() -> Path:
    """This process's memory cgroup (a child of it keeps the rehearsal inside whatever already limits us)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return CGROUP_ROOT / path.lstrip("/")
    raise OSError("no cgroup v1 memory controller for this process")


def evict_from_page_cache(folders: list[Path]) -> int:
    """Flush and drop these folders' files from the page cache (only theirs: fsync + POSIX_FADV_DONTNEED).

    A v1 cgroup is charged for a file page by whoever first brings it into memory: the installer had just
    written every library the server maps, so without this the cgroup would not count them. Dropped, they are
    read again by the server, as in a new container, and counted. Returns the bytes dropped."""
    dropped = 0
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_symlink() or not path.is_file():
                continue
            try:
                descriptor = os.open(path, os.O_RDONLY)
            except OSError:
                continue
            try:
                os.fsync(descriptor)
                os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
                dropped += path.stat().st_size
            finally:
                os.close(descriptor)
    return dropped


def clean_environment(env_dir: Path) -> dict[str, str]:
    """The process environment of a Cloud container: the app's own env first on PATH, none of our settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FASHION_STUDIO_", "PYTHON", "VIRTUAL_ENV", "UV_"))
    }
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(env_dir)
    return env


@contextmanager
def cloud_server(
    app_dir: Path, env_dir: Path, memory: MemoryWatch, log_path: Path
) -> Iterator[tuple[str, subprocess.Popen]]:
    """``streamlit run app.py --server.port N`` as ``make run`` starts it, plus Cloud's forced options.

    Not harness.serve.StreamlitServer: that one runs this checkout with this interpreter; Cloud's runs the clone
    with the new environment's Python, inside the cgroup."""
    port = free_port()
    command = [str(env_dir / "bin" / "python"), "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            memory.wrap([*command, *CLOUD_FLAGS]),
            cwd=app_dir,
            env=clean_environment(env_dir),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        memory.start(process.pid)
        try:
            yield f"http://127.0.0.1:{port}", process
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def wait_for_script(tab) -> None:
    """Connected, the page's title drawn, and the script run to its end (Streamlit's own e2e tests' wait)."""
    from playwright.sync_api import expect

    app = tab.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=PAGE_TIMEOUT_MS)
    expect(tab.locator("h1").first).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    wait_for_app(tab)


def timed_visit(tab, url: str, path: str) -> tuple[str, float | None, int, str]:
    started = time.perf_counter()
    try:
        tab.goto(url + path)
        wait_for_script(tab)
    except Exception as error:  # noqa: BLE001 - a page that fails is a finding: record it and walk on
        return path, None, tab.get_by_test_id("stException").count(), _first_line(error)
    return path, time.perf_counter() - started, tab.get_by_test_id("stException").count(), ""


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"


def train_once(tab, report: Report) -> None:
    """On the Train page opened by its link: on this server, named, started, until it is saved or fails."""
    from playwright.sync_api import expect

    on_server = tab.get_by_role("button", name=re.compile("On this server"))
    if on_server.count():
        on_server.click()
        wait_for_script(tab)
    tab.get_by_role("textbox", name="Model name").fill(TRAIN_NAME)
    tab.get_by_role("textbox", name="Model name").press("Enter")
    wait_for_script(tab)
    started = time.perf_counter()
    tab.get_by_role("button", name="Start training").click()
    failed = tab.get_by_text("Training failed")
    expect(tab.get_by_text(f"Saved as {TRAIN_NAME}").or_(failed).first).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    report.train_s = time.perf_counter() - started
    accuracy = tab.get_by_text(re.compile(r"Test accuracy \d+\.\d+%")).first
    report.train_outcome = accuracy.inner_text().split("\n")[0] if accuracy.count() else failed.first.inner_text()
    if failed.count():
        report.errors.append(f"training: {report.train_outcome}")


def walk(url: str, serving: Callable[[], bool], report: Report, screenshots: Path) -> None:
    """Every page of the navigation (read from the page itself), then one training run; stops if the server dies."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        tab = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        tab.set_default_timeout(PAGE_TIMEOUT_MS)
        report.pages.append(timed_visit(tab, url, "/"))
        links = tab.get_by_test_id("stSidebarNavLink")
        paths = [urllib.parse.urlparse(links.nth(i).get_attribute("href")).path for i in range(links.count())]
        report.nav_pages = len(paths)
        for path in [*(p for p in paths if p != "/"), TRAIN_LINK]:  # the default page is the root, visited above
            if not serving():
                report.errors.append(f"the server died before {path}")
                break
            report.pages.append(timed_visit(tab, url, path))
            name = path.split("?")[0].strip("/") or "home"
            tab.screenshot(path=screenshots / f"{name}.png", full_page=True)
        else:
            try:
                train_once(tab, report)
            except Exception as error:  # noqa: BLE001 - recorded in the report
                report.errors.append(f"training: {_first_line(error)}")
            report.train_exceptions = tab.get_by_test_id("stException").count()
            tab.screenshot(path=screenshots / "train-run.png", full_page=True)
        browser.close()


def rehearse(args: argparse.Namespace, report: Report) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="fms-cloud-"))
    print(f"workdir {workdir}", flush=True)
    try:
        uv = uv_binary()
        report.uv = run([uv, "--version"]).stdout.strip()
        python = local_python(args.python)
        app_dir = clone(workdir, report)
        print(f"cloned {report.commit}", flush=True)
        which_pythons_resolve(uv, app_dir, python, report)
        env_dir = args.env or workdir / "venv"
        if args.skip_install:
            report.cache = f"install skipped: reused {env_dir}"
        else:
            install(uv, app_dir, env_dir, python, args.warm_cache, report)
            print(f"installed in {report.install_s:.0f} s", flush=True)
        describe_env(uv, env_dir, report)
        system_packages(app_dir, report)
        serve_and_walk(app_dir, env_dir, workdir, report)
    finally:
        if args.keep:
            print(f"kept {workdir} (rerun quickly: --skip-install --env {args.env or workdir / 'venv'})", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def serve_and_walk(app_dir: Path, env_dir: Path, workdir: Path, report: Report) -> None:
    memory = MemoryWatch(MEMORY_LIMIT_BYTES)
    report.memory_method = memory.method
    dataset = Path("/usr/share/datasets/fashion-mnist")
    dropped = evict_from_page_cache([env_dir, app_dir, *([dataset] if dataset.is_dir() else [])])
    report.memory_method += f"; {dropped / MIB:,.0f} MiB of the env's, the clone's and the dataset's files dropped from the page cache first"
    log_path = workdir / "server.log"
    screenshots = REPO_ROOT / "bench" / "output" / "cloud-rehearsal"
    screenshots.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        with cloud_server(app_dir, env_dir, memory, log_path) as (url, process):
            wait_healthy(url, process, log_path, HEALTH_TIMEOUT_S)
            report.healthy_s = time.perf_counter() - started
            print(f"healthy in {report.healthy_s:.0f} s at {url}", flush=True)
            try:
                walk(url, lambda: process.poll() is None, report, screenshots)
            finally:
                report.end_split = memory.split_now()
                code = process.poll()
                report.server_exit = "still serving at the end" if code is None else f"EXITED with {code}"
        memory.finish(report)
    except Exception as error:  # noqa: BLE001 - the report says what failed, with the figures measured so far
        memory.finish(report)
        report.errors.append(f"{type(error).__name__}: {error}")
    finally:
        memory.remove()
        log = log_path.read_text() if log_path.exists() else ""
        warmed = re.search(r"Warmed up before serving: (.*)", log)
        report.warm_up = warmed.group(1) if warmed else "(no warm-up line in the server log)"
        report.errors += [line.strip() for line in log.splitlines() if "Traceback" in line or " ERROR " in line][:5]
        if log_path.exists():
            shutil.copy(log_path, screenshots / "server.log")


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def markdown(report: Report) -> str:
    limit_mib = MEMORY_LIMIT_BYTES / MIB
    lines = [
        f"## {report.started}",
        "",
        f"`{report.command}` on this machine: {os.cpu_count()} CPU cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 1024**3:.0f} GiB, {platform.platform()}; "
        f"load average {report.load_before:.1f} before, {report.load_after:.1f} after. Commit `{report.commit}`."
        + (f" {report.note}" if report.note else ""),
        "",
        "| what | figure |",
        "|---|---|",
        f"| Python (the app's env) | {report.python} |",
        f"| installer | {report.uv}; uv cache {report.cache} |",
        f"| install (`uv venv` + `uv pip install -r requirements.txt`) | **{seconds(report.install_s)}**"
        + (f"; env {report.env_mib:,.0f} MiB on disk |" if report.env_mib else " |"),
        f"| installed | {', '.join(f'{k} {v}' for k, v in report.installed.items())} |",
        f"| packages.txt | {'; '.join(report.system_packages)} |",
        f"| server start to healthy (`/_stcore/health` 200) | **{seconds(report.healthy_s)}** |",
        f"| server warm-up (its log) | {report.warm_up} |",
        f"| peak memory | **{report.peak_mib or 0:,.0f} MiB of {limit_mib:,.0f} MiB** "
        f"({(report.peak_mib or 0) / limit_mib:.0%}); RSS sampled: peak {report.peak_rss_mib or 0:,.0f} MiB |",
        f"| memory measured by | {report.memory_method} |",
        f"| memory.failcnt; oom_control | {report.failcnt}; {report.oom_kills} |",
        f"| the cgroup after the walk, still serving (memory.stat) | {report.end_split} |",
        f"| training (MLP 128, 1 epoch, 1,000 examples, on the server) | **{seconds(report.train_s)}** "
        f"from Start to saved: {report.train_outcome or '-'} |",
        f"| the server at the end | {report.server_exit} |",
        "",
        f"{report.nav_pages} pages in the navigation; each opened by its address in one tab, timed until its script"
        f" finished; the Train page's row is its link `{TRAIN_LINK}` before the run"
        f" ({report.train_exceptions} exception boxes after it).",
        "",
        "| page | opened to script finished | exception boxes | error |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{path}` | {seconds(secs)} | {errors} | {error} |" for path, secs, errors, error in report.pages]
    lines += ["", "Which Pythons `requirements.txt` resolves for (`uv pip compile --python-version X.Y`):", ""]
    lines += [f"- {version}: {answer}" for version, answer in report.resolves.items()]
    lines += ["", f"({report.python_314}.)"]
    lines += ["", "Errors: " + ("; ".join(report.errors) if report.errors else "none."), ""]
    return "\n".join(lines)


HEADER = """# Community Cloud rehearsal

`make cloud-rehearsal` (`bench/cloud_rehearsal.py`): a clean clone of HEAD, a fresh uv environment on Python 3.12,
`uv pip install -r requirements.txt`, `packages.txt` checked with dpkg, then `streamlit run app.py --server.port N`
(as `make run`) plus Cloud's forced `--server.runOnSave true --runner.fastReruns true
--server.enableXsrfProtection true --client.showErrorDetails false`, inside a memory cgroup capped at 2.7 GiB
(2765 MiB); headless Chromium opens every page and trains MLP 128 for one epoch on the server. "Peak memory" is the
cgroup's `memory.max_usage_in_bytes`: what the kernel charged the server, page cache (the files it read) included,
the figure a cgroup limit is compared with (the kernel reclaims page cache before it kills anything); "RSS sampled"
is its processes' resident memory alone, the part that cannot be reclaimed. The env's and the clone's files are
dropped from the page cache before the server starts, so it reads them as a new container would. Each run appends a
section below, newest last.

"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="3.12", help="a version (3.12, 3.13) found on PATH or in pyenv, or a path")
    parser.add_argument("--keep", action="store_true", help="keep the clone and its environment (printed at the end)")
    parser.add_argument("--skip-install", action="store_true", help="reuse the environment at --env (no install)")
    parser.add_argument("--env", type=Path, help="the app's environment (default: a new one in the temp folder)")
    parser.add_argument(
        "--warm-cache", action="store_true", help="let uv use this machine's cache (faster, not Cloud's)"
    )
    parser.add_argument("--note", default="", help="a sentence for the report, e.g. what else ran on the machine")
    parser.add_argument("--results", type=Path, default=RESULTS, help="append the report here ('-': print only)")
    args = parser.parse_args()
    if args.skip_install and not (args.env and (args.env / "bin" / "python").exists()):
        parser.error("--skip-install needs --env pointing at an environment a kept rehearsal made")
    report = Report(
        command=shlex.join(["python", "-m", "bench.cloud_rehearsal", *sys.argv[1:]]),
        started=datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        note=args.note,
        load_before=os.getloadavg()[0],
    )
    rehearse(args, report)
    report.load_after = os.getloadavg()[0]
    text = markdown(report)
    print(text)
    if str(args.results) != "-":
        if not args.results.exists():
            args.results.write_text(HEADER)
        with args.results.open("a") as results:
            results.write(text + "\n")
    failed = (
        report.errors
        or any(error or count for _, _, count, error in report.pages)
        or report.train_s is None
        or report.train_exceptions
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
