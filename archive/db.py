"""The archive database: raw bodies with provenance, documents and their parsed reports.

Writes are batched: the first write opens a transaction that is committed every
``batch_size`` writes, after ``batch_seconds``, on ``flush()`` and on ``close()``. SQLite
runs in WAL mode, so a process killed at any point leaves the last committed state.
Ids are handed out by SQLite at once (reads on this connection see the open batch).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from archive.schema import migrate

DEFAULT_ARCHIVE = "archive.db"
ENV_VAR = "OGI_ARCHIVE"
COMPRESSION = "zlib"
GONE_STATUSES = (404, 410)
NOT_MODIFIED = 304
RECORD_FIELDS_KEPT_OUT = ("text",)  # stored once, in report_text (searchable)


def default_archive_path() -> Path:
    """``$OGI_ARCHIVE`` if set, else ``./archive.db``."""
    return Path(os.environ.get(ENV_VAR) or DEFAULT_ARCHIVE)


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


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


class ArchiveError(Exception):
    """A request the archive cannot honour, with the reason."""


class Archive:
    """One SQLite archive. ``Archive(path=None)`` opens (creating and migrating) it.

    >>> db = Archive(":memory:")
    >>> run = db.start_run({"portals": 1}, code_version="abc123")
    >>> fetch = db.record_fetch(run_id=run, url="http://x.gov.cn/r.html", status=200,
    ...                         body=b"<html>...</html>", fetched_at="2026-11-22T10:00:00Z")
    >>> db.body(db.fetch(fetch)["sha256"])
    b'<html>...</html>'
    >>> db.close()
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        batch_size: int = 200,
        batch_seconds: float = 2.0,
        worker: str | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else default_archive_path()
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit at the driver level: transactions are opened and closed explicitly.
        conn = sqlite3.connect(
            str(self.path), isolation_level=None, check_same_thread=False, timeout=30
        )
        conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL survives any process crash; only a power cut can drop the last commits.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self.schema_before, self.schema_version = migrate(self.db)
        self.batch_size = max(1, batch_size)
        self.batch_seconds = batch_seconds
        self.worker = worker
        self._pending = 0
        self._batch_started = 0.0
        self._run_workers: dict[int, str | None] = {}

    # -- transactions -------------------------------------------------------------

    def _begin(self) -> None:
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")
            self._batch_started = time.monotonic()

    def _write(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        self._begin()
        return self.conn.execute(sql, tuple(params))

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
            self.conn.execute("COMMIT")
        self._pending = 0

    def close(self) -> None:
        """Flush pending writes and close the database."""
        self.flush()
        self.conn.close()

    def __enter__(self) -> Archive:
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

    def upsert_portals(self, rows: Iterable[dict[str, Any]]) -> None:
        """Insert or update registry rows keyed by ``code``; unknown keys become columns."""
        self.flush()  # sqlite-utils commits on its own: never mix it into an open batch
        self.db["portals"].upsert_all(
            (dict(row) for row in rows), pk="code", alter=True
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

    # -- fetches and bodies -------------------------------------------------------

    def store_body(self, body: bytes) -> str:
        """Store ``body`` once under its SHA-256 and return the hash."""
        digest = sha256_hex(body)
        if self.conn.execute("SELECT 1 FROM bodies WHERE sha256 = ?", (digest,)).fetchone():
            return digest
        self._write(
            "INSERT INTO bodies (sha256, size, compression, compressed) VALUES (?, ?, ?, ?)",
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

        A 404/410 marks a known document ``gone``; a 304 confirms it is still there.
        """
        response = normalize_headers(response_headers)
        fetched_at = fetched_at or utc_now()
        digest = self.store_body(body) if body is not None else None
        cursor = self._write(
            "INSERT INTO fetches (run_id, worker, url, final_url, method, status,"
            " request_headers, response_headers, content_type, etag, last_modified,"
            " fetched_at, duration, size, sha256, error, portal_code)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run_id,
                worker if worker is not None else self._run_worker(run_id),
                url,
                final_url or url,
                method,
                status,
                json.dumps(normalize_headers(request_headers), ensure_ascii=False),
                json.dumps(response, ensure_ascii=False),
                header(response, "Content-Type"),
                header(response, "ETag"),
                header(response, "Last-Modified"),
                fetched_at,
                duration,
                len(body) if body is not None else None,
                digest,
                error,
                portal_code,
            ),
        )
        if status in GONE_STATUSES:
            self.mark_gone(url, f"HTTP {status} (fetch {cursor.lastrowid})", at=fetched_at)
        elif status == NOT_MODIFIED:
            self._write(
                "UPDATE documents SET status = 'live', last_seen = ?, gone_at = NULL,"
                " gone_evidence = NULL WHERE url = ?",
                (fetched_at, url),
            )
        elif final_url and final_url != url:
            # the old address now redirects: a document known there may have moved
            old = self.one("SELECT id FROM documents WHERE url = ? AND status = 'live'", (url,))
            if old is not None:
                self._write("UPDATE documents SET status = 'gone', gone_at = ?, gone_evidence = ?"
                            " WHERE id = ?", (fetched_at, f"redirects to {final_url} (fetch {cursor.lastrowid})",
                                              old["id"]))
                self._recognise_move(old["id"], fetched_at)
        self._wrote()
        return cursor.lastrowid

    def mark_gone(self, url: str, evidence: str, at: str | None = None) -> bool:
        """Mark the live document at ``url`` gone, keeping when it was last seen and why.

        Nothing is deleted: its bodies and parses stay. Returns whether a document changed.
        """
        at = at or utc_now()
        document = self.one("SELECT id FROM documents WHERE url = ? AND status = 'live'", (url,))
        if document is None:
            return False
        self._write("UPDATE documents SET status = 'gone', gone_at = ?, gone_evidence = ? WHERE id = ?",
                    (at, evidence, document["id"]))
        self._recognise_move(document["id"], at)
        self._wrote()
        return True

    def _recognise_move(self, document_id: int, at: str) -> None:
        """A document no longer served at its URL whose bytes are live at another URL has moved.

        A report published at two URLs at once is not a move: both stay live.
        """
        old = self.one("SELECT id, sha256, first_seen FROM documents WHERE id = ?", (document_id,))
        if old is None:
            return
        new = self.one(
            "SELECT id FROM documents WHERE sha256 = ? AND id != ? AND status = 'live'"
            " AND first_seen >= ? ORDER BY first_seen DESC LIMIT 1",
            (old["sha256"], document_id, old["first_seen"]),
        )
        if new is not None:
            self._write("UPDATE documents SET status = 'moved', moved_to_id = ?, moved_at = ? WHERE id = ?",
                        (new["id"], at, document_id))

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
        row = self.one(
            "SELECT etag, last_modified, sha256 FROM fetches"
            " WHERE url = ? AND sha256 IS NOT NULL AND status BETWEEN 200 AND 299"
            " ORDER BY id DESC LIMIT 1",
            (url,),
        )
        return row

    # -- documents and reports ----------------------------------------------------

    def record_document(
        self,
        *,
        fetch_id: int,
        url: str,
        record: dict[str, Any],
        attachment_of: str | None = None,
        portal_code: str | None = None,
    ) -> int:
        """Record the document behind a fetch and its parsed ``record``; return its id."""
        fetch = self.fetch(fetch_id)
        if fetch["sha256"] is None:
            raise ArchiveError(f"fetch {fetch_id} of {url} has no body to make a document of")
        digest = fetch["sha256"]
        seen = fetch["fetched_at"]
        portal_code = portal_code or fetch["portal_code"]
        parent = (
            self.one("SELECT id FROM documents WHERE url = ?", (attachment_of,))
            if attachment_of
            else None
        )
        meta = (
            record.get("kind"),
            record.get("reason"),
            record.get("title"),
            record.get("organ"),
            record.get("organ_level"),
            record.get("report_year"),
        )
        existing = self.one("SELECT id, sha256 FROM documents WHERE url = ?", (url,))
        if existing is None:
            document_id = self._write(
                "INSERT INTO documents (url, portal_code, kind, reason, title, organ,"
                " organ_level, report_year, attachment_of, attachment_of_id, status,"
                " version, first_seen, last_seen, last_fetch_id, sha256)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'live', 1, ?, ?, ?, ?)",
                (url, portal_code, *meta, attachment_of, parent and parent["id"],
                 seen, seen, fetch_id, digest),
            ).lastrowid
        else:
            document_id = existing["id"]
            self._write(
                "UPDATE documents SET portal_code = COALESCE(?, portal_code), kind = ?,"
                " reason = ?, title = ?, organ = ?, organ_level = ?, report_year = ?,"
                " attachment_of = COALESCE(?, attachment_of),"
                " attachment_of_id = COALESCE(?, attachment_of_id), status = 'live',"
                " gone_at = NULL, gone_evidence = NULL, moved_to_id = NULL, moved_at = NULL,"
                " last_seen = ?, last_fetch_id = ?, sha256 = ? WHERE id = ?",
                (portal_code, *meta, attachment_of, parent and parent["id"], seen,
                 fetch_id, digest, document_id),
            )
        self._write(
            "INSERT OR IGNORE INTO document_bodies (document_id, sha256, first_fetch_id,"
            " first_seen) VALUES (?, ?, ?, ?)",
            (document_id, digest, fetch_id, seen),
        )
        self._write(
            "UPDATE documents SET version ="
            " (SELECT COUNT(*) FROM document_bodies WHERE document_id = ?) WHERE id = ?",
            (document_id, document_id),
        )
        for link in record.get("attachments") or []:
            self._write(
                "INSERT OR IGNORE INTO attachments (document_id, url, text) VALUES (?, ?, ?)",
                (document_id, link.get("url"), link.get("text")),
            )
        if existing is None:
            for gone in self.query("SELECT id FROM documents WHERE sha256 = ? AND status = 'gone' AND id != ?",
                                   (digest, document_id)):
                self._recognise_move(gone["id"], seen)
        self._insert_report(document_id, fetch, record)
        self._wrote()
        return document_id

    def _insert_report(
        self, document_id: int, fetch: dict[str, Any], record: dict[str, Any]
    ) -> int | None:
        """Store one parse; ``None`` if this parser version already parsed this body."""
        parser_version = record.get("parser_version")
        if not parser_version:
            raise ArchiveError("record has no parser_version: cannot tell parses apart")
        stored = {k: v for k, v in record.items() if k not in RECORD_FIELDS_KEPT_OUT}
        cursor = self._write(
            "INSERT OR IGNORE INTO reports (document_id, fetch_id, sha256, run_id,"
            " parser_version, parsed_at, kind, title, organ, organ_level, report_year,"
            " table_format, published_on, record)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                document_id,
                fetch["id"],
                fetch["sha256"],
                fetch["run_id"],
                parser_version,
                utc_now(),
                record.get("kind"),
                record.get("title"),
                record.get("organ"),
                record.get("organ_level"),
                record.get("report_year"),
                record.get("table_format"),
                record.get("published_on"),
                json.dumps(stored, ensure_ascii=False),
            ),
        )
        if cursor.rowcount == 0:
            return None
        report_id = cursor.lastrowid
        inferred = set(record.get("inferred") or ())
        # One statement for all of a report's values (and one for its checks): statement by
        # statement, a report's hundred-odd cells cost as many round trips into SQLite.
        self._write_many(
            "INSERT INTO report_values (report_id, key, value, inferred) VALUES (?, ?, ?, ?)",
            [(report_id, key, value, int(key in inferred))
             for key, value in (record.get("values") or {}).items()],
        )
        self._write_many(
            "INSERT INTO report_checks (report_id, name, scope, ok, detail) VALUES (?, ?, ?, ?, ?)",
            [(report_id, check.get("name"), check.get("scope"),
              None if check.get("ok") is None else int(bool(check.get("ok"))), check.get("detail"))
             for check in record.get("checks") or []],
        )
        if record.get("text"):
            self._write(
                "INSERT INTO report_text (report_id, title, organ, text) VALUES (?, ?, ?, ?)",
                (report_id, record.get("title"), record.get("organ"), record["text"]),
            )
        return report_id

    def record_parse(
        self, *, document_id: int, fetch_id: int, record: dict[str, Any]
    ) -> int | None:
        """Add a (re-)parse of a stored body; ``None`` if that version already parsed it."""
        fetch = self.fetch(fetch_id)
        report_id = self._insert_report(document_id, fetch, record)
        if report_id is not None:
            # The document's summary columns follow the newest parse of its newest body.
            self._write(
                "UPDATE documents SET kind = ?, reason = ?, title = ?, organ = ?,"
                " organ_level = ?, report_year = ? WHERE id = ? AND sha256 = ?",
                (record.get("kind"), record.get("reason"), record.get("title"),
                 record.get("organ"), record.get("organ_level"), record.get("report_year"),
                 document_id, fetch["sha256"]),
            )
        self._wrote()
        return report_id

    def stored_bodies(self) -> list[dict[str, Any]]:
        """Every (document, body) pair with the first fetch that brought that body."""
        return list(
            self.query(
                "SELECT document_bodies.document_id, document_bodies.sha256,"
                " document_bodies.first_fetch_id AS fetch_id, documents.url,"
                " documents.attachment_of_id, fetches.final_url, fetches.content_type"
                " FROM document_bodies"
                " JOIN documents ON documents.id = document_bodies.document_id"
                " JOIN fetches ON fetches.id = document_bodies.first_fetch_id"
                " ORDER BY documents.attachment_of_id IS NOT NULL, document_bodies.document_id,"
                " document_bodies.first_fetch_id"
            )
        )

    def reparse(
        self,
        parse: Callable[..., dict[str, Any]],
        parser_version: str,
        progress: Callable[[Iterable[Any]], Iterable[Any]] = iter,
        complete: Callable[[dict[str, Any], dict[str, Any] | None, str | None], dict[str, Any]] | None = None,
    ) -> dict[str, int]:
        """Parse every stored body again with ``parse``; no network, bytes come from here.

        Bodies this ``parser_version`` already parsed are skipped; older versions' rows stay.
        An attachment's new record goes through ``complete(record, page, link_text)`` with
        its page's newest record (``linking_page``), as the crawl completed it; pages are
        parsed before their attachments.
        """
        counts = {"parsed": 0, "skipped": 0}
        for pair in progress(self.stored_bodies()):
            done = self.conn.execute(
                "SELECT 1 FROM reports WHERE document_id = ? AND sha256 = ?"
                " AND parser_version = ?",
                (pair["document_id"], pair["sha256"], parser_version),
            ).fetchone()
            if done:
                counts["skipped"] += 1
                continue
            record = parse(
                self.body(pair["sha256"]),
                url=pair["final_url"] or pair["url"],
                content_type=pair["content_type"],
            )
            if complete is not None and pair["attachment_of_id"] is not None:
                record = complete(record, *self.linking_page(pair["document_id"]))
            record["parser_version"] = parser_version
            self.record_parse(
                document_id=pair["document_id"], fetch_id=pair["fetch_id"], record=record
            )
            counts["parsed"] += 1
        self.flush()
        return counts

    def linking_page(self, document_id: int) -> tuple[dict[str, Any] | None, str | None]:
        """The newest record of the page an attachment hangs from, and the text of its link."""
        row = self.one(
            "SELECT page.url, attachments.text FROM documents"
            " JOIN documents AS page ON page.id = documents.attachment_of_id"
            " LEFT JOIN attachments ON attachments.document_id = page.id AND attachments.url = documents.url"
            " WHERE documents.id = ?",
            (document_id,),
        )
        if row is None:
            return None, None
        return self.page_record(row["url"]), row["text"]

    def page_record(self, url: str) -> dict[str, Any] | None:
        """The newest record of the current body of the document at ``url``, with its ``source.url``."""
        row = self.one(
            "SELECT reports.record FROM documents"
            " JOIN reports ON reports.document_id = documents.id AND reports.sha256 = documents.sha256"
            " WHERE documents.url = ? ORDER BY reports.id DESC LIMIT 1",
            (url,),
        )
        if row is None:
            return None
        page = json.loads(row["record"])
        page["source"] = dict(page.get("source") or {}, url=url)
        return page

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

    def search(self, query: str, limit: int = 20) -> list[dict[str, Any]]:
        """Reports whose title, organ or text contains ``query``.

        The trigram index answers queries of 3+ characters; shorter ones (two-character
        Chinese words are common) fall back to a scan.
        """
        columns = (
            "SELECT reports.id AS report_id, reports.document_id, reports.title,"
            " reports.organ, reports.report_year, reports.parser_version"
        )
        if len(query) >= 3:
            sql = (
                f"{columns} FROM report_text_fts"
                " JOIN reports ON reports.id = report_text_fts.rowid"
                " WHERE report_text_fts MATCH ? ORDER BY rank LIMIT ?"
            )
            params: tuple[Any, ...] = (_fts_phrase(query), limit)
        else:
            sql = (
                f"{columns} FROM report_text JOIN reports ON reports.id = report_text.report_id"
                " WHERE instr(COALESCE(report_text.title, '') || ' '"
                " || COALESCE(report_text.organ, '') || ' ' || report_text.text, ?) > 0"
                " ORDER BY reports.id LIMIT ?"
            )
            params = (query, limit)
        return list(self.query(sql, params))

    # -- reading back -------------------------------------------------------------

    def provenance(self, report_id: int) -> dict[str, Any]:
        """The chain behind one report: document, fetch, body, crawl run, parser version."""
        row = self.one(
            "SELECT reports.id AS report_id, reports.parser_version, reports.parsed_at,"
            " documents.id AS document_id, documents.url AS document_url,"
            " fetches.id AS fetch_id, fetches.url, fetches.final_url, fetches.fetched_at,"
            " fetches.status, bodies.sha256, bodies.size, crawl_runs.id AS run_id,"
            " crawl_runs.code_version, crawl_runs.started_at AS run_started_at"
            " FROM reports"
            " JOIN documents ON documents.id = reports.document_id"
            " JOIN fetches ON fetches.id = reports.fetch_id"
            " JOIN bodies ON bodies.sha256 = reports.sha256"
            " JOIN crawl_runs ON crawl_runs.id = reports.run_id"
            " WHERE reports.id = ?",
            (report_id,),
        )
        if row is None:
            raise ArchiveError(f"report {report_id} has a broken provenance chain or none")
        return row

    def export_records(self, kind: str | None = None) -> Iterator[dict[str, Any]]:
        """The newest parse of every document's newest body, as ``report-schema.md`` records."""
        sql = (
            "SELECT current.record, documents.url, documents.status, documents.version,"
            " documents.first_seen, documents.last_seen, documents.attachment_of,"
            " fetches.final_url, fetches.fetched_at, fetches.content_type, current.sha256"
            " FROM current"
            " JOIN documents ON documents.id = current.document_id"
            " JOIN fetches ON fetches.id = current.fetch_id"
        )
        params: tuple[Any, ...] = ()
        if kind:
            sql += " WHERE current.kind = ?"
            params = (kind,)
        sql += " ORDER BY documents.id"
        for row in self.query(sql, params):
            record = json.loads(row["record"])
            record["source"] = {
                "url": row["url"],
                "final_url": row["final_url"],
                "fetched_at": row["fetched_at"],
                "sha256": row["sha256"],
                "content_type": row["content_type"],
                "attachment_of": row["attachment_of"],
            }
            record["status"] = row["status"]
            record["version"] = row["version"]
            record["first_seen"] = row["first_seen"][:10]
            record["last_seen"] = row["last_seen"][:10]
            yield record

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

    def known_documents(self, portal_code: str | None = None) -> list[dict[str, Any]]:
        """Documents to revalidate on a re-crawl: URL, validators of the newest body, when last seen."""
        sql = ("SELECT d.url, d.portal_code, d.status, d.kind, d.last_seen, d.attachment_of, d.sha256,"
               " f.content_type, f.etag, f.last_modified,"
               # the page whose link led to it last (its list): where its absence can be seen
               " (SELECT json_extract(r.request_headers, '$.Referer') FROM fetches r WHERE r.url = d.url"
               "  AND json_extract(r.request_headers, '$.Referer') IS NOT NULL ORDER BY r.id DESC LIMIT 1) AS listed_on"
               " FROM documents d LEFT JOIN fetches f ON f.id = d.last_fetch_id WHERE d.status = 'live'")
        params: tuple[Any, ...] = ()
        if portal_code is not None:
            sql += " AND d.portal_code = ?"
            params = (portal_code,)
        return list(self.query(sql, params))

    def stored_pages(self, portal_codes: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """The newest stored 2xx body of every URL fetched without a redirect, with its validators."""
        self.flush()
        rows = self.query(
            "SELECT url, etag, last_modified, sha256, content_type, portal_code FROM fetches"
            " WHERE id IN (SELECT MAX(id) FROM fetches WHERE sha256 IS NOT NULL AND status BETWEEN 200 AND 299"
            " AND final_url = url GROUP BY url)")
        wanted = set(portal_codes) if portal_codes is not None else None
        return [row for row in rows if wanted is None or row["portal_code"] in wanted]

    def changes(self, since: str, kinds: tuple[str, ...] = ("report", "image_only")) -> dict[str, list[dict[str, Any]]]:
        """New, changed, gone and moved documents of ``kinds`` since ``since`` (an ISO date or time)."""
        self.flush()
        marks = ", ".join("?" * len(kinds))
        moved_here = "SELECT moved_to_id FROM documents WHERE moved_to_id IS NOT NULL"
        return {
            "new": list(self.query(
                f"SELECT url, kind, organ, report_year, first_seen FROM documents WHERE first_seen >= ?"
                f" AND kind IN ({marks}) AND status = 'live' AND id NOT IN ({moved_here}) ORDER BY url",
                (since, *kinds))),
            "changed": list(self.query(
                f"SELECT d.url, d.kind, d.organ, d.report_year, b.first_seen AS changed_at, d.version"
                f" FROM document_bodies b JOIN documents d ON d.id = b.document_id"
                f" WHERE b.first_seen >= ? AND d.kind IN ({marks}) AND b.first_seen > d.first_seen ORDER BY d.url",
                (since, *kinds))),
            "gone": list(self.query(
                f"SELECT url, kind, organ, report_year, last_seen, gone_at, gone_evidence FROM documents"
                f" WHERE status = 'gone' AND gone_at >= ? AND kind IN ({marks}) ORDER BY url", (since, *kinds))),
            "moved": list(self.query(
                f"SELECT d.url AS from_url, n.url AS to_url, d.kind, d.organ, d.report_year, d.moved_at"
                f" FROM documents d JOIN documents n ON n.id = d.moved_to_id"
                f" WHERE d.status = 'moved' AND d.moved_at >= ? AND d.kind IN ({marks}) ORDER BY d.url",
                (since, *kinds))),
        }

    def stats(self) -> dict[str, dict[str, int]]:
        """Counts: portals by status, documents by kind, reports by year and level, checks failed."""

        def counts(sql: str) -> dict[str, int]:
            return {
                str(name if name is not None else "(none)"): count
                for name, count in self.conn.execute(sql)
            }

        return {
            "portals by status": counts(
                "SELECT status, COUNT(*) FROM portals GROUP BY status ORDER BY status"
            ),
            "documents by kind": counts(
                "SELECT kind, COUNT(*) FROM documents GROUP BY kind ORDER BY kind"
            ),
            "reports by year and level": counts(
                "SELECT COALESCE(report_year, '?') || ' ' || COALESCE(organ_level, '?'),"
                " COUNT(*) FROM current WHERE kind = 'report'"
                " GROUP BY report_year, organ_level ORDER BY report_year, organ_level"
            ),
            "checks failed": counts(
                "SELECT report_checks.name, COUNT(*) FROM report_checks"
                " JOIN current ON current.id = report_checks.report_id"
                " WHERE report_checks.ok = 0 GROUP BY report_checks.name ORDER BY 1"
            ),
        }

    # -- integrity ----------------------------------------------------------------

    def check(self) -> list[str]:
        """Every integrity problem found (empty when the archive is sound)."""
        problems = [
            f"integrity_check: {message}"
            for (message,) in self.conn.execute("PRAGMA integrity_check")
            if message != "ok"
        ]
        problems += [
            f"foreign key: {table} row {rowid} points at a missing {parent} row"
            for table, rowid, parent, _ in self.conn.execute("PRAGMA foreign_key_check")
        ]
        problems += [
            f"{label}: {row[0]} references missing {row[1]}"
            for label, sql in _DANGLING_REFERENCES
            for row in self.conn.execute(sql)
        ]
        for sha256, size, compression, compressed in self.conn.execute(
            "SELECT sha256, size, compression, compressed FROM bodies"
        ):
            try:
                data = decompress(compression, compressed)
            except (ArchiveError, zlib.error) as exc:
                problems.append(f"body {sha256}: cannot decompress ({exc})")
                continue
            if sha256_hex(data) != sha256:
                problems.append(f"body {sha256}: bytes hash to {sha256_hex(data)}")
            elif len(data) != size:
                problems.append(f"body {sha256}: {len(data)} bytes, recorded size {size}")
        return problems


# Spelled out because foreign_key_check only covers declared keys; these name the row.
_DANGLING_REFERENCES: tuple[tuple[str, str], ...] = (
    ("fetch body", "SELECT 'fetch ' || id, 'body ' || sha256 FROM fetches"
     " WHERE sha256 IS NOT NULL AND sha256 NOT IN (SELECT sha256 FROM bodies)"),
    ("document body", "SELECT 'document ' || id, 'body ' || sha256 FROM documents"
     " WHERE sha256 NOT IN (SELECT sha256 FROM bodies)"),
    ("document fetch", "SELECT 'document ' || id, 'fetch ' || last_fetch_id FROM documents"
     " WHERE last_fetch_id NOT IN (SELECT id FROM fetches)"),
    ("report body", "SELECT 'report ' || id, 'body ' || sha256 FROM reports"
     " WHERE sha256 NOT IN (SELECT sha256 FROM bodies)"),
    ("report fetch", "SELECT 'report ' || id, 'fetch ' || fetch_id FROM reports"
     " WHERE fetch_id NOT IN (SELECT id FROM fetches)"),
    ("report document", "SELECT 'report ' || id, 'document ' || document_id FROM reports"
     " WHERE document_id NOT IN (SELECT id FROM documents)"),
    ("report fetch body", "SELECT 'report ' || reports.id, 'the body of fetch ' || fetches.id"
     " FROM reports JOIN fetches ON fetches.id = reports.fetch_id"
     " WHERE fetches.sha256 IS NOT reports.sha256"),
    ("report run", "SELECT 'report ' || id, 'run ' || run_id FROM reports"
     " WHERE run_id IS NOT NULL AND run_id NOT IN (SELECT id FROM crawl_runs)"),
)


def decompress(compression: str, compressed: bytes) -> bytes:
    if compression == "zlib":
        return zlib.decompress(compressed)
    if compression == "none":
        return bytes(compressed)
    raise ArchiveError(f"unknown compression {compression!r}")


def _fts_phrase(query: str) -> str:
    """Quote the query as one FTS5 phrase so punctuation cannot break the syntax."""
    return '"' + query.replace('"', '""') + '"'
