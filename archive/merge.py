"""Merge worker shards into one archive: bodies and fetches deduplicated, provenance kept.

Each worker of a distributed crawl writes its own archive file. Row ids are local to a file,
so every row is carried over by its natural key and its references are re-pointed:
crawl runs by ``uid``, bodies by SHA-256, fetches by (run, URL, time, method), documents by
URL, reports by (document, body, parser version). Merging the same shard twice changes
nothing.

    >>> from archive.merge import merge_shards                       # doctest: +SKIP
    >>> merge_shards(["worker-1.db", "worker-2.db"], into="archive.db")  # doctest: +SKIP
    {'shards': 2, 'runs': 2, 'bodies': 812, 'fetches': 1630, 'documents': 790, 'reports': 402}
"""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from archive.db import Archive, ArchiveError
from archive.schema import DOCUMENTS, FETCHES, REPORTS
from archive.store import check_file, connect_read_only, retry_when_locked

# Columns copied as they are (from the schema's own lists); the id and reference columns
# are mapped separately, and a document's version is counted again after the merge.
_FETCH_COLUMNS = tuple(c for c in FETCHES if c not in ("id", "run_id"))
_DOCUMENT_COLUMNS = tuple(c for c in DOCUMENTS if c not in ("id", "attachment_of_id", "version", "last_fetch_id"))
_REPORT_COLUMNS = tuple(c for c in REPORTS if c not in ("id", "document_id", "fetch_id", "run_id"))


def merge_shards(shards: Iterable[str | os.PathLike[str]], into: str | os.PathLike[str]) -> dict[str, int]:
    """Merge every shard into the archive at `into` (created if missing); return counts of new rows.

    Every shard is looked at before `into` is opened, and an `into` this call created is
    removed again if the merge fails: a damaged shard leaves no empty output behind.
    """
    added: Counter[str] = Counter()
    target = Path(into).resolve()
    check_file(target, must_exist=False)  # a directory or random bytes: refused before any shard is read
    paths = []
    for shard in shards:
        path = Path(shard).resolve()
        if path == target:
            raise ArchiveError(f"{shard} is the archive being merged into")
        if not path.exists():
            raise ArchiveError(f"no such shard: {shard}")
        connect_read_only(path).close()  # missing, empty, not SQLite or malformed: refused here
        paths.append(path)
    created = not target.exists()
    try:
        with Archive(target) as archive:
            archive.flush()
            for path in paths:
                with Archive(path):  # brings an older shard's schema up to date first
                    pass
                added += _merge_one(archive.conn, path)
                added["shards"] += 1
    except BaseException:
        if created:
            for leftover in (target, target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
                leftover.unlink(missing_ok=True)
        raise
    return {key: added[key] for key in ("shards", "runs", "bodies", "fetches", "documents", "reports")}


def _rows(conn: sqlite3.Connection, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


@retry_when_locked  # one transaction per shard, rolled back whole: merging it again is safe
def _merge_one(conn: sqlite3.Connection, shard: Path) -> Counter[str]:
    added: Counter[str] = Counter()
    conn.execute("ATTACH DATABASE ? AS shard", (str(shard),))
    try:
        conn.execute("BEGIN IMMEDIATE")
        runs = _merge_runs(conn, added)
        before = conn.execute("SELECT COUNT(*) FROM bodies").fetchone()[0]
        conn.execute("INSERT OR IGNORE INTO bodies SELECT sha256, size, compression, compressed FROM shard.bodies")
        added["bodies"] += conn.execute("SELECT COUNT(*) FROM bodies").fetchone()[0] - before
        fetches = _merge_fetches(conn, runs, added)
        documents = _merge_documents(conn, fetches, added)
        _merge_reports(conn, documents, fetches, runs, added)
        _merge_portals(conn, runs)
        _merge_portal_runs(conn, runs)
        conn.execute("UPDATE documents SET attachment_of_id = (SELECT p.id FROM documents p"
                     " WHERE p.url = documents.attachment_of) WHERE attachment_of IS NOT NULL")
        conn.execute("UPDATE documents SET version ="
                     " (SELECT COUNT(*) FROM document_bodies b WHERE b.document_id = documents.id)")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.execute("DETACH DATABASE shard")
    return added


def _merge_runs(conn: sqlite3.Connection, added: Counter[str]) -> dict[int, int]:
    mapping = {}
    for run in _rows(conn, "SELECT * FROM shard.crawl_runs"):
        found = conn.execute("SELECT id FROM main.crawl_runs WHERE uid = ?", (run["uid"],)).fetchone()
        if found:
            mapping[run["id"]] = found[0]
            # a run merged while it was still going gets its end and stats now
            conn.execute("UPDATE main.crawl_runs SET finished_at = COALESCE(finished_at, ?),"
                         " stats = COALESCE(stats, ?) WHERE id = ?", (run["finished_at"], run["stats"], found[0]))
            continue
        mapping[run["id"]] = conn.execute(
            "INSERT INTO main.crawl_runs (uid, started_at, finished_at, settings, stats, code_version, worker)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (run["uid"], run["started_at"], run["finished_at"], run["settings"], run["stats"],
             run["code_version"], run["worker"])).lastrowid
        added["runs"] += 1
    return mapping


def _merge_fetches(conn: sqlite3.Connection, runs: dict[int, int], added: Counter[str]) -> dict[int, int]:
    mapping = {}
    columns = ", ".join(_FETCH_COLUMNS)
    marks = ", ".join("?" * (len(_FETCH_COLUMNS) + 1))
    for fetch in _rows(conn, "SELECT * FROM shard.fetches ORDER BY id"):
        run_id = runs.get(fetch["run_id"])
        found = conn.execute(
            "SELECT id FROM main.fetches WHERE run_id IS ? AND url = ? AND fetched_at = ? AND method IS ?",
            (run_id, fetch["url"], fetch["fetched_at"], fetch["method"])).fetchone()
        if found:
            mapping[fetch["id"]] = found[0]
            continue
        mapping[fetch["id"]] = conn.execute(
            f"INSERT INTO main.fetches (run_id, {columns}) VALUES ({marks})",
            (run_id, *(fetch[c] for c in _FETCH_COLUMNS))).lastrowid
        added["fetches"] += 1
    return mapping


def _merge_documents(conn: sqlite3.Connection, fetches: dict[int, int], added: Counter[str]) -> dict[int, int]:
    mapping = {}
    columns = ", ".join(_DOCUMENT_COLUMNS)
    marks = ", ".join("?" * (len(_DOCUMENT_COLUMNS) + 2))
    for doc in _rows(conn, "SELECT * FROM shard.documents ORDER BY id"):
        last_fetch = fetches.get(doc["last_fetch_id"])
        found = _rows(conn, "SELECT id, last_seen, first_seen FROM main.documents WHERE url = ?", (doc["url"],))
        if not found:
            mapping[doc["id"]] = conn.execute(
                f"INSERT INTO main.documents ({columns}, version, last_fetch_id) VALUES ({marks})",
                (*(doc[c] for c in _DOCUMENT_COLUMNS), doc["version"], last_fetch)).lastrowid
            added["documents"] += 1
        else:
            here = found[0]
            mapping[doc["id"]] = here["id"]
            conn.execute("UPDATE main.documents SET first_seen = MIN(first_seen, ?) WHERE id = ?",
                         (doc["first_seen"], here["id"]))
            if doc["last_seen"] > here["last_seen"]:  # the shard saw it later: its state is the newer one
                updates = [c for c in _DOCUMENT_COLUMNS if c not in ("url", "first_seen")]
                conn.execute(
                    "UPDATE main.documents SET " + ", ".join(f"{c} = ?" for c in updates) + ", last_fetch_id = ?"
                    " WHERE id = ?", (*(doc[c] for c in updates), last_fetch, here["id"]))
    for body in _rows(conn, "SELECT * FROM shard.document_bodies"):
        conn.execute("INSERT OR IGNORE INTO main.document_bodies (document_id, sha256, first_fetch_id, first_seen)"
                     " VALUES (?, ?, ?, ?)", (mapping[body["document_id"]], body["sha256"],
                                              fetches.get(body["first_fetch_id"]), body["first_seen"]))
        conn.execute("UPDATE main.document_bodies SET first_seen = MIN(first_seen, ?)"
                     " WHERE document_id = ? AND sha256 = ?",
                     (body["first_seen"], mapping[body["document_id"]], body["sha256"]))
    for link in _rows(conn, "SELECT * FROM shard.attachments"):
        conn.execute("INSERT OR IGNORE INTO main.attachments (document_id, url, text) VALUES (?, ?, ?)",
                     (mapping[link["document_id"]], link["url"], link["text"]))
    for link in _rows(conn, "SELECT * FROM shard.document_links"):
        if link["fetch_id"] in fetches:
            conn.execute("INSERT OR IGNORE INTO main.document_links (fetch_id, document_id, page_url, link_text,"
                         " page_title) VALUES (?, ?, ?, ?, ?)", (fetches[link["fetch_id"]],
                         mapping[link["document_id"]], link["page_url"], link["link_text"], link["page_title"]))
    return mapping


def _merge_reports(conn: sqlite3.Connection, documents: dict[int, int], fetches: dict[int, int],
                   runs: dict[int, int], added: Counter[str]) -> None:
    columns = ", ".join(_REPORT_COLUMNS)
    marks = ", ".join("?" * (len(_REPORT_COLUMNS) + 3))
    for report in _rows(conn, "SELECT * FROM shard.reports ORDER BY id"):
        document_id = documents[report["document_id"]]
        found = conn.execute("SELECT id FROM main.reports WHERE document_id = ? AND sha256 = ? AND parser_version = ?",
                             (document_id, report["sha256"], report["parser_version"])).fetchone()
        if found:
            continue
        report_id = conn.execute(
            f"INSERT INTO main.reports (document_id, fetch_id, run_id, {columns}) VALUES ({marks})",
            (document_id, fetches.get(report["fetch_id"]), runs.get(report["run_id"]),
             *(report[c] for c in _REPORT_COLUMNS))).lastrowid
        added["reports"] += 1
        old = report["id"]
        conn.execute("INSERT INTO main.report_values (report_id, key, value, inferred)"
                     " SELECT ?, key, value, inferred FROM shard.report_values WHERE report_id = ?", (report_id, old))
        conn.execute("INSERT INTO main.report_checks (report_id, name, scope, ok, detail)"
                     " SELECT ?, name, scope, ok, detail FROM shard.report_checks WHERE report_id = ?",
                     (report_id, old))
        conn.execute("INSERT INTO main.report_text (report_id, title, organ, text)"
                     " SELECT ?, title, organ, text FROM shard.report_text WHERE report_id = ?", (report_id, old))


def _merge_portals(conn: sqlite3.Connection, runs: dict[int, int]) -> None:
    present = {row[1] for row in conn.execute("PRAGMA main.table_info(portals)")}
    for column in conn.execute("PRAGMA shard.table_info(portals)").fetchall():
        if column[1] not in present:  # registry extra columns travel with their portals
            conn.execute(f'ALTER TABLE main.portals ADD COLUMN "{column[1]}" {column[2] or "TEXT"}')
    for portal in _rows(conn, "SELECT * FROM shard.portals"):
        here = _rows(conn, "SELECT updated_at FROM main.portals WHERE code = ?", (portal["code"],))
        if here and (here[0]["updated_at"] or "") >= (portal["updated_at"] or ""):
            continue
        portal["last_run_id"] = runs.get(portal["last_run_id"])
        names = list(portal)
        conn.execute(f"INSERT OR REPLACE INTO main.portals ({', '.join(f'[{n}]' for n in names)})"
                     f" VALUES ({', '.join('?' * len(names))})",
                     tuple(portal.values()))


def _merge_portal_runs(conn: sqlite3.Connection, runs: dict[int, int]) -> None:
    """Which run finished which portal travels too, and decides the portal's status.

    A worker records a status for every portal of its registry, also for those other workers
    crawled; the run that finished a portal is the one that knows how it ended.
    """
    for row in _rows(conn, "SELECT * FROM shard.portal_runs"):
        conn.execute("INSERT OR REPLACE INTO main.portal_runs (run_id, portal_code, status, reason, finished_at,"
                     " pages, reports) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (runs[row["run_id"]], row["portal_code"], row["status"], row["reason"], row["finished_at"],
                      row["pages"], row["reports"]))
    conn.execute(
        "UPDATE main.portals SET (status, reason, last_run_id) = (SELECT status, reason, run_id FROM main.portal_runs r"
        " WHERE r.portal_code = portals.code ORDER BY r.finished_at DESC LIMIT 1)"
        " WHERE code IN (SELECT portal_code FROM main.portal_runs)")
