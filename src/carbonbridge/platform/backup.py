"""Backups of the platform's database that say which log they hold, and restores that check it.

A backup is a directory (created ``0700``, its files ``0600``: it holds everything the database
holds) with the database and ``manifest.json``::

    manifest.json      format, backend, file name, SHA-256 and size, rows per table, the schema's
                       Alembic revision, and the log's latest checkpoint in the backup (origin,
                       tree size, root hash, the signed note as served)
    database.sqlite    SQLite: a copy made with SQLite's online backup API, or
    database.pgdump    PostgreSQL: ``pg_dump --format=custom``

Both are consistent snapshots taken while the server runs and writes. SQLite: the copy runs
inside one read transaction on the source, so in WAL mode it reads one snapshot while writers go
on (without it, SQLite restarts a stepped backup whenever another connection writes, which under
steady writes never ends); the checkpoint and row counts are read from the copy. PostgreSQL: a
``REPEATABLE READ`` transaction exports its snapshot (``pg_export_snapshot()``), reads the
checkpoint and row counts in it, and ``pg_dump --snapshot`` dumps exactly that snapshot.

A restore refuses a target that holds rows unless forced, copies the backup in (SQLite's backup
API into the target file; ``pg_restore --single-transaction``, so a failed restore leaves the
target as it was), checks every table's row count, migrates the schema to this version's head,
then checks that the restored log's latest checkpoint is the one the manifest records (same tree
size and root hash) and that the log's audit passes. The log key is not in the database and not
in the backup: keep it apart (``docs/operations.md``).

Hand-written around the two tools SQLite and PostgreSQL provide for this (the backup API,
``pg_dump``/``pg_restore``); the log's checkpoint and audit come from the ledger context, reached
by name like the platform reaches every context.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import column, create_engine, func, inspect, select, table
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.errors import DependencyUnavailable, NotFound
from carbonbridge.platform.db import make_engine, prepare_sqlite_file, session_factory, sqlite_file_path
from carbonbridge.platform.errors import BackupInvalid, RestoreTargetNotEmpty, RestoreUnverified
from carbonbridge.platform.migrate import upgrade
from carbonbridge.platform.optional import optional_module

FORMAT = "carbonbridge-backup/1"
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite"
PG_FILE = "database.pgdump"
#: pages per step of SQLite's backup API (one progress report each)
SQLITE_PAGES_PER_STEP = 1024

Backend = Literal["sqlite", "postgresql"]

#: ``progress(step, done, total)``: what is being done, how far, out of how much (``None``: unknown)
Progress = Callable[[str, int, int | None], None]


def _quiet(_step: str, _done: int, _total: int | None) -> None:
    return None


@dataclass(frozen=True)
class LogCheckpoint:
    """The transparency log's latest checkpoint in a database: the tree it commits to, and the
    signed note as the log serves it (with witness cosignatures)."""

    origin: str
    tree_size: int
    root_hash: str  # base64, as in the checkpoint note
    note: str


@dataclass(frozen=True)
class Manifest:
    """What a backup holds (``manifest.json``)."""

    format: str
    backend: Backend
    file: str
    sha256: str
    size_bytes: int
    created_at: str
    tool: str
    schema_revision: str | None
    rows: Mapping[str, int]
    checkpoint: LogCheckpoint | None

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class Restored:
    """A verified restore: the manifest it followed and what the audit checked."""

    manifest: Manifest
    audited_entries: int
    audited_checkpoints: int


# --- backup -------------------------------------------------------------------------------------


def backup(url: str, directory: Path, *, progress: Progress = _quiet) -> Manifest:
    """Back up the database at ``url`` into the new directory ``directory`` (it must not exist or
    be empty) while the platform may keep running and writing; return the manifest written."""
    if directory.exists() and any(directory.iterdir()):
        raise BackupInvalid(f"the backup directory {directory} exists and is not empty; name a new one")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    source = sqlite_file_path(url)
    if source is not None:
        manifest = _backup_sqlite(source, directory, progress)
    elif _backend_of(url) == "postgresql":
        manifest = _backup_postgres(url, directory, progress)
    else:
        raise BackupInvalid(f"cannot back up {make_url(url).render_as_string(hide_password=True)}")
    _private_file(directory / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    return manifest


def _backup_sqlite(source: Path, directory: Path, progress: Progress) -> Manifest:
    if not source.exists():
        raise NotFound(f"no SQLite database at {source}")
    target = _private_file(directory / SQLITE_FILE)
    reader = sqlite3.connect(source, timeout=30, isolation_level=None)
    copy = sqlite3.connect(target)
    try:
        # one read transaction for the whole copy: one snapshot, however long writers go on
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM sqlite_schema").fetchone()

        def step(_status: int, remaining: int, total: int) -> None:
            progress("copying the database (SQLite backup API)", total - remaining, total)

        reader.backup(copy, pages=SQLITE_PAGES_PER_STEP, progress=step)
        reader.execute("COMMIT")
        copy.execute("PRAGMA journal_mode=DELETE")  # a self-contained file: no -wal beside it
    finally:
        copy.close()
        reader.close()
    engine = create_engine(f"sqlite:///{target}")
    try:
        with engine.connect() as connection:
            rows = _row_counts(connection, progress)
            revision = _schema_revision(connection)
            checkpoint = _log_checkpoint(connection)
    finally:
        engine.dispose()
    return _manifest(
        "sqlite", target, f"sqlite {sqlite3.sqlite_version} backup API", revision, rows, checkpoint, progress
    )


def _backup_postgres(url: str, directory: Path, progress: Progress) -> Manifest:
    pg_dump = _tool("pg_dump")
    target = _private_file(directory / PG_FILE)
    engine = make_engine(url)
    try:
        connection = engine.connect().execution_options(isolation_level="REPEATABLE READ")
        # the transaction stays open until pg_dump has finished: its snapshot is the dump's
        with connection, connection.begin():
            snapshot = str(connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one())
            rows = _row_counts(connection, progress)
            revision = _schema_revision(connection)
            checkpoint = _log_checkpoint(connection)
            conninfo, env = _libpq(engine.url)
            command = [pg_dump, "--format=custom", "--verbose", f"--snapshot={snapshot}"]
            command += [f"--file={target}", f"--dbname={conninfo}"]
            _run_tool(command, env, "dumping", r"dumping contents of table", len(rows), progress)
        version = _tool_version(pg_dump)
    finally:
        engine.dispose()
    return _manifest("postgresql", target, version, revision, rows, checkpoint, progress)


def _manifest(
    backend: Backend,
    file: Path,
    tool: str,
    revision: str | None,
    rows: Mapping[str, int],
    checkpoint: LogCheckpoint | None,
    progress: Progress,
) -> Manifest:
    return Manifest(
        format=FORMAT,
        backend=backend,
        file=file.name,
        sha256=_sha256(file, progress),
        size_bytes=file.stat().st_size,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        tool=tool,
        schema_revision=revision,
        rows=dict(sorted(rows.items())),
        checkpoint=checkpoint,
    )


# --- restore ------------------------------------------------------------------------------------


def read_manifest(directory: Path) -> Manifest:
    """The manifest of a backup directory, checked for form (not yet against its file)."""
    path = directory / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        cp = data["checkpoint"]
        manifest = Manifest(
            format=str(data["format"]),
            backend=data["backend"],
            file=str(data["file"]),
            sha256=str(data["sha256"]),
            size_bytes=int(data["size_bytes"]),
            created_at=str(data["created_at"]),
            tool=str(data["tool"]),
            schema_revision=data["schema_revision"],
            rows={str(k): int(v) for k, v in data["rows"].items()},
            checkpoint=None if cp is None else LogCheckpoint(**cp),
        )
    except FileNotFoundError:
        raise BackupInvalid(f"{directory} has no {MANIFEST}: not a carbonbridge backup") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BackupInvalid(f"{path} is malformed: {exc!r}") from exc
    if manifest.format != FORMAT or manifest.backend not in ("sqlite", "postgresql"):
        raise BackupInvalid(f"{path}: format {manifest.format!r}, backend {manifest.backend!r} are not known")
    if Path(manifest.file).name != manifest.file or manifest.file not in (SQLITE_FILE, PG_FILE):
        raise BackupInvalid(f"{path}: file {manifest.file!r} is not a backup file name")
    return manifest


def restore(directory: Path, url: str, *, force: bool = False, progress: Progress = _quiet) -> Restored:
    """Restore the backup in ``directory`` into the database at ``url`` and verify it.

    Refuses (:class:`RestoreTargetNotEmpty`) a database that holds rows unless ``force``; refuses
    (:class:`BackupInvalid`) a backup whose file does not match its manifest or whose backend is
    not the target's; raises :class:`RestoreUnverified` if the restored rows, checkpoint or audit
    are not what the backup recorded. Stop the platform's server before restoring."""
    manifest = read_manifest(directory)
    file = directory / manifest.file
    if not file.exists():
        raise BackupInvalid(f"{directory} lacks {manifest.file}, which its manifest names")
    if _sha256(file, progress) != manifest.sha256:
        raise BackupInvalid(f"{file} does not match the SHA-256 its manifest records: altered or incomplete")
    backend = "sqlite" if sqlite_file_path(url) is not None else _backend_of(url)
    if backend != manifest.backend:
        raise BackupInvalid(f"the backup is of {manifest.backend}; the target database is {backend}")
    if manifest.backend == "sqlite":
        _restore_sqlite(file, url, force, progress)
    else:
        _restore_postgres(file, url, force, len(manifest.rows), progress)
    return _verify(url, manifest, progress)


def _refuse_if_not_empty(engine: Engine) -> None:
    try:
        connection = engine.connect()
    except OperationalError as exc:
        raise DependencyUnavailable(f"the target database cannot be reached: {exc.orig}") from exc
    with connection:
        names = sorted(n for n in inspect(connection).get_table_names() if n != "alembic_version")
        for name in names:
            if connection.execute(select(1).select_from(table(name)).limit(1)).first() is not None:
                raise RestoreTargetNotEmpty(
                    f"the target database holds rows (table {name}); nothing was changed. Restore into an "
                    "empty database, or pass --force to replace its content"
                )


def _restore_sqlite(file: Path, url: str, force: bool, progress: Progress) -> None:
    target = sqlite_file_path(url)
    if target is None:
        raise BackupInvalid(f"{url} is not an SQLite database file")
    prepare_sqlite_file(target)  # 0600 in a 0700 directory, as the platform's own
    if not force:
        engine = make_engine(url)
        try:
            _refuse_if_not_empty(engine)
        finally:
            engine.dispose()
    source = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    destination = sqlite3.connect(target, timeout=30)
    try:

        def step(_status: int, remaining: int, total: int) -> None:
            progress("restoring the database (SQLite backup API)", total - remaining, total)

        source.backup(destination, pages=SQLITE_PAGES_PER_STEP, progress=step)
    finally:
        destination.close()
        source.close()


def _restore_postgres(file: Path, url: str, force: bool, tables: int, progress: Progress) -> None:
    pg_restore = _tool("pg_restore")
    engine = make_engine(url)
    try:
        if not force:
            _refuse_if_not_empty(engine)
        conninfo, env = _libpq(engine.url)
    finally:
        engine.dispose()
    # one transaction: a restore that fails part-way leaves the target as it was; --clean drops
    # the backup's objects first (an empty migrated schema, or the data --force replaces)
    command = [pg_restore, "--single-transaction", "--clean", "--if-exists", "--no-owner"]
    command += ["--no-privileges", "--verbose", f"--dbname={conninfo}", str(file)]
    _run_tool(command, env, "restoring", r"processing data for table", tables, progress)


def _verify(url: str, manifest: Manifest, progress: Progress) -> Restored:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = _row_counts(connection, progress)
        differ = sorted(t for t in manifest.rows if rows.get(t) != manifest.rows[t])
        if differ:
            first = differ[0]
            raise RestoreUnverified(
                f"{len(differ)} table(s) do not hold the backup's rows, e.g. {first}: "
                f"{rows.get(first)} rows, the backup recorded {manifest.rows[first]}"
            )
        progress("migrating the schema to this version", 0, None)
        upgrade(engine)
        with engine.connect() as connection:
            restored = _log_checkpoint(connection)
        recorded = manifest.checkpoint
        same = (recorded is None and restored is None) or (
            recorded is not None
            and restored is not None
            and (recorded.origin, recorded.tree_size, recorded.root_hash)
            == (restored.origin, restored.tree_size, restored.root_hash)
        )
        if not same:
            raise RestoreUnverified(
                f"the restored log's latest checkpoint is {_describe(restored)}; "
                f"the backup recorded {_describe(recorded)}"
            )
        progress("auditing the restored log", 0, None)
        entries, checkpoints = _audit(session_factory(engine))
    finally:
        engine.dispose()
    return Restored(manifest, entries, checkpoints)


def _describe(checkpoint: LogCheckpoint | None) -> str:
    if checkpoint is None:
        return "none"
    return f"{checkpoint.origin} tree size {checkpoint.tree_size} root {checkpoint.root_hash}"


# --- the log, reached by name -------------------------------------------------------------------


def _log_checkpoint(connection: Connection) -> LogCheckpoint | None:
    """The log's latest checkpoint as the connection's transaction sees it; ``None`` if the log
    has none yet."""
    ledger = optional_module("carbonbridge.ledger.service")
    notes = optional_module("carbonbridge.ledger.checkpoint")
    if ledger is None or notes is None:
        return None
    try:
        with Session(bind=connection) as session:
            _size, note = ledger.latest_checkpoint_in(session)
    except NotFound:
        return None
    body = notes.parse_checkpoint(notes.checkpoint_text(note))
    root = ledger.b64([body.root_hash])[0]
    return LogCheckpoint(
        origin=str(body.origin), tree_size=int(body.tree_size), root_hash=str(root), note=str(note)
    )


def _audit(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """Run the log's audit (every hash, root, signature and the contexts' auditors); return the
    entries and checkpoints it checked, or raise :class:`RestoreUnverified` with its first finding."""
    ledger = optional_module("carbonbridge.ledger.service")
    ledger_cli = optional_module("carbonbridge.ledger.cli")
    if ledger is None or ledger_cli is None:
        return 0, 0
    ledger_cli.register_context_auditors()
    report = ledger.audit(sessions)
    if not report.ok:
        first = report.findings[0]
        raise RestoreUnverified(
            f"the restored log's audit found {len(report.findings)} bad record(s); first: {first.record}: "
            f"{first.reason}"
        )
    return int(report.entries), int(report.checkpoints)


# --- helpers ------------------------------------------------------------------------------------


def _backend_of(url: str) -> str:
    name = make_url(url).get_backend_name()
    return "postgresql" if name == "postgresql" else name


def _row_counts(connection: Connection, progress: Progress) -> dict[str, int]:
    names = sorted(inspect(connection).get_table_names())
    counts: dict[str, int] = {}
    for done, name in enumerate(names):
        progress("counting rows", done, len(names))
        counts[name] = int(connection.execute(select(func.count()).select_from(table(name))).scalar_one())
    progress("counting rows", len(names), len(names))
    return counts


def _schema_revision(connection: Connection) -> str | None:
    if "alembic_version" not in inspect(connection).get_table_names():
        return None
    found = connection.execute(select(table("alembic_version", column("version_num")))).scalar()
    return None if found is None else str(found)


def _private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 (it will hold the database's content)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return path


def _sha256(file: Path, progress: Progress) -> str:
    digest = hashlib.sha256()
    total = file.stat().st_size
    done = 0
    with file.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
            done += len(chunk)
            progress(f"SHA-256 of {file.name}", done, total)
    return digest.hexdigest()


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise DependencyUnavailable(
            f"{name} is not installed; install PostgreSQL's client tools (Debian: apt-get install "
            "postgresql-client), of the server's major version or newer"
        )
    return found


def _tool_version(path: str) -> str:
    done = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)  # noqa: S603
    return done.stdout.strip()


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for ``url`` without its password, and an environment carrying
    the password (``PGPASSWORD``), so that no secret appears in a process list."""
    from psycopg.conninfo import make_conninfo

    given: dict[str, object] = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "dbname": url.database,
    }
    given.update(url.query)  # e.g. sslmode
    params = {key: str(value) for key, value in given.items() if isinstance(value, str | int)}
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return make_conninfo(**params), env


def _run_tool(
    command: list[str], env: dict[str, str], verb: str, marker: str, total: int | None, progress: Progress
) -> None:
    """Run ``pg_dump``/``pg_restore`` with ``--verbose``, counting the tables it reports (lines
    matching ``marker``) as progress; a failure raises with the tool's last lines."""
    tail: list[str] = []
    done = 0
    progress(f"{verb} ({Path(command[0]).name})", done, total)
    with _spawn(command, env) as process:
        assert process.stderr is not None
        for line in process.stderr:
            tail = [*tail[-9:], line.rstrip()]
            if re.search(marker, line):
                done += 1
                progress(f"{verb} ({Path(command[0]).name})", done, total)
    if process.returncode != 0:
        raise DependencyUnavailable(
            f"{Path(command[0]).name} failed (exit {process.returncode}): "
            + " | ".join(line for line in tail if "error" in line.lower() or line is tail[-1])
        )


@contextmanager
def _spawn(command: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(  # noqa: S603 - a resolved pg_dump/pg_restore, arguments built here
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        yield process
    finally:
        if process.stderr is not None:
            process.stderr.close()
        process.wait()
