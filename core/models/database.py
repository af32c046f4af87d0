"""Runs kept in a database (PostgreSQL through SQLAlchemy Core): one row per run, its files beside it.

The artifact folder stays the format. A save writes the folder as the folder store does, then puts its
files into the database in one transaction: a save killed before the commit leaves nothing listed, and
two saves of one id cannot both win (the id is the primary key). Listing reads the rows' meta only;
loading writes a run's files once into a local cache folder, where the folder loader reads them, and
uses that copy until the run changes (``version``). ``core.models.store`` decides when to come here.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from core.models.artifact import (
    META_FILE,
    PARTIAL_PREFIX,
    Artifact,
    ArtifactError,
    ModelMeta,
    StoreUnavailable,
)

CACHE_FOLDER = ".store-cache"  # inside the runs folder: hidden, so the folder store never lists it
VERSION_FILE = ".version"  # in a cached run: which save of the run the files are
CONNECT_TIMEOUT_SECONDS = 5  # an unreachable host answers within this, not after the system's minutes
SAVE_PATIENCE_SECONDS = 60  # a save (a finished training) waits this long for a restarting server before failing

metadata = sa.MetaData()
runs_table = sa.Table(
    "studio_runs",
    metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("owner", sa.String(200), nullable=False, index=True),  # meta.owner: "" for CLI and imported runs
    sa.Column("created", sa.String(64), nullable=False),  # meta.created
    sa.Column("saved_at", sa.Float, nullable=False),  # seconds since the epoch: retention removes the oldest first
    sa.Column("version", sa.String(32), nullable=False),  # new on every write: a cached copy is current when equal
    sa.Column("total_bytes", sa.BigInteger, nullable=False),
    sa.Column("meta", sa.Text, nullable=False),  # meta.json, as written
)
files_table = sa.Table(
    "studio_run_files",
    metadata,
    sa.Column("run_id", sa.String(200), sa.ForeignKey("studio_runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("name", sa.String(64), primary_key=True),  # model.keras, history.csv, test_probabilities.npy
    sa.Column("data", sa.LargeBinary, nullable=False),
)
_LISTED = (runs_table.c.id, runs_table.c.owner, runs_table.c.saved_at, runs_table.c.version, runs_table.c.meta)

_engines: dict[str, sa.Engine] = {}
_schema_ready: set[str] = set()
_engines_lock = threading.Lock()
_folder_locks: dict[Path, threading.Lock] = {}
_known_versions: dict[Path, str] = {}  # cached folder -> the run's version at the last listing
_listed: dict[tuple[str, Path], dict[str, tuple[str, Artifact]]] = {}  # (url, cache) -> id -> (version, Artifact)


def driver_url(url: str) -> sa.URL:
    """The SQLAlchemy URL, with psycopg 3 for ``postgresql://`` and ``postgres://`` (SQLAlchemy's default
    driver for those is psycopg2, which is not installed)."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise StoreUnavailable(
            "The run store's URL (FASHION_STUDIO_STORE_URL, or [connections.runs] url in the secrets) is not a database"
            " URL like postgresql://user:password@host/database. Nothing is being saved to a folder that would vanish."
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def where(url: str) -> str:
    """Where runs go, for people: host, port and database, never the password."""
    parsed = driver_url(url)
    if parsed.host:
        return f"{parsed.host}{f':{parsed.port}' if parsed.port else ''}/{parsed.database or ''}"
    return parsed.render_as_string(hide_password=True)


def cache_folder(runs_folder: Path, url: str) -> Path:
    """This store's local copies: one folder per store, so two stores never share a cached run."""
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "-", where(url)).strip("-.")[:40] or "store"
    digest = hashlib.sha256(driver_url(url).render_as_string(hide_password=True).encode()).hexdigest()[:10]
    return runs_folder / CACHE_FOLDER / f"{readable}-{digest}"


def _engine(url: str) -> sa.Engine:
    """One engine (a connection pool) per URL per process; ``pool_pre_ping`` replaces connections a
    restarted server dropped, so the next operation after a restart works."""
    with _engines_lock:
        if url not in _engines:
            parsed = driver_url(url)
            connect_args = {"connect_timeout": CONNECT_TIMEOUT_SECONDS} if parsed.drivername.endswith("psycopg") else {}
            _engines[url] = sa.create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
        return _engines[url]


def dispose_engines() -> None:
    """Close every pooled connection (tests that drop their database; a process about to fork)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _schema_ready.clear()


def _reason(error: BaseException) -> str:
    """The driver's first line, without SQLAlchemy's background links."""
    original = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(original).strip().splitlines() if line.strip()]
    return lines[0][:200] if lines else type(original).__name__


@dataclass(frozen=True)
class DatabaseStore:
    """The runs in one database, and this process's local copies of them in ``cache``."""

    url: str
    cache: Path

    @property
    def where(self) -> str:
        return where(self.url)

    def unavailable(self, error: BaseException) -> StoreUnavailable:
        return StoreUnavailable(
            f"Runs are saved to the database at {self.where}, which does not answer ({_reason(error)}). "
            "Nothing is being saved to a folder that would vanish instead; runs are listed and saved again once it answers."
        )

    @contextmanager
    def connection(self, write: bool = False) -> Iterator[sa.Connection]:
        """A connection (a transaction when ``write``), the schema made once; a server that cannot be
        reached becomes StoreUnavailable, which says where runs go."""
        try:
            engine = _engine(self.url)
            if self.url not in _schema_ready:
                self._create_schema(engine)
            with engine.begin() if write else engine.connect() as connection:
                yield connection
        except (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.NoSuchModuleError, ImportError) as error:
            raise self.unavailable(error) from error
        except sa.exc.DBAPIError as error:
            if error.connection_invalidated:
                raise self.unavailable(error) from error
            raise

    def _create_schema(self, engine: sa.Engine) -> None:
        try:
            metadata.create_all(engine)
        except (sa.exc.ProgrammingError, sa.exc.IntegrityError):
            # another process created the tables at the same moment: fine once they exist
            if not sa.inspect(engine).has_table(files_table.name):
                raise
        _schema_ready.add(self.url)

    def check(self) -> None:
        """Reach the server and make the tables; StoreUnavailable when it does not answer."""
        with self.connection() as connection:
            connection.execute(sa.select(sa.func.count()).select_from(runs_table))

    # --- reading -----------------------------------------------------------------------------------
    def _artifact(self, row: sa.Row) -> Artifact:
        folder = self.cache / row.id
        _known_versions[folder] = row.version
        try:
            return Artifact(row.id, folder, False, ModelMeta.from_json(row.meta))
        except (ValueError, TypeError) as error:
            return Artifact(row.id, folder, False, None, f"its saved meta.json is unreadable ({error})")

    def artifacts(self) -> list[Artifact]:
        """Every run, by id. Pages list on every rerun: only (id, version) is read each time, and the meta of
        runs this process has not seen yet (no file leaves the database)."""
        seen = _listed.get((self.url, self.cache), {})
        with self.connection() as connection:
            versions = connection.execute(
                sa.select(runs_table.c.id, runs_table.c.version).order_by(runs_table.c.id)
            ).all()
            new = [row.id for row in versions if seen.get(row.id, (None,))[0] != row.version]
            rows = connection.execute(sa.select(*_LISTED).where(runs_table.c.id.in_(new))).all() if new else []
        fresh = {row.id: (row.version, self._artifact(row)) for row in rows}
        current = {}
        for row in versions:  # a run deleted between the two reads is left out
            if row.id in fresh or seen.get(row.id, (None,))[0] == row.version:
                current[row.id] = fresh.get(row.id) or seen[row.id]
                _known_versions[self.cache / row.id] = current[row.id][0]
        _listed[(self.url, self.cache)] = current
        return [artifact for _, artifact in current.values()]

    def artifact(self, model_id: str) -> Artifact | None:
        with self.connection() as connection:
            row = connection.execute(sa.select(*_LISTED).where(runs_table.c.id == model_id)).first()
        return None if row is None else self._artifact(row)

    def ids(self) -> set[str]:
        with self.connection() as connection:
            return set(connection.execute(sa.select(runs_table.c.id)).scalars())

    def oldest_first(self) -> list[tuple[str, int]]:
        """(id, bytes) of every run, the oldest save first."""
        with self.connection() as connection:
            query = sa.select(runs_table.c.id, runs_table.c.total_bytes).order_by(
                runs_table.c.saved_at, runs_table.c.id
            )
            return [(row.id, row.total_bytes) for row in connection.execute(query)]

    # --- writing -----------------------------------------------------------------------------------
    def insert(self, folder: Path, model_id: str, meta_text: str, owner: str, created: str) -> None:
        """The folder's files as run ``model_id``, in one transaction; ArtifactError when the id is taken."""
        files = {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if _kept_in_database(path)}
        version, saved_at = uuid.uuid4().hex, time.time()
        row = {
            "id": model_id,
            "owner": owner,
            "created": created,
            "saved_at": saved_at,
            "version": version,
            "total_bytes": len(meta_text.encode()) + sum(len(data) for data in files.values()),
            "meta": meta_text,
        }
        rows = [{"run_id": model_id, "name": name, "data": data} for name, data in files.items()]
        deadline, pause = time.monotonic() + SAVE_PATIENCE_SECONDS, 0.5
        while True:
            try:
                with self.connection(write=True) as connection:
                    connection.execute(sa.insert(runs_table), row)
                    if rows:
                        connection.execute(sa.insert(files_table), rows)
                break
            except sa.exc.IntegrityError:
                raise ArtifactError(f"A model named {model_id!r} already exists.") from None
            except StoreUnavailable:
                if time.monotonic() + pause > deadline:
                    raise
                time.sleep(pause)  # the server restarting: the run just trained is worth waiting for
                pause = min(pause * 2, 8.0)
        _mark(folder, version, saved_at)

    def replace_file(self, model_id: str, name: str, data: bytes) -> str | None:
        """One file of a saved run, replaced (a cache computed later, like the test probabilities); the
        run's new version, or None when the run is gone."""
        version = uuid.uuid4().hex
        with self.connection(write=True) as connection:
            old_bytes = connection.execute(
                sa.select(sa.func.length(files_table.c.data)).where(
                    files_table.c.run_id == model_id, files_table.c.name == name
                )
            ).scalar()
            grown = len(data) - (old_bytes or 0)
            updated = connection.execute(
                sa.update(runs_table)
                .where(runs_table.c.id == model_id)
                .values(version=version, total_bytes=runs_table.c.total_bytes + grown)
            )
            if updated.rowcount == 0:
                return None
            connection.execute(
                sa.delete(files_table).where(files_table.c.run_id == model_id, files_table.c.name == name)
            )
            connection.execute(sa.insert(files_table), {"run_id": model_id, "name": name, "data": data})
        _known_versions[self.cache / model_id] = version
        return version

    def delete(self, model_ids: list[str]) -> None:
        """Remove runs (their files go with them) and their local copies."""
        if not model_ids:
            return
        with self.connection(write=True) as connection:
            connection.execute(sa.delete(files_table).where(files_table.c.run_id.in_(model_ids)))
            connection.execute(sa.delete(runs_table).where(runs_table.c.id.in_(model_ids)))
        for model_id in model_ids:
            _remove_folder(self.cache / model_id, self.cache)

    def usage(self) -> tuple[int, int]:
        with self.connection() as connection:
            count, total = connection.execute(
                sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(runs_table.c.total_bytes), 0))
            ).one()
        return int(count), int(total)

    # --- local copies ------------------------------------------------------------------------------
    def place(self, staging: Path, model_id: str) -> Path:
        """Move a just-saved folder into the cache as the run's local copy."""
        return _swap_in(staging, self.cache / model_id, self.cache)

    def materialize(self, model_id: str) -> Path:
        """The run's folder on this machine: written from the database once, then reused while the run is
        unchanged; ArtifactError when the run is gone."""
        folder = self.cache / model_id
        with _folder_locks.setdefault(folder, threading.Lock()):
            known = _known_versions.get(folder)
            if known is not None and _cached_version(folder) == known:
                return folder
            with self.connection() as connection:
                row = connection.execute(
                    sa.select(runs_table.c.version, runs_table.c.saved_at, runs_table.c.meta).where(
                        runs_table.c.id == model_id
                    )
                ).first()
                if row is None:
                    raise ArtifactError(f"No run called {model_id!r}.")
                _known_versions[folder] = row.version
                if _cached_version(folder) == row.version:
                    return folder
                files = connection.execute(
                    sa.select(files_table.c.name, files_table.c.data).where(files_table.c.run_id == model_id)
                ).all()
            self.cache.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=PARTIAL_PREFIX, dir=self.cache))
            try:
                (staging / META_FILE).write_text(row.meta)
                for name, data in files:
                    (staging / Path(name).name).write_bytes(data)
                _mark(staging, row.version, row.saved_at)
                return _swap_in(staging, folder, self.cache)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise

    def mark_current(self, model_id: str, version: str) -> None:
        """The local copy holds ``version`` (after this process changed one of its files)."""
        folder = self.cache / model_id
        if folder.is_dir():
            (folder / VERSION_FILE).write_text(version)


def _kept_in_database(path: Path) -> bool:
    """The folder's files, less meta.json (the row holds it) and hidden ones (caches of this machine)."""
    return path.is_file() and path.name != META_FILE and not path.name.startswith(".")


def _mark(folder: Path, version: str, saved_at: float) -> None:
    """Stamp a local copy: its version, and the save's time on every file (the evaluation cache compares
    the model's and the probabilities' times)."""
    for path in folder.iterdir():
        os.utime(path, (saved_at, saved_at))
    (folder / VERSION_FILE).write_text(version)


def _cached_version(folder: Path) -> str | None:
    try:
        return (folder / VERSION_FILE).read_text().strip()
    except OSError:
        return None


def _swap_in(staging: Path, folder: Path, cache: Path) -> Path:
    """Rename ``staging`` to ``folder``; an older copy there is moved aside first. When another process
    placed the same version meanwhile, its copy stays and ours goes."""
    staging.chmod(0o755)  # mkdtemp makes it owner-only
    try:
        os.rename(staging, folder)
        return folder
    except OSError:
        if _cached_version(folder) == _cached_version(staging):
            shutil.rmtree(staging, ignore_errors=True)
            return folder
    _remove_folder(folder, cache)
    os.rename(staging, folder)
    return folder


def _remove_folder(folder: Path, cache: Path) -> None:
    """Rename to a hidden name first (it leaves at once), then delete."""
    trash = cache / f"{PARTIAL_PREFIX}old-{folder.name}-{os.getpid()}-{time.monotonic_ns()}"
    try:
        os.rename(folder, trash)
    except FileNotFoundError:
        return
    shutil.rmtree(trash, ignore_errors=True)
