"""The archive: the one place that writes SQLite (raw bodies, provenance, parsed reports)."""

from archive.db import Archive, ArchiveError, default_archive_path

__all__ = ["Archive", "ArchiveError", "default_archive_path"]
