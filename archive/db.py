"""The archive database: raw bodies with provenance, documents and their parsed reports.

``Archive`` is the facade the crawler, the CLI and the researchers' modules use; each part
lives in its own module:

- ``archive.store``: the connection (read-only for reading commands), batched
  transactions, retries on a second writer's lock, runs, portals, bodies, fetches;
- ``archive.documents``: the document lifecycle (live, gone, moved), the link that led to
  each document, parses and the one completion of a parser's record (``complete``), reparse;
- ``archive.queries``: search, provenance, exports of records, re-crawl plans, changes, stats;
- ``archive.check``: the integrity check.
"""

from __future__ import annotations

from archive.check import Checks
from archive.documents import GONE_STATUSES, NOT_MODIFIED, Documents, Link
from archive.queries import Queries
from archive.store import (
    DEFAULT_ARCHIVE,
    ENV_VAR,
    ArchiveError,
    decompress,
    default_archive_path,
    sha256_hex,
    utc_now,
)

__all__ = ["Archive", "ArchiveError", "Link", "DEFAULT_ARCHIVE", "ENV_VAR", "GONE_STATUSES", "NOT_MODIFIED",
           "decompress", "default_archive_path", "sha256_hex", "utc_now"]


class Archive(Documents, Queries, Checks):
    """One SQLite archive. ``Archive(path=None)`` opens (creating and migrating) it;
    ``Archive(path, read_only=True)`` opens an existing one read-only, ``create=False``
    refuses to create a missing one.

    >>> db = Archive(":memory:")
    >>> run = db.start_run({"portals": 1}, code_version="abc123")
    >>> fetch = db.record_fetch(run_id=run, url="http://x.gov.cn/r.html", status=200,
    ...                         body=b"<html>...</html>", fetched_at="2026-11-22T10:00:00Z")
    >>> db.body(db.fetch(fetch)["sha256"])
    b'<html>...</html>'
    >>> db.close()
    """
