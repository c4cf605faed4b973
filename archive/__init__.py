"""The archive: the one place that writes SQLite (raw bodies, provenance, parsed reports)."""

from archive.db import Archive, ArchiveError, Link, default_archive_path

__all__ = ["Archive", "ArchiveError", "Link", "default_archive_path"]
