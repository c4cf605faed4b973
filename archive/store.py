"""The storage layer of the archive: the connection, batched transactions, runs, portals,
bodies and fetches.

Writes are batched: the first write opens a transaction that is committed every
``batch_size`` writes, after ``batch_seconds``, on ``flush()`` and on ``close()``. SQLite
runs in WAL mode, so a process killed at any point leaves the last committed state.
Ids are handed out by SQLite at once (reads on this connection see the open batch).

Several processes may write one archive: each waits for the write lock (SQLite's busy
timeout), and a lock still held after that is waited for again (tenacity) rather than
losing the write. Reading commands open the file read-only, as Datasette does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import time
import uuid
import zlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils
import tenacity

from archive.schema import FETCHES, insert_sql, migrate

logger = logging.getLogger(__name__)

DEFAULT_ARCHIVE = "archive.db"
ENV_VAR = "OGI_ARCHIVE"
COMPRESSION = "zlib"
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_SECONDS = 30
# How long a writer keeps waiting for another writer's lock after SQLite's own busy timeout.
LOCK_PATIENCE_SECONDS = 600
FETCH_INSERT = insert_sql("fetches", (name for name in FETCHES if name != "id"))


def default_archive_path() -> Path:
    """``$OGI_ARCHIVE`` if set, else ``./archive.db``."""
    return Path(os.environ.get(ENV_VAR) or DEFAULT_ARCHIVE)


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file read in blocks (a WARC or a release may not fit in memory)."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def normalize_headers(headers: Any) -> dict[str, str]:
    """Plain ``{name: value}`` from a dict or Scrapy ``Headers`` (bytes, lists of values)."""
    if not headers:
        return {}
    normalized: dict[str, str] = {}
    for name, value in dict(headers).items():
        if isinstance(value, (list, tuple)):
            value = ", ".join(_text(v) for v in value)
        normalized[_text(name)] = _text(value)
    return normalized


def header(headers: dict[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def decompress(compression: str, compressed: bytes) -> bytes:
    if compression == "zlib":
        return zlib.decompress(compressed)
    if compression == "none":
        return bytes(compressed)
    raise ArchiveError(f"unknown compression {compression!r}")


class ArchiveError(Exception):
    """A request the archive cannot honour, with the reason."""


def _locked(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and any(
        word in str(exc) for word in ("database is locked", "database is busy", "database table is locked"))


# Another writer holds the lock past the busy timeout: wait again, never drop the write.
retry_when_locked = tenacity.retry(
    retry=tenacity.retry_if_exception(_locked),
    wait=tenacity.wait_random_exponential(multiplier=0.2, max=5),
    stop=tenacity.stop_after_delay(LOCK_PATIENCE_SECONDS),
    before_sleep=lambda state: logger.warning("archive locked by another writer; waiting (attempt %d)",
                                              state.attempt_number),
    reraise=True,
)


def damaged(path: Path, exc: sqlite3.DatabaseError) -> ArchiveError:
    """The one-line error for a file SQLite cannot read as a database."""
    message = str(exc)
    if "malformed" in message:
        return ArchiveError(f"{path}: database disk image is malformed: run ogi check")
    if "not a database" in message:
        return ArchiveError(f"{path}: not an SQLite database")
    if "no such table" in message or "no such column" in message:  # opened read-only, so not migrated
        return ArchiveError(f"{path}: {message}: its schema is older than this code's, run ogi migrate")
    return ArchiveError(f"{path}: {message}")


def check_file(path: Path, *, must_exist: bool) -> None:
    """Refuse a path that is not an archive file before SQLite opens (or creates) it."""
    if not path.exists():
        if must_exist:
            raise ArchiveError(f"{path}: no such archive")
        return
    if not path.is_file():
        raise ArchiveError(f"{path}: not a file")
    size = path.stat().st_size
    if size == 0:
        if must_exist:
            raise ArchiveError(f"{path}: empty file (0 bytes), not an archive")
        return  # a new archive a writer may create
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise ArchiveError(f"{path}: not an SQLite database")


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection (``file:…?mode=ro``) to an existing SQLite file."""
    check_file(path, must_exist=True)
    uri = f"{path.resolve().as_uri()}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False,
                           timeout=BUSY_TIMEOUT_SECONDS)
    try:
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise damaged(path, exc) from None
    return conn


class Store:
    """The connection and the raw half of the archive: runs, portals, bodies, fetches."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        batch_size: int = 200,
        batch_seconds: float = 2.0,
        worker: str | None = None,
        read_only: bool = False,
        create: bool = True,
    ) -> None:
        self.path = Path(path) if path is not None else default_archive_path()
        self.read_only = read_only
        if read_only:
            conn = connect_read_only(self.path)
            self.schema_before = self.schema_version = conn.execute("PRAGMA user_version").fetchone()[0]
            if self.schema_version == 0:
                conn.close()
                raise ArchiveError(f"{self.path}: an SQLite database but not an archive (no schema)")
        else:
            conn = self._connect_for_writing(create)
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        if not read_only:
            self.schema_before, self.schema_version = self._migrate()
        self.batch_size = max(1, batch_size)
        self.batch_seconds = batch_seconds
        self.worker = worker
        self._pending = 0
        self._batch_started = 0.0
        self._run_workers: dict[int, str | None] = {}

    def _connect_for_writing(self, create: bool) -> sqlite3.Connection:
        in_memory = str(self.path) == ":memory:"
        if not in_memory:
            check_file(self.path, must_exist=not create)
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit at the driver level: transactions are opened and closed explicitly.
        conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False,
                               timeout=BUSY_TIMEOUT_SECONDS)
        try:
            retry_when_locked(conn.execute)("PRAGMA journal_mode=WAL")
            # NORMAL in WAL survives any process crash; only a power cut can drop the last commits.
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise damaged(self.path, exc) from None
        return conn

    @retry_when_locked
    def _migrate(self) -> tuple[int, int]:
        try:
            return migrate(self.db)
        except sqlite3.DatabaseError as exc:
            if _locked(exc):
                raise
            raise damaged(self.path, exc) from None

    # -- transactions -------------------------------------------------------------

    def _begin(self) -> None:
        if not self.conn.in_transaction:  # the common case, inside a batch, costs no retry machinery
            self._begin_batch()

    @retry_when_locked
    def _begin_batch(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self._batch_started = time.monotonic()

    def _write(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        self._begin()
        return self.conn.execute(sql, params if isinstance(params, dict) else tuple(params))

    def _write_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self._begin()
            self.conn.executemany(sql, rows)

    def _wrote(self) -> None:
        """Count one logical write; commit when the batch is full or old enough."""
        self._pending += 1
        if (
            self._pending >= self.batch_size
            or time.monotonic() - self._batch_started >= self.batch_seconds
        ):
            self.flush()

    def flush(self) -> None:
        """Commit the pending batch (everything written so far is durable afterwards)."""
        if self.conn.in_transaction:
            self._commit()
        self._pending = 0

    @retry_when_locked
    def _commit(self) -> None:
        self.conn.execute("COMMIT")

    def close(self) -> None:
        """Flush pending writes and close the database."""
        if not self.read_only:
            self.flush()
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def one(self, sql: str, params: Iterable[Any] = ()) -> dict[str, Any] | None:
        """The first row of a read-only query as a dict, or ``None``."""
        cursor = self.conn.execute(sql, tuple(params))
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([c[0] for c in cursor.description], row, strict=True))

    def query(self, sql: str, params: Iterable[Any] = ()) -> Iterator[dict[str, Any]]:
        """Rows of a read-only query as dicts (they include this writer's open batch)."""
        cursor = self.conn.execute(sql, tuple(params))
        names = [c[0] for c in cursor.description]
        for row in cursor:
            yield dict(zip(names, row, strict=True))

    # -- crawl runs and portals ---------------------------------------------------

    def start_run(
        self, settings: dict[str, Any], code_version: str, worker: str | None = None
    ) -> int:
        worker = worker if worker is not None else self.worker
        cursor = self._write(
            "INSERT INTO crawl_runs (uid, started_at, settings, code_version, worker)"
            " VALUES (?, ?, ?, ?, ?)",
            (uuid.uuid4().hex, utc_now(), json.dumps(settings, ensure_ascii=False, default=str), code_version, worker),
        )
        self.flush()  # a run's row is its fetches' anchor: make it durable at once
        return cursor.lastrowid

    def finish_run(self, run_id: int, stats: dict[str, Any]) -> None:
        self._write(
            "UPDATE crawl_runs SET finished_at = ?, stats = ? WHERE id = ?",
            (utc_now(), json.dumps(stats, ensure_ascii=False, default=str), run_id),
        )
        self.flush()

    @retry_when_locked
    def upsert_portals(self, rows: Iterable[dict[str, Any]]) -> None:
        """Insert or update registry rows keyed by ``code``; unknown keys become columns."""
        self.flush()  # sqlite-utils commits on its own: never mix it into an open batch
        self.db["portals"].upsert_all(
            [dict(row) for row in rows], pk="code", alter=True
        )

    def set_portal_status(
        self, code: str, status: str, reason: str | None, run_id: int | None
    ) -> None:
        cursor = self._write(
            "UPDATE portals SET status = ?, reason = ?, last_run_id = ?, updated_at = ?"
            " WHERE code = ?",
            (status, reason, run_id, utc_now(), code),
        )
        if cursor.rowcount == 0:
            self._write(
                "INSERT INTO portals (code, status, reason, last_run_id, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (code, status, reason, run_id, utc_now()),
            )
        self._wrote()

    def finish_portal(self, run_id: int, code: str, status: str, reason: str | None = None,
                      pages: int | None = None, reports: int | None = None) -> None:
        """Record that ``run_id`` finished crawling portal ``code`` (its outcome, with a reason)."""
        self._write(
            "INSERT OR REPLACE INTO portal_runs (run_id, portal_code, status, reason, finished_at, pages, reports)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)", (run_id, code, status, reason, utc_now(), pages, reports))
        self._wrote()

    def finished_portals(self) -> set[str]:
        """Codes of the portals some run has finished."""
        self.flush()
        return {row[0] for row in self.conn.execute("SELECT DISTINCT portal_code FROM portal_runs")}

    # -- fetches and bodies -------------------------------------------------------

    def store_body(self, body: bytes) -> str:
        """Store ``body`` once under its SHA-256 and return the hash.

        ``INSERT OR IGNORE``: another writer may store the same bytes between the look-up
        (which only spares compressing them again) and the insert.
        """
        digest = sha256_hex(body)
        if self.conn.execute("SELECT 1 FROM bodies WHERE sha256 = ?", (digest,)).fetchone():
            return digest
        self._write(
            "INSERT OR IGNORE INTO bodies (sha256, size, compression, compressed) VALUES (?, ?, ?, ?)",
            (digest, len(body), COMPRESSION, zlib.compress(body, 6)),
        )
        return digest

    def body(self, sha256: str) -> bytes:
        """The exact bytes stored under ``sha256``."""
        row = self.conn.execute(
            "SELECT compression, compressed FROM bodies WHERE sha256 = ?", (sha256,)
        ).fetchone()
        if row is None:
            raise ArchiveError(f"no body with sha256 {sha256}")
        return decompress(row[0], row[1])

    def body_for_url(self, url: str) -> tuple[bytes, str | None, str]:
        """(bytes, content type, final URL) of the newest body stored for ``url``.

        ``url`` may be a document URL or the final URL a fetch was redirected to.
        """
        row = self.one(
            "SELECT sha256, content_type, final_url FROM fetches"
            " WHERE (url = ? OR final_url = ?) AND sha256 IS NOT NULL"
            " ORDER BY id DESC LIMIT 1",
            (url, url),
        )
        if row is None:
            raise ArchiveError(f"no stored body for {url}")
        return self.body(row["sha256"]), row["content_type"], row["final_url"]

    def record_fetch(
        self,
        *,
        run_id: int,
        url: str,
        final_url: str | None = None,
        method: str = "GET",
        status: int | None = None,
        request_headers: Any = None,
        response_headers: Any = None,
        body: bytes | None = None,
        fetched_at: str | None = None,
        duration: float | None = None,
        error: str | None = None,
        portal_code: str | None = None,
        worker: str | None = None,
    ) -> int:
        """Record one HTTP exchange (or a failed one, with ``error``); return its id.

        What the exchange says about a known document (gone, still there, moved away) is
        decided by ``Documents.observe_fetch``.
        """
        response = normalize_headers(response_headers)
        fetched_at = fetched_at or utc_now()
        row = {
            "run_id": run_id,
            "worker": worker if worker is not None else self._run_worker(run_id),
            "url": url,
            "final_url": final_url or url,
            "method": method,
            "status": status,
            "request_headers": json.dumps(normalize_headers(request_headers), ensure_ascii=False),
            "response_headers": json.dumps(response, ensure_ascii=False),
            "content_type": header(response, "Content-Type"),
            "etag": header(response, "ETag"),
            "last_modified": header(response, "Last-Modified"),
            "fetched_at": fetched_at,
            "duration": duration,
            "size": len(body) if body is not None else None,
            "sha256": self.store_body(body) if body is not None else None,
            "error": error,
            "portal_code": portal_code,
        }
        fetch_id = self._write(FETCH_INSERT, row).lastrowid
        self.observe_fetch(url=url, final_url=final_url, status=status, fetch_id=fetch_id, at=fetched_at)
        self._wrote()
        return fetch_id

    def observe_fetch(self, *, url: str, final_url: str | None, status: int | None, fetch_id: int,
                      at: str) -> None:
        """Hook for the document lifecycle (``archive.documents``); raw storage knows none."""

    def _run_worker(self, run_id: int) -> str | None:
        """The worker that started ``run_id`` (fetches carry it so shards can be merged)."""
        if run_id not in self._run_workers:
            row = self.conn.execute(
                "SELECT worker FROM crawl_runs WHERE id = ?", (run_id,)
            ).fetchone()
            self._run_workers[run_id] = row[0] if row else self.worker
        return self._run_workers[run_id]

    def fetch(self, fetch_id: int) -> dict[str, Any]:
        row = self.one("SELECT * FROM fetches WHERE id = ?", (fetch_id,))
        if row is None:
            raise ArchiveError(f"no fetch with id {fetch_id}")
        return row

    def validators(self, url: str) -> dict[str, str | None] | None:
        """ETag, Last-Modified and body hash of the last successful fetch of ``url``."""
        return self.one(
            "SELECT etag, last_modified, sha256 FROM fetches"
            " WHERE url = ? AND sha256 IS NOT NULL AND status BETWEEN 200 AND 299"
            " ORDER BY id DESC LIMIT 1",
            (url,),
        )
