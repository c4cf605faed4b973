"""The archive's schema and its migrations, applied in order through sqlite-utils.

``PRAGMA user_version`` holds the number of migrations applied. Every migration is
idempotent (missing tables are created and missing columns added, never dropped; FTS
and views are guarded), so a process killed half way through one re-runs it on the next
open.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import sqlite_utils

# The newest report row for the newest body of each document. Ids grow with time, so
# "newest" is the highest id; a re-parse with a new parser version adds a higher one.
CURRENT_VIEW_SQL = """
SELECT reports.*
FROM reports
JOIN documents ON documents.id = reports.document_id
WHERE reports.id = (
    SELECT MAX(newer.id) FROM reports AS newer
    WHERE newer.document_id = reports.document_id
      AND newer.sha256 = documents.sha256
)
"""


# One HTTP exchange (or a failed one).
FETCHES: dict[str, type] = {
    "id": int,
    "run_id": int,
    "worker": str,
    "url": str,
    "final_url": str,
    "method": str,
    "status": int,
    "request_headers": str,  # JSON
    "response_headers": str,  # JSON
    "content_type": str,
    "etag": str,
    "last_modified": str,
    "fetched_at": str,
    "duration": float,
    "size": int,
    "sha256": str,
    "error": str,
    "portal_code": str,
}

# A document at one URL, with the summary of its newest parse.
DOCUMENTS: dict[str, type] = {
    "id": int,
    "url": str,
    "portal_code": str,
    "kind": str,
    "reason": str,
    "title": str,
    "organ": str,
    "organ_level": str,
    "report_year": int,
    "attachment_of": str,  # the URL of the page that linked this document
    "attachment_of_id": int,
    "status": str,  # live | gone
    "version": int,  # distinct bodies seen at this URL
    "first_seen": str,
    "last_seen": str,
    "last_fetch_id": int,
    "sha256": str,  # the newest body
}

# One parse of one body by one parser version.
REPORTS: dict[str, type] = {
    "id": int,
    "document_id": int,
    "fetch_id": int,
    "sha256": str,
    "run_id": int,
    "parser_version": str,
    "parsed_at": str,
    "kind": str,
    "title": str,
    "organ": str,
    "organ_level": str,
    "report_year": int,
    "table_format": str,
    "published_on": str,
    "record": str,  # JSON, the parser's record without its ``text``
}

# Added to documents by migration 2: why a document is gone, and where it moved.
DOCUMENT_FATE: dict[str, type] = {"gone_at": str, "gone_evidence": str, "moved_to_id": int, "moved_at": str}

# The link that led to a document on one fetch (migration 3): what the crawl completed its
# record from, so that ``ogi reparse`` completes it the same way.
DOCUMENT_LINKS: dict[str, type] = {
    "fetch_id": int,
    "document_id": int,
    "page_url": str,  # the page that linked it (an attachment: the page it hangs from)
    "link_text": str,
    "page_title": str,  # that page's title as the crawl read it
}


def insert_sql(table: str, columns: Iterable[str], conflict: str = "") -> str:
    """``INSERT [OR conflict] INTO table (columns) VALUES (:column, ...)``: named parameters."""
    names = list(columns)
    return (f"INSERT {f'OR {conflict} ' if conflict else ''}INTO {table} ({', '.join(names)})"
            f" VALUES ({', '.join(':' + name for name in names)})")


def _ensure_table(
    db: sqlite_utils.Database, name: str, columns: dict[str, type], **options: Any
) -> None:
    """Create ``name``, or add the columns it lacks (extra columns are left alone)."""
    table = db[name]
    if not table.exists():
        table.create(columns, **options)
        return
    present = table.columns_dict
    for column, column_type in columns.items():
        if column not in present:
            table.add_column(column, column_type)


def _v1_initial(db: sqlite_utils.Database) -> None:
    _ensure_table(
        db,
        "crawl_runs",
        {
            "id": int,
            "uid": str,  # globally unique: ids are per file, shards merge by uid
            "started_at": str,
            "finished_at": str,
            "settings": str,  # JSON
            "stats": str,  # JSON
            "code_version": str,
            "worker": str,
        },
        pk="id",
    )
    _ensure_table(
        db,
        "portals",
        {
            "code": str,
            "name": str,
            "level": str,
            "province": str,
            "city": str,
            "url": str,
            "source": str,
            "status": str,
            "reason": str,
            "last_run_id": int,
            "updated_at": str,
        },
        pk="code",
        foreign_keys=[("last_run_id", "crawl_runs", "id")],
    )
    _ensure_table(
        db,
        "bodies",
        {"sha256": str, "size": int, "compression": str, "compressed": bytes},
        pk="sha256",
        not_null=["size", "compression", "compressed"],
    )
    _ensure_table(
        db,
        "fetches",
        FETCHES,
        pk="id",
        foreign_keys=[("run_id", "crawl_runs", "id"), ("sha256", "bodies", "sha256")],
        not_null=["url", "fetched_at"],
    )
    _ensure_table(
        db,
        "documents",
        DOCUMENTS,
        pk="id",
        foreign_keys=[
            ("attachment_of_id", "documents", "id"),
            ("last_fetch_id", "fetches", "id"),
            ("sha256", "bodies", "sha256"),
        ],
        not_null=["url", "status", "version", "first_seen", "last_seen"],
    )
    _ensure_table(
        db,
        "document_bodies",
        {"document_id": int, "sha256": str, "first_fetch_id": int, "first_seen": str},
        pk=("document_id", "sha256"),
        foreign_keys=[
            ("document_id", "documents", "id"),
            ("sha256", "bodies", "sha256"),
            ("first_fetch_id", "fetches", "id"),
        ],
    )
    _ensure_table(
        db,
        "attachments",
        {"document_id": int, "url": str, "text": str},
        pk=("document_id", "url"),
        foreign_keys=[("document_id", "documents", "id")],
    )
    _ensure_table(
        db,
        "reports",
        REPORTS,
        pk="id",
        foreign_keys=[
            ("document_id", "documents", "id"),
            ("fetch_id", "fetches", "id"),
            ("sha256", "bodies", "sha256"),
            ("run_id", "crawl_runs", "id"),
        ],
        not_null=["document_id", "sha256", "parser_version", "parsed_at", "record"],
    )
    # INTEGER affinity keeps integers exact and stores decimals such as fees as REAL.
    _ensure_table(
        db,
        "report_values",
        {"report_id": int, "key": str, "value": int, "inferred": int},
        pk=("report_id", "key"),
        foreign_keys=[("report_id", "reports", "id")],
    )
    _ensure_table(
        db,
        "report_checks",
        {"report_id": int, "name": str, "scope": str, "ok": int, "detail": str},
        foreign_keys=[("report_id", "reports", "id")],
    )
    _ensure_table(
        db,
        "report_text",
        {"report_id": int, "title": str, "organ": str, "text": str},
        pk="report_id",
        foreign_keys=[("report_id", "reports", "id")],
    )
    if not db["report_text_fts"].exists():
        # Chinese has no spaces between words: trigrams match any 3+ character substring.
        db["report_text"].enable_fts(
            ["title", "organ", "text"], tokenize="trigram", create_triggers=True
        )
    for table, columns, unique in (
        ("crawl_runs", ["uid"], True),
        ("fetches", ["url"], False),
        ("fetches", ["run_id"], False),
        ("fetches", ["sha256"], False),
        ("documents", ["url"], True),
        ("documents", ["sha256"], False),
        ("documents", ["attachment_of_id"], False),
        ("reports", ["document_id", "sha256", "parser_version"], True),
        ("reports", ["sha256"], False),
        ("report_checks", ["report_id"], False),
    ):
        db[table].create_index(columns, unique=unique, if_not_exists=True)
    db.create_view("current", CURRENT_VIEW_SQL, ignore=True)


def _v2_recrawls(db: sqlite_utils.Database) -> None:
    """Gone and moved documents keep their evidence; runs record the portals they finished."""
    _ensure_table(db, "documents", DOCUMENT_FATE)
    _ensure_table(
        db,
        "portal_runs",
        {"run_id": int, "portal_code": str, "status": str, "reason": str, "finished_at": str,
         "pages": int, "reports": int},
        pk=("run_id", "portal_code"),
        foreign_keys=[("run_id", "crawl_runs", "id")],
    )
    db["documents"].create_index(["status"], if_not_exists=True)


def _v3_document_links(db: sqlite_utils.Database) -> None:
    """Each fetch of a document keeps the link that led to it (page, link text, page title).

    Documents archived before this migration get what was archived then: the page an
    attachment hangs from and the text of that page's link to it.
    """
    _ensure_table(
        db,
        "document_links",
        DOCUMENT_LINKS,
        pk="fetch_id",
        foreign_keys=[("fetch_id", "fetches", "id"), ("document_id", "documents", "id")],
        not_null=["document_id"],
    )
    db["document_links"].create_index(["document_id"], if_not_exists=True)
    db.execute(
        "INSERT OR IGNORE INTO document_links (fetch_id, document_id, page_url, link_text)"
        " SELECT b.first_fetch_id, d.id, d.attachment_of, a.text FROM document_bodies b"
        " JOIN documents d ON d.id = b.document_id"
        " LEFT JOIN attachments a ON a.document_id = d.attachment_of_id AND a.url = d.url"
        " WHERE d.attachment_of IS NOT NULL"
    )


MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (_v1_initial, _v2_recrawls, _v3_document_links)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite_utils.Database) -> tuple[int, int]:
    """Apply the pending migrations; return (version before, version after)."""
    before = schema_version(db)
    if before > SCHEMA_VERSION:
        raise RuntimeError(
            f"archive schema version {before} is newer than this code's {SCHEMA_VERSION}:"
            " upgrade ogi-archive before opening it"
        )
    for number in range(before, SCHEMA_VERSION):
        MIGRATIONS[number](db)
        db.execute(f"PRAGMA user_version = {number + 1}")
    return before, SCHEMA_VERSION
