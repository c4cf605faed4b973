"""The archive: the one place that writes SQLite (raw bodies, provenance, parsed reports)."""

from archive.db import GONE_STATUSES, NOT_MODIFIED, Archive, ArchiveError, Link, default_archive_path, utc_now

__all__ = ["Archive", "ArchiveError", "Link", "GONE_STATUSES", "NOT_MODIFIED", "default_archive_path", "utc_now"]
